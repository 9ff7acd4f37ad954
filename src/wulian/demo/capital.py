"""The demo's capital chain: a 3+N fund matrix (a mother fund, a state-owned investment fund and an
M&A fund, with chain sub-funds under the mother fund), their commitments and investments in firms
of the zone and in signed projects of the demo pipeline (以投促引), entered through the capital
service as the finance office would."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import service
from wulian.capital.models import Fund
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor
from wulian.enterprises import read
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


@dataclass(frozen=True)
class CapitalDemo:
    funds: int
    investments: int
    projects: int  # investments in 招商 projects (以投促引)


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
    count = session.scalar(sa.select(sa.func.count()).select_from(Fund))
    return CapitalDemo(int(count or 0), made, projects)
