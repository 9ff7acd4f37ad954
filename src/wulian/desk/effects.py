"""What an action does besides moving the request's state: the side effects an action declares in
the configuration (`effects: [...]`, names in `config.EFFECTS`). Each effect is a function of the
moment (`Moment`: the request, its configuration, the command, who acts and when); those of the
phase "before" run before the event is written (they may refuse the action), those of "after"
once the event and the deadlines are written. A new effect is a function here and a name in
`config.EFFECTS`; no code keys on an action's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput
from wulian.core.notify import service as notify
from wulian.core.permissions import Actor, Role
from wulian.desk.access import SYSTEM_LABEL, Command
from wulian.desk.clocks import calendar_of, recompute
from wulian.desk.config import SAME, Action, DeskConfig, Effect
from wulian.desk.intake import record_event
from wulian.desk.models import DeskRequest, DeskSurvey
from wulian.desk.versions import config_of


def move_department(
    session: Session, request: DeskRequest, spec: DeskConfig, step: Command, data: dict[str, Any]
) -> None:
    code = step.department.strip()
    if not code:
        raise InvalidInput("请选择承办部门", field="department")
    department = session.scalar(sa.select(Department).where(Department.code == code))
    if department is None or not department.is_active:
        raise InvalidInput(f"部门不存在或已停用：{code}", field="department", value=code)
    if "other_department" in spec.action_map[step.action].effects and (
        department.id == request.department_id
    ):
        raise InvalidInput("转办须转到其他部门", field="department", value=code)
    data["department"] = {"from": request.department_id, "to": department.id}
    if request.routed_department_id is not None and department.id != request.routed_department_id:
        data["routing_override"] = {"suggested": request.routed_department_id,
                                    "chosen": department.id}  # fmt: skip
    request.department_id = department.id
    request.assignee_id = None


def assign_person(
    session: Session, request: DeskRequest, user_id: int, data: dict[str, Any]
) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role != Role.OFFICER:
        raise InvalidInput("承办人应为在岗的部门工作人员", field="assignee_id")
    if user.department_id != request.department_id:
        raise InvalidInput("承办人应属于承办部门", field="assignee_id")
    data["assignee"] = {"from": request.assignee_id, "to": user.id}
    request.assignee_id = user.id


def rate(request: DeskRequest, step: Command, data: dict[str, Any], at: dt.datetime) -> None:
    if request.rating is not None:
        raise Conflict("这件诉求已经评价过")
    if step.rating is None or not 1 <= step.rating <= 5:
        raise InvalidInput("评分应为 1 到 5 的整数", field="rating")
    request.rating = step.rating
    request.rating_comment = step.note.strip()[:500]
    request.rated_at = at
    data["rating"] = step.rating


def check_reopen_window(
    session: Session, spec: DeskConfig, request: DeskRequest, at: dt.datetime
) -> None:
    if request.closed_at is None:
        return
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = calendar_of(session, spec, policy.calendar)
    days = spec.settings.reopen_days
    if days == 0 or at > calendar.end_of_workday(request.closed_at, days):
        raise Conflict(f"办结超过 {days} 个工作日后不能重新办理，请提交新的诉求")


def merge_into(
    session: Session, actor: Actor, request: DeskRequest, step: Command, data: dict[str, Any]
) -> None:
    target = session.scalar(
        sa.select(DeskRequest).where(DeskRequest.tracking_no == step.into.strip().upper())
    )
    if target is None or target.id == request.id:
        raise InvalidInput("请填写要合并到的另一件诉求的受理编号", field="into", value=step.into)
    spec = config_of(session, target)
    if target.enterprise_id != request.enterprise_id:
        raise InvalidInput("只能合并同一企业的诉求", field="into", value=step.into)
    if spec.state_map[target.state].closed:
        raise InvalidInput("不能合并到已结束的诉求", field="into", value=step.into)
    request.merged_into_id = target.id
    data["merged_into"] = target.tracking_no
    session.add(
        record_event(target, actor, "comment", target.state, target.state, utcnow(),
               note=f"已合并诉求 {request.tracking_no}：{request.title}",
               data={"merged": request.tracking_no})
    )  # fmt: skip


def schedule_survey(
    session: Session, request: DeskRequest, spec: DeskConfig, at: dt.datetime
) -> None:
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = calendar_of(session, spec, policy.calendar)
    due = (
        calendar.end_of_workday(at, spec.settings.survey_days) if spec.settings.survey_days else at
    )
    session.add(DeskSurvey(request_id=request.id, due_at=due))


def review(
    session: Session, request: DeskRequest, spec: DeskConfig, at: dt.datetime, why: str
) -> None:
    """A low rating or an unsatisfied follow-up reopens review (回访复核)."""
    action = spec.action_map["review"]
    if action not in spec.allowed(request.state):
        return
    system = Actor.system(SYSTEM_LABEL)
    target = request.state if action.target == SAME else action.target
    session.add(
        record_event(request, system, "review", request.state, target, at, reason=why, public=True)
    )
    request.state = target
    session.flush()
    recompute(session, request, spec)


# ---------------------------------------------------------------- the declared effects


@dataclass
class Moment:
    """What an effect sees and may change: the request, its configuration, the action and the
    command taking it, who acts (and the roles they act in) and when; data collects what the
    action's event records."""

    session: Session
    actor: Actor
    roles: set[str]
    request: DeskRequest
    spec: DeskConfig
    action: Action
    step: Command
    data: dict[str, Any]
    at: dt.datetime


def _choose_category(m: Moment) -> None:
    step, request = m.step, m.request
    if step.category and step.category != request.category:
        if step.category not in m.spec.category_map:
            raise InvalidInput(f"诉求类别“{step.category}”不存在", field="category")
        m.data["category"] = {"from": request.category, "to": step.category}
        request.category = step.category


def _take_request(m: Moment) -> None:
    if m.request.assignee_id is None and m.actor.role == Role.OFFICER:
        m.request.assignee_id = m.actor.id  # who starts handling it is its officer


def _mark_escalated(m: Moment) -> None:
    m.request.escalated_at = m.at


def _rate(m: Moment) -> None:
    rate(m.request, m.step, m.data, m.at)


def _review_low_rating(m: Moment) -> None:
    rating = m.request.rating
    if rating is not None and rating <= m.spec.settings.low_rating:
        review(m.session, m.request, m.spec, m.at, f"企业评价 {rating} 分")


def _reopen(m: Moment) -> None:
    request = m.request
    if "enterprise" in m.roles and m.actor.enterprise_id is not None:
        check_reopen_window(m.session, m.spec, request, m.at)
    request.reopened += 1
    request.closed_at = None
    request.rating = None
    request.rating_comment = ""
    request.rated_at = None


def _merge(m: Moment) -> None:
    merge_into(m.session, m.actor, m.request, m.step, m.data)


def _schedule_survey(m: Moment) -> None:
    schedule_survey(m.session, m.request, m.spec, m.at)


def _notify_assigned(m: Moment) -> None:
    notify_handlers(
        m.session,
        m.request,
        kind="desk.assigned",
        skip=m.actor.id if m.actor.kind == "user" else None,
        title=f"诉求已{m.action.name}：{m.request.title}",
        body=f"受理编号 {m.request.tracking_no or m.request.id}。{m.step.reason or ''}".strip(),
    )


def notify_handlers(
    session: Session,
    request: DeskRequest,
    *,
    kind: str,
    title: str,
    body: str = "",
    skip: int | None = None,
) -> None:
    """Notify who handles the request: its officer when it has one, else its department."""
    link = f"/desk/requests/{request.id}"
    if request.assignee_id is not None:
        notify.notify(
            session,
            user_ids=[request.assignee_id],
            kind=kind,
            title=title,
            body=body,
            link=link,
            skip=skip,
        )
    else:
        notify.notify_department(
            session,
            department_id=request.department_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            skip=skip,
        )


def _checked_by_move(m: Moment) -> None:
    """other_department is checked where the department is chosen (`move_department`)."""


Phase = Literal["before", "after"]
EFFECTS: dict[Effect, tuple[Phase, Callable[[Moment], None]]] = {
    "choose_category": ("before", _choose_category),
    "other_department": ("before", _checked_by_move),
    "take_request": ("before", _take_request),
    "mark_escalated": ("before", _mark_escalated),
    "rate": ("before", _rate),
    "reopen": ("before", _reopen),
    "merge": ("before", _merge),
    "schedule_survey": ("after", _schedule_survey),
    "review_low_rating": ("after", _review_low_rating),
    "notify_assigned": ("after", _notify_assigned),
}


def run(moment: Moment, phase: Phase) -> None:
    """The action's declared effects of phase, in the order the file lists them."""
    for name in moment.action.effects:
        when, effect = EFFECTS[name]
        if when == phase:
            effect(moment)
