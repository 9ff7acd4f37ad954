"""Innovation-points runs: one spec version on one period's facts, the input kept (Parquet and
its hash), results and statistics; draft → public notice → published, and withdrawal.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, calendar, runs
from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.notify import service as notify
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.engines.index.spec import IndexSpec
from wulian.enterprises import facts
from wulian.innovation import evaluate
from wulian.innovation.models import (
    InnovationResult,
    InnovationRun,
    InnovationSpec,
    Objection,
    ObjectionOutcome,
    SpecKind,
)
from wulian.innovation.versions import NOTICE_DAYS, VISIBLE_TO_FIRMS, credit_model, index_model
from wulian.reference.catalogue import derive, needs


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
    require_run_owner(session, actor, model)
    frame = build_input(session, actor=actor, spec=model, period=period)
    if frame.is_empty():
        raise InvalidInput(f"{period} 年度没有任何企业的评价数据，无法评价", field="period")
    result = evaluate.evaluate(model, frame, credit_spec)
    columns = evaluate.columns_of(model)
    missing = int(
        frame.select(pl.sum_horizontal(pl.col(c).is_null() for c in columns).sum()).item()
    )
    run = InnovationRun(
        spec_id=spec_row.id,
        credit_spec_id=credit_row.id if credit_row else None,
        period=period,
        status=RunStatus.DRAFT.value,
        snapshot_hash=runs.snapshot([spec_row.text], period, frame),
        firms=frame.height,
        scored=int(result.rows["points"].count()),
        missing_values=missing,
        cohort_stats=result.stats,
        inputs=runs.pack(frame),
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


def require_run_owner(session: Session, actor: Actor, model: IndexSpec) -> None:
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


def runs_page(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 20
) -> Page[InnovationRun]:
    """One page of the runs, newest first (as `get_runs`)."""
    query = sa.select(InnovationRun).order_by(InnovationRun.id.desc())
    if actor.enterprise_id is not None:
        actor.require(Permission.ENTERPRISES_READ)
        query = query.where(InnovationRun.status.in_(VISIBLE_TO_FIRMS))
    else:
        actor.require(Permission.ZONE_READ)
    return paginate(session, query, page=page, per_page=per_page)


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
    require_run_owner(session, actor, index_model(run.spec))
    if run.status == RunStatus.DRAFT:
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
                f"{run.period} 年度“{run.spec.name}”已有公示中或已发布的评价（#{standing}），"
                "请先撤回它"
            )
    runs.start_notice(run, days=days, today=today or calendar.today())
    session.flush()
    _notify_firms(
        session, run, "run.notice", f"公示中（至 {run.notice_until}），如有异议可在公示期内提出"
    )
    return run


def publish(
    session: Session, *, actor: Actor, run_id: int, today: dt.date | None = None
) -> InnovationRun:
    """Publish a run whose notice has ended and whose objections are all answered."""
    actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    require_run_owner(session, actor, index_model(run.spec))
    day = today or calendar.today()
    runs.check_publishable(run, today=day, notice_required=True)
    open_count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Objection)
        .where(Objection.run_id == run.id, Objection.outcome == ObjectionOutcome.OPEN.value)
    )
    if open_count:
        raise Conflict(f"还有 {open_count} 条异议没有答复，答复后才能发布")
    runs.publish(run, by=actor.label, today=day, notice_required=True)
    session.flush()
    _notify_firms(session, run, "run.published", "已发布")
    return run


def _notify_firms(session: Session, run: InnovationRun, kind: str, what: str) -> None:
    """Tell the firms rated in run (their users) that its results are on notice or published."""
    firms = session.scalars(
        sa.select(InnovationResult.enterprise_id).where(InnovationResult.run_id == run.id)
    ).all()
    notify.notify_enterprises(
        session, enterprise_ids=firms, kind=kind, link="/innovation/portrait/{enterprise_id}",
        title=f"{run.period} 年度“{run.spec.name}”结果{what}",
    )  # fmt: skip


def withdraw(session: Session, *, actor: Actor, run_id: int, reason: str) -> InnovationRun:
    """Withdraw a run (for example after an upheld objection), with the reason."""
    actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    require_run_owner(session, actor, index_model(run.spec))
    runs.withdraw(run, reason=reason)
    session.flush()
    return run
