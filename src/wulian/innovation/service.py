"""Innovation points: the only module that reads and writes the innovation tables.

Specs are versioned files (an edit is a new version); a run evaluates one spec version on one
period's facts and keeps its input, results and statistics; a run goes draft → notice → published,
and objections raised during the notice must be answered before it is published.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from wulian.core import audit, calendar, specversions
from wulian.core.auth import service as auth_service
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.pagination import Page, paginate_rows
from wulian.core.permissions import Actor, Permission
from wulian.engines.index import sensitivity
from wulian.engines.index import spec as index_spec
from wulian.engines.index.spec import IndexSpec
from wulian.enterprises import facts, read
from wulian.innovation import credit, evaluate
from wulian.innovation.models import (
    CreditConsent,
    InnovationResult,
    InnovationRun,
    InnovationSpec,
    Objection,
    ObjectionOutcome,
    RunStatus,
    SpecKind,
)
from wulian.reference.catalogue import derive, needs
from wulian.reference.catalogue import shipped as shipped_metrics

SHIPPED: tuple[tuple[str, SpecKind], ...] = (
    ("national", SpecKind.INDEX),
    ("binjiang", SpecKind.INDEX),
    ("longwan", SpecKind.INDEX),
    ("credit", SpecKind.CREDIT),
)
NOTICE_DAYS = 7  # a public notice of about a week (calendar days, both ends included)
VISIBLE_TO_FIRMS = (RunStatus.NOTICE.value, RunStatus.PUBLISHED.value)


# ---------------------------------------------------------------- specs


def shipped_text(code: str) -> str:
    """The text of a spec file shipped with the platform."""
    return resources.files("wulian.innovation").joinpath(f"specs/{code}.yaml").read_text("utf-8")


def parse(kind: str, text: str, filename: str = "方案文件") -> IndexSpec | credit.CreditSpec:
    """A spec of kind from text, validated (index specs also against the metric catalogue)."""
    if kind == SpecKind.CREDIT:
        return credit.load(text, filename)
    model = index_spec.load(text, filename)
    evaluate.check_columns(model, text, filename, (m.key for m in shipped_metrics()))
    return model


@lru_cache(maxsize=64)
def _parsed(kind: str, text: str, filename: str) -> IndexSpec | credit.CreditSpec:
    """parse, remembered: stored versions never change and the models are immutable."""
    return parse(kind, text, filename)


def index_model(spec: InnovationSpec) -> IndexSpec:
    """The index spec stored in a version (stored versions were validated when saved)."""
    model = _parsed(SpecKind.INDEX, spec.text, f"{spec.code} v{spec.version}")
    if not isinstance(model, IndexSpec):
        raise InvalidInput(f"“{spec.name}”不是指数评价方案", field="spec")
    return model


def credit_model(spec: InnovationSpec) -> credit.CreditSpec:
    """The credit-tier spec stored in a version."""
    model = _parsed(SpecKind.CREDIT, spec.text, f"{spec.code} v{spec.version}")
    if not isinstance(model, credit.CreditSpec):
        raise InvalidInput(f"“{spec.name}”不是授信方案", field="credit_spec")
    return model


def _describe(session: Session, code: str, text: str) -> dict[str, object]:
    kind = dict(SHIPPED)[code]
    return {"name": parse(kind, text, f"{code}.yaml").name, "kind": kind.value}


SHIPPED_SPECS = specversions.Shipped(
    key="innovation",
    label="创新积分评价方案",
    model=InnovationSpec,
    files=lambda: {code: shipped_text(code) for code, _ in SHIPPED},
    describe=_describe,
)


def install_shipped(session: Session, *, actor: Actor) -> specversions.Installed:
    """Bring the stored spec files to the shipped ones (`specversions.install`)."""
    actor.require(Permission.ANALYSES_WRITE)
    return specversions.install(session, SHIPPED_SPECS, created_by=actor.label)


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: InnovationSpec, text: str, copy: bool
) -> specversions.Checked:
    actor.require(Permission.ANALYSES_WRITE)
    model = parse(base.kind, text, "方案文件")
    if isinstance(model, IndexSpec):
        current = index_model(specversions.latest(session, InnovationSpec, base.code) or base)
        auth_service.check_owner_change(
            session, actor=actor, new=model.department, old=current.department, copy=copy,
            what=f"评价方案“{model.name if copy else current.name}”",
        )  # fmt: skip
    return specversions.Checked(model.id, model.name, {"kind": base.kind})


SPECS = specversions.SpecKind(
    model=InnovationSpec, what="评价方案", may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS,
)  # fmt: skip
# versions of the spec files, and saving a new one (refused with the line when invalid)
get_specs = SPECS.listed
get_spec_or_raise = SPECS.get
save_spec = SPECS.save


def latest_version(session: Session, *, code: str) -> InnovationSpec | None:
    """The newest version of code."""
    return specversions.latest(session, InnovationSpec, code)


def diff(older: InnovationSpec | None, newer: InnovationSpec) -> list[tuple[str, str]]:
    """The lines of a unified diff from older to newer, each with its kind."""
    return specversions.diff(older, newer)


def previous_version(session: Session, spec: InnovationSpec) -> InnovationSpec | None:
    """The version spec was made from (for a copy, the spec it copied)."""
    return specversions.previous(session, InnovationSpec, spec)


# ---------------------------------------------------------------- runs


STAFF_ONLY = "企业用户只能查看公示和发布的结果"


def build_input(session: Session, *, actor: Actor, spec: IndexSpec, period: str) -> pl.DataFrame:
    """The input frame of spec for period from the facts store: one row per zone firm with at
    least one known value; indicators computed from the catalogue's formulas (last year's inputs
    for growth rates); unknown stays null."""
    if not facts.PERIOD_PATTERNS["year"].match(period):
        raise InvalidInput("创新积分按年度评价，期间应为 YYYY（如 2025）", field="period")
    columns = evaluate.columns_of(spec)
    need = needs(columns)
    current = facts.build_matrix(session, actor=actor, metrics=need.current, period=period).frame
    previous = None
    if need.previous:
        last = str(int(period) - 1)
        previous = facts.build_matrix(
            session, actor=actor, metrics=need.previous, period=last
        ).frame
    frame = derive(current, previous, columns)
    known = pl.any_horizontal(pl.col(c).is_not_null() for c in columns)
    return frame.filter(known).sort(evaluate.UNIT)


def snapshot_hash(spec_text: str, period: str, frame: pl.DataFrame) -> str:
    """SHA-256 of the spec text, the period and the input frame."""
    digest = hashlib.sha256()
    digest.update(spec_text.encode())
    digest.update(period.encode())
    digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def create_run(
    session: Session,
    *,
    actor: Actor,
    spec_id: int,
    period: str,
    credit_spec_id: int | None = None,
    note: str = "",
) -> InnovationRun:
    """Evaluate a spec version on period's facts and keep the result as a draft run."""
    actor.require(Permission.ANALYSES_WRITE)
    spec_row = session.get(InnovationSpec, spec_id)
    if spec_row is None or spec_row.kind != SpecKind.INDEX:
        raise NotFound(f"评价方案不存在：{spec_id}")
    credit_row = None
    credit_spec = None
    if credit_spec_id is not None:
        credit_row = session.get(InnovationSpec, credit_spec_id)
        if credit_row is None or credit_row.kind != SpecKind.CREDIT:
            raise NotFound(f"授信方案不存在：{credit_spec_id}")
        credit_spec = credit_model(credit_row)
    model = index_model(spec_row)
    _require_owner(session, actor, model)
    frame = build_input(session, actor=actor, spec=model, period=period)
    if frame.is_empty():
        raise InvalidInput(f"{period} 年度没有任何企业的评价数据，无法评价", field="period")
    result = evaluate.evaluate(model, frame, credit_spec)
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    columns = evaluate.columns_of(model)
    missing = int(
        frame.select(pl.sum_horizontal(pl.col(c).is_null() for c in columns).sum()).item()
    )
    run = InnovationRun(
        spec_id=spec_row.id,
        credit_spec_id=credit_row.id if credit_row else None,
        period=period,
        status=RunStatus.DRAFT.value,
        snapshot_hash=snapshot_hash(spec_row.text, period, frame),
        firms=frame.height,
        scored=int(result.rows["points"].count()),
        missing_values=missing,
        cohort_stats=result.stats,
        inputs=buffer.getvalue(),
        note=note.strip()[:500],
        created_by=actor.label,
    )
    session.add(run)
    session.flush()
    records = result.rows.with_columns(pl.lit(run.id).alias("run_id")).to_dicts()
    for record, detail in zip(records, result.details, strict=True):
        record["detail"] = detail
    for start in range(0, len(records), 5_000):
        session.execute(sa.insert(InnovationResult), records[start : start + 5_000])
    audit.record(
        session,
        action="innovation.run",
        object_type="innovation_runs",
        object_id=run.id,
        after={
            "spec": f"{spec_row.code} v{spec_row.version}",
            "period": period,
            "firms": run.firms,
            "scored": run.scored,
            "snapshot_hash": run.snapshot_hash,
        },
    )
    return run


def _require_owner(session: Session, actor: Actor, model: IndexSpec) -> None:
    """Runs of a spec, their notice, publication and objections are its department's work."""
    auth_service.require_owner(
        session, actor=actor, department=model.department, what=f"“{model.name}”的评价"
    )


def may_run(session: Session, *, actor: Actor, spec: InnovationSpec) -> bool:
    """Whether actor may run spec and manage its runs (to show those actions only where they
    work)."""
    department = index_model(spec).department
    return auth_service.may_act(
        session, actor=actor, permission=Permission.ANALYSES_WRITE, department=department
    )


def get_runs(session: Session, *, actor: Actor) -> list[InnovationRun]:
    """Runs, newest first (enterprise users: only those in notice or published)."""
    query = sa.select(InnovationRun).order_by(InnovationRun.id.desc())
    if actor.enterprise_id is not None:
        actor.require(Permission.ENTERPRISES_READ)
        query = query.where(InnovationRun.status.in_(VISIBLE_TO_FIRMS))
    else:
        actor.require(Permission.ZONE_READ)
    return list(session.scalars(query))


def get_run_or_raise(session: Session, *, actor: Actor, run_id: int) -> InnovationRun:
    """One run, if actor may see it."""
    run = session.get(InnovationRun, run_id)
    if actor.enterprise_id is not None:
        actor.require(Permission.ENTERPRISES_READ)
        if run is not None and run.status not in VISIBLE_TO_FIRMS:
            run = None
    else:
        actor.require(Permission.ZONE_READ)
    if run is None:
        raise NotFound(f"评价不存在：{run_id}")
    return run


def start_notice(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    days: int = NOTICE_DAYS,
    today: dt.date | None = None,
) -> InnovationRun:
    """Put a draft run on public notice for days calendar days from today."""
    actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _require_owner(session, actor, index_model(run.spec))
    if run.status != RunStatus.DRAFT:
        raise Conflict(f"只有草稿可以公示；本评价{RunStatus(run.status).label}")
    if not 1 <= days <= 30:
        raise InvalidInput("公示期应为 1–30 天", field="days", value=str(days))
    standing = session.scalar(
        sa.select(InnovationRun.id)
        .join(InnovationSpec, InnovationRun.spec_id == InnovationSpec.id)
        .where(
            InnovationRun.period == run.period,
            InnovationRun.status.in_(VISIBLE_TO_FIRMS),
            InnovationSpec.code == run.spec.code,
            InnovationRun.id != run.id,
        )
    )
    if standing is not None:
        raise Conflict(
            f"{run.period} 年度“{run.spec.name}”已有公示中或已发布的评价（#{standing}），请先撤回它"
        )
    start = today or calendar.today()
    run.status = RunStatus.NOTICE.value
    run.notice_from = start
    run.notice_until = start + dt.timedelta(days=days - 1)
    session.flush()
    return run


def publish(
    session: Session, *, actor: Actor, run_id: int, today: dt.date | None = None
) -> InnovationRun:
    """Publish a run whose notice has ended and whose objections are all answered."""
    actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _require_owner(session, actor, index_model(run.spec))
    if run.status != RunStatus.NOTICE:
        raise Conflict(f"只有公示中的评价可以发布；本评价{RunStatus(run.status).label}")
    day = today or calendar.today()
    if run.notice_until is not None and day <= run.notice_until:
        raise Conflict(f"公示期到 {run.notice_until:%Y年%m月%d日} 结束，结束后才能发布")
    open_count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Objection)
        .where(Objection.run_id == run.id, Objection.outcome == ObjectionOutcome.OPEN.value)
    )
    if open_count:
        raise Conflict(f"还有 {open_count} 条异议没有答复，答复后才能发布")
    run.status = RunStatus.PUBLISHED.value
    run.published_at = utcnow()
    run.published_by = actor.label
    session.flush()
    return run


def withdraw(session: Session, *, actor: Actor, run_id: int, reason: str) -> InnovationRun:
    """Withdraw a run (for example after an upheld objection), with the reason."""
    actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _require_owner(session, actor, index_model(run.spec))
    if run.status == RunStatus.WITHDRAWN:
        raise Conflict("本评价已撤回")
    if not reason.strip():
        raise InvalidInput("请填写撤回原因", field="reason")
    run.status = RunStatus.WITHDRAWN.value
    run.note = f"撤回：{reason.strip()}"[:500]
    session.flush()
    return run


# ---------------------------------------------------------------- objections


def raise_objection(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    enterprise_id: int,
    text: str,
    today: dt.date | None = None,
) -> Objection:
    """Record a firm's objection to its result, during the notice only. Enterprise users object
    for their own firm; analysts may record one received on paper."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
        actor.require(Permission.FACTS_WRITE)
    else:
        actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    day = today or calendar.today()
    if (
        run.status != RunStatus.NOTICE
        or run.notice_from is None
        or run.notice_until is None
        or not run.notice_from <= day <= run.notice_until
    ):
        raise Conflict("只能在公示期内提出异议")
    text = text.strip()
    if not 5 <= len(text) <= 2000:
        raise InvalidInput("异议内容应为 5–2000 字，请写明哪项数据或结果有误", field="text")
    if not session.scalar(
        sa.select(InnovationResult.id).where(
            InnovationResult.run_id == run.id, InnovationResult.enterprise_id == enterprise_id
        )
    ):
        raise NotFound("该企业不在本次评价范围内")
    objection = Objection(
        run_id=run.id, enterprise_id=enterprise_id, text=text, submitted_by=actor.label
    )
    session.add(objection)
    session.flush()
    return objection


def answer_objection(
    session: Session, *, actor: Actor, objection_id: int, outcome: str, answer: str
) -> Objection:
    """Answer an objection: upheld (the data will be corrected and the run redone) or rejected."""
    actor.require(Permission.ANALYSES_WRITE)
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(f"异议不存在：{objection_id}")
    run = get_run_or_raise(session, actor=actor, run_id=objection.run_id)
    _require_owner(session, actor, index_model(run.spec))
    if objection.outcome != ObjectionOutcome.OPEN:
        raise Conflict("该异议已答复")
    if outcome not in (ObjectionOutcome.UPHELD, ObjectionOutcome.REJECTED):
        raise InvalidInput("答复结论应为“成立”或“不成立”", field="outcome", value=outcome)
    if not answer.strip():
        raise InvalidInput("请填写答复内容", field="answer")
    objection.outcome = outcome
    objection.answer = answer.strip()[:2000]
    objection.answered_by = actor.label
    objection.answered_at = utcnow()
    session.flush()
    return objection


def objections(
    session: Session, *, actor: Actor, run_id: int, enterprise_id: int | None = None
) -> list[tuple[Objection, read.Firm]]:
    """The objections to a run (an enterprise user sees its own firm's)."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    query = sa.select(Objection).where(Objection.run_id == run.id).order_by(Objection.id)
    if actor.enterprise_id is not None:
        query = query.where(Objection.enterprise_id == actor.enterprise_id)
    elif enterprise_id is not None:
        query = query.where(Objection.enterprise_id == enterprise_id)
    return read.attach(session, session.scalars(query), lambda o: o.enterprise_id)


# ---------------------------------------------------------------- lists


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


# ---------------------------------------------------------------- portraits


@dataclass(frozen=True)
class Portrait:
    run: InnovationRun
    model: IndexSpec
    result: InnovationResult
    enterprise: read.Firm
    categories: list[tuple[str, str, float | None, float | None]]  # key, name, firm, median
    indicators: list[dict[str, Any]]  # key, name, parent, raw, normalised, median, unit
    strengths: list[dict[str, Any]]
    weaknesses: list[dict[str, Any]]
    missing: list[str]  # names of indicators without data
    gains: list[evaluate.Gain]
    previous: InnovationResult | None  # last year's result under the same spec
    objections: list[Objection]


def portrait_runs(session: Session, *, actor: Actor, enterprise_id: int) -> list[InnovationRun]:
    """The runs with a result for the firm that actor may see, newest period first."""
    actor.require_enterprise(enterprise_id)
    query = (
        sa.select(InnovationRun)
        .join(InnovationResult, InnovationResult.run_id == InnovationRun.id)
        .where(
            InnovationResult.enterprise_id == enterprise_id,
            InnovationRun.status != RunStatus.WITHDRAWN.value,
        )
        .order_by(InnovationRun.period.desc(), InnovationRun.id.desc())
    )
    if actor.enterprise_id is not None:
        query = query.where(InnovationRun.status.in_(VISIBLE_TO_FIRMS))
    return list(session.scalars(query))


def portrait(
    session: Session, *, actor: Actor, enterprise_id: int, run_id: int | None = None
) -> Portrait | None:
    """A firm's innovation portrait in a run (default: the newest it may see); None without any."""
    actor.require_enterprise(enterprise_id)
    runs = portrait_runs(session, actor=actor, enterprise_id=enterprise_id)
    if run_id is not None:
        runs = [r for r in runs if r.id == run_id]
        if not runs:
            raise NotFound("该企业在这次评价中没有结果")
    if not runs:
        return None
    run = runs[0]
    result = session.scalar(
        sa.select(InnovationResult).where(
            InnovationResult.run_id == run.id, InnovationResult.enterprise_id == enterprise_id
        )
    )
    enterprise = read.get(session, enterprise_id)
    if result is None or enterprise is None:
        raise NotFound("该企业在这次评价中没有结果")
    model = index_model(run.spec)
    stats = run.cohort_stats.get(result.cohort, {})
    median = stats.get("median", {})
    detail = result.detail
    categories = [
        (a.key, a.name, detail["scores"].get(a.key), median.get(a.key))
        for a in model.aggregates
        if a.parent == model.root
    ]
    indicators = []
    for indicator in model.indicators:
        value = detail["normalised"].get(indicator.key)
        indicators.append(
            {
                "key": indicator.key,
                "name": indicator.name,
                "parent": model.label(indicator.parent),
                "unit": indicator.unit,
                "raw": detail["raw"].get(indicator.key),
                "normalised": value,
                "median": median.get(indicator.key),
                "imputed": indicator.key in detail.get("imputed", []),
            }
        )
    compared = [
        i | {"difference": i["normalised"] - i["median"]}
        for i in indicators
        if i["normalised"] is not None and i["median"] is not None
    ]
    compared.sort(key=lambda i: -i["difference"])
    strengths = [i for i in compared[:3] if i["difference"] > 0]
    weaknesses = [i for i in reversed(compared[-3:]) if i["difference"] < 0]
    previous = _previous_result(session, actor=actor, run=run, enterprise_id=enterprise_id)
    objection_rows = session.scalars(
        sa.select(Objection)
        .where(Objection.run_id == run.id, Objection.enterprise_id == enterprise_id)
        .order_by(Objection.id)
    ).all()
    return Portrait(
        run=run,
        model=model,
        result=result,
        enterprise=enterprise,
        categories=categories,
        indicators=indicators,
        strengths=strengths,
        weaknesses=weaknesses,
        missing=[i["name"] for i in indicators if i["raw"] is None],
        gains=evaluate.marginal_gains(model, detail, result.cohort, run.cohort_stats),
        previous=previous,
        objections=list(objection_rows),
    )


def _previous_result(
    session: Session, *, actor: Actor, run: InnovationRun, enterprise_id: int
) -> InnovationResult | None:
    """The firm's result in the newest visible run of last year under the same spec code."""
    statuses = (
        VISIBLE_TO_FIRMS
        if actor.enterprise_id is not None
        else (*VISIBLE_TO_FIRMS, RunStatus.DRAFT.value)
    )
    return session.scalar(
        sa.select(InnovationResult)
        .join(InnovationRun, InnovationRun.id == InnovationResult.run_id)
        .join(InnovationSpec, InnovationSpec.id == InnovationRun.spec_id)
        .where(
            InnovationResult.enterprise_id == enterprise_id,
            InnovationRun.period == str(int(run.period) - 1),
            InnovationSpec.code == run.spec.code,
            InnovationRun.status.in_(statuses),
        )
        .order_by(
            (InnovationRun.status == RunStatus.PUBLISHED.value).desc(), InnovationRun.id.desc()
        )
        .limit(1)
    )


# ---------------------------------------------------------------- sensitivity


def rank_intervals(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    cohort: str,
    draws: int = 500,
    noise: float = 0.25,
    seed: int = 1,
) -> pl.DataFrame:
    """Each firm of a stage: its rank and its 5–95% rank interval when the weights vary by ±noise
    (Monte Carlo on the run's own input), best first."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    if not 10 <= draws <= 2000:
        raise InvalidInput("抽样次数应在 10–2000 之间", field="draws", value=str(draws))
    if not 0 < noise <= 0.9:
        raise InvalidInput("权重扰动幅度应在 0–90% 之间", field="noise", value=str(noise))
    run = session.scalar(
        sa.select(InnovationRun)
        .options(undefer(InnovationRun.inputs))
        .where(InnovationRun.id == run_id)
    )
    if run is None:
        raise NotFound(f"评价不存在：{run_id}")
    model = index_model(run.spec)
    frame = pl.read_parquet(io.BytesIO(run.inputs))
    settings = sensitivity.Settings(draws=draws, seed=seed, noise=noise)
    out = sensitivity.run(model, frame, settings)
    if "cohort" in out.columns:
        out = out.filter(pl.col("cohort") == cohort)
    names = read.names(session, out[evaluate.UNIT].to_list())
    return (
        out.filter(pl.col("rank").is_not_null())
        .sort("rank")
        .with_columns(
            pl.col(evaluate.UNIT)
            .replace_strict(names, default="", return_dtype=pl.String)
            .alias("name")
        )
    )


# ---------------------------------------------------------------- banks


def consent_of(session: Session, *, actor: Actor, enterprise_id: int) -> bool:
    """Whether the firm lets partner banks read its points."""
    actor.require_enterprise(enterprise_id)
    row = session.get(CreditConsent, enterprise_id)
    return bool(row and row.granted)


def set_consent(session: Session, *, actor: Actor, enterprise_id: int, granted: bool) -> None:
    """A firm grants or withdraws its consent (its own users, or an administrator)."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
        actor.require(Permission.FACTS_WRITE)
    else:
        actor.require(Permission.ENTERPRISES_WRITE)
    read.get_or_raise(session, enterprise_id)
    row = session.get(CreditConsent, enterprise_id)
    if row is None:
        row = CreditConsent(enterprise_id=enterprise_id, granted=granted, changed_by=actor.label)
        session.add(row)
    else:
        row.granted = granted
        row.changed_by = actor.label
    session.flush()


def grant_consents(session: Session, *, actor: Actor, enterprise_ids: list[int]) -> int:
    """Record consent for many firms at once (the demo zone; a bank's signed batch), audited as
    one entry. Firms that already decided keep their decision."""
    actor.require(Permission.ENTERPRISES_WRITE)
    decided = set(session.scalars(sa.select(CreditConsent.enterprise_id)))
    rows = [
        {"enterprise_id": i, "granted": True, "changed_by": actor.label, "changed_at": utcnow()}
        for i in dict.fromkeys(enterprise_ids)
        if i not in decided
    ]
    if rows:
        session.execute(sa.insert(CreditConsent), rows)
        audit.record(
            session,
            action="innovation.consents",
            object_type="innovation_credit_consents",
            after={"granted": len(rows)},
        )
    return len(rows)


def bank_scores(
    session: Session,
    *,
    actor: Actor,
    period: str | None = None,
    uscc: str | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[InnovationRun | None, Page[Listed]]:
    """Scores of consenting firms in the newest published run (of period when given); for a
    token bound to a firm, that firm's only."""
    actor.require(Permission.CREDIT_READ)
    query = sa.select(InnovationRun).where(InnovationRun.status == RunStatus.PUBLISHED.value)
    if period:
        query = query.where(InnovationRun.period == period)
    run = session.scalar(
        query.order_by(InnovationRun.period.desc(), InnovationRun.published_at.desc()).limit(1)
    )
    if run is None:
        return None, Page(items=[], total=0, page=1, per_page=per_page)
    rows = (
        sa.select(InnovationResult)
        .join(CreditConsent, CreditConsent.enterprise_id == InnovationResult.enterprise_id)
        .where(
            InnovationResult.run_id == run.id,
            CreditConsent.granted == sa.true(),
            InnovationResult.points.is_not(None),
        )
        .order_by(read.field_of(InnovationResult.enterprise_id, "uscc"))
    )
    if actor.enterprise_id is not None:  # a token bound to one firm reads that firm only
        rows = rows.where(InnovationResult.enterprise_id == actor.enterprise_id)
    if uscc:
        rows = rows.where(
            InnovationResult.enterprise_id.in_(read.ids_where(uscc=uscc.strip().upper()))
        )
    return run, paginate_pairs(session, rows, page=page, per_page=per_page)


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
