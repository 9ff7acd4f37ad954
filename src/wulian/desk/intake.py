"""Submitting a request: checked fields and category attributes, routing, duplicates, the
tracking number, and the event every step writes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.calendar import CHINA_TIME
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.desk import config as desk_config
from wulian.desk import deadlines
from wulian.desk.access import MAX_DESCRIPTION, MAX_TITLE, Upload, department_codes
from wulian.desk.clocks import recompute
from wulian.desk.config import DeskConfig
from wulian.desk.files import attach
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.desk.suggest import SUGGEST_THRESHOLD, SUGGESTER
from wulian.desk.versions import current
from wulian.engines.classify import text as classify_text
from wulian.enterprises import read
from wulian.talent import service as talent

CHANNELS = {"portal": "企业门户", "api": "接口", "hotline": "服务热线", "visit": "走访发现"}


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _duplicate_of(
    session: Session, spec: DeskConfig, enterprise_id: int, text: str, exclude: int | None = None
) -> int | None:
    """An open request of the same firm whose text is at least as similar as the setting: the
    Jaccard similarity of the two texts' character bigrams, after normalising."""
    rows = session.execute(
        sa.select(DeskRequest.id, DeskRequest.title, DeskRequest.description)
        .where(DeskRequest.enterprise_id == enterprise_id,
               DeskRequest.state.in_(spec.open_states()),
               DeskRequest.merged_into_id.is_(None))
        .order_by(DeskRequest.id.desc())
        .limit(50)
    ).all()  # fmt: skip
    rows = [r for r in rows if r.id != exclude]
    if not rows:
        return None
    new, *others = classify_text.normalise([text] + [f"{r.title} {r.description}" for r in rows])
    grams = _bigrams(new)
    best, found = spec.settings.duplicate_similarity, None
    for row, other in zip(rows, others, strict=True):
        theirs = _bigrams(other)
        if not grams or not theirs:
            continue
        score = len(grams & theirs) / len(grams | theirs)
        if score >= best:
            best, found = score, row.id
    return found


def clean_text(value: str, label: str, field_name: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{label}不能为空", field=field_name)
    if len(value) > limit:
        raise InvalidInput(f"{label}最多 {limit} 个字", field=field_name)
    return value


def _number(attribute: desk_config.Attribute, text: str, *, field: str) -> float:
    """A number attribute's value, within the range the category declares."""
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(f"“{attribute.name}”应为数字", field=field, value=text)
    if attribute.min is not None and number < attribute.min:
        raise InvalidInput(
            f"“{attribute.name}”不能小于 {attribute.min:.15g}", field=field, value=text
        )
    if attribute.max is not None and number > attribute.max:
        raise InvalidInput(
            f"“{attribute.name}”不能大于 {attribute.max:.15g}", field=field, value=text
        )
    return number


def _attributes(spec: DeskConfig, category: str, given: dict[str, Any]) -> dict[str, Any]:
    """The category's typed attributes, checked (Open311 service definition)."""
    known = {a.code: a for a in spec.category_map[category].attributes}
    out: dict[str, Any] = {}
    for code in given:
        if code not in known:
            raise InvalidInput(f"类别“{spec.category_map[category].name}”没有属性 {code}",
                               field=f"attribute[{code}]")  # fmt: skip
    for code, attribute in known.items():
        value = given.get(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if attribute.required:
                raise InvalidInput(f"请填写“{attribute.name}”", field=f"attribute[{code}]")
            continue
        text = str(value).strip()
        if attribute.datatype == "number":
            out[code] = _number(attribute, text, field=f"attribute[{code}]")
        elif attribute.datatype == "singlevaluelist":
            if text not in attribute.values:
                raise InvalidInput(
                    f"“{attribute.name}”应为以下之一：{'、'.join(attribute.values)}",
                    field=f"attribute[{code}]", value=text,
                )  # fmt: skip
            out[code] = text
        elif attribute.datatype == "datetime":
            try:
                out[code] = dt.datetime.fromisoformat(text).isoformat()
            except ValueError:
                raise InvalidInput(f"“{attribute.name}”应为日期时间（YYYY-MM-DD HH:MM）",
                                   field=f"attribute[{code}]", value=text) from None  # fmt: skip
        else:
            out[code] = text[:2000]
    return out


def submit(
    session: Session,
    *,
    actor: Actor,
    title: str,
    description: str,
    category: str = "",
    enterprise_id: int | None = None,
    priority: str = "normal",
    level: str = "",
    common: bool = False,
    channel: str = "portal",
    contact_name: str = "",
    contact_phone: str = "",
    attributes: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    data_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> DeskRequest:
    """A new request, routed, with its deadlines; its tracking number is set before return."""
    if actor.enterprise_id is not None:
        actor.require(Permission.DESK_SUBMIT)
        if enterprise_id is not None and enterprise_id != actor.enterprise_id:
            raise PermissionDenied("只能以本企业的名义提交诉求")
        enterprise_id = actor.enterprise_id
        if channel not in ("portal", "api"):
            channel = "portal"
    else:
        actor.require(Permission.DESK_HANDLE)
        if enterprise_id is None:
            raise InvalidInput("请指定提出诉求的企业", field="enterprise_id")
        if channel not in CHANNELS:
            raise InvalidInput(f"受理渠道应为：{'、'.join(CHANNELS)}", field="channel")
    read.get_or_raise(session, enterprise_id)
    config_id, spec = current(session)
    title = clean_text(title, "标题", "title", MAX_TITLE)
    description = clean_text(description, "诉求内容", "description", MAX_DESCRIPTION)
    contact_name = clean_text(contact_name, "联系人", "contact_name", 50, required=False)
    contact_phone = clean_text(contact_phone, "联系电话", "contact_phone", 30, required=False)
    if priority not in spec.priorities:
        raise InvalidInput(f"优先级应为：{'、'.join(spec.priorities)}", field="priority")
    text = f"{title} {description}"
    suggestion = SUGGESTER.suggest(session, config_id, spec, text)
    category = (category or "").strip()
    if not category:
        if suggestion is None or suggestion[1] < SUGGEST_THRESHOLD:
            category = "other"
        else:
            category = suggestion[0]
    if category not in spec.category_map:
        raise InvalidInput(f"诉求类别“{category}”不存在", field="category", value=category)
    clean_attributes = _attributes(spec, category, attributes or {})
    if "talent_person" in clean_attributes:  # a request about one person: the firm's own only
        person_id = int(clean_attributes["talent_person"])
        talent.check_staff_member(session, enterprise_id=enterprise_id, person_id=person_id)
        clean_attributes["talent_person"] = person_id
    level = level or spec.category_map[category].level
    if level not in spec.levels:
        raise InvalidInput(f"层级应为：{'、'.join(spec.levels)}", field="level", value=level)
    from wulian.chains import service as chains_service  # a domain's service, not its tables

    chain = chains_service.chain_of(session, enterprise_id=enterprise_id)
    codes = department_codes(session)
    routed = codes.get(spec.route(category=category, level=level, chain=chain, common=common))
    at = now or utcnow()
    request = DeskRequest(
        enterprise_id=enterprise_id, config_id=config_id, title=title, description=description,
        category=category, priority=priority, level=level, chain=chain, common=common,
        channel=channel, contact_name=contact_name, contact_phone=contact_phone,
        attributes=clean_attributes, state=spec.initial.key,
        department_id=codes.get(spec.settings.dispatcher), routed_department_id=routed,
        created_by=actor.label, created_at=at, updated_at=at,
        suggested_category=suggestion[0] if suggestion else None,
        suggested_score=round(suggestion[1], 4) if suggestion else None,
    )  # fmt: skip
    request.duplicate_of_id = _duplicate_of(session, spec, enterprise_id, text)
    session.add(request)
    session.flush()
    request.tracking_no = f"QH{at.astimezone(CHINA_TIME):%Y}{request.id:07d}"
    data: dict[str, Any] = {"category": category, "routed": spec.route(
        category=category, level=level, chain=chain, common=common)}  # fmt: skip
    if suggestion is not None:
        data["suggested"] = {"category": suggestion[0], "score": round(suggestion[1], 4),
                             "terms": suggestion[2]}  # fmt: skip
    if request.duplicate_of_id is not None:
        data["duplicate_of"] = request.duplicate_of_id
    event = record_event(request, actor, "submit", None, request.state, at, data=data)
    event.department_id = request.department_id
    session.add(event)
    # The submission is the request's only event so far: its clocks start from it, without
    # reading it back (one flush less on the busiest path).
    recompute(session, request, spec, steps=[deadlines.Step(at, "submit", request.state)])
    session.flush()
    attach(session, request, uploads, spec, data_dir, actor, event)
    return request


def record_event(
    request: DeskRequest,
    actor: Actor,
    action: str,
    before: str | None,
    after: str,
    at: dt.datetime,
    *,
    reason: str = "",
    note: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> DeskEvent:
    return DeskEvent(
        request_id=request.id, at=at, action=action, from_state=before, to_state=after,
        actor_kind=actor.kind, actor_id=actor.id, actor_label=actor.label,
        from_department_id=request.department_id, department_id=request.department_id,
        reason=reason, note=note, public=public, data=data or {},
    )  # fmt: skip
