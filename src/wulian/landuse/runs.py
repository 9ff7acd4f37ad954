"""亩均效益 runs: one spec version on one year's facts and registry (titles held on 31 December),
the input kept (Parquet and its hash), results by group and class; draft → published.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, calendar, runs
from wulian.core.auth import service as auth_service
from wulian.core.errors import InvalidInput, NotFound
from wulian.core.notify import service as notify
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.core.todo import Todo
from wulian.enterprises import facts, read
from wulian.landuse import evaluate
from wulian.landuse import spec as landuse_spec
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseSpec
from wulian.landuse.versions import BUILDING_TAG, RENTED_TAG, STAFF_ONLY, parse
from wulian.reference import service as reference


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


def previous_averages(session: Session, *, year: int) -> dict[str, dict[str, float]] | None:
    """The averages of last year's published run (the newest, if several)."""
    run = session.scalar(
        sa.select(LanduseRun)
        .where(LanduseRun.period == str(year - 1), LanduseRun.status == RunStatus.PUBLISHED.value)
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
    session: Session, *, actor: Actor, spec_id: int, period: str | int, note: str = ""
) -> LanduseRun:
    """Evaluate a spec version on a year's data and keep the result as a draft run."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    row = session.get(LanduseSpec, spec_id)
    if row is None:
        raise NotFound(f"评价方案不存在：{spec_id}")
    if not 2000 <= int(str(period).strip() or 0) <= calendar.today().year:
        raise InvalidInput("评价年度应在 2000 年到今年之间", field="year", value=str(period))
    period = runs.year_period(period, field="year")
    year = runs.period_year(period)
    model = parse(row.text)
    _require_owner(session, actor, model)
    frame = build_input(session, actor=actor, spec=model, year=year)
    result = evaluate.evaluate(
        model, frame, year=year, previous_averages=previous_averages(session, year=year)
    )
    rows = result.rows
    if rows.filter(pl.col("status") == "rated").is_empty():
        raise InvalidInput(f"{year} 年度没有可参评的企业（检查用地、税收等数据是否已导入）")
    counts: Counter[str] = Counter(rows["status"].to_list())
    counts.update(f"grade:{g}" for g in rows["grade"].drop_nulls().to_list())
    counts["low"] = int(rows["low"].sum())
    # a class and the low-efficiency list can both hold: how many of each class are listed
    counts.update(f"low:{g}" for g in rows.filter(pl.col("low"))["grade"].drop_nulls().to_list())
    run = LanduseRun(
        spec_id=row.id, period=period, status=RunStatus.DRAFT.value,
        snapshot_hash=runs.snapshot([row.text], period, frame), benchmarks=result.benchmarks,
        averages=result.averages, counts=dict(counts), inputs=runs.pack(frame),
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


def _runs_query(actor: Actor) -> sa.Select[LanduseRun]:
    """Runs actor may see, newest year first (enterprise users: those on notice or published)."""
    actor.require(Permission.ENTERPRISES_READ)
    query = sa.select(LanduseRun).order_by(LanduseRun.period.desc(), LanduseRun.id.desc())
    if actor.enterprise_id is not None:
        return query.where(LanduseRun.status.in_(runs.PUBLIC))
    actor.require(Permission.ZONE_READ)
    return query


def get_runs(session: Session, *, actor: Actor) -> list[LanduseRun]:
    """Runs, newest first (enterprise users: those on notice or published)."""
    return list(session.scalars(_runs_query(actor)))


def runs_page(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 20
) -> Page[LanduseRun]:
    """One page of the runs, in `get_runs`' order."""
    return paginate(session, _runs_query(actor), page=page, per_page=per_page)


def get_run_or_raise(session: Session, *, actor: Actor, run_id: int) -> LanduseRun:
    actor.require(Permission.ENTERPRISES_READ)
    run = session.get(LanduseRun, run_id)
    hidden = actor.enterprise_id is not None and run is not None and (run.status not in runs.PUBLIC)
    if run is None or hidden:
        raise NotFound(f"评价不存在：{run_id}")
    if actor.enterprise_id is None:
        actor.require(Permission.ZONE_READ)
    return run


def _managed_run(session: Session, actor: Actor, run_id: int) -> LanduseRun:
    """A run actor may put on notice, publish or withdraw (its spec's department's work)."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _require_owner(session, actor, parse(run.spec.text))
    return run


def _record(
    session: Session, action: str, run: LanduseRun, before: dict[str, Any], **after: Any
) -> None:
    audit.record(
        session, action=action, object_type="landuse_runs", object_id=run.id,
        before=before, after={"status": run.status, **after},
    )  # fmt: skip


def start_notice(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    days: int = runs.NOTICE_DAYS,
    today: dt.date | None = None,
) -> LanduseRun:
    """Put a draft on public notice (公示) for days calendar days from today: the firms see their
    class and may ask the department about it before the lists become official."""
    run = _managed_run(session, actor, run_id)
    before = {"status": run.status}
    runs.start_notice(run, days=days, today=today or calendar.today())
    session.flush()
    _record(session, "landuse.notice", run, before, notice_until=str(run.notice_until))
    _notify_firms(
        session, run, "run.notice", f"公示中（至 {run.notice_until}），如有疑问请联系主管部门"
    )
    return run


def publish(
    session: Session, *, actor: Actor, run_id: int, today: dt.date | None = None
) -> LanduseRun:
    """Publish a draft, or a run whose notice has ended: its lists become the year's official
    ones."""
    run = _managed_run(session, actor, run_id)
    before = {"status": run.status}
    runs.publish(run, by=actor.label, today=today or calendar.today(), notice_required=False)
    session.flush()
    _record(session, "landuse.publish", run, before)
    _notify_firms(session, run, "run.published", "已发布")
    return run


def _notify_firms(session: Session, run: LanduseRun, kind: str, what: str) -> None:
    """Tell the firms rated in run (their users) that its classes are on notice or published."""
    firms = session.scalars(
        sa.select(LanduseResult.enterprise_id).where(LanduseResult.run_id == run.id)
    ).all()
    notify.notify_enterprises(
        session, enterprise_ids=firms, kind=kind, link="/landuse/card/{enterprise_id}",
        title=f"{run.period} 年度亩均效益评价结果{what}",
    )  # fmt: skip


def withdraw(session: Session, *, actor: Actor, run_id: int, reason: str) -> LanduseRun:
    """Withdraw a run at any stage, with the reason: a withdrawn run's lists are no longer the
    year's (the newest other published run of the year, if any, stands)."""
    run = _managed_run(session, actor, run_id)
    before = {"status": run.status, "note": run.note}  # the reason replaces the note
    runs.withdraw(run, reason=reason)
    session.flush()
    _record(session, "landuse.withdraw", run, before, note=run.note)
    return run


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """Runs on public notice: for a firm, that its class is shown; for the department that runs
    the evaluation, the runs whose notice has ended and can be published."""
    day = calendar.today(now)
    notices = session.scalars(
        sa.select(LanduseRun)
        .where(LanduseRun.status == RunStatus.NOTICE.value)
        .order_by(LanduseRun.id)
    ).all()
    module = "亩均效益"
    if actor.enterprise_id is not None:  # the runs on notice that rate this firm
        rated = set(
            session.scalars(
                sa.select(LanduseResult.run_id).where(
                    LanduseResult.enterprise_id == actor.enterprise_id,
                    LanduseResult.run_id.in_([r.id for r in notices]),
                )
            )
        )
        return [
            Todo(module, f"{r.period} 年度亩均效益评价公示中（至 {r.notice_until}）", 1,
                 f"/landuse/runs/{r.id}/firms/{actor.enterprise_id}")
            for r in notices if r.id in rated
        ]  # fmt: skip
    return [
        Todo(module, f"{r.period} 年度亩均效益评价公示期已满，可以发布", 1, f"/landuse/runs/{r.id}")
        for r in notices
        if r.notice_until is not None
        and day > r.notice_until
        and may_run(session, actor=actor, spec=r.spec)
    ]
