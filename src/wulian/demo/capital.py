"""The demo's capital chain: a 3+N fund matrix (a mother fund, a state-owned investment fund and an
M&A fund, with chain sub-funds under the mother fund), their commitments and investments in firms
of the zone and in signed projects of the demo pipeline (以投促引); a risk-compensation pool
(government and bank 1:1) whose loans include a default that brings it near its 5% warning (4.49%),
and loans outside the pool; entered through the capital services as the finance office would."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import events, knowledge, listings, loans, needs, products, service
from wulian.capital.models import Fund, KnowledgeCreditResult, Loan
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor
from wulian.enterprises import facts, read
from wulian.investment import service as investment

SEED = 20261
# the "3": (name, kind, manager, 返投 %, [(investor, kind, committed 亿元, paid-in 亿元)])
FUNDS = (
    ("衢州市产业投资母基金", "mother", "衢州市金融控股集团基金管理有限公司", 50,
     [("衢州市财政局", "government", "50", "30"),
      ("衢州市国有资本运营有限公司", "state_owned", "20", "12")]),
    ("衢州市国有资本投资基金", "state", "衢州市国有资本运营有限公司", None,
     [("衢州市国有资本运营有限公司", "state_owned", "30", "20")]),
    ("衢州市产业并购基金", "ma", "浙江某并购投资管理有限公司", 30,
     [("衢州市财政局", "government", "10", "10"), ("某证券投资有限公司", "social", "20", "12")]),
)  # fmt: skip
# the "N": sub-funds of the mother fund, one per chain: (name, chain, mother's 亿元, social 亿元)
SUB_FUNDS = (
    ("锂电新材料产业子基金", "lithium", "4", "6"),
    ("氟硅新材料产业子基金", "fluorosilicon", "3", "7"),
    ("电子化学品产业子基金", "electronic_chemicals", "2", "3"),
    ("生物医药产业子基金", "biomedicine", "2", "4"),
)


# the pool's loans (万元, disbursed in full); the last one defaults: 200 of 4,450 = 4.49%
POOL_LOANS = ("500", "450", "400", "600", "350", "300", "500", "400", "450", "300")
POOL_DEFAULT = "200"
PRODUCTS = ("科技贷", "助力贷", "税易贷", "人才贷", "知识产权质押贷")


# the catalogue: (name, lender, kind, 万元 range, rate range %, months, collateral, rules)
CATALOGUE = (
    ("科技贷", "衢州某农商银行", "credit", ("50", "1000"), ("3.45", "4.5"), 12, "信用",
     "园区企业: in_zone\n营业收入不低于 500 万元: revenue >= 500\n"
     "研发费用占营业收入 3% 以上: rd_expense / revenue >= 3%"),
    ("助力贷", "衢州某银行", "credit", ("100", "2000"), ("3.6", "4.8"), 24, "信用或保证",
     "园区企业: in_zone\n成立 2 年以上: years >= 2\n从业人员 20 人以上: staff_total >= 20"),
    ("税易贷", "衢州某银行", "tax", ("10", "300"), ("3.8", "5"), 12, "信用",
     "园区企业: in_zone\n上年纳税 20 万元以上: tax_paid >= 20\n成立 2 年以上: years >= 2"),
    ("知识产权质押贷", "衢州某农商银行", "ip", ("100", "3000"), ("3.45", "4.2"), 36,
     "知识产权质押", "有发明专利申请: invention_patents >= 1\n园区企业: in_zone"),
    ("高企信用贷", "衢州某银行", "points", ("100", "1000"), ("3.3", "4"), 12, "信用",
     "高新技术企业: 'gaoxin' in tags\n营业收入不低于 2000 万元: revenue >= 2000"),
    ("园区批量担保贷", "衢州市融资担保有限公司", "batch", ("50", "500"), ("4", "5.5"), 12,
     "政府性融资担保", "园区企业: in_zone\n资产负债率不高于 70%: debt_ratio <= 70"),
)  # fmt: skip


# the listing pipeline: (the stage reached, the board, years ago it was listed or 挂牌)
LADDER = (
    ("listed", "star", 4), ("listed", "chinext", 2), ("listed", "main", 1), ("neeq", None, 2),
    ("registered", "star", None), ("review", "bse", None), ("filing", "chinext", None),
    ("tutoring", "star", None), ("tutoring", None, None), ("shareholding", None, None),
    ("reserve", None, None), ("reserve", None, None), ("reserve", None, None),
)  # fmt: skip


@dataclass(frozen=True)
class CapitalDemo:
    funds: int
    investments: int
    projects: int  # investments in 招商 projects (以投促引)
    loans: int = 0
    credit_graded: int = 0  # firms graded in the published knowledge-value credit run
    needs: int = 0  # firms' financing needs
    outcomes: int = 0  # outcomes of the past 银企对接 event


def build(session: Session, *, actor: Actor, today: dt.date) -> CapitalDemo:
    """The fund matrix, from nothing (the demo builder calls it once, for a new zone)."""
    rng = random.Random(SEED)  # noqa: S311  (demo data, reproducible)
    start = today - dt.timedelta(days=3 * 365)
    for name, kind, manager, pct, holders in FUNDS:
        fund = service.create_fund(
            session, actor=actor,
            data=service.NewFund(name=name, kind=kind, manager=manager, reinvest_pct=pct,
                                 established_on=start),
        )  # fmt: skip
        for holder, investor_kind, committed, paid in holders:
            service.add_commitment(
                session, actor=actor, fund_id=fund.id, investor=holder,
                investor_kind=investor_kind, committed=committed, paid_in=paid,
                committed_on=start,
            )  # fmt: skip
    mother = FUNDS[0][0]
    for name, chain, from_mother, social in SUB_FUNDS:
        fund = service.create_fund(
            session, actor=actor,
            data=service.NewFund(name=name, kind="sub", parent=mother, chain=chain,
                                 reinvest_pct=100, manager="浙江某创业投资管理有限公司",
                                 established_on=start + dt.timedelta(days=90)),
        )  # fmt: skip
        service.add_commitment(
            session, actor=actor, fund_id=fund.id, investor=mother, investor_kind="government",
            committed=from_mother, paid_in=from_mother, committed_on=start,
        )  # fmt: skip
        service.add_commitment(
            session, actor=actor, fund_id=fund.id, investor="某私募股权投资合伙企业",
            investor_kind="social", committed=social, paid_in=str(int(social) // 2),
            committed_on=start,
        )  # fmt: skip
    local = list(session.scalars(read.ids_where(in_zone=True).limit(200)))
    rng.shuffle(local)
    firms = read.names(session, local[:24])
    signed = [p for p in investment.project_choices(session) if p.signed]
    rng.shuffle(signed)
    investors = [f[0] for f in FUNDS] + [f[0] for f in SUB_FUNDS]
    made = projects = 0
    for index, (firm_id, _) in enumerate(firms.items()):
        investor = investors[index % len(investors)]
        amount = rng.choice(("0.2", "0.3", "0.5", "0.8", "1"))
        total = str(int(float(amount) * rng.choice((3, 4, 5, 6))))
        try:
            service.invest(
                session, actor=actor, today=today,
                data=service.NewInvestment(
                    fund=investor, firm=str(firm_id), amount=amount, round_total=total,
                    invested_on=start + dt.timedelta(days=rng.randint(120, 1000)),
                ),
            )  # fmt: skip
        except InvalidInput:  # the fund has no room left: the next one takes it
            continue
        made += 1
    for index, project in enumerate(signed[:6]):
        sub = SUB_FUNDS[index % len(SUB_FUNDS)][0]
        share = min(2, max(1, project.amount_wan // 100_000))
        service.invest(
            session, actor=actor, today=today,
            data=service.NewInvestment(fund=sub, project_id=project.id, amount=str(share),
                                       invested_on=today - dt.timedelta(days=rng.randint(10, 300))),
        )  # fmt: skip
        made += 1
        projects += 1
    for name, lender, kind, (low, high), (rlow, rhigh), months, collateral, rules in CATALOGUE:
        products.create(
            session, actor=actor,
            data=products.NewProduct(
                name=name, lender=lender, kind=kind, eligibility=rules, min_wan=low,
                max_wan=high, min_rate=rlow, max_rate=rhigh, term_months=months,
                collateral=collateral,
            ),
        )  # fmt: skip
    count = session.scalar(sa.select(sa.func.count()).select_from(Fund))
    lent = _loans(session, actor, today, local, rng)
    _ladder(session, actor, today, local[-len(LADDER) - 5 : -5])
    graded = _credit(session, actor, today, local[:20])
    asked, outcomes = _matchmaking(session, actor, today, local[24:32], local[:2])
    # the stages reached are in the facts; their listing rewards appear when the finance office
    # runs the policies for this year (the demo's own runs stay on its data years)
    return CapitalDemo(int(count or 0), made, projects, lent, graded, asked, outcomes)


# financing needs: (万元, purpose, months, collateral)
NEEDS = (
    ("500", "流动资金", 12, "信用"), ("1200", "设备购置", 36, "设备抵押"),
    ("300", "技术改造", 24, "知识产权质押"), ("800", "流动资金", 12, "政府性融资担保"),
    ("2000", "项目建设", 60, "土地厂房抵押"), ("150", "流动资金", 12, "信用"),
)  # fmt: skip


def _matchmaking(
    session: Session, actor: Actor, today: dt.date, asking: list[int], borrowers: list[int]
) -> tuple[int, int]:
    """Firms' financing needs and one past 银企对接 event with what came of it: credit granted
    to most firms, disbursed to some, one outcome linked to a registered loan."""
    made = []
    for firm, (amount, purpose, months, collateral) in zip(asking, NEEDS, strict=False):
        made.append(
            needs.create(
                session, actor=actor, today=today,
                data=needs.NewNeed(firm=str(firm), amount_wan=amount, purpose=purpose,
                                   term_months=months, collateral=collateral),
            )
        )  # fmt: skip
    lenders = list(dict.fromkeys(c[1] for c in CATALOGUE))
    held = today - dt.timedelta(days=75)
    event = events.create_event(
        session, actor=actor, today=today, name=f"{held.year} 年科技企业银企对接会",
        held_on=held, lenders=lenders, firms=[str(n.enterprise_id) for n in made[:4]]
        + [str(b) for b in borrowers], place="园区企业服务中心",
    )  # fmt: skip
    catalogue = {p.name: p for p in products.catalogue(session, actor=actor)}
    plan = (  # (need index, lender, product, granted, disbursed)
        (0, "衢州某农商银行", "科技贷", "500", "500"),
        (1, "衢州某银行", "助力贷", "1000", "600"),
        (2, "衢州某农商银行", "知识产权质押贷", "300", None),
        (3, "衢州市融资担保有限公司", "园区批量担保贷", None, None),
    )  # fmt: skip
    count = 0
    for index, lender, product, granted, disbursed in plan:
        need = made[index]
        events.record(
            session, actor=actor, event_id=event.id, today=today,
            data=events.NewOutcome(
                firm=str(need.enterprise_id), lender=lender,
                product_id=catalogue[product].id if product in catalogue else None,
                need_id=need.id, granted_wan=granted, disbursed_wan=disbursed,
            ),
        )  # fmt: skip
        count += 1
    loan = session.scalar(
        sa.select(Loan).where(Loan.enterprise_id.in_(borrowers)).order_by(Loan.id).limit(1)
    )
    if loan is not None and loan.lender in lenders:
        events.record(
            session, actor=actor, event_id=event.id, today=today,
            data=events.NewOutcome(firm=str(loan.enterprise_id), lender=loan.lender,
                                   loan_id=loan.id),
        )  # fmt: skip
        count += 1
    return len(made), count


def _credit(session: Session, actor: Actor, today: dt.date, consenting: list[int]) -> int:
    """The knowledge-value credit run of the newest data year, published; some firms consent to
    partner banks reading their grade."""
    years = [y for y in facts.years(session, metric="revenue") if y <= today.year]
    if not years:
        return 0
    try:
        run = knowledge.create_run(session, actor=actor, period=str(years[0]), today=today)
    except InvalidInput:  # no firm with figures that year
        return 0
    knowledge.publish(session, actor=actor, run_id=run.id, today=today)
    for firm in consenting:
        knowledge.set_consent(session, actor=actor, enterprise_id=firm, granted=True)
    graded = sa.select(sa.func.count()).where(
        KnowledgeCreditResult.run_id == run.id, KnowledgeCreditResult.grade.is_not(None)
    )
    return int(session.scalar(graded) or 0)


def _ladder(session: Session, actor: Actor, today: dt.date, firms: list[int]) -> None:
    """Firms on the listing pipeline, each taken stage by stage to where it stands."""
    for firm, (stage, board, years_ago) in zip(firms, LADDER, strict=False):
        end = today - dt.timedelta(days=365 * years_ago + 30) if years_ago else today
        steps = listings.ORDER[: listings.ORDER.index(stage) + 1] if stage != "neeq" else [
            "reserve", "shareholding", "neeq"]  # fmt: skip
        day = end - dt.timedelta(days=120 * (len(steps) - 1))
        case = listings.add(
            session, actor=actor, today=today, firm=str(firm), board=board or "",
            intermediaries="某证券股份有限公司" if len(steps) > 2 else "", on=day,
        )  # fmt: skip
        for step in steps[1:]:
            day += dt.timedelta(days=120)
            listings.advance(session, actor=actor, today=today, case_id=case.id, to_stage=step,
                             on=min(day, today))  # fmt: skip


def _loans(
    session: Session, actor: Actor, today: dt.date, firms: list[int], rng: random.Random
) -> int:
    pool = loans.create_pool(
        session, actor=actor, name="科技型中小企业贷款风险补偿资金池", lender="衢州某农商银行",
        government="500", bank="500", cover_pct=80,
    )  # fmt: skip
    amounts = [*POOL_LOANS, POOL_DEFAULT]
    made = []
    for index, amount in enumerate(amounts):
        data = loans.NewLoan(
            firm=str(firms[index % len(firms)]), lender="衢州某农商银行",
            product=PRODUCTS[index % len(PRODUCTS)], granted=amount, disbursed=amount,
            pool_id=pool.id, granted_on=today - dt.timedelta(days=rng.randint(60, 500)),
        )  # fmt: skip
        made.append(loans.register(session, actor=actor, today=today, data=data))
    loans.update(session, actor=actor, today=today, loan_id=made[2].id, status="overdue")
    loans.update(session, actor=actor, today=today, loan_id=made[-1].id, status="default")
    for index in range(2):  # 创新积分贷 outside the pool
        loans.register(
            session, actor=actor, today=today,
            data=loans.NewLoan(
                firm=str(firms[-1 - index]), lender="衢州某银行", product="创新积分贷",
                granted="1000", disbursed="800",
                granted_on=today - dt.timedelta(days=rng.randint(30, 300)),
            ),
        )  # fmt: skip
    return len(made) + 2
