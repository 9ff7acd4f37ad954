"""The demo's project pipeline: about a hundred projects on the six chains, taken through the
pipeline's own service from lead to where each stands today, dated from the day the demo is
built. A few are 百亿级 (in the most mature chains, lithium and fluorosilicon); signed projects
are signed at quarterly signing ceremonies (集中签约); some leads have rested too long (stale);
reinvestments (二期) come from firms already in the zone, other projects from external firms of
the registry or from new firms."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor
from wulian.demo import ties as demo_ties
from wulian.enterprises import read
from wulian.investment import approach, atlas, service
from wulian.investment.models import InvestmentProject

SEED = 20260
# the teams: the investment bureau, and the chain office's per-chain investment teams (九个一)
TEAMS = ("investment", "chain-office")
# the path of a project that goes all the way, and how many projects stop at each stage
PATH = ("lead", "contact", "visit", "negotiation", "signed", "land", "started", "production",
        "capacity")  # fmt: skip
STOPS = {"lead": 24, "contact": 14, "visit": 12, "negotiation": 10, "signed": 10, "land": 8,
         "started": 8, "production": 6, "capacity": 3, "dropped": 6}  # fmt: skip
# 百亿级 projects: (chain, node, name, 亿元)
HUNDRED_YI = (
    ("fluorosilicon", None, "高端氟硅新材料一体化产业园项目", "155"),
    ("lithium", None, "动力电池正负极材料一体化项目", "120"),
    ("lithium", None, "锂电池循环利用与储能电池基地项目", "100"),
)
PRODUCTS = ("年产{n}万吨{node}项目", "{node}生产基地项目", "{node}扩能技改项目",
            "{node}研发及产业化项目")  # fmt: skip
NEW_FIRMS = ("长三角", "深圳", "上海", "苏州", "合肥", "宁波", "武汉", "成都", "新加坡", "德国")
SOURCES = ("business", "business", "business", "fund", "overseas", "expo", "platform")


@dataclass(frozen=True)
class PipelineDemo:
    projects: int
    signings: int
    hundred_yi: int
    plans: int = 0  # approach plans of the 招商图谱
    ties: int = 0  # supply ties between zone firms and targets (链上往来)


def _quarter_days(today: dt.date) -> list[dt.date]:
    """The signing ceremonies: the 20th of the middle month of each of the last six quarters
    that has passed."""
    days = []
    year, month = today.year, today.month
    for back in range(8):
        q_month = ((month - 1) // 3) * 3 + 2 - 3 * back
        y = year + (q_month - 1) // 12
        m = (q_month - 1) % 12 + 1
        day = dt.date(y, m, 20)
        if day <= today - dt.timedelta(days=10):
            days.append(day)
    return sorted(days[:6])


def build(session: Session, *, actor: Actor, today: dt.date) -> PipelineDemo:
    """Create the pipeline's demo projects (once: nothing when projects exist)."""
    if session.scalar(sa.select(sa.func.count()).select_from(InvestmentProject)):
        return PipelineDemo(0, 0, 0)
    rng = random.Random(SEED)  # noqa: S311  (made-up demo data, not secrets)
    found = [auth_service.get_department_by_code(session, code=code) for code in TEAMS]
    teams = [d.id for d in found if d is not None]
    if not teams:
        return PipelineDemo(0, 0, 0)
    atlas = chains_service.chains(session, actor=actor)
    external = list(session.scalars(read.ids_where(in_zone=False).limit(60)))
    local = list(session.scalars(read.ids_where(in_zone=True).limit(40)))
    names = read.names(session, external + local)
    ceremonies = _quarter_days(today)
    events = {
        day: service.create_signing(
            session,
            actor=actor,
            today=today,
            held_on=day,
            place="衢州",
            name=f"{day.year}年第{(day.month - 1) // 3 + 1}季度重大项目集中签约",
        )
        for day in ceremonies
    }
    stops = [stage for stage, n in STOPS.items() for _ in range(n)]
    rng.shuffle(stops)
    big = list(HUNDRED_YI)
    made = 0
    for index, stop in enumerate(stops):
        chain = atlas[index % len(atlas)]
        node = rng.choice(chain.spec.nodes)
        amount = f"{rng.choice((1, 2, 3, 5, 8, 12, 15, 20, 30, 50))}.{rng.randint(0, 9)}"
        name = rng.choice(PRODUCTS).format(n=rng.randint(1, 20), node=node.name)
        if stop in ("started", "production", "capacity", "signed") and big:
            chain_id, _, name, amount = big.pop()
            chain = next(c for c in atlas if c.spec.id == chain_id)
            node = chain.spec.nodes[index % len(chain.spec.nodes)]
        kind = rng.random()
        firm, firm_name, reinvest = "", "", False
        if kind < 0.15 and local:
            firm, reinvest = str(rng.choice(local)), True
            name = name.replace("项目", "二期项目")
        elif kind < 0.55 and external:
            firm = str(rng.choice(external))
        else:
            firm_name = f"{rng.choice(NEW_FIRMS)}{node.name[:4]}科技有限公司"
        if firm and int(firm) in names:  # the firm's short name first: 和晟正极材料扩能技改项目
            short = names[int(firm)].removeprefix("外埠示例").removeprefix("示例")[:2]
            name = f"{short}{name}"
        signs = stop in PATH[PATH.index("signed") :]
        path = list(PATH[: PATH.index(stop) + 1]) if stop != "dropped" else ["lead", "contact"]
        signed_on = rng.choice(ceremonies) if signs and ceremonies else None
        # dates: a lead some months before signing (or before today), moves spaced after it
        anchor = signed_on or today - dt.timedelta(days=rng.randint(5, 200))
        lead_on = anchor - dt.timedelta(days=rng.randint(40, 240))
        source = rng.choice(SOURCES)
        project = service.create(
            session, actor=actor, today=today,
            data=service.NewProject(
                name=f"{name}", amount_yi=amount, source=source, firm=firm, firm_name=firm_name,
                reinvestment=reinvest, chain=chain.spec.id, node=node.key,
                manufacturing=rng.random() < 0.85, high_tech=rng.random() < 0.65,
                fund_name="衢州市产业基金" if source == "fund" else "",
                team_id=teams[0] if rng.random() < 0.7 else teams[-1], lead_on=lead_on,
                fixed_asset_yi=None,
            ),
        )  # fmt: skip
        day = lead_on
        before_sign = path[1 : path.index("signed")] if "signed" in path else path[1:]
        gap = max(1, ((signed_on or anchor) - lead_on).days // (len(before_sign) + 1))
        for to in path[1:]:
            if to == "signed" and signed_on is not None:
                day = signed_on
            elif day < (signed_on or dt.date.min):
                day = min(day + dt.timedelta(days=gap), signed_on or today)
            else:
                day = min(day + dt.timedelta(days=rng.randint(30, 150)), today)
            expected = project.stage
            service.move(
                session, actor=actor, today=today, project_id=project.id, to_stage=to,
                expected_stage=expected, on=day, note="",
            )  # fmt: skip
        if stop == "dropped":
            service.move(
                session, actor=actor, today=today, project_id=project.id, to_stage="dropped",
                expected_stage="contact", on=min(day + dt.timedelta(days=30), today),
                note="企业投资计划调整",
            )  # fmt: skip
        if signed_on is not None:
            project.signing_id = events[signed_on].id
        made += 1
    session.flush()
    plans = _plans(session, actor=actor, today=today, teams=teams)
    tied = demo_ties.build(session, actor=actor, today=today)  # the planned targets left out
    return PipelineDemo(made, len(events), len(HUNDRED_YI) - len(big), plans, tied)


def _plans(session: Session, *, actor: Actor, today: dt.date, teams: list[int]) -> int:
    """An approach plan for the best target of each chain's most important gap: 以商招商 through
    the biggest zone firm around the gap where there is one, else at a trade fair."""
    made = 0
    for index, chain in enumerate(chains_service.chains(session, actor=actor)):
        found = atlas.chain_map(session, actor=actor, chain=chain.spec.id)
        if not found.gaps:
            continue
        gap = found.gaps[0]
        node = atlas.node_map(session, actor=actor, chain=chain.spec.id, key=gap.key, base=found)
        targets = atlas.rank_targets(
            session, actor=actor, chain=chain.spec.id, node=gap.key, year=found.state.year, top_k=1
        )
        if not targets:
            continue
        via = node.brokers[0] if node.brokers else None
        data = approach.PlanInput(
            route="business" if via else "event", team_id=teams[index % len(teams)],
            via_enterprise_id=via[0] if via else None,
            steps=(f"请{via[1]}引荐，介绍园区{found.spec.name}配套与需求" if via
                   else "在行业展会上接洽，邀请来园区考察"),
            next_step="上门拜访企业负责人", next_on=today + dt.timedelta(days=7 + index),
            status="following" if index % 2 else "planned",
        )  # fmt: skip
        approach.create_plan(
            session, actor=actor, chain=chain.spec.id, node=gap.key,
            enterprise_id=targets[0].id, data=data,
        )  # fmt: skip
        made += 1
    return made
