"""The project pipeline's pages and API: the list (filters, paging, export), a project (details,
stage history, moves), a new lead, the stage table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import forms
from wulian.core.calendar import parse_day
from wulian.core.db import utcnow
from wulian.core.deps import (
    DB,
    CurrentActor,
    FormFields,
    download,
    render,
    settings_of,
    today_of,
    xlsx_download,
)
from wulian.core.errors import InvalidInput, PermissionDenied, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.uploads import Uploads
from wulian.enterprises import views as enterprise_views
from wulian.investment import (
    approach,
    atlasviews,
    documents,
    ledger,
    schemas,
    service,
    tasks,
    taskviews,
    tiesviews,
)

pages = APIRouter(include_in_schema=False)
pages.include_router(atlasviews.pages)  # the 招商图谱, before /investment/{project_id}
pages.include_router(taskviews.pages)  # annual tasks, likewise
pages.include_router(tiesviews.pages)  # supply ties (链上往来), likewise
api = APIRouter(tags=["招商"])
api.include_router(atlasviews.api)
api.include_router(tiesviews.api)
enterprise_views.profile_part(
    "investment", service.firm_projects
)  # on a firm's page: its 招商 projects, for staff with the investment permission

PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]
Short = Annotated[str | None, Query(max_length=100)]
StageQ = Annotated[str | None, Query(max_length=32, title="阶段")]
StaleQ = Annotated[str | None, Query(max_length=8, title="只看停滞项目")]
TeamQ = Annotated[str | None, Query(max_length=12, title="负责小组")]
ProjectId = Annotated[int, Path_(title="项目编号")]
SigningId = Annotated[int, Path_(title="签约活动编号")]


def _filters(
    stage: str | None, chain: str | None, source: str | None, team: str | None,
    band: str | None, stale: str | None, q: str | None, sort: str | None,
) -> service.Filters:  # fmt: skip
    team_id = None
    if team:
        if not team.isdigit():
            raise InvalidInput(f"没有“{team}”这个招商小组", field="team")
        team_id = int(team)
    return service.Filters(
        stage=stage or None, chain=chain or None, source=source or None, team=team_id,
        band=band or None, stale=stale in ("1", "on", "true"), q=(q or "").strip() or None,
        sort=sort or "name",
    )  # fmt: skip


def _fields(filters: service.Filters) -> dict[str, str]:
    values = {
        "stage": filters.stage, "chain": filters.chain, "source": filters.source,
        "team": str(filters.team) if filters.team else None, "band": filters.band,
        "stale": "1" if filters.stale else None, "q": filters.q,
        "sort": filters.sort if filters.sort != "name" else None,
    }  # fmt: skip
    return {k: v for k, v in values.items() if v}


@pages.get("/investment")
def pipeline(
    request: Request,
    db: DB,
    actor: CurrentActor,
    stage: StageQ = None,
    chain: Short = None,
    source: Short = None,
    team: TeamQ = None,
    band: Short = None,
    stale: StaleQ = None,
    q: Short = None,
    sort: Short = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Response:
    service.require_read(actor)
    today = today_of(request)
    labels = service.labels(db, actor=actor)
    filters = _filters(stage, chain, source, team, band, stale, q, sort)
    error: WulianError | None = None
    try:
        result = service.get_all(
            db, actor=actor, today=today, filters=filters, page=page, per_page=per_page
        )
    except InvalidInput as refused:
        error, filters = refused, service.Filters()
        result = service.get_all(db, actor=actor, today=today, filters=filters, per_page=per_page)
    fields = _fields(filters)
    context = {
        "actor": actor, "result": result, "filters": filters, "fields": fields, "error": error,
        "labels": labels, "today": today, "sources": service.SOURCES, "bands": service.BANDS,
        "sorts": service.SORTS, "teams": service.teams(db, actor=actor), "sizes": PAGE_SIZES,
        "base": "/investment?" + urlencode({**fields, "per_page": per_page}) + "&",
        "export": "/investment/export.xlsx?" + urlencode(fields),
        "can_write": actor.has(Permission.INVESTMENT_WRITE),
        "yi": service.yi, "band_of": service.band_of, "stale_days": service.stale_days,
    }  # fmt: skip
    return render(
        request, "investment/list.html", context, status_code=error.status if error else 200
    )


@pages.get("/investment/export.xlsx")
def export(
    request: Request,
    db: DB,
    actor: CurrentActor,
    stage: StageQ = None,
    chain: Short = None,
    source: Short = None,
    team: TeamQ = None,
    band: Short = None,
    stale: StaleQ = None,
    q: Short = None,
    sort: Short = None,
) -> Response:
    filters = _filters(stage, chain, source, team, band, stale, q, sort)
    today = today_of(request)
    content = service.export_xlsx(db, actor=actor, today=today, filters=filters)
    return xlsx_download(content, f"招商项目库-{today:%Y%m%d}.xlsx")


# ---------------------------------------------------------------- a new lead


def _new_context(db: Session, actor: Actor, request: Request) -> dict[str, Any]:
    labels = service.labels(db, actor=actor)
    return {
        "actor": actor, "labels": labels, "sources": service.SOURCES,
        "teams": service.teams(db, actor=actor), "officers": service.officers(db, actor=actor),
        "today": today_of(request), "form": {}, "error": None,
    }  # fmt: skip


@pages.get("/investment/new")
def new_form(request: Request, db: DB, actor: CurrentActor) -> Response:
    actor.require(Permission.INVESTMENT_WRITE)
    service.require_read(actor)
    return render(request, "investment/new.html", _new_context(db, actor, request))


def _int_or_none(text: str, field: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"{label}“{text}”无效", field=field)
    return int(text)


def _day_or_none(text: str, field: str) -> dt.date | None:
    return parse_day(text, field=field)


@pages.post("/investment/new")
def new_submit(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    key = values.get("form_key", "")
    if (done := forms.once(db, key)) is not None:  # a double-click: the first one acted
        return RedirectResponse(done or "/investment", status_code=303)
    try:
        data = service.NewProject(
            name=values.get("name", ""), amount_yi=values.get("amount_yi", ""),
            source=values.get("source", ""), firm=values.get("firm", ""),
            firm_name=values.get("firm_name", ""), firm_uscc=values.get("firm_uscc", ""),
            reinvestment=values.get("reinvestment") == "1",
            fixed_asset_yi=values.get("fixed_asset_yi", ""),
            industry_code=values.get("industry_code", ""),
            manufacturing=values.get("manufacturing") == "1",
            high_tech=values.get("high_tech") == "1", chain=values.get("chain", ""),
            node=values.get("node", ""), fund_name=values.get("fund_name", ""),
            team_id=_int_or_none(values.get("team_id", ""), "team_id", "招商小组"),
            officer_id=_int_or_none(values.get("officer_id", ""), "officer_id", "负责人"),
            lead_on=_day_or_none(values.get("lead_on", ""), "lead_on"),
            note=values.get("note", "")[:2000],
        )  # fmt: skip
        project = service.create(db, actor=actor, today=today_of(request), data=data)
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt="登记项目", error=error)
        context = _new_context(db, actor, request) | {"form": values, "error": error}
        return render(request, "investment/new.html", context, status_code=error.status)
    location = f"/investment/{project.id}?created=1"
    forms.remember(db, key, location)
    return RedirectResponse(location, status_code=303)


# ---------------------------------------------------------------- the stage table


@pages.get("/investment/stages")
def stage_table(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_read(actor)
    context = {
        "actor": actor, "stages": service.stages(db), "error": None,
        "can_edit": actor.has(Permission.INVESTMENT_ADMIN),
    }  # fmt: skip
    return render(request, "investment/stages.html", context)


@pages.post("/investment/stages/{key}")
def stage_save(
    request: Request, key: str, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    days = str(form.get("stale_days") or "").strip()
    try:
        if days and not days.isdigit():
            raise InvalidInput(f"停滞提醒天数“{days}”应为整数", field="stale_days")
        service.update_stage(
            db, actor=actor, key=key, name=str(form.get("name") or ""),
            next_keys=[str(v) for v in form.getlist("next_keys")],
            stale_days=int(days) if days else None,
        )  # fmt: skip
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt=f"修改阶段 {key}", error=error)
        context = {
            "actor": actor, "stages": service.stages(db), "error": error,
            "can_edit": actor.has(Permission.INVESTMENT_ADMIN),
        }  # fmt: skip
        return render(request, "investment/stages.html", context, status_code=error.status)
    return RedirectResponse("/investment/stages?saved=1", status_code=303)


# ---------------------------------------------------------------- the ledger import


def _uploads(request: Request) -> Uploads:
    settings = settings_of(request)
    return Uploads(
        folder=settings.data_dir / "uploads",
        keep=dt.timedelta(hours=settings.upload_keep_hours),
        clock=getattr(request.app.state, "clock", utcnow),
    )


def _require_importer(actor: Actor) -> None:
    actor.require(Permission.INVESTMENT_WRITE)
    service.require_read(actor)


@pages.get("/investment/import")
def import_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    _require_importer(actor)
    context = {"actor": actor, "report": None, "error": None, "columns": ledger.LABELS}
    return render(request, "investment/import.html", context)


@pages.get("/investment/import/template.xlsx")
def import_template(request: Request, db: DB, actor: CurrentActor) -> Response:
    _require_importer(actor)
    return xlsx_download(ledger.template_xlsx(), "招商项目台账导入模板.xlsx")


@pages.post("/investment/import")
def import_check(
    request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> Response:
    """Upload and check a ledger; nothing is written until the check is confirmed."""
    _require_importer(actor)
    filename = Path(file.filename or "ledger.xlsx").name[:200]
    data = file.file.read()
    context: dict[str, Any] = {"actor": actor, "error": None, "columns": ledger.LABELS}
    try:
        report = ledger.import_ledger(
            db, actor=actor, today=today_of(request), data=data, filename=filename, dry_run=True
        )
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        context |= {"report": None, "error": error}
        return render(request, "investment/import.html", context, status_code=error.status)
    token = None
    if not report.problems:
        meta = {"filename": filename, "actor": Uploads.owner(actor)}
        token = _uploads(request).save(data=data, meta=meta, report=b"")
    context |= {"report": report, "token": token, "yi": service.yi}
    return render(request, "investment/import.html", context)


@pages.post("/investment/import/{token}/commit")
def import_commit(
    request: Request,
    token: Annotated[str, Path_(max_length=40)],
    db: DB,
    actor: CurrentActor,
    form: FormFields,
) -> Response:
    """Write a checked ledger: every row, flagged rows only when their boxes are ticked."""
    _require_importer(actor)
    uploads = _uploads(request)
    meta = uploads.meta_for(token, actor)
    confirmed = {int(v) for v in form.getlist("confirm") if isinstance(v, str) and v.isdigit()}
    report = ledger.import_ledger(
        db, actor=actor, today=today_of(request), data=uploads.data(token),
        filename=meta["filename"], dry_run=False, confirm_rows=confirmed,
    )  # fmt: skip
    if report.committed:
        uploads.used(token)
    context = {
        "actor": actor, "error": None, "columns": ledger.LABELS, "report": report,
        "token": None if report.committed else token, "yi": service.yi,
    }  # fmt: skip
    return render(request, "investment/import.html", context)


# ---------------------------------------------------------------- figures and signings

Year = Annotated[int | None, Query(ge=2000, le=2999)]


@pages.get("/investment/dashboard")
def dashboard(
    request: Request, db: DB, actor: CurrentActor, year: Year = None, group: Short = None
) -> Response:
    today = today_of(request)
    figures = service.dashboard(
        db, actor=actor, year=year or today.year, today=today, group=group or "chain"
    )
    context = {
        "actor": actor, "d": figures, "groups": service.GROUPS, "yi": service.yi,
        "years": list(range(today.year, today.year - 6, -1)),
        "tasks": tasks.progress(db, actor=actor, year=figures.year, today=today),
        "share": tasks.Progress.share,
    }  # fmt: skip
    return render(request, "investment/dashboard.html", context)


@pages.get("/investment/signings")
def signing_list(request: Request, db: DB, actor: CurrentActor) -> Response:
    context = {
        "actor": actor, "events": service.signings(db, actor=actor), "error": None,
        "can_write": actor.has(Permission.INVESTMENT_WRITE), "yi": service.yi,
        "today": today_of(request), "form": {},
    }  # fmt: skip
    return render(request, "investment/signings.html", context)


@pages.post("/investment/signings")
def signing_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    name: Annotated[str, Form(max_length=100, title="活动名称")] = "",
    held_on: Annotated[str, Form(max_length=20, title="日期")] = "",
    place: Annotated[str, Form(max_length=100, title="地点")] = "",
) -> Response:
    try:
        event = service.create_signing(
            db, actor=actor, today=today_of(request), name=name,
            held_on=parse_day(held_on, field="held_on"), place=place,
        )  # fmt: skip
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt="登记签约活动", error=error)
        context = {
            "actor": actor, "events": service.signings(db, actor=actor), "error": error,
            "can_write": actor.has(Permission.INVESTMENT_WRITE), "yi": service.yi,
            "today": today_of(request),
            "form": {"name": name, "held_on": held_on, "place": place},
        }  # fmt: skip
        return render(request, "investment/signings.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/signings/{event.id}", status_code=303)


def _signing_context(db: Session, actor: Actor, signing_id: int) -> dict[str, Any]:
    event = service.get_signing_or_raise(db, actor=actor, signing_id=signing_id)
    projects = service.signing_projects(db, actor=actor, signing_id=signing_id)
    return {
        "actor": actor, "event": event, "projects": projects, "error": None,
        "total": sum(p.amount_wan for p in projects), "yi": service.yi,
        "signable": service.signable(db, actor=actor)
        if actor.has(Permission.INVESTMENT_WRITE) else [],
        "labels": service.labels(db, actor=actor),
    }  # fmt: skip


@pages.get("/investment/signings/{signing_id}")
def signing_page(request: Request, signing_id: SigningId, db: DB, actor: CurrentActor) -> Response:
    return render(request, "investment/signing.html", _signing_context(db, actor, signing_id))


@pages.post("/investment/signings/{signing_id}/attach")
def signing_attach(
    request: Request, signing_id: SigningId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    ids = [int(v) for v in form.getlist("project_ids") if isinstance(v, str) and v.isdigit()]
    try:
        service.attach(db, actor=actor, signing_id=signing_id, project_ids=ids)
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt="列入签约活动", error=error)
        context = _signing_context(db, actor, signing_id) | {"error": error}
        return render(request, "investment/signing.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/signings/{signing_id}", status_code=303)


# ---------------------------------------------------------------- a project


def _project_context(
    db: Session, actor: Actor, request: Request, project_id: int
) -> dict[str, Any]:
    project = service.get_or_raise(db, actor=actor, project_id=project_id)
    labels = service.labels(db, actor=actor)
    today = today_of(request)
    stage = labels.stages.get(project.stage)
    return {
        "actor": actor, "project": project, "labels": labels, "stage": stage,
        "history": service.history(db, actor=actor, project_id=project_id),
        "stale": service.stale_days(stage, project, today), "today": today,
        "can_write": service.may_write(actor, project), "sources": service.SOURCES,
        "bands": service.BANDS, "yi": service.yi, "band_of": service.band_of, "error": None,
        "officers": service.officers(db, actor=actor, team_id=project.team_id),
        "plan": approach.plan_of_project(db, actor=actor, project_id=project_id),
        "documents": documents.documents(db, actor=actor, project_id=project_id),
        "document_kinds": documents.KINDS, "document_limit": documents.LIMIT_BYTES // 2**20,
    }  # fmt: skip


@pages.get("/investment/{project_id}")
def project_page(request: Request, project_id: ProjectId, db: DB, actor: CurrentActor) -> Response:
    context = _project_context(db, actor, request, project_id)
    return render(request, "investment/detail.html", context)


DocumentId = Annotated[int, Path_(title="文件编号")]


@pages.post("/investment/{project_id}/documents")
def document_upload(
    request: Request,
    project_id: ProjectId,
    db: DB,
    actor: CurrentActor,
    kind: Annotated[str, Form(max_length=16)] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep a document on the project (the file is read in the route's thread)."""
    limit = documents.LIMIT_BYTES
    content = file.file.read(limit + 1) if file is not None and file.filename else b""
    try:
        documents.upload(
            db, actor=actor, project_id=project_id, kind=kind,
            filename=(file.filename or "") if file is not None else "", content=content,
            data_dir=settings_of(request).data_dir,
        )  # fmt: skip
    except WulianError as error:
        service.refused(db, actor=actor, project_id=project_id, attempt="上传项目文件", error=error)
        context = _project_context(db, actor, request, project_id) | {"error": error}
        return render(request, "investment/detail.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/{project_id}?uploaded=1#documents", status_code=303)


@pages.get("/investment/{project_id}/documents/{document_id}")
def document_download(
    request: Request, project_id: ProjectId, document_id: DocumentId, db: DB, actor: CurrentActor
) -> Response:
    row, content = documents.document_file(
        db, actor=actor, project_id=project_id, document_id=document_id,
        data_dir=settings_of(request).data_dir,
    )  # fmt: skip
    return download(content, row.filename, row.content_type)


@pages.post("/investment/{project_id}/edit")
def edit(
    request: Request, project_id: ProjectId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        revision = _int_or_none(values.get("revision", ""), "revision", "版本") or 0
        changes = service.Changes(
            amount_yi=values.get("amount_yi", ""), fixed_asset_yi=values.get("fixed_asset_yi", ""),
            source=values.get("source", ""), fund_name=values.get("fund_name", ""),
            chain=values.get("chain", ""), node=values.get("node", ""),
            industry_code=values.get("industry_code", ""),
            manufacturing=values.get("manufacturing") == "1",
            high_tech=values.get("high_tech") == "1",
            reinvestment=values.get("reinvestment") == "1",
            officer_id=_int_or_none(values.get("officer_id", ""), "officer_id", "负责人"),
            note=values.get("note", "")[:2000],
        )  # fmt: skip
        service.update(db, actor=actor, project_id=project_id, revision=revision, changes=changes)
    except WulianError as error:
        service.refused(db, actor=actor, project_id=project_id, attempt="修改项目信息", error=error)
        context = _project_context(db, actor, request, project_id) | {"error": error}
        return render(request, "investment/detail.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/{project_id}?saved=1", status_code=303)


@pages.post("/investment/{project_id}/move")
def move(
    request: Request,
    project_id: ProjectId,
    db: DB,
    actor: CurrentActor,
    to_stage: Annotated[str, Form(max_length=32, title="转到的阶段")],
    expected_stage: Annotated[str, Form(max_length=32, title="当前阶段")],
    on: Annotated[str, Form(max_length=20, title="日期")] = "",
    note: Annotated[str, Form(max_length=500, title="说明")] = "",
) -> Response:
    try:
        service.move(
            db, actor=actor, today=today_of(request), project_id=project_id, to_stage=to_stage,
            expected_stage=expected_stage, on=_day_or_none(on, "on"), note=note,
        )  # fmt: skip
    except WulianError as error:
        service.refused(db, actor=actor, project_id=project_id, attempt="转阶段", error=error)
        context = _project_context(db, actor, request, project_id) | {"error": error}
        return render(request, "investment/detail.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/{project_id}?moved=1", status_code=303)


# ---------------------------------------------------------------- API


@api.get("/investment/stages", response_model=list[schemas.StageOut])
def api_stages(db: DB, actor: CurrentActor) -> list[schemas.StageOut]:
    """The stage table: stages in order and the moves each allows."""
    service.require_read(actor)
    return [schemas.StageOut.model_validate(s) for s in service.stages(db)]


@api.get("/investment/dashboard", response_model=schemas.DashboardOut)
def api_dashboard(
    request: Request, db: DB, actor: CurrentActor, year: Year = None, group: Short = None
) -> schemas.DashboardOut:
    """Signed projects and investment by quarter; the funnel by chain, source or team."""
    today = today_of(request)
    figures = service.dashboard(
        db, actor=actor, year=year or today.year, today=today, group=group or "chain"
    )
    return schemas.DashboardOut.of(figures)


@api.get("/investment/projects", response_model=PageOut[schemas.ProjectOut])
def api_projects(
    request: Request,
    db: DB,
    actor: CurrentActor,
    stage: StageQ = None,
    chain: Short = None,
    source: Short = None,
    team: TeamQ = None,
    band: Short = None,
    stale: StaleQ = None,
    q: Short = None,
    sort: Short = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> PageOut[schemas.ProjectOut]:
    """The pipeline, filtered as on the list page."""
    filters = _filters(stage, chain, source, team, band, stale, q, sort)
    result = service.get_all(
        db, actor=actor, today=today_of(request), filters=filters, page=page, per_page=per_page
    )
    return PageOut[schemas.ProjectOut](
        **PageOut.fields(result), items=[schemas.ProjectOut.of(p) for p in result.items]
    )


@api.get("/investment/projects/{project_id}", response_model=schemas.ProjectDetailOut)
def api_project(project_id: ProjectId, db: DB, actor: CurrentActor) -> schemas.ProjectDetailOut:
    """One project with its stage history."""
    project = service.get_or_raise(db, actor=actor, project_id=project_id)
    events = service.history(db, actor=actor, project_id=project_id)
    return schemas.ProjectDetailOut.of(project, events)


@api.post("/investment/projects", response_model=schemas.ProjectOut, status_code=201)
def api_create(
    request: Request, body: schemas.ProjectIn, db: DB, actor: CurrentActor
) -> schemas.ProjectOut:
    """Enter a project (a new lead by default); amounts in 亿元 as decimal text."""
    try:
        project = service.create(db, actor=actor, today=today_of(request), data=body.to_new())
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt="登记项目（接口）", error=error)
        raise
    return schemas.ProjectOut.of(project)


@api.post("/investment/projects/{project_id}/move", response_model=schemas.ProjectOut)
def api_move(
    request: Request, project_id: ProjectId, body: schemas.MoveIn, db: DB, actor: CurrentActor
) -> schemas.ProjectOut:
    """Move a project to another stage the stage table allows."""
    try:
        project = service.move(
            db, actor=actor, today=today_of(request), project_id=project_id,
            to_stage=body.to_stage, expected_stage=body.expected_stage, on=body.on, note=body.note,
        )  # fmt: skip
    except WulianError as error:
        service.refused(
            db, actor=actor, project_id=project_id, attempt="转阶段（接口）", error=error
        )
        raise
    return schemas.ProjectOut.of(project)
