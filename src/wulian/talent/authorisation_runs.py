"""The authorisation rules' results kept as a run: the talent office evaluates every zone firm
on a data year once (an explicit action, also the yearly re-evaluation), and the page lists the
stored results a page at a time instead of evaluating ~2,000 firms on each view.

Staff read the results (as before); firms' users do not. Each run keeps its input frame, the
rule file as evaluated and every firm's explanation.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, runs
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.engines.rules.policy import STATUS_NAMES
from wulian.talent import authorise, service
from wulian.talent.models import AuthorisationResult, AuthorisationRun

PAGE_SIZE = 100
STAFF_ONLY = "人才自主评价资格的评价结果只对园区工作人员开放"
STATUSES = {"eligible": STATUS_NAMES["eligible"], "ineligible": STATUS_NAMES["ineligible"],
            "unknown": STATUS_NAMES["unknown"]}  # fmt: skip


def evaluate(session: Session, *, actor: Actor, year: int, today: dt.date) -> AuthorisationRun:
    """Evaluate every zone firm on year's data and keep the results (talent office)."""
    actor.require(Permission.TALENT_WRITE)
    if not service.in_office(session, actor):
        raise PermissionDenied("只有人才办工作人员可以评价企业的人才自主评价资格")
    period = runs.year_period(year, latest=today.year, field="year")
    frame, results = authorise.evaluate_frame(session, actor=actor, year=year, explain_all=True)
    # a registry record with none of the inputs (such as a ledger duplicate awaiting its merge)
    # is not evaluated: kept results would tie it down, and there is nothing to say of it
    inputs = [c for c in frame.columns if c != "enterprise_id"]
    with_data = set(
        frame.filter(pl.any_horizontal(pl.col(inputs).is_not_null()))["enterprise_id"].to_list()
        if inputs
        else []
    )
    results = [r for r in results if r.enterprise_id in with_data]
    if not results:
        raise InvalidInput(f"{year} 年没有可评价的企业数据", field="year", value=str(year))
    text = authorise.policy().text
    run = AuthorisationRun(
        period=period, inputs=runs.pack(frame), snapshot_hash=runs.snapshot([text], period, frame),
        rules_text=text, created_by=actor.label, firms=len(results),
        eligible=sum(1 for r in results if r.status == "eligible"),
    )  # fmt: skip
    session.add(run)
    session.flush()
    session.execute(
        sa.insert(AuthorisationResult),
        [
            {"run_id": run.id, "enterprise_id": r.enterprise_id, "firm_name": r.firm_name[:200],
             "status": r.status, "quota": r.quota, "lines": r.lines}
            for r in results
        ],
    )  # fmt: skip
    audit.record(
        session, action="talent.authorisation_run", object_type="talent_authorisation_runs",
        object_id=run.id, after={"year": year, "firms": run.firms, "eligible": run.eligible},
    )  # fmt: skip
    return run


def latest(session: Session, *, actor: Actor, year: int) -> AuthorisationRun | None:
    """The newest stored evaluation of year (staff)."""
    actor.require_staff(STAFF_ONLY, Permission.TALENT_READ)
    return session.scalar(
        sa.select(AuthorisationRun)
        .where(AuthorisationRun.period == str(year))
        .order_by(AuthorisationRun.id.desc())
        .limit(1)
    )


def of_year(session: Session, *, actor: Actor, year: int) -> list[AuthorisationRun]:
    """Every stored evaluation of year, newest first: the first is the current one, which the
    page shows and authorising reads; the others are superseded and kept for reference."""
    actor.require_staff(STAFF_ONLY, Permission.TALENT_READ)
    return list(
        session.scalars(
            sa.select(AuthorisationRun)
            .where(AuthorisationRun.period == str(year))
            .order_by(AuthorisationRun.id.desc())
        )
    )


@dataclass(frozen=True)
class Listed:
    items: list[AuthorisationResult]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def results(
    session: Session, *, actor: Actor, run_id: int, status: str | None = None, page: int = 1
) -> Listed:
    """A stored evaluation's firms, eligible first then by name, a page at a time."""
    actor.require_staff(STAFF_ONLY, Permission.TALENT_READ)
    if session.get(AuthorisationRun, run_id) is None:
        raise NotFound(f"人才自主评价资格评价不存在：{run_id}")
    base = sa.select(AuthorisationResult).where(AuthorisationResult.run_id == run_id)
    counts = dict.fromkeys(STATUSES, 0) | {
        str(k): int(n)
        for k, n in session.execute(
            sa.select(AuthorisationResult.status, sa.func.count())
            .where(AuthorisationResult.run_id == run_id)
            .group_by(AuthorisationResult.status)
        )
    }
    if status:
        if status not in STATUSES:
            raise InvalidInput(
                f"没有“{status}”这种结论：可选 {'、'.join(STATUSES.values())}", field="status",
                value=status,
            )  # fmt: skip
        base = base.where(AuthorisationResult.status == status)
    total = int(session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    query = base.order_by(
        AuthorisationResult.status != "eligible", AuthorisationResult.firm_name,
        AuthorisationResult.enterprise_id,
    ).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)  # fmt: skip
    return Listed(list(session.scalars(query)), total, page, pages, counts)
