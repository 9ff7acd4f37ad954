"""The lists of a run: results by stage and band, cultivation pools, and the published workbook."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput
from wulian.core.pagination import Page, paginate_rows
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.engines.index import spec as index_spec
from wulian.enterprises import read
from wulian.innovation.models import (
    InnovationResult,
    InnovationRun,
)
from wulian.innovation.runs import get_run_or_raise
from wulian.innovation.versions import STAFF_ONLY, index_model


@dataclass(frozen=True)
class Listed:
    result: InnovationResult
    enterprise: read.Firm


def listing(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    cohort: str | None = None,
    band: str | None = None,
    top: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Listed]:
    """A run's results by stage and rank. Enterprise users see the published lists (firms in a
    band) only, as the public does."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    query = sa.select(InnovationResult).where(InnovationResult.run_id == run.id)
    if cohort:
        query = query.where(InnovationResult.cohort == cohort)
    if band:
        query = query.where(InnovationResult.band == band)
    elif actor.enterprise_id is not None:
        query = query.where(InnovationResult.band.is_not(None))
    if top:
        query = query.where(InnovationResult.rank <= top)
    query = query.order_by(
        InnovationResult.cohort,
        InnovationResult.rank.is_(None),
        InnovationResult.rank,
        read.field_of(InnovationResult.enterprise_id, "name"),
    )
    return paginate_pairs(session, query, page=page, per_page=per_page)


def cohorts(run: InnovationRun) -> list[str]:
    """The stages of a run in the spec's order (then any others, such as 未分阶段)."""
    model = index_model(run.spec)
    present = set(run.cohort_stats)
    ordered = [c for c in model.cohort_labels() if c in present]
    return ordered + sorted(present - set(ordered))


def bands(run: InnovationRun) -> list[str]:
    """The band labels of a run's spec, best first."""
    model = index_model(run.spec)
    for step in model.pipeline:
        if isinstance(step, index_spec.Banding) and (step.level in (None, model.root)):
            return [b.label for b in step.bands]
    return []


@dataclass(frozen=True)
class PoolEntry:
    result: InnovationResult
    enterprise: read.Firm
    threshold: float  # the lowest points that made the last band in the stage
    gap: float


def cultivation_pool(
    session: Session, *, actor: Actor, run_id: int, margin: float = 5.0
) -> list[PoolEntry]:
    """Firms just below the last band of their stage: within margin points of its threshold."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    labels = bands(run)
    if not labels:
        return []
    if not 0 < margin <= 50:
        raise InvalidInput("差距应在 0–50 分之间", field="margin", value=str(margin))
    entries: list[PoolEntry] = []
    for cohort, stats in run.cohort_stats.items():
        threshold = stats.get("band_min", {}).get(labels[-1])
        if threshold is None:
            continue
        results = session.scalars(
            sa.select(InnovationResult)
            .where(
                InnovationResult.run_id == run.id,
                InnovationResult.cohort == cohort,
                InnovationResult.band.is_(None),
                InnovationResult.points >= threshold - margin,
            )
            .order_by(InnovationResult.rank)
        )
        rows = read.attach(session, results, lambda r: r.enterprise_id)
        entries += [PoolEntry(r, e, threshold, threshold - (r.points or 0)) for r, e in rows]
    return entries


def export_xlsx(session: Session, *, actor: Actor, run_id: int) -> bytes:
    """The published lists as a workbook: one sheet per band, stages one after another."""
    from wulian.innovation.exports import lists_workbook

    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    labels = bands(run)
    results = session.scalars(
        sa.select(InnovationResult)
        .where(InnovationResult.run_id == run.id, InnovationResult.band.is_not(None))
        .order_by(
            InnovationResult.cohort,
            InnovationResult.rank,
            read.field_of(InnovationResult.enterprise_id, "name"),
        )
    )
    rows = read.attach(session, results, lambda r: r.enterprise_id)
    by_band: dict[str, list[tuple[InnovationResult, read.Firm]]] = {b: [] for b in labels}
    for result, enterprise in rows:
        by_band.setdefault(result.band or "", []).append((result, enterprise))
    order = {c: i for i, c in enumerate(cohorts(run))}
    for items in by_band.values():
        items.sort(key=lambda x: (order.get(x[0].cohort, 99), x[0].rank or 0))
    return lists_workbook(run, by_band)


def paginate_pairs(
    session: Session,
    query: sa.Select[InnovationResult],
    *,
    page: int,
    per_page: int,
) -> Page[Listed]:
    """paginate for a query of results, each with its firm's record."""
    rows = paginate_rows(session, query, page=page, per_page=per_page)
    results = [row[0] for row in rows.items]
    items = [Listed(r, e) for r, e in read.attach(session, results, lambda r: r.enterprise_id)]
    return Page(items=items, total=rows.total, page=rows.page, per_page=per_page)


@dataclass(frozen=True)
class Summary:
    """The newest published run in figures (the cockpit's): firms, scored, per band and stage."""

    run: InnovationRun
    bands: list[tuple[str, int]]  # band label, firms, best first
    stages: list[tuple[str, int]]  # stage, firms
    points: list[float] = field(default_factory=list)  # every scored firm's points


def published_summary(session: Session, *, actor: Actor) -> Summary | None:
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    run = session.scalar(
        sa.select(InnovationRun)
        .where(InnovationRun.status == RunStatus.PUBLISHED.value)
        .order_by(InnovationRun.period.desc(), InnovationRun.published_at.desc())
        .limit(1)
    )
    if run is None:
        return None
    counted = {
        (band, cohort): int(n)
        for band, cohort, n in session.execute(
            sa.select(InnovationResult.band, InnovationResult.cohort, sa.func.count())
            .where(InnovationResult.run_id == run.id)
            .group_by(InnovationResult.band, InnovationResult.cohort)
        )
    }
    per_band: dict[str, int] = {}
    per_stage: dict[str, int] = {}
    for (band, cohort), n in counted.items():
        if band:
            per_band[band] = per_band.get(band, 0) + n
        per_stage[cohort] = per_stage.get(cohort, 0) + n
    points = session.scalars(
        sa.select(InnovationResult.points)
        .where(InnovationResult.run_id == run.id, InnovationResult.points.is_not(None))
        .order_by(InnovationResult.points)
    ).all()
    return Summary(
        run,
        [(b, per_band.get(b, 0)) for b in bands(run)],
        [(c, per_stage[c]) for c in cohorts(run) if c in per_stage],
        [float(p) for p in points if p is not None],
    )
