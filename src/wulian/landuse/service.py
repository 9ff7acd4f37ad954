"""亩均效益: the only module that reads and writes the landuse tables.

A run evaluates one spec version on one year's facts and registry, keeps its input, benchmarks,
averages and each firm's result; a draft is published once checked. Last year's published
averages feed benchmarks written as {previous_average: factor}.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, calendar, specversions
from wulian.core.auth import service as auth_service
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.pagination import Page, paginate_rows
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import facts, read
from wulian.landuse import charts, evaluate
from wulian.landuse import spec as landuse_spec
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseRunStatus, LanduseSpec
from wulian.reference import catalogue
from wulian.reference import service as reference

SHIPPED = ("huangyan",)
RENTED_TAG = "zudi"  # 租用土地
BUILDING_TAG = "zaijian"  # 重大项目在建
GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "T": 4}
LOW_CANDIDATES = ("rated", "rented", "incomplete")  # the statuses the low-efficiency line reads


def shipped_text(code: str) -> str:
    return resources.files("wulian.landuse").joinpath(f"specs/{code}.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str, filename: str = "方案文件") -> landuse_spec.LanduseSpec:
    """A spec from its text (parsed once per text)."""
    return landuse_spec.load(text, filename)


STAFF_ONLY = "企业用户只能查看本企业已发布的评价结果"


# ---------------------------------------------------------------- specs


SHIPPED_SPECS = specversions.Shipped(
    key="landuse",
    label="亩均效益评价方案",
    model=LanduseSpec,
    files=lambda: {code: shipped_text(code) for code in SHIPPED},
    describe=lambda session, code, text: {"name": parse(text, f"{code}.yaml").name},
)


def install_shipped(session: Session, *, actor: Actor) -> specversions.Installed:
    """Bring the stored spec files to the shipped ones (`specversions.install`)."""
    actor.require(Permission.ANALYSES_WRITE)
    return specversions.install(session, SHIPPED_SPECS, created_by=actor.label)


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: LanduseSpec, text: str, copy: bool
) -> specversions.Checked:
    actor.require(Permission.ANALYSES_WRITE)
    model = parse(text)
    current = parse((specversions.latest(session, LanduseSpec, base.code) or base).text)
    auth_service.check_owner_change(
        session, actor=actor, new=model.department, old=current.department, copy=copy,
        what=f"评价方案“{model.name if copy else current.name}”",
    )  # fmt: skip
    return specversions.Checked(model.id, model.name)


SPECS = specversions.SpecKind(
    model=LanduseSpec, what="评价方案", may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS,
)  # fmt: skip
# versions of the spec files, and saving a new one (refused with the line when invalid)
get_specs = SPECS.listed
get_spec_or_raise = SPECS.get
save_spec = SPECS.save


# ---------------------------------------------------------------- runs


def build_input(
    session: Session, *, actor: Actor, spec: landuse_spec.LanduseSpec, year: int
) -> pl.DataFrame:
    """One row per zone firm: the registry facts evaluate needs (规上, rented land, building,
    门类, founding date, tags for bonus points) and the year's inputs from the facts store; the
    registry's land area stands in where no land fact was reported for the year. Titles count
    when held on 31 December of the year (the rule of `enterprises.read.titles`)."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    inputs = spec.inputs()
    matrix = facts.build_matrix(session, actor=actor, metrics=inputs, period=str(year)).frame
    firms = read.firms(
        session, actor=actor, in_zone=True,
        columns=("name", "industry_code", "founded_on", "land_area", "chain", "region_code"),
    ).rename({"land_area": "registry_land"})  # fmt: skip
    wanted = {"guishang", RENTED_TAG, BUILDING_TAG, *(b.tag for b in spec.bonus)}
    tags = read.titles(session, on=dt.date(year, 12, 31), tags=wanted)
    sections = reference.sections(session)
    frame = firms.join(matrix, on="enterprise_id", how="left")
    for column in inputs:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.Float64).alias(column))
    held = {tag: set(tags.filter(pl.col("tag") == tag)["enterprise_id"]) for tag in wanted}
    frame = frame.with_columns(
        pl.col("land_area").fill_null(pl.col("registry_land")),
        pl.col("industry_code").replace_strict(sections, default=None).alias("section"),
        pl.col("enterprise_id").is_in(held["guishang"]).alias("guishang"),
        pl.col("enterprise_id").is_in(held[RENTED_TAG]).alias("rented"),
        pl.col("enterprise_id").is_in(held[BUILDING_TAG]).alias("building"),
        *(pl.col("enterprise_id").is_in(held[b.tag]).alias(f"tag_{b.tag}") for b in spec.bonus),
    )
    # the firms the year concerns: 规上 ones (listed even without data, as incomplete) and
    # those with at least one of the year's inputs
    reported = pl.any_horizontal(pl.col(c).is_not_null() for c in inputs if c != "land_area")
    frame = frame.filter(pl.col("guishang") | reported)
    return frame.drop("registry_land").sort("enterprise_id")


def snapshot_hash(spec_text: str, year: int, frame: pl.DataFrame) -> str:
    digest = hashlib.sha256()
    digest.update(spec_text.encode())
    digest.update(str(year).encode())
    digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def previous_averages(session: Session, *, year: int) -> dict[str, dict[str, float]] | None:
    """The averages of last year's published run (the newest, if several)."""
    run = session.scalar(
        sa.select(LanduseRun)
        .where(LanduseRun.year == year - 1, LanduseRun.status == LanduseRunStatus.PUBLISHED.value)
        .order_by(LanduseRun.published_at.desc())
        .limit(1)
    )
    return None if run is None else run.averages


def _require_owner(session: Session, actor: Actor, model: landuse_spec.LanduseSpec) -> None:
    """Runs of a spec and their publication are its department's work."""
    auth_service.require_owner(
        session, actor=actor, department=model.department, what=f"“{model.name}”的评价"
    )


def may_run(session: Session, *, actor: Actor, spec: LanduseSpec) -> bool:
    """Whether actor may run spec and publish its runs (to show those actions only where they
    work)."""
    department = parse(spec.text).department
    return auth_service.may_act(
        session, actor=actor, permission=Permission.ANALYSES_WRITE, department=department
    )


def create_run(
    session: Session, *, actor: Actor, spec_id: int, year: int, note: str = ""
) -> LanduseRun:
    """Evaluate a spec version on year's data and keep the result as a draft run."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    row = session.get(LanduseSpec, spec_id)
    if row is None:
        raise NotFound(f"评价方案不存在：{spec_id}")
    if not 2000 <= year <= calendar.today().year:
        raise InvalidInput("评价年度应在 2000 年到今年之间", field="year")
    model = parse(row.text)
    _require_owner(session, actor, model)
    frame = build_input(session, actor=actor, spec=model, year=year)
    result = evaluate.evaluate(
        model, frame, year=year, previous_averages=previous_averages(session, year=year)
    )
    rows = result.rows
    if rows.filter(pl.col("status") == "rated").is_empty():
        raise InvalidInput(f"{year} 年度没有可参评的企业（检查用地、税收等数据是否已导入）")
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    counts: Counter[str] = Counter(rows["status"].to_list())
    counts.update(f"grade:{g}" for g in rows["grade"].drop_nulls().to_list())
    counts["low"] = int(rows["low"].sum())
    # a class and the low-efficiency list can both hold: how many of each class are listed
    counts.update(f"low:{g}" for g in rows.filter(pl.col("low"))["grade"].drop_nulls().to_list())
    run = LanduseRun(
        spec_id=row.id, year=year, status=LanduseRunStatus.DRAFT.value,
        snapshot_hash=snapshot_hash(row.text, year, frame), benchmarks=result.benchmarks,
        averages=result.averages, counts=dict(counts), inputs=buffer.getvalue(),
        note=note.strip()[:500], created_by=actor.label,
    )  # fmt: skip
    session.add(run)
    session.flush()
    records = rows.select(
        "enterprise_id", "group", "status", "reason", "score", "rank", "size", "grade", "low",
        "tax_per_mu", "value_added_per_mu",
    ).with_columns(pl.lit(run.id).alias("run_id")).to_dicts()  # fmt: skip
    for record in records:
        record["detail"] = result.details.get(record["enterprise_id"], {})
    for start in range(0, len(records), 5_000):
        session.execute(sa.insert(LanduseResult), records[start : start + 5_000])
    audit.record(
        session, action="landuse.run", object_type="landuse_runs", object_id=run.id,
        after={"spec": f"{row.code} v{row.version}", "year": year, "counts": run.counts,
               "snapshot_hash": run.snapshot_hash},
    )  # fmt: skip
    return run


def get_runs(session: Session, *, actor: Actor) -> list[LanduseRun]:
    """Runs, newest first (enterprise users: published ones only)."""
    actor.require(Permission.ENTERPRISES_READ)
    query = sa.select(LanduseRun).order_by(LanduseRun.year.desc(), LanduseRun.id.desc())
    if actor.enterprise_id is not None:
        query = query.where(LanduseRun.status == LanduseRunStatus.PUBLISHED.value)
    else:
        actor.require(Permission.ZONE_READ)
    return list(session.scalars(query))


def get_run_or_raise(session: Session, *, actor: Actor, run_id: int) -> LanduseRun:
    actor.require(Permission.ENTERPRISES_READ)
    run = session.get(LanduseRun, run_id)
    hidden = (
        actor.enterprise_id is not None
        and run is not None
        and (run.status != LanduseRunStatus.PUBLISHED.value)
    )
    if run is None or hidden:
        raise NotFound(f"评价不存在：{run_id}")
    if actor.enterprise_id is None:
        actor.require(Permission.ZONE_READ)
    return run


def publish(session: Session, *, actor: Actor, run_id: int) -> LanduseRun:
    """Publish a draft run: its lists become the year's official ones."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _require_owner(session, actor, parse(run.spec.text))
    if run.status != LanduseRunStatus.DRAFT.value:
        raise Conflict("只有草稿可以发布")
    before = {"status": run.status}
    run.status = LanduseRunStatus.PUBLISHED.value
    run.published_at = utcnow()
    run.published_by = actor.label
    session.flush()
    audit.record(
        session, action="landuse.publish", object_type="landuse_runs", object_id=run.id,
        before=before, after={"status": run.status},
    )  # fmt: skip
    return run


# ---------------------------------------------------------------- lists


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
            sa.select(LanduseRun.year, LanduseResult.enterprise_id, LanduseResult.tax_per_mu)
            .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
            .where(
                LanduseResult.enterprise_id.in_(ids),
                LanduseRun.year < run.year,
                LanduseRun.status == LanduseRunStatus.PUBLISHED.value,
            )
            .order_by(LanduseRun.year, LanduseRun.published_at)
        ).all()
        for year, eid, value in past:
            history[eid][year] = value  # the newest published run of a year wins
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
    query = sa.select(LanduseRun).where(LanduseRun.status == LanduseRunStatus.PUBLISHED.value)
    if year is not None:
        query = query.where(LanduseRun.year == year)
    run = session.scalar(
        query.order_by(LanduseRun.year.desc(), LanduseRun.published_at.desc()).limit(1)
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
        .where(LanduseRun.status == LanduseRunStatus.PUBLISHED.value, LanduseRun.year <= year)
        .order_by(LanduseRun.year.desc(), LanduseRun.published_at.desc())
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


# ---------------------------------------------------------------- report card


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
        sa.select(LanduseRun.year, LanduseResult.grade, LanduseResult.score)
        .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
        .where(
            LanduseResult.enterprise_id == enterprise_id,
            LanduseRun.status == LanduseRunStatus.PUBLISHED.value,
            LanduseRun.id != run.id,
        )
        .order_by(LanduseRun.year.desc())
    ).all()
    return Card(
        run=run, enterprise=enterprise, result=result, lines=lines, bonus=bonus,
        history=[(y, g, s) for y, g, s in past],
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


# ---------------------------------------------------------------- zone view


@dataclass(frozen=True)
class ZoneView:
    grades: list[str]
    by_chain: list[tuple[str, dict[str, int]]]  # chain → grade → firms
    by_region: list[tuple[str, dict[str, int]]]
    by_year: list[tuple[int, dict[str, int]]]  # published runs (and this one)
    per_mu: list[tuple[str, float | None, float | None, int]]  # name, 亩均税收, 亩均增加值, firms
    histogram: list[tuple[str, int]]  # score band → firms (rated)


def zone_view(session: Session, *, actor: Actor, run_id: int) -> ZoneView:
    """Class counts by chain, region and year; per-mu tax and value added of the zone and of each
    chain (Σ tax / Σ land over the rated firms); the distribution of scores."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    frame = _inputs_with_results(session, run)
    grades = [b.label for b in parse(run.spec.text).classes.bands] + ["T"]

    def counts(by: str) -> list[tuple[Any, dict[str, int]]]:
        graded = frame.filter(pl.col("grade").is_not_null())
        table = graded.group_by(by, "grade").len()
        out: dict[Any, dict[str, int]] = {}
        for key, grade, n in table.iter_rows():
            out.setdefault(key if key is not None else "未填报", {})[grade] = n
        return sorted(out.items(), key=lambda kv: str(kv[0]))

    rated = frame.filter(pl.col("status") == "rated")
    per_mu = [("全区", *_pooled(rated))]
    for chain in sorted(c for c in rated["chain"].unique().to_list() if c):
        per_mu.append((chain, *_pooled(rated.filter(pl.col("chain") == chain))))
    years = session.execute(
        sa.select(LanduseRun.year, LanduseResult.grade, sa.func.count())
        .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
        .where(
            sa.or_(LanduseRun.status == LanduseRunStatus.PUBLISHED.value, LanduseRun.id == run.id),
            LanduseResult.grade.is_not(None),
        )
        .group_by(LanduseRun.year, LanduseResult.grade)
    ).all()
    by_year: dict[int, dict[str, int]] = {}
    for year, grade, n in years:
        if grade is not None:
            by_year.setdefault(year, {})[grade] = by_year.get(year, {}).get(grade, 0) + n
    histogram = charts.histogram(
        rated["score"].drop_nulls().to_list(), top=highest_score(parse(run.spec.text))
    )
    return ZoneView(
        grades=grades, by_chain=counts("chain"), by_region=counts("region_name"),
        by_year=sorted(by_year.items()), per_mu=per_mu, histogram=histogram,
    )  # fmt: skip


def highest_score(spec: landuse_spec.LanduseSpec) -> float | None:
    """The highest score the spec allows in any group (every item at its cap, every bonus
    earned); None when some item has no cap."""
    tops = []
    for group in spec.groups:
        caps = [i.ratio_cap for i in group.items]
        if any(c is None for c in caps):
            return None
        tops.append(sum(c * i.weight for c, i in zip(caps, group.items, strict=True) if c))
    return max(tops) + sum(max(b.points, 0.0) for b in spec.bonus)


def _pooled(frame: pl.DataFrame) -> tuple[float | None, float | None, int]:
    land = frame["land_area"].sum() if frame.height else 0
    if not land:
        return None, None, frame.height
    tax = frame["tax_paid"].sum()
    value_added = frame["industrial_value_added"].sum()
    return float(tax) / float(land), float(value_added) / float(land), frame.height


def _inputs_with_results(session: Session, run: LanduseRun) -> pl.DataFrame:
    """The run's input snapshot joined with its results and the firms' region names."""
    inputs = pl.read_parquet(io.BytesIO(session.scalar(
        sa.select(LanduseRun.inputs).where(LanduseRun.id == run.id)
    ) or b""))  # fmt: skip
    results = pl.DataFrame(
        session.execute(
            sa.select(LanduseResult.enterprise_id, LanduseResult.status, LanduseResult.grade,
                      LanduseResult.score).where(LanduseResult.run_id == run.id)
        ).all(),
        schema={"enterprise_id": pl.Int64, "status": pl.String, "grade": pl.String,
                "score": pl.Float64},
        orient="row",
    )  # fmt: skip
    from wulian.reference.models import Region

    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    frame = results.join(inputs, on="enterprise_id", how="left")
    return frame.with_columns(
        pl.col("region_code").replace_strict(regions, default=None).alias("region_name")
    )


# ---------------------------------------------------------------- export


def export_xlsx(session: Session, *, actor: Actor, run_id: int) -> bytes:
    """The published lists: every firm with its class, score and rank; the low-efficiency list;
    firms not rated with the reason. Chinese headers."""
    from wulian.landuse import exports

    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    results = session.scalars(
        sa.select(LanduseResult)
        .where(LanduseResult.run_id == run.id)
        .order_by(LanduseResult.group, LanduseResult.rank.is_(None), LanduseResult.rank,
                  LanduseResult.enterprise_id)
    )  # fmt: skip
    pairs = read.attach(session, results, lambda r: r.enterprise_id)
    return exports.workbook(run, parse(run.spec.text), pairs,
                            low_list(session, actor=actor, run_id=run_id))  # fmt: skip
