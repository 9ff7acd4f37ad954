"""Request desk pages (the firm's portal, the officers' workbench, a request's page with its
actions, follow-ups, the leaders' statistics, the configuration) and the Open311-style API."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import audit, calendar, forms
from wulian.core.calendar import parse_day
from wulian.core.deps import (
    DB,
    CurrentActor,
    FormFields,
    download,
    render,
    settings_of,
    xlsx_download,
)
from wulian.core.errors import InvalidInput, PermissionDenied, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.desk import service, stats
from wulian.desk.deadlines import STATUS_NAMES
from wulian.desk.models import DeskRequest
from wulian.desk.schemas import (
    ActionIn,
    RequestIn,
    RequestOut,
    ServiceDefinitionOut,
    ServiceOut,
    SubmittedOut,
    SurveyOut,
    UpdateOut,
    requests_out,
    service_definition,
    services_out,
    surveys_out,
    update_out,
)
from wulian.enterprises import read
from wulian.enterprises import service as enterprise_service
from wulian.enterprises import views as enterprise_views

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["企呼我应（Open311）"])
enterprise_views.profile_part(
    "requests", service.firm_requests
)  # on a firm's page: a firm's requests

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
Text = Annotated[str, Query(max_length=100)]
Short = Annotated[str, Query(max_length=32)]
Day = Annotated[str, Query(max_length=10)]
Flag = Annotated[str, Query(max_length=1)]
Id = Annotated[str, Query(pattern=r"^\d{0,9}$")]


def refused(
    db: Session, actor: Actor, error: WulianError, request_id: int | None, what: str
) -> None:
    """Roll back an attempt that failed and record it (who tried what), committed on its own."""
    db.rollback()
    audit.track(db, actor)
    audit.record(
        db, action="desk.refused", object_type="desk_requests", object_id=request_id,
        after={"attempt": what, "code": error.code, "message": error.message},
    )  # fmt: skip
    db.commit()


def _uploads(files: list[UploadFile] | None, limit: int) -> list[service.Upload]:
    out = []
    for file in files or []:
        if not file.filename:
            continue
        content = file.file.read(limit + 1)  # the spooled file, in the route's thread
        out.append(service.Upload(file.filename, content))
    return out


def _attachment_limit(db: Session) -> int:
    _, spec = service.current(db)
    return spec.settings.max_attachment_mb * 1024 * 1024


# ---------------------------------------------------------------- lists


def _queue_context(
    db: Session, actor: Actor, filters: service.Filters, page: int, per_page: int = 50
) -> dict[str, Any]:
    _, spec = service.current(db)
    result = service.queue(db, actor=actor, filters=filters, page=page, per_page=per_page)
    query = {
        k: v
        for k, v in {
            "state": filters.state, "category": filters.category, "due": filters.due,
            "mine": "1" if filters.mine else "", "escalated": "1" if filters.escalated else "",
            "q": filters.q,
            "department": "" if filters.department_id is None else str(filters.department_id),
            "enterprise": "" if filters.enterprise_id is None else str(filters.enterprise_id),
            "sort": "" if filters.sort == "due" else filters.sort,
        }.items()
        if v
    }  # fmt: skip
    where = service.reach(db, actor, spec)
    return {
        "actor": actor,
        "spec": spec,
        "result": result,
        "filters": filters,
        "base": "/desk?" + urlencode(query) + ("&" if query else ""),
        "export": "/desk/export.xlsx" + ("?" + urlencode(query) if query else ""),
        "sizes": PAGE_SIZES,
        "sorts": service.QUEUE_SORTS,
        "names": service.department_names(db),
        "firms": _firm_names(db, [r.enterprise_id for r in result.items]),
        "counts": service.counts_by_state(db, actor=actor),
        "departments": service.departments(db),
        "can_assign": where.dispatcher,
        "staff": actor.enterprise_id is None,
        "now": dt.datetime.now(dt.UTC),
        "clock_names": STATUS_NAMES,
    }


def _firm_names(db: Session, ids: list[int]) -> dict[int, str]:
    return read.names(db, ids)


def _queue_filters(
    actor: Actor, state: str | None, category: str, due: str, mine: str, escalated: str,
    department: str, enterprise: str, q: str, sort: str,
) -> service.Filters:  # fmt: skip
    if state is None:  # staff start from what is still open; a firm sees all its requests
        state = "open" if actor.enterprise_id is None else ""
    return service.Filters(
        state=state, category=category, due=due, mine=bool(mine), escalated=bool(escalated),
        department_id=int(department) if department else None, q=q,
        enterprise_id=int(enterprise) if enterprise else None, sort=sort or "due",
    )  # fmt: skip


Due = Annotated[str, Query(pattern="^(|overdue|soon)$")]
State = Annotated[str | None, Query(max_length=32)]


@pages.get("/desk")
def workbench(
    request: Request,
    db: DB,
    actor: CurrentActor,
    state: State = None,
    category: Short = "",
    due: Due = "",
    mine: Flag = "",
    escalated: Flag = "",
    department: Id = "",
    enterprise: Id = "",
    q: Text = "",
    sort: Short = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Response:
    filters = _queue_filters(
        actor, state, category, due, mine, escalated, department, enterprise, q, sort
    )
    try:
        context = _queue_context(db, actor, filters, page, per_page)
    except InvalidInput as bad:  # a bad sort typed into the address: the default order, why
        context = _queue_context(db, actor, replace(filters, sort="due"), page, per_page)
        return render(request, "desk/queue.html", context | {"error": bad}, bad.status)
    return render(request, "desk/queue.html", context)


@pages.get("/desk/export.xlsx")
def queue_export(
    db: DB,
    actor: CurrentActor,
    state: State = None,
    category: Short = "",
    due: Due = "",
    mine: Flag = "",
    escalated: Flag = "",
    department: Id = "",
    enterprise: Id = "",
    q: Text = "",
    sort: Short = "",
) -> Response:
    """The queue's requests that match the filter (all pages), as a workbook."""
    filters = _queue_filters(
        actor, state, category, due, mine, escalated, department, enterprise, q, sort
    )
    content = service.queue_xlsx(db, actor=actor, filters=filters)
    return xlsx_download(content, f"诉求-{calendar.today():%Y%m%d}.xlsx")


@pages.post("/desk/bulk-assign")
def bulk_assign(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    try:
        ids = [int(str(v)) for v in form.getlist("request_id")]
    except ValueError:
        ids = []
    department = str(form.get("department") or "")
    try:
        count = service.bulk_assign(db, actor=actor, request_ids=ids, department=department)
    except WulianError as error:
        refused(db, actor, error, None, f"批量交办 {ids} → {department}")
        if isinstance(error, PermissionDenied):
            raise
        context = _queue_context(db, actor, service.Filters(state="accepted"), 1)
        return render(request, "desk/queue.html", context | {"error": error}, error.status)
    return RedirectResponse(f"/desk?state=assigned&assigned={count}", status_code=303)


# ---------------------------------------------------------------- submitting


def _new_context(db: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    _, spec = service.current(db)
    firm = None
    if actor.enterprise_id is not None:
        firm = read.get(db, actor.enterprise_id)
    return {"actor": actor, "spec": spec, "firm": firm, "form": {}, "channels": service.CHANNELS,
            "error": None} | extra  # fmt: skip


@pages.get("/desk/new")
def new_request(request: Request, db: DB, actor: CurrentActor) -> Response:
    if not (actor.has(Permission.DESK_SUBMIT) or actor.has(Permission.DESK_HANDLE)):
        actor.require(Permission.DESK_SUBMIT)
    return render(request, "desk/new.html", _new_context(db, actor))


@pages.post("/desk/new")
def create_request(
    request: Request,
    db: DB,
    actor: CurrentActor,
    form: FormFields,
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 100)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    priority: Annotated[str, Form(max_length=16)] = "normal",
    common: Annotated[str, Form(max_length=1)] = "",
    contact_name: Annotated[str, Form(max_length=60)] = "",
    contact_phone: Annotated[str, Form(max_length=40)] = "",
    enterprise: Annotated[str, Form(max_length=40)] = "",
    channel: Annotated[str, Form(max_length=16)] = "portal",
    form_key: Annotated[str, Form(max_length=64)] = "",
    attachments: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if (done := forms.once(db, form_key)) is not None:  # a double-click: the first one acted
        return RedirectResponse(done or "/desk", status_code=303)
    attributes = {  # the fields of other categories come empty from the same form
        str(k)[len("attribute[") : -1]: str(v)
        for k, v in form.items()
        if str(k).startswith("attribute[") and str(k).endswith("]") and str(v).strip()
    }
    values = {"title": title, "description": description, "category": category,
              "priority": priority, "contact_name": contact_name, "contact_phone": contact_phone,
              "enterprise": enterprise, "channel": channel, "common": common} | {
        f"attribute[{k}]": v for k, v in attributes.items()}  # fmt: skip
    try:
        enterprise_id = None if actor.enterprise_id is not None else _find_firm(db, enterprise)
        uploads = _uploads(attachments, _attachment_limit(db))
        created = service.submit(
            db, actor=actor, title=title, description=description, category=category,
            enterprise_id=enterprise_id, priority=priority, common=bool(common),
            channel=channel if actor.enterprise_id is None else "portal",
            contact_name=contact_name, contact_phone=contact_phone, attributes=attributes,
            uploads=uploads, data_dir=settings_of(request).data_dir,
        )  # fmt: skip
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        context = _new_context(db, actor, form=values, error=error)
        return render(request, "desk/new.html", context, status_code=error.status)
    location = f"/desk/requests/{created.id}?submitted=1"
    forms.remember(db, form_key, location)
    return RedirectResponse(location, status_code=303)


def _find_firm(db: Session, text: str) -> int:
    text = text.strip()
    if not text:
        raise InvalidInput(
            "请填写提出诉求的企业（统一社会信用代码、全称或编号）", field="enterprise"
        )
    found = enterprise_service.find_id(db, text=text)
    if found is None:
        raise InvalidInput(f"没有找到企业：{text}", field="enterprise", value=text)
    return int(found)


# ---------------------------------------------------------------- one request


def attribute_text(value: Any, name: str = "") -> str:
    """An attribute's value as its page shows it: a number without a trailing .0 and with
    thousands separators (3800.0 → 3,800; 1234.5 → 1,234.5), but an identifier (an attribute
    named …编号…) as people copy and search it (12345); anything else as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        return str(value)
    grouping = "" if "编号" in name else ","
    if number == number.to_integral_value():
        return f"{int(number):{grouping}}"
    return f"{number.normalize():{grouping}f}"


def _detail_context(db: Session, actor: Actor, request_id: int, **extra: Any) -> dict[str, Any]:
    item = service.get_or_raise(db, actor=actor, request_id=request_id)
    spec = service.config_of(db, item)
    where = service.reach(db, actor, spec)
    survey = service.survey_of(db, request=item)
    firm = read.get(db, item.enterprise_id)
    return {
        "actor": actor,
        "item": item,
        "spec": spec,
        "attribute_text": attribute_text,
        "firm": firm,
        "events": service.events(db, actor=actor, request=item),
        "files": service.attachments(db, request=item),
        "actions": service.actions_for(db, actor=actor, request=item),
        "clocks": service.clock_results(db, item, spec),
        "clock_status": STATUS_NAMES,
        "names": service.department_names(db),
        "departments": service.departments(db),
        "officers": service.officers(db, department_id=item.department_id),
        "survey": survey if survey is not None and survey.answered_at is None else None,
        "answered": survey if survey is not None and survey.answered_at is not None else None,
        "duplicate": db.get(DeskRequest, item.duplicate_of_id) if item.duplicate_of_id else None,
        "staff": actor.enterprise_id is None,
        "channels": service.CHANNELS,
        "dispatcher": where.dispatcher,
        "error": None,
        "now": dt.datetime.now(dt.UTC),
    } | extra


@pages.get("/desk/requests/{request_id}")
def detail(request: Request, request_id: int, db: DB, actor: CurrentActor) -> Response:
    return render(request, "desk/detail.html", _detail_context(db, actor, request_id))


def _detail_again(
    request: Request, db: Session, actor: Actor, error: WulianError, request_id: int, what: str
) -> Response:
    """A refused action: recorded, nothing changed, the request's page again with the error
    (a permission error goes to the 403 page)."""
    refused(db, actor, error, request_id, what)
    if isinstance(error, PermissionDenied):
        raise error
    context = _detail_context(db, actor, request_id, error=error)
    return render(request, "desk/detail.html", context, status_code=error.status)


@pages.post("/desk/requests/{request_id}/act")
def take_action(
    request: Request,
    request_id: int,
    db: DB,
    actor: CurrentActor,
    action: Annotated[str, Form(max_length=32)],
    reason: Annotated[str, Form(max_length=600)] = "",
    note: Annotated[str, Form(max_length=service.MAX_DESCRIPTION + 100)] = "",
    department: Annotated[str, Form(max_length=32)] = "",
    assignee: Annotated[str, Form(max_length=12)] = "",
    category: Annotated[str, Form(max_length=32)] = "",
    rating: Annotated[str, Form(max_length=2)] = "",
    into: Annotated[str, Form(max_length=20)] = "",
    revision: Annotated[int | None, Form()] = None,
    form_key: Annotated[str, Form(max_length=64)] = "",
    attachments: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    if (done := forms.once(db, form_key)) is not None:  # a double-click: the first one acted
        return RedirectResponse(done or f"/desk/requests/{request_id}", status_code=303)
    try:
        uploads = _uploads(attachments, _attachment_limit(db))
        step = service.Command(
            action=action, reason=reason, note=note, department=department,
            assignee_id=int(assignee) if assignee.isdigit() else None, category=category,
            rating=int(rating) if rating.isdigit() else None, into=into, revision=revision,
            uploads=uploads,
        )  # fmt: skip
        service.act(
            db, actor=actor, request_id=request_id, step=step,
            data_dir=settings_of(request).data_dir,
        )  # fmt: skip
    except WulianError as error:
        return _detail_again(request, db, actor, error, request_id, action)
    location = f"/desk/requests/{request_id}?done={action}"
    forms.remember(db, form_key, location)
    return RedirectResponse(location, status_code=303)


@pages.post("/desk/requests/{request_id}/survey")
def answer_survey(
    request: Request,
    request_id: int,
    db: DB,
    actor: CurrentActor,
    solved: Annotated[str, Form(pattern="^(yes|no)$")],
    satisfaction: Annotated[int, Form(ge=1, le=5)],
    comment: Annotated[str, Form(max_length=500)] = "",
    channel: Annotated[str, Form(max_length=16)] = "phone",
) -> Response:
    try:
        service.answer_survey(
            db, actor=actor, request_id=request_id, solved=solved == "yes",
            satisfaction=satisfaction, comment=comment, channel=channel,
        )  # fmt: skip
    except WulianError as error:
        return _detail_again(request, db, actor, error, request_id, "survey")
    return RedirectResponse(f"/desk/requests/{request_id}?done=survey", status_code=303)


@pages.get("/desk/attachments/{attachment_id}")
def attachment(request: Request, attachment_id: int, db: DB, actor: CurrentActor) -> Response:
    row, content = service.attachment_file(
        db, actor=actor, attachment_id=attachment_id, data_dir=settings_of(request).data_dir
    )
    return download(content, row.filename, row.content_type)


# ---------------------------------------------------------------- follow-ups and statistics


def _survey_filters(
    status: str, since: str, until: str, q: str, category: str, sort: str
) -> service.SurveyFilters:
    return service.SurveyFilters(
        status=status or "due", since=parse_day(since, field="since"),
        until=parse_day(until, field="until"), q=q.strip() or None, category=category or None,
        sort=sort or "due",
    )  # fmt: skip


def _score(value: str) -> int | None:
    """A satisfaction score typed in a filter: 1 to 5, or a clear error."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or not 1 <= int(value) <= 5:
        raise InvalidInput(f"满意度“{value}”不对，应为 1 到 5 的整数", field="satisfaction")
    return int(value)


def _response_filters(
    since: str, until: str, q: str, category: str, satisfaction: str, low: str, solved: str,
    channel: str, sort: str,
) -> service.ResponseFilters:  # fmt: skip
    return service.ResponseFilters(
        since=parse_day(since, field="since"), until=parse_day(until, field="until"),
        q=q.strip() or None, category=category or None, satisfaction=_score(satisfaction),
        low=bool(low), solved=solved or None, channel=channel or None, sort=sort or "-answered",
    )  # fmt: skip


def _fields(values: dict[str, str], defaults: dict[str, str]) -> dict[str, str]:
    """The filter as query fields (those set and not at their default)."""
    return {k: v for k, v in values.items() if v and v != defaults.get(k)}


def _survey_context(
    db: Session,
    actor: Actor,
    values: dict[str, str],
    *,
    responses: bool,
    page: int = 1,
    per_page: int = 50,
    error: WulianError | None = None,
) -> dict[str, Any]:
    """The survey list or the responses, filtered by values (the query's fields as typed); a
    bad value shows the list unfiltered with the reason."""
    try:
        if responses:
            filters: Any = _response_filters(**values)
            result = service.survey_responses(
                db, actor=actor, filters=filters, page=page, per_page=per_page
            )
        else:
            filters = _survey_filters(**values)
            result = service.survey_list(
                db, actor=actor, filters=filters, page=page, per_page=per_page
            )
    except InvalidInput as bad:
        if not any(values.values()):
            raise
        blank = dict.fromkeys(values, "")
        return _survey_context(db, actor, blank, responses=responses, per_page=per_page,
                               error=bad)  # fmt: skip
    _, spec = service.current(db)
    defaults = {"status": "due", "sort": "-answered" if responses else "due"}
    fields = _fields(values, defaults)
    query = urlencode(fields)
    path = "/desk/surveys/responses" if responses else "/desk/surveys"
    return {
        "actor": actor,
        "responses": responses,
        "result": result,
        "values": values,
        "fields": fields,
        "query": query,
        "path": path,
        "base": f"{path}?" + (query + "&" if query else ""),
        "sizes": PAGE_SIZES,
        "firms": _firm_names(db, [r.enterprise_id for _, r in result.items]),
        "spec": spec,
        "statuses": service.SURVEY_STATUSES,
        "sorts": service.RESPONSE_SORTS if responses else service.SURVEY_SORTS,
        "solved_choices": service.SOLVED,
        "channels": service.SURVEY_CHANNELS,
        "low_rating": spec.settings.low_rating,
        "error": error,
    }


@pages.get("/desk/surveys")
def surveys(
    request: Request,
    db: DB,
    actor: CurrentActor,
    status: Short = "",
    since: Day = "",
    until: Day = "",
    q: Text = "",
    category: Short = "",
    sort: Short = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Response:
    values = {"status": status, "since": since, "until": until, "q": q, "category": category,
              "sort": sort}  # fmt: skip
    context = _survey_context(db, actor, values, responses=False, page=page, per_page=per_page)
    status_code = context["error"].status if context["error"] else 200
    return render(request, "desk/surveys.html", context, status_code=status_code)


@pages.get("/desk/surveys/export.xlsx")
def surveys_export(
    db: DB,
    actor: CurrentActor,
    status: Short = "",
    since: Day = "",
    until: Day = "",
    q: Text = "",
    category: Short = "",
    sort: Short = "",
) -> Response:
    filters = _survey_filters(status, since, until, q, category, sort)
    content = service.surveys_xlsx(db, actor=actor, filters=filters)
    return xlsx_download(content, f"待回访-{calendar.today():%Y%m%d}.xlsx")


@pages.get("/desk/surveys/responses")
def survey_responses(
    request: Request,
    db: DB,
    actor: CurrentActor,
    since: Day = "",
    until: Day = "",
    q: Text = "",
    category: Short = "",
    satisfaction: Annotated[str, Query(max_length=2)] = "",
    low: Annotated[str, Query(max_length=1)] = "",
    solved: Short = "",
    channel: Short = "",
    sort: Short = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Response:
    values = {"since": since, "until": until, "q": q, "category": category,
              "satisfaction": satisfaction, "low": low, "solved": solved, "channel": channel,
              "sort": sort}  # fmt: skip
    context = _survey_context(db, actor, values, responses=True, page=page, per_page=per_page)
    status_code = context["error"].status if context["error"] else 200
    return render(request, "desk/surveys.html", context, status_code=status_code)


@pages.get("/desk/surveys/responses/export.xlsx")
def survey_responses_export(
    db: DB,
    actor: CurrentActor,
    since: Day = "",
    until: Day = "",
    q: Text = "",
    category: Short = "",
    satisfaction: Annotated[str, Query(max_length=2)] = "",
    low: Annotated[str, Query(max_length=1)] = "",
    solved: Short = "",
    channel: Short = "",
    sort: Short = "",
) -> Response:
    filters = _response_filters(since, until, q, category, satisfaction, low, solved, channel, sort)
    content = service.responses_xlsx(db, actor=actor, filters=filters)
    return xlsx_download(content, f"回访结果-{calendar.today():%Y%m%d}.xlsx")


def _period(since: str, until: str) -> tuple[dt.date | None, dt.date | None]:
    return parse_day(since, field="since"), parse_day(until, field="until")


@pages.get("/desk/stats")
def statistics(
    request: Request,
    db: DB,
    actor: CurrentActor,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    start, end = _period(since, until)
    figures = stats.overview(db, actor=actor, since=start, until=end)
    _, spec = service.current(db)
    firms = _firm_names(db, [r.enterprise_id for r in figures.overdue_list])
    context = {"actor": actor, "figures": figures, "since": since, "until": until, "spec": spec,
               "firms": firms}  # fmt: skip
    return render(request, "desk/stats.html", context)


@pages.get("/desk/stats.xlsx")
def statistics_xlsx(
    db: DB,
    actor: CurrentActor,
    since: Annotated[str, Query(max_length=10)] = "",
    until: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    start, end = _period(since, until)
    figures = stats.overview(db, actor=actor, since=start, until=end)
    content = stats.export_xlsx(db, actor=actor, figures=figures)
    return xlsx_download(content, f"企呼我应统计-{start or '全部'}-{end or '至今'}.xlsx")


SPEC_PAGES = SpecPages(
    base="/desk/config",
    kind=service.SPECS,
    intro="服务台配置是一个 YAML 文件：诉求状态、允许的动作（谁可以操作、是否需要理由）、"
    "类别与其属性、路由规则、期限（按类别与优先级，工作小时或工作日）、日历和服务台设置。"
    "修改保存为新版本；已提交的诉求沿用提交时的版本。",
    hint="格式见《企呼我应》手册（docs/guide/desk.md）。保存时检查：状态与动作互相引用、"
    "平台依赖的动作齐全、路由与期限有兜底、部门代码存在、日历时段有效，出错时指出行号。",
    shipped_note="平台内置配置：期限参考中山、珠海、泉州公布的办理时限。",
    edit_permission=Permission.DESK_ADMIN,
)
pages.include_router(spec_router(SPEC_PAGES))
api.include_router(spec_api(SPEC_PAGES))


# ---------------------------------------------------------------- API (Open311 GeoReport v2 style)


@api.get("/open311/services", summary="服务列表（诉求类别）")
def api_services(db: DB, actor: CurrentActor) -> list[ServiceOut]:
    _, spec = service.current(db)
    service.reach(db, actor, spec)
    return services_out(spec)


@api.get("/open311/services/{code}", summary="服务定义（类别的属性）")
def api_service(code: str, db: DB, actor: CurrentActor) -> ServiceDefinitionOut:
    _, spec = service.current(db)
    service.reach(db, actor, spec)
    return service_definition(spec, code)


@api.post("/open311/requests", summary="提交诉求", status_code=201)
def api_submit(
    body: RequestIn, request: Request, db: DB, actor: CurrentActor
) -> list[SubmittedOut]:
    uploads = [a.upload() for a in body.attachments]
    try:
        created = service.submit(
            db, actor=actor, title=body.title, description=body.description,
            category=body.service_code, enterprise_id=body.enterprise_id,
            priority=body.priority, common=body.common, channel=body.channel or "api",
            contact_name=body.contact_name, contact_phone=body.contact_phone,
            attributes=body.attribute, uploads=uploads, data_dir=settings_of(request).data_dir,
        )  # fmt: skip
    except WulianError as error:
        refused(db, actor, error, None, "submit")
        raise
    spec = service.config_of(db, created)
    return [
        SubmittedOut(
            service_request_id=created.tracking_no or "",
            service_notice=f"已收到，受理编号 {created.tracking_no}",
            expected_datetime=created.due_at,
            status=spec.state_map[created.state].name,
        )
    ]


@api.get("/open311/requests", summary="诉求列表（分页）")
def api_requests(
    response: Response,
    db: DB,
    actor: CurrentActor,
    status: Annotated[str, Query(pattern="^(|open|closed)$")] = "",
    service_code: Annotated[str, Query(max_length=32)] = "",
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[RequestOut]:
    filters = service.Filters(state=status, category=service_code)
    result = service.queue(db, actor=actor, filters=filters, page=page, per_page=per_page)
    response.headers["X-Total-Count"] = str(result.total)
    response.headers["X-Page"] = str(result.page)
    response.headers["X-Pages"] = str(result.pages)
    return requests_out(db, result.items)


@api.get("/open311/requests/{tracking_no}", summary="一件诉求")
def api_request(tracking_no: str, db: DB, actor: CurrentActor) -> list[RequestOut]:
    item = service.get_by_tracking_or_raise(db, actor=actor, tracking_no=tracking_no)
    return requests_out(db, [item])


@api.get("/open311/requests/{tracking_no}/updates", summary="办理过程")
def api_updates(tracking_no: str, db: DB, actor: CurrentActor) -> list[UpdateOut]:
    item = service.get_by_tracking_or_raise(db, actor=actor, tracking_no=tracking_no)
    spec = service.config_of(db, item)
    names = service.department_names(db)
    return [update_out(e, spec, names) for e in service.events(db, actor=actor, request=item)]


@api.post("/open311/requests/{tracking_no}/updates", summary="执行动作（补充说明、受理、交办……）")
def api_act(
    tracking_no: str, body: ActionIn, request: Request, db: DB, actor: CurrentActor
) -> list[RequestOut]:
    item = service.get_by_tracking_or_raise(db, actor=actor, tracking_no=tracking_no)
    try:
        service.act(
            db, actor=actor, request_id=item.id, data_dir=settings_of(request).data_dir,
            step=service.Command(
                action=body.action, reason=body.reason, note=body.note,
                department=body.department, category=body.category, rating=body.rating,
                into=body.into, revision=body.revision,
                uploads=[a.upload() for a in body.attachments],
            ),
        )  # fmt: skip
    except WulianError as error:
        refused(db, actor, error, item.id, body.action)
        raise
    return requests_out(db, [item])


@api.get("/desk/surveys", summary="回访列表：未回访的问卷（分页、筛选）")
def api_surveys(
    db: DB,
    actor: CurrentActor,
    status: Annotated[
        str, Query(max_length=32, description="due 已到期（默认）、upcoming 未到期、all 全部")
    ] = "",
    since: Annotated[str, Query(max_length=10, description="回访到期日起（YYYY-MM-DD）")] = "",
    until: Annotated[str, Query(max_length=10, description="回访到期日止（YYYY-MM-DD）")] = "",
    q: Annotated[
        str, Query(max_length=100, description="企业名称的一部分、拼音、信用代码或受理编号")
    ] = "",
    category: Short = "",
    sort: Annotated[str, Query(max_length=32, description="due（默认）、firm、-closed")] = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> PageOut[SurveyOut]:
    """与“待回访”页面相同的筛选和分页；只有诉求的工作人员可以读取（按部门范围）。"""
    filters = _survey_filters(status, since, until, q, category, sort)
    result = service.survey_list(db, actor=actor, filters=filters, page=page, per_page=per_page)
    return PageOut[SurveyOut](**PageOut.fields(result), items=surveys_out(db, result.items))


@api.get("/desk/surveys/responses", summary="回访结果：已填写的问卷（分页、筛选）")
def api_survey_responses(
    db: DB,
    actor: CurrentActor,
    since: Annotated[str, Query(max_length=10, description="回访日期起（YYYY-MM-DD）")] = "",
    until: Annotated[str, Query(max_length=10, description="回访日期止（YYYY-MM-DD）")] = "",
    q: Annotated[
        str, Query(max_length=100, description="企业名称的一部分、拼音、信用代码或受理编号")
    ] = "",
    category: Short = "",
    satisfaction: Annotated[str, Query(max_length=2, description="满意度 1–5")] = "",
    low: Annotated[str, Query(max_length=1, description="1：只看低满意度（会转入复核的）")] = "",
    solved: Annotated[str, Query(max_length=32, description="yes 已解决、no 未解决")] = "",
    channel: Annotated[str, Query(max_length=32, description="portal、phone、visit")] = "",
    sort: Annotated[
        str, Query(max_length=32, description="-answered（默认）、satisfaction、firm")
    ] = "",
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> PageOut[SurveyOut]:
    """与“回访结果”页面相同的筛选和分页；只有诉求的工作人员可以读取（按部门范围）。"""
    filters = _response_filters(since, until, q, category, satisfaction, low, solved, channel, sort)
    result = service.survey_responses(
        db, actor=actor, filters=filters, page=page, per_page=per_page
    )
    return PageOut[SurveyOut](**PageOut.fields(result), items=surveys_out(db, result.items))


@api.get("/desk/suggest", summary="按诉求文字推荐类别")
def api_suggest(
    db: DB, actor: CurrentActor, text: Annotated[str, Query(min_length=1, max_length=2000)]
) -> dict[str, Any]:
    found = service.suggest(db, actor=actor, text=text)
    if found is None:
        return {"category": None, "name": None, "score": None, "terms": ""}
    _, spec = service.current(db)
    code, score, terms = found
    return {"category": code, "name": spec.category_map[code].name, "score": round(score, 3),
            "terms": terms}  # fmt: skip
