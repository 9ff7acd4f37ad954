"""Deadlines: the clocks replayed from a request's events on a working-time calendar, and the
requests whose provisional deadlines become official with a newer holiday table.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.calendar import WorkCalendar
from wulian.core.permissions import Actor, Permission
from wulian.core.workdays import service as workdays
from wulian.desk import deadlines
from wulian.desk.config import CLOCKS, DeskConfig
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.desk.versions import config_of


def calendar_of(session: Session, spec: DeskConfig, key: str) -> WorkCalendar:
    """The calendar key of spec, with the holiday notices an administrator has entered."""
    return spec.calendar(key, workdays.tables(session))


def _steps(session: Session, request: DeskRequest) -> list[deadlines.Step]:
    rows = session.execute(
        sa.select(DeskEvent.at, DeskEvent.action, DeskEvent.to_state)
        .where(DeskEvent.request_id == request.id)
        .order_by(DeskEvent.at, DeskEvent.id)
    ).all()
    return [deadlines.Step(at, action, state) for at, action, state in rows]


def clock_results(
    session: Session,
    request: DeskRequest,
    spec: DeskConfig | None = None,
    steps: list[deadlines.Step] | None = None,
) -> list[tuple[str, deadlines.ClockResult, str]]:
    """Each deadline clock of request replayed from its events (read from the database unless
    given), with the target's label."""
    spec = spec or config_of(session, request)
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = calendar_of(session, spec, policy.calendar)
    steps = _steps(session, request) if steps is None else steps
    out = []
    for key in CLOCKS:
        target = getattr(policy, key)
        clock = spec.clocks.get(key)  # type: ignore[call-overload]
        if target is None or clock is None:
            continue
        budget = deadlines.Budget(
            key, target.amount, target.unit, frozenset(clock.starts), frozenset(clock.stops)
        )
        result = deadlines.replay(steps, budget, calendar, spec.pause_states(), warn=policy.warn)
        out.append((key, result, target.label()))
    return out


def recompute(
    session: Session,
    request: DeskRequest,
    spec: DeskConfig,
    steps: list[deadlines.Step] | None = None,
) -> None:
    results = clock_results(session, request, spec, steps)
    running = [r for _, r, _ in results if r.status == "running" and r.due_at is not None]
    nearest = min(running, key=lambda r: r.due_at or dt.datetime.max) if running else None
    request.due_at = nearest.due_at if nearest else None
    request.warn_at = nearest.warn_at if nearest else None
    request.due_clock = nearest.key if nearest else None
    request.provisional = any(r.provisional for _, r, _ in results)
    request.clocks = {
        key: {
            "status": r.status,
            "due_at": r.due_at.isoformat() if r.due_at else None,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "stopped_at": r.stopped_at.isoformat() if r.stopped_at else None,
            "used_hours": round(r.used / 3600, 2),
            "budget_hours": round(r.budget / 3600, 2),
            "target": label,
            "provisional": r.provisional,
        }
        for key, r, label in results
    }


def provisional_open(session: Session) -> list[tuple[DeskRequest, DeskConfig]]:
    rows = session.scalars(
        sa.select(DeskRequest).where(DeskRequest.provisional.is_(True)).order_by(DeskRequest.id)
    ).all()
    out = []
    for request in rows:
        spec = config_of(session, request)
        if not spec.state_map[request.state].closed:
            out.append((request, spec))
    return out


def recompute_provisional(session: Session, *, actor: Actor) -> int:
    """Count again the deadlines of every open request that were provisional (after a holiday
    notice is entered); returns how many requests were counted again."""
    actor.require(Permission.CALENDAR_MANAGE)
    found = provisional_open(session)
    for request, spec in found:
        recompute(session, request, spec)
    audit.record(session, action="desk.recompute_provisional", object_type="desk_requests",
                 after={"requests": [r.id for r, _ in found]})  # fmt: skip
    session.flush()
    return len(found)


def now_official(session: Session, request: DeskRequest, spec: DeskConfig) -> bool:
    """Whether a provisional clock of request now spans official years only (the packages
    were upgraded since it was counted)."""
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = calendar_of(session, spec, policy.calendar)
    for clock in request.clocks.values():
        start, end = clock.get("started_at"), clock.get("due_at") or clock.get("stopped_at")
        if clock.get("provisional") and start:
            began = dt.datetime.fromisoformat(start)
            if not calendar.provisional(began, dt.datetime.fromisoformat(end) if end else began):
                return True
    return False
