"""The lists of a run: firms by group, class and status, the low-efficiency list, and filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import runs
from wulian.core.errors import PermissionDenied
from wulian.core.pagination import Page, paginate_rows
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import read
from wulian.landuse.models import LanduseResult, LanduseRun
from wulian.landuse.runs import get_run_or_raise
from wulian.landuse.versions import LOW_CANDIDATES, STAFF_ONLY, parse


@dataclass(frozen=True)
class Filters:
    group: str | None = None
    grade: str | None = None
    status: str | None = None
    low: bool = False
    q: str | None = None


def listing(
    session: Session, *, actor: Actor, run_id: int, filters: Filters, page: int, per_page: int = 50
) -> Page[tuple[LanduseResult, read.Firm]]:
    """A run's firms with their results: classes in order, then by rank."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    query = sa.select(LanduseResult).where(LanduseResult.run_id == run.id)
    if filters.group:
        query = query.where(LanduseResult.group == filters.group)
    if filters.grade:
        query = query.where(LanduseResult.grade == filters.grade)
    if filters.status:
        query = query.where(LanduseResult.status == filters.status)
    if filters.low:
        query = query.where(LanduseResult.low)
    if filters.q:
        named = read.ids_where(name_contains=filters.q.strip()[:50])
        query = query.where(LanduseResult.enterprise_id.in_(named))
    query = query.order_by(
        LanduseResult.group, LanduseResult.grade.is_(None), LanduseResult.grade,
        LanduseResult.rank.is_(None), LanduseResult.rank, LanduseResult.enterprise_id,
    )  # fmt: skip
    return _with_firms(session, query, page=page, per_page=per_page)


def _with_firms(
    session: Session, query: sa.Select[LanduseResult], *, page: int, per_page: int
) -> Page[tuple[LanduseResult, read.Firm]]:
    """A page of results, each with its firm's record."""
    rows = paginate_rows(session, query, page=page, per_page=per_page)
    results = [row[0] for row in rows.items]
    items = read.attach(session, results, lambda r: r.enterprise_id)
    return Page(items=items, total=rows.total, page=rows.page, per_page=per_page)


@dataclass(frozen=True)
class LowFirm:
    enterprise: read.Firm
    result: LanduseResult
    history: dict[int, float | None]  # year → 亩均税收 in the published runs (and this one)
    years_low: int  # consecutive years below the line, up to this one


def low_list(session: Session, *, actor: Actor, run_id: int) -> list[LowFirm]:
    """The run's low-efficiency firms with their 亩均税收 over the published years: the list a
    three-year clear-out plan tracks."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    spec = parse(run.spec.text)
    line = spec.scope.low_tax_per_mu
    results = session.scalars(
        sa.select(LanduseResult)
        .where(LanduseResult.run_id == run.id, LanduseResult.low)
        .order_by(LanduseResult.tax_per_mu, LanduseResult.enterprise_id)
    )
    pairs = read.attach(session, results, lambda r: r.enterprise_id)
    ids = [r.enterprise_id for r, _ in pairs]
    history: dict[int, dict[int, float | None]] = {i: {} for i in ids}
    if ids:
        past = session.execute(
            sa.select(LanduseRun.period, LanduseResult.enterprise_id, LanduseResult.tax_per_mu)
            .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
            .where(
                LanduseResult.enterprise_id.in_(ids),
                LanduseRun.period < run.period,
                LanduseRun.status == RunStatus.PUBLISHED.value,
            )
            .order_by(LanduseRun.period, LanduseRun.published_at)
        ).all()
        for period, eid, value in past:
            history[eid][runs.period_year(period)] = (
                value  # the newest published run of a year wins
            )
    out = []
    for result, enterprise in pairs:
        years = {**history[enterprise.id], run.year: result.tax_per_mu}
        streak, year = 0, run.year
        while (value := years.get(year)) is not None and value < line:
            streak, year = streak + 1, year - 1
        out.append(LowFirm(enterprise, result, dict(sorted(years.items())), streak))
    return out


def published_grades(
    session: Session, *, actor: Actor, year: int | None, page: int, per_page: int = 100
) -> tuple[LanduseRun | None, Page[tuple[LanduseResult, read.Firm]]]:
    """The newest published run (of year, when given) and a page of its firms."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    query = sa.select(LanduseRun).where(LanduseRun.status == RunStatus.PUBLISHED.value)
    if year is not None:
        query = query.where(LanduseRun.period == str(year))
    run = session.scalar(
        query.order_by(LanduseRun.period.desc(), LanduseRun.published_at.desc()).limit(1)
    )
    rows = (
        sa.select(LanduseResult)
        .where(LanduseResult.run_id == (run.id if run else -1))
        .order_by(LanduseResult.group, LanduseResult.rank.is_(None), LanduseResult.rank,
                  LanduseResult.enterprise_id)
    )  # fmt: skip
    return run, _with_firms(session, rows, page=page, per_page=per_page)


def standing_up_to(
    session: Session, *, actor: Actor, year: int, enterprise_ids: list[int] | None = None
) -> dict[int, dict[str, Any]]:
    """Each firm's standing in the newest published run of year or before (differential policies
    of a year apply the results published by then): grade, its class (None when not classed),
    and low, whether it is on that run's low-efficiency list (None when its 亩均税收 is unknown,
    so that the list cannot say)."""
    if actor.enterprise_id is not None and (
        enterprise_ids is None or set(enterprise_ids) != {actor.enterprise_id}
    ):
        raise PermissionDenied("只能查看本企业的评价结果")
    if actor.enterprise_id is None:
        actor.require(Permission.ZONE_READ)
    run = session.scalar(
        sa.select(LanduseRun)
        .where(LanduseRun.status == RunStatus.PUBLISHED.value, LanduseRun.period <= str(year))
        .order_by(LanduseRun.period.desc(), LanduseRun.published_at.desc())
        .limit(1)
    )
    if run is None:
        return {}
    query = sa.select(
        LanduseResult.enterprise_id, LanduseResult.grade, LanduseResult.low,
        LanduseResult.tax_per_mu, LanduseResult.status,
    ).where(LanduseResult.run_id == run.id)  # fmt: skip
    if enterprise_ids is not None:
        query = query.where(LanduseResult.enterprise_id.in_(enterprise_ids))
    out: dict[int, dict[str, Any]] = {}
    for enterprise_id, grade, low, tax_per_mu, status in session.execute(query).all():
        unknown = not low and tax_per_mu is None and status in LOW_CANDIDATES
        out[enterprise_id] = {"grade": grade, "low": None if unknown else bool(low)}
    return out


def published_counts(session: Session, *, actor: Actor) -> tuple[LanduseRun, dict[str, int]] | None:
    """The newest published run and its counts per class (A–D, T) and on the low list."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    run = session.scalar(
        sa.select(LanduseRun)
        .where(LanduseRun.status == RunStatus.PUBLISHED.value)
        .order_by(LanduseRun.period.desc(), LanduseRun.published_at.desc())
        .limit(1)
    )
    if run is None:
        return None
    counts = {
        k.removeprefix("grade:"): int(v) for k, v in run.counts.items() if k.startswith("grade:")
    }
    counts["low"] = int(run.counts.get("low", 0))
    return run, counts
