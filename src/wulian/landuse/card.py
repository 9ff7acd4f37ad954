"""A firm's report card (亩均效益评价卡): its items against the benchmarks, its class, what it
would take to reach the next one, and its history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import runs
from wulian.core.errors import NotFound
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import read
from wulian.landuse import evaluate
from wulian.landuse import spec as landuse_spec
from wulian.landuse.models import LanduseResult, LanduseRun
from wulian.landuse.runs import get_run_or_raise
from wulian.landuse.versions import parse
from wulian.reference import catalogue


@dataclass(frozen=True)
class CardLine:
    key: str
    name: str
    value: float | None
    benchmark: float | None
    weight: float
    points: float | None
    averaged: bool
    limits: str | None  # the item's cap and floor in words, official or a platform default
    limited: int  # 1: held at its cap; −1: held at its floor; 0: neither


@dataclass(frozen=True)
class Card:
    run: LanduseRun
    enterprise: read.Firm
    result: LanduseResult
    lines: list[CardLine]
    bonus: float | None
    history: list[tuple[int, str | None, float | None]]  # year, grade, score (published)
    next_class: dict[str, Any] | None
    policy: str | None


def card(session: Session, *, actor: Actor, run_id: int, enterprise_id: int) -> Card:
    """A firm's report card in a run; an enterprise user sees only its own, once published."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_enterprise(enterprise_id)
    found = session.scalar(
        sa.select(LanduseResult).where(
            LanduseResult.run_id == run.id, LanduseResult.enterprise_id == enterprise_id
        )
    )
    enterprise = read.get(session, enterprise_id)
    if found is None or enterprise is None:
        raise NotFound("这家企业不在本次评价中")
    result = found
    spec = parse(run.spec.text)
    group = spec.group(result.group)
    items = {i.key: i for i in (group.items if group else [])}
    lines = [
        CardLine(
            key=key, name=items[key].name or metric_name(key), value=detail.get("value"),
            benchmark=detail.get("benchmark"), weight=float(detail.get("weight") or 0),
            points=detail.get("points"), averaged=bool(detail.get("averaged")),
            limits=items[key].limits, limited=int(detail.get("limited") or 0),
        )
        for key, detail in result.detail.items() if key in items
    ]  # fmt: skip
    bonus = (result.detail.get("bonus") or {}).get("points")
    past = session.execute(
        sa.select(LanduseRun.period, LanduseResult.grade, LanduseResult.score)
        .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
        .where(
            LanduseResult.enterprise_id == enterprise_id,
            LanduseRun.status == RunStatus.PUBLISHED.value,
            LanduseRun.id != run.id,
        )
        .order_by(LanduseRun.period.desc())
    ).all()
    return Card(
        run=run, enterprise=enterprise, result=result, lines=lines, bonus=bonus,
        history=[(runs.period_year(p), g, s) for p, g, s in past],
        next_class=_next_class(session, run, spec, result),
        policy=spec.policies.get(result.grade or ""),
    )  # fmt: skip


def metric_name(key: str) -> str:
    return catalogue.names().get(key, key)


def _next_class(
    session: Session, run: LanduseRun, spec: landuse_spec.LanduseSpec, result: LanduseResult
) -> dict[str, Any] | None:
    """evaluate.to_next_class on the stored results of the firm's group."""
    if result.status != "rated" or result.grade is None:
        return None
    rows = session.execute(
        sa.select(
            LanduseResult.enterprise_id, LanduseResult.group, LanduseResult.status,
            LanduseResult.score, LanduseResult.grade,
        ).where(LanduseResult.run_id == run.id, LanduseResult.group == result.group)
    ).all()  # fmt: skip
    frame = pl.DataFrame(
        rows,
        schema={"enterprise_id": pl.Int64, "group": pl.String, "status": pl.String,
                "score": pl.Float64, "grade": pl.String},
        orient="row",
    )  # fmt: skip
    stored = evaluate.Evaluation(
        rows=frame, benchmarks=run.benchmarks, averages=run.averages,
        details={result.enterprise_id: result.detail},
    )  # fmt: skip
    return evaluate.to_next_class(spec, stored, result.enterprise_id)


def firm_standing(
    session: Session, *, actor: Actor, enterprise_id: int
) -> list[tuple[LanduseRun, LanduseResult]]:
    """The firm's results in the runs actor may see (a firm: on notice or published), newest
    first (its page's summary)."""
    actor.require_enterprise(enterprise_id)
    query = (
        sa.select(LanduseRun, LanduseResult)
        .join(LanduseResult, LanduseResult.run_id == LanduseRun.id)
        .where(
            LanduseResult.enterprise_id == enterprise_id,
            LanduseRun.status != RunStatus.WITHDRAWN.value,
        )
        .order_by(LanduseRun.period.desc(), LanduseRun.id.desc())
        .limit(5)
    )
    if actor.enterprise_id is not None:
        query = query.where(LanduseRun.status.in_(runs.PUBLIC))
    elif not actor.has(Permission.ZONE_READ):
        return []
    return [(run, result) for run, result in session.execute(query)]
