"""Follow-up surveys (回访) after a request is closed, and their answers."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import Actor
from wulian.desk.access import get_or_raise, reach, roles_of, visible
from wulian.desk.effects import review
from wulian.desk.intake import record_event
from wulian.desk.models import DeskRequest, DeskSurvey
from wulian.desk.versions import config_of, current, staff_only


def surveys_due(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[tuple[DeskSurvey, DeskRequest]]:
    """Follow-up questionnaires due and not answered, of the requests actor may see."""
    staff_only(actor)
    _, spec = current(session)
    where = reach(session, actor, spec)
    joined = sa.select(DeskSurvey, DeskRequest).join(
        DeskRequest, DeskRequest.id == DeskSurvey.request_id
    )
    query = visible(joined, where).where(
        DeskSurvey.answered_at.is_(None), DeskSurvey.due_at <= (now or utcnow())
    )
    return [(s, r) for s, r in session.execute(query.order_by(DeskSurvey.due_at)).all()]


def survey_of(session: Session, *, request: DeskRequest) -> DeskSurvey | None:
    return session.scalar(
        sa.select(DeskSurvey)
        .where(DeskSurvey.request_id == request.id)
        .order_by(DeskSurvey.id.desc())
        .limit(1)
    )


def answer_survey(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    solved: bool,
    satisfaction: int,
    comment: str = "",
    channel: str = "portal",
    now: dt.datetime | None = None,
) -> DeskSurvey:
    """Record the follow-up questionnaire (by the firm on the portal, or an officer's call); an
    unsolved problem or a low satisfaction reopens review."""
    request = get_or_raise(session, actor=actor, request_id=request_id)
    spec = config_of(session, request)
    where = reach(session, actor, spec)
    roles = roles_of(actor, where, request)
    if not roles & {"enterprise", "officer"}:
        raise PermissionDenied("回访只能由企业本身或承办部门填写")
    survey = survey_of(session, request=request)
    if survey is None or survey.answered_at is not None:
        raise Conflict("这件诉求没有待填写的回访问卷")
    if not 1 <= satisfaction <= 5:
        raise InvalidInput("满意度应为 1 到 5", field="satisfaction")
    at = now or utcnow()
    survey.answered_at = at
    survey.answered_by = actor.label
    survey.channel = "portal" if "enterprise" in roles else (channel or "phone")
    survey.solved = solved
    survey.satisfaction = satisfaction
    survey.comment = comment.strip()[:500]
    note = f"问题{'已' if solved else '未'}解决，满意度 {satisfaction} 分" + (
        f"：{survey.comment}" if survey.comment else ""
    )
    session.add(
        record_event(request, actor, "follow_up", request.state, request.state, at, note=note,
               data={"survey": survey.id, "solved": solved, "satisfaction": satisfaction})
    )  # fmt: skip
    session.flush()
    if not solved or satisfaction <= spec.settings.low_rating:
        review(session, request, spec, at, note)
    return survey
