"""Taking an action on a request, as the configuration's table allows; bulk assignment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Actor
from wulian.desk import effects
from wulian.desk.access import (
    MAX_DESCRIPTION,
    Command,
    InvalidTransition,
    get_or_raise,
    reach,
    roles_of,
)
from wulian.desk.clocks import recompute
from wulian.desk.config import PREVIOUS, SAME, Action, DeskConfig
from wulian.desk.effects import assign_person, move_department
from wulian.desk.files import attach
from wulian.desk.intake import clean_text, record_event
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.desk.versions import config_of


def act(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    step: Command,
    data_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> DeskRequest:
    """Take one action on a request, as the configuration's table allows."""
    request = get_or_raise(session, actor=actor, request_id=request_id)
    spec = config_of(session, request)
    if step.revision is not None and step.revision != request.revision:
        raise Conflict("这件诉求刚被其他人更新过，请刷新页面后重试")
    action = spec.action_map.get(step.action)
    if action is None:
        raise InvalidInput(f"没有名为“{step.action}”的动作", field="action", value=step.action)
    state_name = spec.state_map[request.state].name
    if action not in spec.allowed(request.state):
        raise InvalidTransition(f"诉求当前为“{state_name}”，不能执行“{action.name}”")
    where = reach(session, actor, spec)
    if not (roles_of(actor, where, request) & set(action.by)):
        raise PermissionDenied(_why_not(action, request))
    at = now or utcnow()
    reason = clean_text(step.reason, "理由", "reason", 500, required=action.reason)
    note = clean_text(step.note, "回复内容", "note", MAX_DESCRIPTION, required=action.note)
    before = request.state
    if action.target == SAME:
        after = before
    elif action.target == PREVIOUS:
        after = _state_before_pause(session, request, spec)
    else:
        after = action.target
    data: dict[str, Any] = {}
    department_before = request.department_id
    if action.department:
        move_department(session, request, spec, step, data)
    if step.assignee_id is not None and "officer" in action.by:
        assign_person(session, request, step.assignee_id, data)
    moment = effects.Moment(
        session, actor, roles_of(actor, where, request), request, spec, action, step, data, at
    )
    effects.run(moment, "before")
    request.state = after
    request.updated_at = at
    if spec.state_map[after].closed and not spec.state_map[before].closed:
        request.closed_at = at
    event = record_event(
        request, actor, action.key, before, after, at, reason=reason, note=note,
        public=action.public, data=data,
    )  # fmt: skip
    event.from_department_id = department_before
    session.add(event)
    if step.uploads:
        session.flush()  # the event's id, for its attachments
    attach(session, request, step.uploads, spec, data_dir, actor, event)
    recompute(session, request, spec)
    effects.run(moment, "after")
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("这件诉求刚被其他人更新过，请刷新页面后重试") from None
    return request


def _why_not(action: Action, request: DeskRequest) -> str:
    if action.by == ["enterprise"]:
        return f"“{action.name}”只能由提出诉求的企业操作"
    if "supervisor" in action.by and "officer" not in action.by:
        return f"“{action.name}”只能由督办部门操作"
    return f"“{action.name}”只能由承办部门（或受理部门）操作：这件诉求不在本部门"


def _state_before_pause(session: Session, request: DeskRequest, spec: DeskConfig) -> str:
    pauses = spec.pause_states()
    rows = session.execute(
        sa.select(DeskEvent.from_state, DeskEvent.to_state)
        .where(DeskEvent.request_id == request.id)
        .order_by(DeskEvent.at.desc(), DeskEvent.id.desc())
    ).all()
    for before, after in rows:
        if after in pauses and before is not None and before not in pauses:
            return str(before)
    return spec.initial.key


def bulk_assign(
    session: Session,
    *,
    actor: Actor,
    request_ids: Sequence[int],
    department: str,
    assignee_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Assign several accepted requests to one department at once (all or none)."""
    if not request_ids:
        raise InvalidInput("请先勾选要交办的诉求", field="request_id")
    step = Command("assign", department=department, assignee_id=assignee_id)
    for request_id in request_ids:
        act(session, actor=actor, request_id=request_id, step=step, now=now)
    return len(request_ids)
