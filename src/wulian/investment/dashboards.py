"""The pipeline's figures: signed projects by quarter and the stage funnel."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from itertools import pairwise

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor
from wulian.investment.lists import labels, stale_days
from wulian.investment.models import InvestmentProject, InvestmentStage, StageEvent
from wulian.investment.pipeline import SOURCES, band_of, require_read, stages


@dataclass(frozen=True)
class Quarter:
    quarter: int
    count: int
    amount_wan: int
    reinvestment: int  # of which 再投资/二期


@dataclass(frozen=True)
class FunnelRow:
    group: str  # the chain, source or team's name ("全部" for every project)
    reached: dict[str, int]  # stage key → projects that reached it
    median_days: dict[str, float | None]  # stage key → median days spent there (left it)


@dataclass(frozen=True)
class Dashboard:
    year: int
    quarters: list[Quarter]
    signed: int
    signed_wan: int
    reinvestment: int
    hundred_yi: int  # signed 百亿级 projects
    manufacturing: int
    manufacturing_high_tech: int
    stages: list[InvestmentStage]  # the funnel's stages (closed ones left out)
    funnel: list[FunnelRow]
    group: str
    stale: int

    @property
    def high_tech_share(self) -> float | None:
        """High-tech share among signed manufacturing projects; None when there are none."""
        return self.manufacturing_high_tech / self.manufacturing if self.manufacturing else None


GROUPS = {"chain": "按产业链", "source": "按来源", "team": "按负责小组"}


def dashboard(
    session: Session, *, actor: Actor, year: int, today: dt.date, group: str = "chain"
) -> Dashboard:
    """Signed projects and investment by quarter of year; the funnel (projects that reached each
    stage, conversion, median days spent in a stage) for every project and by group."""
    require_read(actor)
    if group not in GROUPS:
        raise InvalidInput(f"没有“{group}”这种分组", field="group")
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    signed = list(
        session.scalars(
            sa.select(InvestmentProject).where(InvestmentProject.signed_on.between(start, end))
        )
    )
    quarters = []
    for q in range(1, 5):
        inside = [p for p in signed if p.signed_on and (p.signed_on.month - 1) // 3 + 1 == q]
        quarters.append(
            Quarter(q, len(inside), sum(p.amount_wan for p in inside),
                    sum(1 for p in inside if p.reinvestment))
        )  # fmt: skip
    made = [p for p in signed if p.manufacturing]
    table = [s for s in stages(session) if not s.closed]
    position = {s.key: s.position for s in table}
    projects = {p.id: p for p in session.scalars(sa.select(InvestmentProject))}
    events: dict[int, list[StageEvent]] = {}
    for event in session.scalars(
        sa.select(StageEvent).order_by(StageEvent.project_id, StageEvent.moved_on, StageEvent.id)
    ):
        events.setdefault(event.project_id, []).append(event)
    names = labels(session, actor=actor)

    def group_of(p: InvestmentProject) -> str:
        if group == "chain":
            return names.chains.get(p.chain, p.chain) if p.chain else "未指定产业链"
        if group == "source":
            return SOURCES.get(p.source, p.source)
        return names.teams.get(p.team_id, str(p.team_id))

    # the whole row stands even when there is no project yet (a new install)
    reached: dict[str, dict[str, int]] = {"全部": {s.key: 0 for s in table}}
    days: dict[str, dict[str, list[int]]] = {"全部": {s.key: [] for s in table}}
    for pid, project in projects.items():
        trail = events.get(pid, [])
        top = max((position.get(e.to_stage, 0) for e in trail), default=0)
        top = max(top, position.get(project.stage, 0))
        for key in ("全部", group_of(project)):
            row = reached.setdefault(key, {s.key: 0 for s in table})
            for s in table:
                if s.position <= top:
                    row[s.key] += 1
            spent = days.setdefault(key, {s.key: [] for s in table})
            for here, after in pairwise(trail):
                if here.to_stage in spent:
                    spent[here.to_stage].append((after.moved_on - here.moved_on).days)
    order = ["全部", *sorted(k for k in reached if k != "全部")]
    funnel = [
        FunnelRow(
            k,
            reached[k],
            {s: float(statistics.median(v)) if v else None for s, v in days[k].items()},
        )
        for k in order
    ]
    stale = sum(1 for p in projects.values() if stale_days(names.stages.get(p.stage), p, today) > 0)
    return Dashboard(
        year=year, quarters=quarters, signed=len(signed),
        signed_wan=sum(p.amount_wan for p in signed),
        reinvestment=sum(1 for p in signed if p.reinvestment),
        hundred_yi=sum(1 for p in signed if band_of(p.amount_wan) == "100"),
        manufacturing=len(made), manufacturing_high_tech=sum(1 for p in made if p.high_tech),
        stages=table, funnel=funnel, group=group, stale=stale,
    )  # fmt: skip
