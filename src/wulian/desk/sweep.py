"""The sweep: warnings of deadlines due soon and escalation (督办) of overdue requests, each
once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.db import utcnow
from wulian.core.permissions import Actor, Permission
from wulian.desk.access import SYSTEM_LABEL, Command, deadlines_label, local_time, spec_allows
from wulian.desk.actions import act
from wulian.desk.clocks import now_official, provisional_open, recompute
from wulian.desk.effects import notify_handlers
from wulian.desk.intake import record_event
from wulian.desk.models import DeskRequest
from wulian.desk.versions import config_of


@dataclass(frozen=True)
class SweepResult:
    warned: int
    escalated: int
    recounted: int = 0  # provisional deadlines whose years became official (a newer package)


def sweep(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> SweepResult:
    """Warn of deadlines due soon and escalate (督办) overdue requests; each once."""
    if actor.kind != "system":
        actor.require(Permission.DESK_ADMIN)
    at = now or utcnow()
    warned = escalated = 0
    recounted = [r for r, spec in provisional_open(session) if now_official(session, r, spec)]
    for request in recounted:
        recompute(session, request, config_of(session, request))
    if recounted:
        session.flush()
    soon = session.scalars(
        sa.select(DeskRequest).where(
            DeskRequest.warn_at <= at, DeskRequest.due_at >= at, DeskRequest.warned_at.is_(None)
        )
    ).all()
    system = Actor.system(SYSTEM_LABEL)
    for request in soon:
        request.warned_at = at
        label = deadlines_label(request)
        session.add(
            record_event(request, system, "warn", request.state, request.state, at, public=False,
                   note=f"{label}即将到期（{local_time(request.due_at)}）")
        )  # fmt: skip
        notify_handlers(session, request, kind="desk.due_soon",
                        title=f"诉求即将到期：{request.title}",
                        body=f"{label}期限 {local_time(request.due_at)}。")  # fmt: skip
        warned += 1
    overdue = session.scalars(
        sa.select(DeskRequest).where(DeskRequest.due_at < at, DeskRequest.escalated_at.is_(None))
    ).all()
    for request in overdue:
        if spec_allows(config_of(session, request), request.state, "escalate"):
            reason = f"{deadlines_label(request)}已超期（期限 {local_time(request.due_at)}）"
            act(session, actor=system, request_id=request.id,
                step=Command("escalate", reason=reason), now=at)  # fmt: skip
            notify_handlers(session, request, kind="desk.overdue",
                            title=f"诉求已超期并督办：{request.title}", body=reason)  # fmt: skip
            escalated += 1
    if warned or escalated or recounted:
        audit.record(session, action="desk.sweep", object_type="desk_requests",
                     after={"warned": warned, "escalated": escalated,
                            "recounted": [r.id for r in recounted]})  # fmt: skip
    return SweepResult(warned, escalated, len(recounted))
