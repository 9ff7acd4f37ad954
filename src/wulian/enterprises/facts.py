"""Facts: enterprise × metric × period → value, and the one function that builds input frames.

The service module of the facts tables (the registry's is `service.py`): only these functions read
and write `facts` and `fact_sources`, and each checks the actor's permission first.

Unknown is not zero: a value nobody reported is absent from the store and null in every frame,
and `Matrix.missing` lists it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from wulian.core import calendar, files, xlsx
from wulian.core.auth import service as auth_service
from wulian.core.auth.models import Department
from wulian.core.db import utcnow
from wulian.core.db.columnar import read_frame
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.notify import service as notify
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.core.todo import Todo
from wulian.enterprises import read
from wulian.enterprises.models import Enterprise, Fact, FactSource, FactStatus
from wulian.reference import catalogue
from wulian.reference.catalogue import ChangeBound
from wulian.reference.models import Metric

SELF_REPORT = "self"
PERIOD_PATTERNS = {
    "year": re.compile(r"^(19|20)\d{2}$"),
    "month": re.compile(r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"),
}
PERIOD_FORMS = {"year": "YYYY（如 2024）", "month": "YYYY-MM（如 2024-03）"}


# ---------------------------------------------------------------- sources


def set_source_priority(session: Session, *, actor: Actor, code: str, priority: int) -> FactSource:
    """Change how much a source is trusted (lower number wins)."""
    actor.require(Permission.REFERENCE_MANAGE)
    source = session.get(FactSource, code)
    if source is None:
        raise NotFound(f"数据来源不存在：{code}")
    if not 0 <= priority <= 1000:
        raise InvalidInput("优先级应为 0–1000 的整数（数字越小越优先）", field="priority")
    taken = session.scalar(
        sa.select(FactSource.name).where(FactSource.priority == priority, FactSource.code != code)
    )
    if taken is not None:
        raise InvalidInput(
            f"优先级 {priority} 已由“{taken}”使用；各来源的优先级必须不同", field="priority"
        )
    source.priority = priority
    session.flush()
    return source


# ---------------------------------------------------------------- checks shared with imports


EARLIEST_YEAR = 1990  # no figure of a firm in the zone is older; an earlier period is a typo


def period_start(period: str) -> dt.date:
    """The first day of a YYYY or YYYY-MM period (already matched by PERIOD_PATTERNS)."""
    year, _, month = period.partition("-")
    return dt.date(int(year), int(month or 1), 1)


def period_problem(kind: str, period: str, as_of: dt.date) -> str | None:
    """Why period is not a period of kind ("year" or "month") a value known on as_of can be
    for, or None: its form, not before EARLIEST_YEAR, and begun by as_of (a figure for a year
    or month that has not begun cannot have been measured)."""
    if not PERIOD_PATTERNS[kind].match(period):
        return f"期间应为 {PERIOD_FORMS[kind]}"
    start = period_start(period)
    if start.year < EARLIEST_YEAR:
        return f"期间 {period} 过早：不接受 {EARLIEST_YEAR} 年以前的数据"
    if start > as_of:
        return f"期间 {period} 尚未开始（数据日期 {as_of.isoformat()}），不能填报未来期间的数据"
    return None


def check_period(metric: Metric, period: str, as_of: dt.date) -> str | None:
    """Why period does not fit metric for a value known on as_of, or None."""
    problem = period_problem(metric.period, period, as_of)
    return f"“{metric.name}”的{problem}" if problem else None


def check_value(metric: Metric, value: float) -> str | None:
    """Why value is not valid for metric, or None (ranges and types of the catalogue)."""
    if math.isnan(value) or math.isinf(value):
        return "不是有效的数字"
    if metric.value_type == "integer" and not float(value).is_integer():
        return f"“{metric.name}”应为整数"
    if metric.min_value is not None and value < metric.min_value:
        return f"“{metric.name}”不能小于 {metric.min_value:g} {metric.unit}"
    if metric.max_value is not None and value > metric.max_value:
        return f"“{metric.name}”不能大于 {metric.max_value:g} {metric.unit}"
    return None


# ---------------------------------------------------------------- writing


def metric_or_raise(session: Session, key: str) -> Metric:
    metric = session.scalar(sa.select(Metric).where(Metric.key == key))
    if metric is None:
        raise NotFound(f"指标目录中没有“{key}”")
    return metric


def source_or_raise(session: Session, code: str) -> FactSource:
    source = session.get(FactSource, code)
    if source is None or not source.is_active:
        raise InvalidInput(f"数据来源“{code}”不存在或已停用", field="source")
    return source


def record(
    session: Session,
    *,
    actor: Actor,
    enterprise_id: int,
    metric_key: str,
    period: str,
    value: float,
    source: str,
    as_of: dt.date,
    evidence_path: str | None = None,
    note: str = "",
) -> Fact:
    """Record a value; it supersedes the current value of the same source. Same value: no-op.

    A verified current value is not superseded: the new value is stored beside it and the
    verified one stays in use until an officer verifies the new one (`verify`)."""
    actor.require(Permission.FACTS_WRITE)
    if actor.enterprise_id is not None:
        if actor.enterprise_id != enterprise_id:
            raise PermissionDenied("只能填报本企业的数据")
        if source != SELF_REPORT:
            raise PermissionDenied("企业用户填报的数据来源只能是“企业自报”")
    if session.get(Enterprise, enterprise_id) is None:
        raise NotFound(f"企业不存在：{enterprise_id}")
    metric = metric_or_raise(session, metric_key)
    if metric.kind != "input":
        raise InvalidInput(f"“{metric.name}”是计算指标，由评价自动计算，不能直接填报")
    source_row = source_or_raise(session, source)
    if as_of > calendar.today() + dt.timedelta(days=1):
        raise InvalidInput("数据日期不能晚于今天", field="as_of")
    problem = check_period(metric, period, as_of)
    if problem:
        raise InvalidInput(problem, field="period", value=period)
    problem = check_value(metric, value)
    if problem:
        raise InvalidInput(problem, field="value", value=value)
    lock_source(session, source_row.id)
    current = session.scalars(
        sa.select(Fact).where(
            Fact.enterprise_id == enterprise_id,
            Fact.metric_id == metric.id,
            Fact.period == period,
            Fact.source_id == source_row.id,
            Fact.is_current,
        )
    ).all()
    same = next((f for f in current if f.value == value and f.as_of == as_of), None)
    if same is not None:
        return same
    for old in current:
        if old.status is not FactStatus.VERIFIED:  # a verified value stays until one replaces it
            old.is_current = False
            old.superseded_at = utcnow()
    fact = Fact(
        enterprise_id=enterprise_id,
        metric=metric,
        period=period,
        value=float(value),
        source=source_row,
        as_of=as_of,
        status=FactStatus.REPORTED,
        evidence_path=evidence_path,
        note=note.strip()[:2000],
        entered_by=actor.label,
    )
    session.add(fact)
    session.flush()
    if source == SELF_REPORT or any(o.status is FactStatus.VERIFIED for o in current):
        firm = session.get(Enterprise, enterprise_id)
        notify.notify_department_code(
            session, code=metric.owner, skip=actor.id if actor.kind == "user" else None,
            kind="facts.review", title=f"数据待审核：{firm.name if firm else ''}“{metric.name}”",
            body=f"{period} 年度，{value:g}（{source_row.name}）。", link="/reviews",
        )  # fmt: skip
    return fact


def notify_reviewers(session: Session, *, counts: dict[int, int], skip: int | None) -> None:
    """Tell each metric's owning department how many imported values wait for its review
    (counts: metric id → values)."""
    owners: dict[str, int] = {}
    for metric in session.scalars(sa.select(Metric).where(Metric.id.in_(counts))):
        if metric.owner:
            owners[metric.owner] = owners.get(metric.owner, 0) + counts[metric.id]
    for code, n in sorted(owners.items()):
        notify.notify_department_code(
            session, code=code, skip=skip, kind="facts.review", link="/reviews",
            title=f"导入数据待审核：{n} 个数值",
            body="导入的数值与已核实的数值不同，核实后启用。",
        )  # fmt: skip


def _review(session: Session, actor: Actor, fact_id: int) -> Fact:
    actor.require(Permission.FACTS_VERIFY)
    fact = session.get(Fact, fact_id)
    if fact is None:
        raise NotFound(f"数据不存在：{fact_id}")
    if fact.status is not FactStatus.REPORTED:
        raise InvalidInput("这条数据已经审核过")
    if not fact.is_current:
        raise InvalidInput("这条数据已被更新的数据取代，请审核最新的值")
    auth_service.require_owner(
        session, actor=actor, department=fact.metric.owner, what=f"“{fact.metric.name}”数据的审核"
    )
    return fact


def lock_source(session: Session, source_id: int) -> None:
    """Hold the source's row until the transaction ends, before reading what is current: two
    writers of the same source's values (two officers committing one file, a double-clicked
    self-report) then take turns, and the second sees what the first wrote instead of adding a
    second current value beside it. (SQLite lets one writer in at a time anyway.)"""
    session.execute(sa.select(FactSource.id).where(FactSource.id == source_id).with_for_update())


def verify(session: Session, *, actor: Actor, fact_id: int) -> Fact:
    """Confirm a reported value; it supersedes the value of the same source it was stored
    beside (a verified value that a new report did not replace)."""
    fact = _review(session, actor, fact_id)
    reviewed_at = utcnow()
    # the value it was stored beside leaves first: one current verified value at any moment
    session.execute(
        sa.update(Fact)
        .where(
            Fact.enterprise_id == fact.enterprise_id,
            Fact.metric_id == fact.metric_id,
            Fact.period == fact.period,
            Fact.source_id == fact.source_id,
            Fact.is_current == sa.true(),
            Fact.id != fact.id,
        )
        .values(is_current=False, superseded_at=reviewed_at),
        execution_options={"synchronize_session": "fetch"},
    )
    fact.status = FactStatus.VERIFIED
    fact.reviewed_by, fact.reviewed_at = actor.label, reviewed_at
    session.flush()
    return fact


def reject(session: Session, *, actor: Actor, fact_id: int, reason: str) -> Fact:
    """Reject a reported value, with the reason the firm will see."""
    if not reason.strip():
        raise InvalidInput("驳回时必须填写理由", field="reason")
    fact = _review(session, actor, fact_id)
    fact.status = FactStatus.REJECTED
    fact.reviewed_by, fact.reviewed_at = actor.label, utcnow()
    fact.review_reason = reason.strip()[:2000]
    session.flush()
    return fact


# ---------------------------------------------------------------- reading


def history(
    session: Session, *, actor: Actor, enterprise_id: int, metric_key: str, period: str
) -> Sequence[Fact]:
    """Every value ever recorded for one firm, metric and period, newest first."""
    actor.require_enterprise(enterprise_id)
    return session.scalars(
        sa.select(Fact)
        .where(
            Fact.enterprise_id == enterprise_id,
            Fact.metric_id == metric_or_raise(session, metric_key).id,
            Fact.period == period,
        )
        .order_by(Fact.id.desc())
    ).all()


def years(session: Session, *, metric: str, current_only: bool = False) -> list[int]:
    """The years (periods YYYY) with values of metric, newest first; with current_only, only
    years that still have a current value."""
    query = (
        sa.select(Fact.period)
        .distinct()
        .join(Fact.metric)
        .where(Metric.key == metric, sa.func.length(Fact.period) == 4)
    )
    if current_only:
        query = query.where(Fact.is_current)
    return sorted((int(p) for p in session.scalars(query)), reverse=True)


@dataclass(frozen=True)
class Matrix:
    """The input of an evaluation.

    frame: one row per enterprise in scope, one Float64 column per metric (null = unknown).
    missing: (enterprise_id, metric_key) for every null of frame.
    provenance: when asked for, the fact behind every value used (fact_id, source, as_of,
    status); None otherwise.
    """

    frame: pl.DataFrame
    missing: pl.DataFrame
    provenance: pl.DataFrame | None
    period: str
    as_of: dt.date | None


SMALL_READ = 20_000  # firms × metrics below which a matrix is read through the session


def build_matrix(
    session: Session,
    *,
    actor: Actor,
    metrics: Sequence[str],
    period: str,
    as_of: dt.date | None = None,
    enterprise_ids: Sequence[int] | None = None,
    in_zone: bool | None = True,
    with_provenance: bool = False,
) -> Matrix:
    """Metrics × enterprises for period; each value comes from the most trusted source that has
    one (source priorities are distinct). With as_of, only what was known by that date: the latest
    as-of value of that source, then the latest recorded.

    For speed the candidates are read as plain numbers through a covering index and chosen and
    pivoted in Polars (docs/benchmarks.md); provenance reads a few more columns.
    """
    if actor.enterprise_id is not None:
        if enterprise_ids is None or set(enterprise_ids) != {actor.enterprise_id}:
            raise PermissionDenied("只能查看本企业的数据")
        actor.require(Permission.ENTERPRISES_READ)
    else:
        actor.require(Permission.ZONE_READ)
    keys = list(dict.fromkeys(metrics))
    catalogue = {m.key: m for m in session.scalars(sa.select(Metric).where(Metric.key.in_(keys)))}
    unknown = [k for k in keys if k not in catalogue]
    if unknown:
        raise InvalidInput(f"指标目录中没有：{', '.join(unknown)}", field="metrics")
    if not any(p.match(period) for p in PERIOD_PATTERNS.values()):
        raise InvalidInput("期间应为 YYYY 或 YYYY-MM", field="period", value=period)
    metric_keys = {catalogue[k].id: k for k in keys}

    scope = sa.select(Enterprise.id)
    if enterprise_ids is not None:
        scope = scope.where(Enterprise.id.in_([int(i) for i in enterprise_ids]))
    elif in_zone is not None:
        scope = scope.where(Enterprise.in_zone == in_zone)
    ids = pl.DataFrame(
        {"enterprise_id": list(session.scalars(scope.order_by(Enterprise.id)))},
        schema={"enterprise_id": pl.Int64},
    )

    detail = with_provenance or as_of is not None
    conditions = [
        Fact.period == period,
        Fact.metric_id.in_(list(metric_keys)),
        Fact.status != FactStatus.REJECTED.value,
    ]
    if as_of is None:
        conditions.append(Fact.is_current == sa.true())
    else:
        conditions.append(Fact.as_of <= sa.literal(as_of.isoformat()))
    if enterprise_ids is not None:
        conditions.append(Fact.enterprise_id.in_([int(i) for i in enterprise_ids]))
    columns: list[Any] = [
        Fact.enterprise_id,
        Fact.metric_id,
        Fact.source_id,
        Fact.value,
        Fact.status,
    ]
    schema: dict[str, Any] = {
        "enterprise_id": pl.Int64,
        "metric_id": pl.Int64,
        "source_id": pl.Int64,
        "value": pl.Float64,
        "status": pl.String,
    }
    if detail:
        columns += [Fact.as_of, Fact.id]
        schema |= {"as_of": pl.Date, "fact_id": pl.Int64}
    small = enterprise_ids is not None and len(enterprise_ids) * len(keys) <= SMALL_READ
    candidates = read_frame(session, sa.select(*columns).where(*conditions), schema, small=small)
    sources = session.execute(sa.select(FactSource.id, FactSource.code, FactSource.priority)).all()
    chosen = _choose(
        candidates.join(ids, on="enterprise_id", how="semi"),
        {i: p for i, _, p in sources},
        detail=detail,
    ).with_columns(
        pl.col("metric_id").replace_strict(metric_keys, return_dtype=pl.String).alias("metric_key")
    )
    if not detail:
        chosen = chosen.drop("status")
    frame = ids
    if chosen.height:
        wide = chosen.pivot(on="metric_key", index="enterprise_id", values="value")
        frame = frame.join(wide, on="enterprise_id", how="left")
    frame = frame.select(
        "enterprise_id",
        *[
            pl.col(k).cast(pl.Float64) if k in frame.columns else pl.lit(None, pl.Float64).alias(k)
            for k in keys
        ],
    )
    missing = (
        frame.unpivot(
            index="enterprise_id", on=keys, variable_name="metric_key", value_name="value"
        )
        .filter(pl.col("value").is_null())
        .select("enterprise_id", "metric_key")
        .sort("enterprise_id", "metric_key")
    )
    provenance = None
    if with_provenance:
        codes = {i: code for i, code, _ in sources}
        provenance = chosen.select(
            "enterprise_id",
            "metric_key",
            "fact_id",
            pl.col("source_id").replace_strict(codes, return_dtype=pl.String).alias("source"),
            "as_of",
            "status",
        ).sort("enterprise_id", "metric_key")
    return Matrix(frame=frame, missing=missing, provenance=provenance, period=period, as_of=as_of)


def rank(priority: dict[int, int]) -> pl.Expr:
    """How trusted a candidate is (lower wins): its source's priority, and within a source a
    verified value before one reported beside it."""
    source = pl.col("source_id").replace_strict(priority, return_dtype=pl.Int64)
    return source * 2 + (pl.col("status") != FactStatus.VERIFIED.value).cast(pl.Int64)


def _choose(candidates: pl.DataFrame, priority: dict[int, int], *, detail: bool) -> pl.DataFrame:
    """Keep one candidate per (enterprise, metric): the most trusted source, a verified value
    before one reported beside it; within that (history read with as_of) the latest as-of
    date, then the latest recorded.

    Without detail, each source has one current value (or a verified one and a report beside
    it), so the choice is the lowest rank. The pair and the rank are packed into one 64-bit key
    so that one integer sort does the work.
    """
    ranked = candidates.with_columns(rank(priority).alias("priority"))
    if detail:
        return (
            ranked.sort(
                ["enterprise_id", "metric_id", "priority", "as_of", "fact_id"],
                descending=[False, False, False, True, True],
            )
            .unique(subset=["enterprise_id", "metric_id"], keep="first", maintain_order=True)
            .drop("priority")
        )
    # enterprise id < 2^31, metric id < 2^16, rank ≤ 2 × 1000 + 1 < 2^12 (checked on change).
    pair = (pl.col("enterprise_id") * (1 << 16) + pl.col("metric_id")) * (1 << 12)
    packed = ranked.with_columns((pair + pl.col("priority")).alias("packed")).sort("packed")
    pair_of = pl.col("packed") // (1 << 12)
    first = pair_of != pair_of.shift(1)
    return packed.filter(first.fill_null(True)).drop("priority", "packed")


def current_values(
    session: Session, *, metric_ids: Sequence[int], periods: Sequence[str]
) -> pl.DataFrame:
    """Every current, not rejected value of metric_ids in periods, with its rank (lower is
    more trusted, as `build_matrix` chooses): enterprise_id, metric_id, period, source_id,
    status, value, fact_id, rank. Imports compare their values with these."""
    frame = read_frame(
        session,
        sa.select(
            Fact.enterprise_id,
            Fact.metric_id,
            Fact.period,
            Fact.source_id,
            Fact.status,
            Fact.value,
            Fact.id,
        ).where(
            Fact.is_current == sa.true(),
            Fact.status != FactStatus.REJECTED.value,
            Fact.period.in_(list(periods)),
            Fact.metric_id.in_(list(metric_ids)),
        ),
        {
            "enterprise_id": pl.Int64,
            "metric_id": pl.Int64,
            "period": pl.String,
            "source_id": pl.Int64,
            "status": pl.String,
            "value": pl.Float64,
            "fact_id": pl.Int64,
        },
    )
    priority = dict(session.execute(sa.select(FactSource.id, FactSource.priority)).all())
    return frame.with_columns(rank(priority).alias("rank"))


# ---------------------------------------------------------------- one firm, reviews, evidence


@dataclass(frozen=True)
class FirmValue:
    """The value an evaluation uses for one metric and period, and how many sources have one."""

    fact: Fact
    alternatives: int


def firm_values(
    session: Session, *, actor: Actor, enterprise_id: int
) -> dict[str, dict[str, FirmValue]]:
    """metric key → period → the value used (most trusted source), for one firm's page."""
    actor.require_enterprise(enterprise_id)
    current = session.scalars(
        sa.select(Fact)
        .where(
            Fact.enterprise_id == enterprise_id,
            Fact.is_current == sa.true(),
            Fact.status != FactStatus.REJECTED.value,
        )
        .order_by(Fact.period)
    ).all()
    grouped: dict[tuple[str, str], list[Fact]] = {}
    for fact in current:
        grouped.setdefault((fact.metric.key, fact.period), []).append(fact)
    result: dict[str, dict[str, FirmValue]] = {}
    for (key, period), candidates in grouped.items():
        best = min(candidates, key=_trust)
        result.setdefault(key, {})[period] = FirmValue(best, len(candidates) - 1)
    return result


def _trust(fact: Fact) -> tuple[int, bool, int]:
    """The order in which build_matrix prefers current values (see `rank`)."""
    return fact.source.priority, fact.status is not FactStatus.VERIFIED, -fact.id


def firm_reports(session: Session, *, actor: Actor, enterprise_id: int) -> Sequence[Fact]:
    """A firm's own reports, newest first, with their review status."""
    actor.require_enterprise(enterprise_id)
    return session.scalars(
        sa.select(Fact)
        .join(FactSource, FactSource.id == Fact.source_id)
        .where(Fact.enterprise_id == enterprise_id, FactSource.code == SELF_REPORT)
        .order_by(Fact.id.desc())
        .limit(200)
    ).all()


@dataclass(frozen=True)
class ReviewFilters:
    """What the review queue is filtered and sorted by (empty: no filter)."""

    metric: str | None = None  # a metric key
    source: str | None = None  # a source code
    q: str | None = None  # the firm: part of its name, its pinyin or initials, its credit code
    period: str | None = None  # YYYY or YYYY-MM
    sort: str = "oldest"


REVIEW_SORTS = {"oldest": "最早提交的在前", "firm": "按企业名称", "metric": "按指标和期间"}
BULK_LIMIT = 10_000  # values one bulk review may decide (one transaction)


def _pending_query(session: Session, actor: Actor, filters: ReviewFilters) -> sa.Select[Any]:
    """Current values waiting for actor's review, filtered and ordered; bad filter values are
    refused with the reason."""
    sibling = aliased(Fact)
    beside_verified = (
        sa.exists()
        .where(
            sibling.enterprise_id == Fact.enterprise_id,
            sibling.metric_id == Fact.metric_id,
            sibling.period == Fact.period,
            sibling.source_id == Fact.source_id,
            sibling.is_current == sa.true(),
            sibling.status == FactStatus.VERIFIED.value,
        )
        .correlate(Fact)
    )
    query = (
        sa.select(Fact)
        .join(FactSource, FactSource.id == Fact.source_id)
        .where(
            Fact.status == FactStatus.REPORTED.value,
            Fact.is_current == sa.true(),
            sa.or_(FactSource.code == SELF_REPORT, beside_verified),
        )
    )
    if not actor.answers_for_all:  # an officer reviews the metrics their department owns
        owned = sa.select(Metric.id).join(Department, Department.code == Metric.owner)
        query = query.where(Fact.metric_id.in_(owned.where(Department.id == actor.department_id)))
    if filters.metric:
        metric = session.scalar(sa.select(Metric).where(Metric.key == filters.metric))
        if metric is None:
            raise InvalidInput(f"指标目录中没有“{filters.metric}”", field="metric")
        query = query.where(Fact.metric_id == metric.id)
    if filters.source:
        source = session.get(FactSource, filters.source)
        if source is None:
            raise InvalidInput(f"没有“{filters.source}”这个数据来源", field="source")
        query = query.where(Fact.source_id == source.id)
    if filters.period:
        period = filters.period.strip()
        if not any(p.fullmatch(period) for p in PERIOD_PATTERNS.values()):
            raise InvalidInput(
                f"期间“{period}”的格式不对，应为 {PERIOD_FORMS['year']} 或 {PERIOD_FORMS['month']}",
                field="period",
            )
        query = query.where(Fact.period == period)
    if filters.q and filters.q.strip():
        query = query.where(Fact.enterprise_id.in_(read.ids_matching(filters.q)))
    if filters.sort == "firm":
        return query.order_by(read.name_order(Fact.enterprise_id), Fact.id)
    if filters.sort == "metric":
        return query.order_by(Fact.metric_id, Fact.period.desc(), Fact.id)
    if filters.sort != "oldest":
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    return query.order_by(Fact.id)


def pending_reviews(
    session: Session,
    *,
    actor: Actor,
    filters: ReviewFilters | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Fact]:
    """Current values waiting for an officer, oldest first unless sorted otherwise: firms' own
    reports, and values an import stored beside a verified value of the same source (in use
    until one is verified). An officer sees the metrics their department owns."""
    actor.require(Permission.FACTS_VERIFY)
    query = _pending_query(session, actor, filters or ReviewFilters())
    return paginate(session, query, page=page, per_page=per_page)


def review_facets(session: Session, *, actor: Actor) -> tuple[list[Metric], list[FactSource]]:
    """The metrics actor reviews (their department's, all for administrators) and the sources,
    for the queue's filters."""
    actor.require(Permission.FACTS_VERIFY)
    metrics = sa.select(Metric).where(Metric.kind == "input").order_by(Metric.key)
    if not actor.answers_for_all:
        owner = sa.select(Department.code).where(Department.id == actor.department_id)
        metrics = metrics.where(Metric.owner.in_(owner))
    sources = sa.select(FactSource).order_by(FactSource.priority)
    return list(session.scalars(metrics)), list(session.scalars(sources))


def review_xlsx(session: Session, *, actor: Actor, filters: ReviewFilters) -> bytes:
    """The filtered review queue (every matching value, in the list's order) as a workbook."""
    actor.require(Permission.FACTS_VERIFY)
    firm = aliased(Enterprise)  # not the registry table the firm order correlates with
    query = (
        _pending_query(session, actor, filters)
        .join(firm, firm.id == Fact.enterprise_id)
        .add_columns(firm.name, firm.uscc)
        .limit(BULK_LIMIT * 10)
    )
    book = xlsx.ListWorkbook()
    book.table(
        "待审核数据",
        headers=["企业名称", "统一社会信用代码", "指标", "期间", "来源", "数值", "单位",
                 "数据日期", "填报人", "说明"],
        rows=(
            [
                name, uscc or "", f.metric.name, f.period, f.source.name, f.value, f.metric.unit,
                f.as_of, f.entered_by, f.note,
            ]
            for f, name, uscc in session.execute(query)
        ),
        widths=[30, 22, 24, 10, 14, 14, 10, 12, 20, 40],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()


def review_matching(
    session: Session,
    *,
    actor: Actor,
    filters: ReviewFilters,
    decision: str,
    reason: str = "",
    expected: int | None = None,
    dry_run: bool = False,
) -> int:
    """Verify or reject every value of the queue that matches filters, in one transaction: each
    through `verify` / `reject`, with their checks (the metric's owning department) and one
    audit entry per value. With dry_run, only the checks and the count (the confirmation step);
    otherwise expected must be the count the officer confirmed, or nothing is done."""
    actor.require(Permission.FACTS_VERIFY)
    if decision not in ("verify", "reject"):
        raise InvalidInput("请选择通过或驳回", field="decision")
    if decision == "reject" and not reason.strip():
        raise InvalidInput("驳回时必须填写理由", field="reason")
    if filters.metric:  # a metric of another department: refused by name, not an empty list
        metric = metric_or_raise(session, filters.metric)
        auth_service.require_owner(
            session, actor=actor, department=metric.owner, what=f"“{metric.name}”数据的审核"
        )
    pending = session.scalars(_pending_query(session, actor, filters).limit(BULK_LIMIT + 1)).all()
    if not pending:
        raise InvalidInput("没有符合筛选条件的待审核数据")
    if len(pending) > BULK_LIMIT:
        raise InvalidInput(f"一次最多审核 {BULK_LIMIT:,} 条，请缩小筛选范围")
    if dry_run:
        return len(pending)
    if expected != len(pending):
        raise Conflict(
            f"符合条件的待审核数据现在是 {len(pending):,} 条（确认时为 {expected or 0:,} 条），"
            "请重新确认"
        )
    for fact in pending:
        if decision == "verify":
            verify(session, actor=actor, fact_id=fact.id)
        else:
            reject(session, actor=actor, fact_id=fact.id, reason=reason)
    return len(pending)


@dataclass(frozen=True)
class Change:
    """A pending value against the value in use before it (for the review queue)."""

    old: Fact
    sharp: bool
    bound: str  # the bound it was measured against, in Chinese


def review_changes(
    session: Session,
    *,
    actor: Actor,
    pending: Sequence[Fact],
    bounds: dict[str, ChangeBound] | None = None,
) -> dict[int, Change]:
    """Pending fact id → the value in use for the same firm, metric and period without it (the
    most trusted other current value, else the report it superseded), and whether the new one
    moved from it beyond the metric's bound."""
    actor.require(Permission.FACTS_VERIFY)
    bounds = bounds if bounds is not None else catalogue.change_bounds()
    out: dict[int, Change] = {}
    for fact in pending:
        same = (
            Fact.enterprise_id == fact.enterprise_id,
            Fact.metric_id == fact.metric_id,
            Fact.period == fact.period,
            Fact.id != fact.id,
            Fact.status != FactStatus.REJECTED.value,
        )
        others = session.scalars(sa.select(Fact).where(*same, Fact.is_current == sa.true())).all()
        old = min(others, key=_trust) if others else None
        if old is None:
            old = session.scalar(
                sa.select(Fact)
                .where(*same, Fact.source_id == fact.source_id, Fact.id < fact.id)
                .order_by(Fact.id.desc())
                .limit(1)
            )
        bound = bounds.get(fact.metric.key)
        if old is None or bound is None:
            continue
        moved = pl.select(
            catalogue.sharp(
                pl.lit(old.value), pl.lit(fact.value), bound.ratio, bound.jump, bound.floor
            )
        ).item()
        out[fact.id] = Change(old=old, sharp=bool(moved), bound=bound.describe(fact.metric.unit))
    return out


def store_evidence(data_dir: Path, enterprise_id: int, content: bytes, limit: int) -> str:
    """Keep an uploaded evidence file (PDF, PNG or JPEG, at most limit bytes) in the upload store
    (`core.files`); its stored path relative to data_dir."""
    return files.store(
        data_dir, f"evidence/{enterprise_id}", content, what="佐证材料", field="evidence",
        kinds=("pdf", "png", "jpg"), limit=limit,
    ).path  # fmt: skip


def evidence_file(data_dir: Path, relative: str) -> Path:
    """The stored evidence file of a path from `evidence_of`, checked against its hash; NotFound
    when it is missing, outside data_dir or damaged."""
    try:
        return files.checked_path(data_dir, relative)
    except (files.Missing, files.Damaged):
        raise NotFound("没有这份佐证材料，或文件已损坏，请企业重新上传") from None


def evidence_of(session: Session, *, actor: Actor, fact_id: int) -> str:
    """The stored evidence path of a fact, for the firm itself and for officers."""
    fact = session.get(Fact, fact_id)
    if fact is None or fact.evidence_path is None:
        raise NotFound("没有这份佐证材料")
    if actor.enterprise_id is not None:
        actor.require_enterprise(fact.enterprise_id)
    else:
        actor.require(Permission.FACTS_VERIFY)
    return fact.evidence_path


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """Values waiting for actor's review (the metrics their department owns)."""
    if not actor.has(Permission.FACTS_VERIFY) or actor.enterprise_id is not None:
        return []
    total = pending_reviews(session, actor=actor, page=1).total
    return [Todo("数据核对", "待核对的企业数据（自报与有出入的导入值）", total, "/reviews")]
