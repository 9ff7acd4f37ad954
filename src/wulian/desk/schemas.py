"""API shapes of the request desk, after Open311 GeoReport v2: services are the categories (with
typed attributes), requests carry their status, status notes, responsible department and
expected completion time, and updates are the public steps of a request."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput, NotFound
from wulian.desk import service
from wulian.desk.config import DeskConfig
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.enterprises import read


class ServiceOut(BaseModel):
    service_code: str
    service_name: str
    description: str
    metadata: bool = Field(description="是否有需要填写的属性（见服务定义）")
    type: Literal["realtime"] = "realtime"
    keywords: str
    group: str


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool = True
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class AttachmentIn(BaseModel):
    filename: str = Field(max_length=200)
    content_base64: str = Field(description="文件内容（Base64）")
    sha256: str | None = Field(default=None, description="文件的 SHA-256，提供时校验")

    def upload(self) -> service.Upload:
        try:
            content = base64.b64decode(self.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput(
                f"附件“{self.filename}”不是有效的 Base64", field="attachments"
            ) from None
        return service.Upload(self.filename, content, self.sha256)


class RequestIn(BaseModel):
    service_code: str = Field(default="", max_length=32, description="类别；为空时由平台推荐")
    title: str = Field(max_length=200)
    description: str = Field(max_length=service.MAX_DESCRIPTION + 100)
    attribute: dict[str, Any] = Field(default_factory=dict, description="类别属性")
    priority: str = Field(default="normal", max_length=16)
    common: bool = Field(default=False, description="是否为产业链共性诉求")
    enterprise_id: int | None = Field(default=None, description="工作人员代企业登记时填写")
    channel: str = Field(default="", max_length=16)
    contact_name: str = Field(default="", max_length=60)
    contact_phone: str = Field(default="", max_length=40)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class ActionIn(BaseModel):
    action: str = Field(max_length=32, description="动作编号，如 comment、accept、assign")
    reason: str = Field(default="", max_length=600)
    note: str = Field(default="", max_length=service.MAX_DESCRIPTION + 100)
    department: str = Field(default="", max_length=32)
    category: str = Field(default="", max_length=32)
    rating: int | None = None
    into: str = Field(default="", max_length=20)
    revision: int | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=20)


class SubmittedOut(BaseModel):
    service_request_id: str
    service_notice: str
    expected_datetime: dt.datetime | None
    status: str


class RequestOut(BaseModel):
    service_request_id: str
    status: Literal["open", "closed"]
    state: str
    state_name: str
    status_notes: str
    service_code: str
    service_name: str
    title: str
    description: str
    agency_responsible: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    deadline: str | None = Field(description="最近的期限是哪一项")
    escalated: bool
    rating: int | None
    revision: int


class UpdateOut(BaseModel):
    at: dt.datetime
    action: str
    action_name: str
    state: str
    state_name: str
    actor: str
    department: str | None
    reason: str
    note: str


def services_out(spec: DeskConfig) -> list[ServiceOut]:
    return [
        ServiceOut(
            service_code=c.key,
            service_name=c.name,
            description=c.description,
            metadata=bool(c.attributes),
            keywords=",".join(c.keywords),
            group=c.group,
        )
        for c in spec.categories
    ]


def service_definition(spec: DeskConfig, code: str) -> ServiceDefinitionOut:
    category = spec.category_map.get(code)
    if category is None:
        raise NotFound(f"诉求类别“{code}”不存在")
    return ServiceDefinitionOut(
        service_code=code,
        attributes=[
            AttributeOut(
                code=a.code,
                datatype=a.datatype,
                required=a.required,
                datatype_description=a.name,
                order=i + 1,
                description=a.name,
                values=[AttributeValueOut(key=v, name=v) for v in a.values],
            )
            for i, a in enumerate(category.attributes)
        ],
    )


def requests_out(session: Session, requests: Sequence[DeskRequest]) -> list[RequestOut]:
    """Open311 views of requests, with their latest public notes read in one query."""
    names = service.department_names(session)
    notes = service.latest_notes(session, [r.id for r in requests])
    return [request_out(session, r, names, notes.get(r.id, "")) for r in requests]


def request_out(
    session: Session, request: DeskRequest, names: dict[int, str], last_note: str
) -> RequestOut:
    spec = service.config_of(session, request)
    state = spec.state_map[request.state]
    category = spec.category_map.get(request.category)
    return RequestOut(
        service_request_id=request.tracking_no or "",
        status="closed" if state.closed else "open",
        state=request.state,
        state_name=state.name,
        status_notes=last_note,
        service_code=request.category,
        service_name=category.name if category else request.category,
        title=request.title,
        description=request.description,
        agency_responsible=names.get(request.department_id) if request.department_id else None,
        requested_datetime=request.created_at,
        updated_datetime=request.updated_at,
        expected_datetime=request.due_at,
        deadline=request.due_clock,
        escalated=request.escalated_at is not None,
        rating=request.rating,
        revision=request.revision,
    )


def update_out(event: DeskEvent, spec: DeskConfig, names: dict[int, str]) -> UpdateOut:
    action = spec.action_map.get(event.action)
    labels = {"submit": "提交", "warn": "期限预警"}
    state = spec.state_map.get(event.to_state)
    return UpdateOut(
        at=event.at,
        action=event.action,
        action_name=action.name if action else labels.get(event.action, event.action),
        state=event.to_state,
        state_name=state.name if state else event.to_state,
        actor=event.actor_label,
        department=names.get(event.department_id) if event.department_id else None,
        reason=event.reason,
        note=event.note,
    )


class SurveyOut(BaseModel):
    """A follow-up survey (回访) of a closed request, answered or not."""

    id: int
    service_request_id: str = Field(description="受理编号")
    title: str = Field(description="诉求标题")
    enterprise_id: int
    enterprise_name: str = Field(description="企业名称")
    service_code: str = Field(description="诉求类别")
    closed_at: dt.datetime | None = Field(description="办结时间")
    due_at: dt.datetime = Field(description="回访到期时间")
    answered_at: dt.datetime | None = Field(description="回访时间（未回访为空）")
    channel: str | None = Field(description="回访方式：portal 在线、phone 电话、visit 上门")
    solved: bool | None = Field(description="问题是否解决")
    satisfaction: int | None = Field(description="满意度（1–5 分）")
    comment: str = Field(description="意见")


def surveys_out(session: Session, rows: Sequence[tuple[Any, DeskRequest]]) -> list[SurveyOut]:
    names = read.names(session, {r.enterprise_id for _, r in rows})
    return [
        SurveyOut(
            id=s.id,
            service_request_id=r.tracking_no or "",
            title=r.title,
            enterprise_id=r.enterprise_id,
            enterprise_name=names.get(r.enterprise_id, ""),
            service_code=r.category,
            closed_at=r.closed_at,
            due_at=s.due_at,
            answered_at=s.answered_at,
            channel=s.channel,
            solved=s.solved,
            satisfaction=s.satisfaction,
            comment=s.comment or "",
        )
        for s, r in rows
    ]
