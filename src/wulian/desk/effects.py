"""What an action does besides moving the request's state: the side effects an action declares in
the configuration (`effects:`), each a function of the request, the command and the moment.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput
from wulian.core.permissions import Actor, Role
from wulian.desk.access import SYSTEM_LABEL, Command
from wulian.desk.clocks import calendar_of, recompute
from wulian.desk.config import SAME, DeskConfig
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
    if step.action == "transfer" and department.id == request.department_id:
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
