"""Follow-up surveys (回访) after a request is closed, and their answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.calendar import CHINA_TIME, end_of_day, start_of_day
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.pagination import Page, paginate_rows
from wulian.core.permissions import Actor
from wulian.desk.access import get_or_raise, reach, roles_of, visible
from wulian.desk.effects import review
from wulian.desk.intake import record_event
from wulian.desk.models import DeskRequest, DeskSurvey
from wulian.desk.versions import config_of, current, staff_only
from wulian.enterprises import read


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


# ---------------------------------------------------------------- the lists

# The survey list: questionnaires not answered yet, by whether they are due.
SURVEY_STATUSES = {"due": "已到期待回访", "upcoming": "未到期", "all": "全部未回访"}
SURVEY_SORTS = {"due": "按回访到期时间", "firm": "按企业名称", "-closed": "办结时间从新到旧"}
# The responses: questionnaires answered, by the firm on the portal or an officer's call.
SOLVED = {"yes": "已解决", "no": "未解决"}
SURVEY_CHANNELS = {"portal": "企业在线填写", "phone": "电话回访", "visit": "上门回访"}
RESPONSE_SORTS = {
    "-answered": "回访时间从新到旧",
    "satisfaction": "满意度从低到高",
    "firm": "按企业名称",
}
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class SurveyFilters:
    """What the list of surveys waiting for an answer is filtered and sorted by."""

    status: str = "due"  # due (due and not answered) | upcoming | all
    since: dt.date | None = None  # the survey's due date, from (China time)
    until: dt.date | None = None  # … to, inclusive
    q: str | None = None  # the firm (part of its name, pinyin, credit code) or a tracking number
    category: str | None = None
    sort: str = "due"


@dataclass(frozen=True)
class ResponseFilters:
    """What the list of answered surveys (the responses) is filtered and sorted by."""

    since: dt.date | None = None  # the answer's date, from (China time)
    until: dt.date | None = None  # … to, inclusive
    q: str | None = None
    category: str | None = None
    satisfaction: int | None = None  # 1–5, exactly
    low: bool = False  # at or below the desk's low rating (those that reopen review)
    solved: str | None = None  # yes | no
    channel: str | None = None  # portal | phone | visit
    sort: str = "-answered"


Listed = sa.Select[DeskSurvey, DeskRequest]


def _period(query: Listed, column: Any, since: dt.date | None, until: dt.date | None) -> Listed:
    if since and until and since > until:
        raise InvalidInput(f"开始日期 {since} 晚于结束日期 {until}", field="since")
    if since:
        query = query.where(column >= start_of_day(since))
    if until:
        query = query.where(column <= end_of_day(until))
    return query


def _common(
    session: Session, actor: Actor, q: str | None, category: str | None
) -> tuple[Listed, Any]:
    """Surveys joined to their requests, those actor may see, by firm or number and category."""
    staff_only(actor)
    _, spec = current(session)
    where = reach(session, actor, spec)
    joined = sa.select(DeskSurvey, DeskRequest).join(
        DeskRequest, DeskRequest.id == DeskSurvey.request_id
    )
    query = visible(joined, where)
    if category:
        if category not in spec.category_map:
            raise InvalidInput(f"没有“{category}”这个诉求类别", field="category")
        query = query.where(DeskRequest.category == category)
    if q and q.strip():
        text = q.strip()
        query = query.where(
            DeskRequest.enterprise_id.in_(read.ids_matching(text))
            | (DeskRequest.tracking_no == text.upper())
        )
    return query, spec


def _surveys_query(
    session: Session, actor: Actor, filters: SurveyFilters, now: dt.datetime
) -> Listed:
    """The unanswered surveys that match filters, in the list's order; bad values refused."""
    if filters.status not in SURVEY_STATUSES:
        raise InvalidInput(
            f"回访状态“{filters.status}”不对，应为 due（已到期）、upcoming（未到期）或 all（全部）",
            field="status",
        )
    if filters.sort not in SURVEY_SORTS:
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    query, _ = _common(session, actor, filters.q, filters.category)
    query = query.where(DeskSurvey.answered_at.is_(None))
    if filters.status == "due":
        query = query.where(DeskSurvey.due_at <= now)
    elif filters.status == "upcoming":
        query = query.where(DeskSurvey.due_at > now)
    query = _period(query, DeskSurvey.due_at, filters.since, filters.until)
    if filters.sort == "firm":
        return query.order_by(read.name_order(DeskRequest.enterprise_id), DeskSurvey.id)
    if filters.sort == "-closed":
        return query.order_by(DeskRequest.closed_at.desc().nulls_last(), DeskSurvey.id.desc())
    return query.order_by(DeskSurvey.due_at, DeskSurvey.id)


def _responses_query(session: Session, actor: Actor, filters: ResponseFilters) -> Listed:
    """The answered surveys that match filters, in the list's order; bad values refused."""
    if filters.sort not in RESPONSE_SORTS:
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    if filters.satisfaction is not None and not 1 <= filters.satisfaction <= 5:
        raise InvalidInput(f"满意度“{filters.satisfaction}”不对，应为 1 到 5", field="satisfaction")
    if filters.solved and filters.solved not in SOLVED:
        raise InvalidInput(
            f"解决情况“{filters.solved}”不对，应为 yes（已解决）或 no（未解决）", field="solved"
        )
    if filters.channel and filters.channel not in SURVEY_CHANNELS:
        raise InvalidInput(
            f"回访方式“{filters.channel}”不对，应为 portal（在线）、phone（电话）或 visit（上门）",
            field="channel",
        )
    query, spec = _common(session, actor, filters.q, filters.category)
    query = query.where(DeskSurvey.answered_at.is_not(None))
    query = _period(query, DeskSurvey.answered_at, filters.since, filters.until)
    if filters.satisfaction is not None:
        query = query.where(DeskSurvey.satisfaction == filters.satisfaction)
    if filters.low:
        query = query.where(DeskSurvey.satisfaction <= spec.settings.low_rating)
    if filters.solved:
        query = query.where(DeskSurvey.solved == (filters.solved == "yes"))
    if filters.channel:
        query = query.where(DeskSurvey.channel == filters.channel)
    if filters.sort == "firm":
        return query.order_by(read.name_order(DeskRequest.enterprise_id), DeskSurvey.id)
    if filters.sort == "satisfaction":
        return query.order_by(
            DeskSurvey.satisfaction.asc().nulls_last(), DeskSurvey.answered_at.desc(), DeskSurvey.id
        )
    return query.order_by(DeskSurvey.answered_at.desc(), DeskSurvey.id.desc())


def survey_list(
    session: Session,
    *,
    actor: Actor,
    filters: SurveyFilters | None = None,
    now: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[tuple[DeskSurvey, DeskRequest]]:
    """One page of the follow-up surveys not answered yet (due ones by default, soonest
    first), of the requests actor may see; desk staff only."""
    query = _surveys_query(session, actor, filters or SurveyFilters(), now or utcnow())
    rows = paginate_rows(session, query, page=page, per_page=per_page)
    return Page(items=[(s, r) for s, r in rows.items], total=rows.total, page=rows.page,
                per_page=per_page)  # fmt: skip


def survey_responses(
    session: Session,
    *,
    actor: Actor,
    filters: ResponseFilters | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[tuple[DeskSurvey, DeskRequest]]:
    """One page of the answered surveys (newest first by default) of the requests actor may
    see; desk staff only."""
    query = _responses_query(session, actor, filters or ResponseFilters())
    rows = paginate_rows(session, query, page=page, per_page=per_page)
    return Page(items=[(s, r) for s, r in rows.items], total=rows.total, page=rows.page,
                per_page=per_page)  # fmt: skip


def _local(value: dt.datetime | None) -> str:
    """A stored time as China time to the minute, as the pages show it."""
    if value is None:
        return ""
    if value.tzinfo is None:  # SQLite gives back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")


def _names(session: Session, rows: Sequence[Any]) -> dict[int, str]:
    ids = sorted({r.enterprise_id for _, r in rows})
    names: dict[int, str] = {}
    for start in range(0, len(ids), 10_000):  # within every database's limit of parameters
        names |= read.names(session, ids[start : start + 10_000])
    return names


def surveys_xlsx(
    session: Session, *, actor: Actor, filters: SurveyFilters, now: dt.datetime | None = None
) -> bytes:
    """The filtered survey list (every matching survey, in the list's order) as a workbook."""
    query = _surveys_query(session, actor, filters, now or utcnow()).limit(EXPORT_LIMIT)
    rows = session.execute(query).all()
    _, spec = current(session)
    names = _names(session, rows)
    book = xlsx.ListWorkbook()
    book.table(
        "待回访",
        headers=["受理编号", "标题", "企业", "类别", "办结时间", "回访到期"],
        rows=(
            [r.tracking_no or "", r.title, names.get(r.enterprise_id, ""),
             spec.category_map[r.category].name if r.category in spec.category_map else r.category,
             _local(r.closed_at), _local(s.due_at)]
            for s, r in rows
        ),
        widths=[16, 36, 30, 14, 18, 18],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()


def responses_xlsx(session: Session, *, actor: Actor, filters: ResponseFilters) -> bytes:
    """The filtered responses (every matching answer, in the list's order) as a workbook."""
    query = _responses_query(session, actor, filters).limit(EXPORT_LIMIT)
    rows = session.execute(query).all()
    _, spec = current(session)
    names = _names(session, rows)
    book = xlsx.ListWorkbook()
    book.table(
        "回访结果",
        headers=["受理编号", "标题", "企业", "类别", "回访时间", "回访方式", "问题是否解决",
                 "满意度（1–5 分）", "意见", "填写人"],
        rows=(
            [r.tracking_no or "", r.title, names.get(r.enterprise_id, ""),
             spec.category_map[r.category].name if r.category in spec.category_map else r.category,
             _local(s.answered_at), SURVEY_CHANNELS.get(s.channel or "", s.channel or ""),
             "" if s.solved is None else SOLVED["yes" if s.solved else "no"],
             s.satisfaction, s.comment, s.answered_by or ""]
            for s, r in rows
        ),
        widths=[16, 36, 30, 14, 18, 14, 12, 14, 40, 16],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()
