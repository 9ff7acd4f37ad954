"""The talent pages: the hub (a firm's staff, posts, authorisation and recognitions; the talent
office's review), people records (masked, audited), the staff and posts imports, the
authorisation of firms, and the industry talent map with its 紧缺人才目录 download."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core import audit
from wulian.core.db import unit_of_work, utcnow
from wulian.core.deps import (
    DB,
    CurrentActor,
    FormFields,
    render,
    settings_of,
    today_of,
    xlsx_download,
)
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.forms import row_numbers, whole_number
from wulian.core.permissions import Actor, Permission
from wulian.core.specpages import SpecPages, spec_router
from wulian.core.uploads import Uploads
from wulian.reference import service as reference
from wulian.talent import (
    authorisation_runs,
    colleges,
    evaluation,
    evaluations,
    imports,
    matching,
    occupations,
    scarcity,
    schemas,
    service,
    sevenform,
)
from wulian.talent import programmes as programme_service
from wulian.talent.crypto import KeyMissing, Keys

log = logging.getLogger(__name__)

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["人才"])

PersonId = Annotated[int, Path_(title="人员编号")]
PostId = Annotated[int, Path_(title="岗位编号")]
RecognitionId = Annotated[int, Path_(title="认定编号")]
KindP = Annotated[str, Path_(max_length=8, title="导入类别")]
ChainQ = Annotated[str | None, Query(max_length=48, title="产业链")]
YearQ = Annotated[int | None, Query(ge=2000, le=2999, title="数据年度")]


def keys_of(request: Request) -> Keys:
    """The keys from the settings; a clear error (503) when the key is not configured."""
    return Keys.from_master(settings_of(request).talent_key.get_secret_value())


def table_of(request: Request, db: Session) -> Mapping[str, str] | None:
    """The occupations (code → name): the file in the settings, else the table imported with
    `wulian reference import occupations`, else None (only the codes' shape is checked)."""
    path = occupations_file(settings_of(request))
    return occupations.load(path) if path else reference.occupation_names(db)


def occupations_file(settings: Any) -> Path | None:
    """The occupation file of the settings when it is there; a configured file that is missing
    is logged and left out (the table imported into the reference data is used instead, and
    the occupations page says so), never a failed request."""
    path = settings.occupations_file
    if not path:
        return None
    if not Path(path).is_file():
        log.error("设置中配置的职业分类文件不存在：%s", path)
        return None
    return Path(path)


def _refused(db: Session, actor: Actor, attempt: str, error: WulianError, oid: int | None) -> None:
    service.refused(db, actor=actor, attempt=attempt, error=error, object_id=oid)


def _kind(kind: str) -> imports.Kind:
    found = imports.KINDS.get(kind)
    if found is None:
        raise NotFound("没有这种导入")
    return found


# ---------------------------------------------------------------- hub


def _hub_context(request: Request, db: Session, actor: Actor) -> dict[str, Any]:
    actor.require(Permission.TALENT_READ)
    today = today_of(request)
    office = service.in_office(db, actor)
    firm = actor.enterprise_id
    context: dict[str, Any] = {
        "actor": actor, "today": today, "office": office, "firm": firm,
        "authorisations": service.authorisations(db, actor=actor, today=today, limit=30),
        "recognitions": (
            service.list_recognitions(db, actor=actor) if office or firm is not None else []
        ),
        "posts": service.list_posts(db, actor=actor) if firm is not None or office else [],
        "people_count": service.count_people(db, enterprise_id=firm) if office or firm else None,
        "grades": {k: service.GRADES[k] for k in service.FIRM_GRADES},
        "people": [],
    }  # fmt: skip
    if firm is not None:
        try:
            context["people"] = service.list_people(db, actor=actor, keys=keys_of(request))
        except KeyMissing as missing:
            context["key_missing"] = missing.message
    return context


@pages.get("/talent")
def hub(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "talent/hub.html", _hub_context(request, db, actor))


# ---------------------------------------------------------------- people


@pages.get("/talent/people")
def people(
    request: Request, db: DB, actor: CurrentActor,
    firm: Annotated[int | None, Query(ge=1, title="企业编号")] = None,
    person: Annotated[int | None, Query(ge=1, title="人员编号")] = None,
) -> Response:  # fmt: skip
    """The people of a firm or of the pool (talent office), or one person; each read audited."""
    try:
        keys = keys_of(request)
    except KeyMissing as missing:
        context = {"actor": actor, "people": [], "key_missing": missing.message}
        return render(request, "talent/people.html", context)
    if person is not None:
        try:
            view = service.get_person(db, actor=actor, keys=keys, person_id=person)
        except (PermissionDenied, service.OtherFirmsPerson) as error:
            _refused(db, actor, "查看人员信息", error, person)
            raise
        shown: dict[str, Any] = {"actor": actor, "person": view, "fits": None}
        shown["occupation_names"] = table_of(request, db) or {}
        shown["evaluation_run"], shown["evaluated"] = evaluations.person_result(
            db, actor=actor, person_id=person
        )
        if service.in_office(db, actor):
            try:
                shown["fits"] = matching.posts_for_person(db, actor=actor, person_id=person)
            except InvalidInput as error:
                shown["fits_note"] = error.message
        return render(request, "talent/person.html", shown)
    try:
        listed = service.list_people(db, actor=actor, keys=keys, enterprise_id=firm)
    except PermissionDenied as error:
        _refused(db, actor, "查看人员名单", error, None)
        raise
    names = table_of(request, db) or {}
    return render(
        request, "talent/people.html", {"actor": actor, "people": listed, "occupation_names": names}
    )


# ---------------------------------------------------------------- matching


@pages.get("/talent/posts/{post_id}")
def post_page(request: Request, post_id: PostId, db: DB, actor: CurrentActor) -> Response:
    """A post and its 推荐人选 (the office: the people; the firm: masked; others: refused)."""
    candidates = matching.candidates_for_post(db, actor=actor, post_id=post_id)  # checks first
    post = matching.get_post(db, actor=actor, post_id=post_id)
    office = service.in_office(db, actor)
    context = {"actor": actor, "post": post, "candidates": candidates, "office": office}
    context["occupation_names"] = table_of(request, db) or {}
    return render(request, "talent/post.html", context)


# ---------------------------------------------------------------- imports


def _uploads(request: Request) -> Uploads:
    settings = settings_of(request)
    return Uploads(
        folder=settings.data_dir / "uploads",
        keep=dt.timedelta(hours=settings.upload_keep_hours),
        clock=getattr(request.app.state, "clock", utcnow),
    )


def _import_context(actor: Actor, kind: imports.Kind) -> dict[str, Any]:
    return {"actor": actor, "kind": kind, "report": None, "error": None, "token": None}


def _import_page(found: imports.Kind) -> Any:
    def page(request: Request, db: DB, actor: CurrentActor) -> Response:
        actor.require(Permission.TALENT_WRITE)
        return render(request, "talent/import.html", _import_context(actor, found))

    return page


def _import_template(found: imports.Kind) -> Any:
    def template(request: Request, actor: CurrentActor) -> Response:
        actor.require(Permission.TALENT_WRITE)
        return xlsx_download(imports.template_xlsx(found), f"{found.title}导入模板.xlsx")

    return template


for _found in imports.KINDS.values():  # one page per kind (no path parameter to guess)
    pages.add_api_route(f"/talent/import/{_found.key}", _import_page(_found), methods=["GET"])
    pages.add_api_route(
        f"/talent/import/{_found.key}/template.xlsx", _import_template(_found), methods=["GET"]
    )


@pages.post("/talent/import/{kind}")
def import_check(
    request: Request, kind: KindP, db: DB, actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    firm: Annotated[int | None, Form(ge=1, title="企业编号")] = None,
) -> Response:  # fmt: skip
    """Upload and check a file; nothing is written until the check is confirmed."""
    actor.require(Permission.TALENT_WRITE)
    found = _kind(kind)
    filename = Path(file.filename or "名单.xlsx").name[:200]
    data = file.file.read()
    context = _import_context(actor, found)
    try:
        report = imports.run_import(
            db, kind=found, actor=actor, keys=keys_of(request), today=today_of(request),
            data=data, filename=filename, dry_run=True, enterprise_id=firm,
            table=table_of(request, db),
        )  # fmt: skip
    except PermissionDenied as error:
        _refused(db, actor, f"导入{found.title}", error, None)
        raise
    except WulianError as error:
        db.rollback()
        context["error"] = error
        return render(request, "talent/import.html", context, status_code=error.status)
    if not report.problems:
        meta = {"filename": filename, "actor": Uploads.owner(actor), "firm": firm}
        context["token"] = _uploads(request).save(data=data, meta=meta, report=b"")
    context["report"] = report
    return render(request, "talent/import.html", context)


@pages.post("/talent/import/{kind}/{token}/commit")
def import_commit(
    request: Request, kind: KindP, token: Annotated[str, Path_(max_length=40)], db: DB,
    actor: CurrentActor, form: FormFields, background: BackgroundTasks,
) -> Response:  # fmt: skip
    """Write a checked file: every row, flagged rows only when their boxes are ticked."""
    actor.require(Permission.TALENT_WRITE)
    found = _kind(kind)
    uploads = _uploads(request)
    meta = uploads.meta_for(token, actor)
    confirmed = row_numbers(v for v in form.getlist("confirm") if isinstance(v, str))
    report = imports.run_import(
        db, kind=found, actor=actor, keys=keys_of(request), today=today_of(request),
        data=uploads.data(token), filename=meta["filename"], dry_run=False,
        enterprise_id=meta.get("firm"), confirm_rows=confirmed, table=table_of(request, db),
    )  # fmt: skip
    if report.committed:
        uploads.used(token)
        # posts and people without an occupation: suggested after the import is committed,
        # as the system actor
        background.add_task(suggest_occupations, request.app)
    context = _import_context(actor, found) | {
        "report": report,
        "token": None if report.committed else token,
    }
    return render(request, "talent/import.html", context)


# ---------------------------------------------------------------- recognitions


@pages.post("/talent/recognitions")
def recognise(
    request: Request, db: DB, actor: CurrentActor,
    person_id: Annotated[int, Form(ge=1, title="人员")],
    grade: Annotated[str, Form(max_length=4, title="类别")],
    evidence: Annotated[str, Form(max_length=4000, title="认定依据")],
) -> Response:  # fmt: skip
    try:
        service.submit_recognition(
            db, actor=actor, person_id=person_id, grade=grade, evidence=evidence,
            today=today_of(request),
        )  # fmt: skip
    except WulianError as error:
        service.recognition_refused(db, actor=actor, attempt="提交人才认定", error=error)
        return _hub_error(request, db, actor, error)
    return RedirectResponse("/talent?submitted=1", status_code=303)


@pages.post("/talent/recognitions/{recognition_id}/decide")
def decide(
    request: Request, recognition_id: RecognitionId, db: DB, actor: CurrentActor,
    decision: Annotated[str, Form(max_length=8, title="认账意见")],
    note: Annotated[str, Form(max_length=500, title="说明")] = "",
) -> Response:  # fmt: skip
    try:
        if decision not in ("approve", "return"):
            raise InvalidInput("请选择认账或退回", field="decision")
        service.decide_recognition(
            db, actor=actor, recognition_id=recognition_id, approve=decision == "approve",
            note=note, today=today_of(request),
        )  # fmt: skip
    except WulianError as error:
        service.recognition_refused(
            db, actor=actor, attempt="认账" if decision == "approve" else "退回认定",
            error=error, object_id=recognition_id,
        )  # fmt: skip
        return _hub_error(request, db, actor, error)
    return RedirectResponse(f"/talent?decided={decision}", status_code=303)


def _hub_error(request: Request, db: Session, actor: Actor, error: WulianError) -> Response:
    try:
        context = _hub_context(request, db, actor)
    except WulianError:
        raise error from None
    context["error"] = error
    return render(request, "talent/hub.html", context, status_code=error.status)


# ---------------------------------------------------------------- authorisations


@pages.get("/talent/authorisations")
def authorisation_page(
    request: Request, db: DB, actor: CurrentActor, year: YearQ = None,
    status: Annotated[str | None, Query(max_length=12, title="结论")] = None,
    page: Annotated[int, Query(ge=1, le=100_000, title="页码")] = 1,
    run: Annotated[int | None, Query(ge=1, title="评价编号")] = None,
) -> Response:  # fmt: skip
    today = today_of(request)
    year = year or today.year - 1
    return render(
        request, "talent/authorisations.html",
        _authorisation_context(db, actor, year, today, status, page, run),
    )  # fmt: skip


def _authorisation_context(
    db: Session, actor: Actor, year: int, today: dt.date, status: str | None, page: int,
    run_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The stored evaluations of year (none yet: the office evaluates): the current one (the
    newest) or an older one asked for, and a page of its firms."""
    year_runs = authorisation_runs.of_year(db, actor=actor, year=year)
    current = year_runs[0] if year_runs else None
    run = next((r for r in year_runs if r.id == run_id), current) if run_id else current
    listed = (
        authorisation_runs.results(db, actor=actor, run_id=run.id, status=status, page=page)
        if run is not None
        else None
    )
    return {
        "actor": actor, "year": year, "today": today, "run": run, "listed": listed,
        "year_runs": year_runs, "current_run": current,
        "status": status or "", "statuses": authorisation_runs.STATUSES, "error": None,
        "granted": service.authorisations(db, actor=actor, today=today),
        "office": service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE),
    }  # fmt: skip


@pages.post("/talent/authorisations/evaluate")
def authorisation_evaluate(
    request: Request, db: DB, actor: CurrentActor,
    year: Annotated[int, Form(ge=2000, le=2999, title="数据年度")],
) -> Response:  # fmt: skip
    """Evaluate every zone firm on year's data again and keep the result (talent office)."""
    today = today_of(request)
    try:
        authorisation_runs.evaluate(db, actor=actor, year=year, today=today)
    except PermissionDenied as error:
        _refused(db, actor, "评价人才自主评价资格", error, None)
        raise
    except WulianError as error:
        db.rollback()
        context = _authorisation_context(db, actor, year, today, None, 1) | {"error": error}
        return render(request, "talent/authorisations.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/authorisations?year={year}&evaluated=1", status_code=303)


@pages.post("/talent/authorisations")
def authorise(
    request: Request, db: DB, actor: CurrentActor,
    year: Annotated[int, Form(ge=2000, le=2999, title="数据年度")],
) -> Response:  # fmt: skip
    granted = service.authorise_firms(db, actor=actor, year=year, today=today_of(request))
    return RedirectResponse(
        f"/talent/authorisations?year={year}&granted={len(granted)}", status_code=303
    )


# ---------------------------------------------------------------- map


@pages.get("/talent/map")
def talent_map(request: Request, db: DB, actor: CurrentActor, chain: ChainQ = None) -> Response:
    table = table_of(request, db)
    cells = service.talent_map(db, actor=actor, chain=chain or None, table=table)
    years, trends = service.talent_trends(db, actor=actor, chain=chain or None, table=table)
    graduates = {(n.chain_name, n.node_name): n for n in colleges.overview(db, actor=actor).nodes}
    context = {
        "actor": actor, "cells": cells, "chain": chain or "",
        "chains": [(c.spec.id, c.spec.name) for c in chains_service.chains(db, actor=actor)],
        "levels": scarcity.LEVELS, "years": years, "trends": trends, "graduates": graduates,
    }  # fmt: skip
    return render(request, "talent/map.html", context)


@pages.get("/talent/map/catalogue.xlsx")
def catalogue(request: Request, db: DB, actor: CurrentActor) -> Response:
    data = service.shortage_catalogue_xlsx(db, actor=actor, table=table_of(request, db))
    return xlsx_download(data, "紧缺人才目录.xlsx")


@api.get("/talent/map", response_model=list[schemas.MapCellOut])
def map_api(request: Request, db: DB, actor: CurrentActor, chain: ChainQ = None) -> Any:
    """The industry talent map: demand, supply and scarcity per chain node and occupation."""
    cells = service.talent_map(db, actor=actor, chain=chain or None, table=table_of(request, db))
    return [schemas.MapCellOut.of(c) for c in cells]


# ---------------------------------------------------------------- talent evaluations (七维, A–E)

RunId = Annotated[int, Path_(title="评价编号")]
GradeQ = Annotated[str | None, Query(max_length=8, title="类别")]
PageQ = Annotated[int, Query(ge=1, le=100_000, title="页码")]


def _evaluations_context(db: Session, actor: Actor) -> dict[str, Any]:
    office = service.in_office(db, actor)
    listed = evaluations.run_list(db, actor=actor)
    return {
        "actor": actor, "office": office and actor.has(Permission.TALENT_WRITE),
        "runs": listed, "current_run": evaluations.current_of(listed), "error": None,
    }  # fmt: skip


@pages.get("/talent/evaluations")
def evaluations_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    """The talent evaluations (七维 points and A–E class): the runs; the office runs one."""
    try:
        context = _evaluations_context(db, actor)
    except PermissionDenied as error:
        _refused(db, actor, "查看人才评价", error, None)
        raise
    return render(request, "talent/evaluations.html", context)


@pages.post("/talent/evaluations")
def evaluations_run(
    request: Request, db: DB, actor: CurrentActor,
    note: Annotated[str, Form(max_length=500, title="备注")] = "",
) -> Response:  # fmt: skip
    try:
        run = evaluations.create_run(db, actor=actor, today=today_of(request), note=note)
    except PermissionDenied as error:
        _refused(db, actor, "运行人才评价", error, None)
        raise
    except WulianError as error:
        db.rollback()
        context = _evaluations_context(db, actor) | {"error": error}
        return render(request, "talent/evaluations.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/evaluations/{run.id}", status_code=303)


def _run_context(
    db: Session, actor: Actor, run_id: int, grade: str | None, page: int
) -> dict[str, Any]:
    run = evaluations.run_or_raise(db, actor=actor, run_id=run_id)
    listed = evaluations.results(db, actor=actor, run_id=run_id, grade=grade or None, page=page)
    return {
        "actor": actor, "run": run, "listed": listed, "grade": grade or "",
        "filters": evaluations.GRADE_FILTERS, "error": None,
        "current_run": evaluations.latest_published(db),
        "office": service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE),
    }  # fmt: skip


@pages.get("/talent/evaluations/{run_id}")
def evaluation_run_page(
    request: Request, run_id: RunId, db: DB, actor: CurrentActor, grade: GradeQ = None,
    page: PageQ = 1,
) -> Response:  # fmt: skip
    """The people of a run by class, with their 七维 points; filter by class; paged."""
    try:
        context = _run_context(db, actor, run_id, grade, page)
    except PermissionDenied as error:
        _refused(db, actor, "查看人才评价结果", error, None)
        raise
    return render(request, "talent/evaluation_run.html", context)


def _run_action(request: Request, db: Session, actor: Actor, run_id: int, act: Any) -> Response:
    try:
        act()
    except PermissionDenied as error:
        _refused(db, actor, "发布或撤回人才评价", error, run_id)
        raise
    except WulianError as error:
        db.rollback()
        context = _run_context(db, actor, run_id, None, 1) | {"error": error}
        return render(request, "talent/evaluation_run.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/evaluations/{run_id}", status_code=303)


@pages.post("/talent/evaluations/{run_id}/publish")
def evaluation_publish(request: Request, run_id: RunId, db: DB, actor: CurrentActor) -> Response:
    today = today_of(request)
    return _run_action(
        request, db, actor, run_id,
        lambda: evaluations.publish(db, actor=actor, run_id=run_id, today=today),
    )  # fmt: skip


@pages.post("/talent/evaluations/{run_id}/withdraw")
def evaluation_withdraw(
    request: Request, run_id: RunId, db: DB, actor: CurrentActor,
    reason: Annotated[str, Form(max_length=400, title="撤回原因")] = "",
) -> Response:  # fmt: skip
    return _run_action(
        request, db, actor, run_id,
        lambda: evaluations.withdraw(db, actor=actor, run_id=run_id, reason=reason),
    )  # fmt: skip


SpecId = Annotated[int, Path_(title="方案版本编号")]


def _spec_form_context(
    db: Session, actor: Actor, spec_id: int, fields: Mapping[str, str] | None = None
) -> dict[str, Any]:
    row, form = evaluations.spec_form(db, actor=actor, spec_id=spec_id)
    # after an error the rows are those of the stored version (the same inputs as posted) and
    # every box shows what was typed in it, the values that are not numbers marked
    typed = None if fields is None else {k: v[:40] for k, v in fields.items()}
    return {
        "actor": actor, "spec": row, "form": form, "extra_rows": sevenform.EXTRA_ROWS,
        "row_label": sevenform.row_label, "total": sevenform.WEIGHT_TOTAL, "error": None,
        "note": (fields or {}).get("note", ""), "typed": typed,
        "invalid": sevenform.unreadable(fields or {}),
    }  # fmt: skip


@pages.get("/talent/evaluation/specs/{spec_id}/form")
def evaluation_spec_form(
    request: Request, spec_id: SpecId, db: DB, actor: CurrentActor
) -> Response:
    """The 七维 spec's weights and scoring tables as a form (the talent office)."""
    try:
        context = _spec_form_context(db, actor, spec_id)
    except PermissionDenied as error:
        _refused(db, actor, "修改七维人才评价方案", error, None)
        raise
    return render(request, "talent/spec_form.html", context)


@pages.post("/talent/evaluation/specs/{spec_id}/form")
def evaluation_spec_form_save(
    request: Request, spec_id: SpecId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    """Save the form's weights and tables as a new version of the 七维 spec."""
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        row = evaluations.save_form(
            db, actor=actor, spec_id=spec_id, fields=fields, note=fields.get("note", "")[:500]
        )
    except PermissionDenied as error:
        _refused(db, actor, "修改七维人才评价方案", error, None)
        raise
    except WulianError as error:
        _refused(db, actor, "修改七维人才评价方案", error, None)
        context = _spec_form_context(db, actor, spec_id, fields) | {"error": error}
        context["invalid"] = context["invalid"] | set(error.extra.get("invalid", []))
        return render(request, "talent/spec_form.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/evaluation/specs/{row.id}?saved=1", status_code=303)


EVALUATION_SPEC_PAGES = SpecPages(
    base="/talent/evaluation/specs",
    kind=evaluations.SPECS,
    intro="七维人才评价方案：七个维度的权重和分档表。修改后保存为新版本；每次评价记下所用版本。",
    hint="索引引擎方案格式（见 docs/guide/index-engine.md）外加 min_known（至少已知的维度数）和"
    " codes（等级数值的中文名称）；每个维度须有一个 steps 分档表。保存前检查格式、权重和分档。",
    shipped_note="平台内置的默认方案：权重与分档不是官方数值，请按本地方案修改。",
    edit_permission=Permission.TALENT_WRITE,
    form="form",
    form_label="按表单修改权重和分档",
    summary=evaluation.changes,
)
pages.include_router(spec_router(EVALUATION_SPEC_PAGES))


# ---------------------------------------------------------------- suggested occupations of posts

_STORE_LOCK = threading.Lock()
_STORES: dict[Path, occupations.ModelStore] = {}  # one per models folder in this process


def occupation_store(app: Any) -> occupations.ModelStore:
    """The process's occupation models, kept under the data folder (models/): one store per
    folder for the whole process, so a model file is read once (about 0.7 s) and then reused by
    every request, import and background fill of the process."""
    with _STORE_LOCK:
        store = getattr(app.state, "talent_occupation_models", None)
        if store is None:
            folder = (Path(app.state.settings.data_dir) / "models").resolve()
            store = _STORES.get(folder)
            if store is None:
                store = _STORES[folder] = occupations.ModelStore(folder)
            app.state.talent_occupation_models = store
        return store


def occupation_source(settings: Any, db: Session) -> occupations.Source | None:
    """The classification the model learns: the settings' file, else the loaded table."""
    path = occupations_file(settings)
    if path is not None:
        return occupations.source_of(path, None)
    return occupations.source_of(None, reference.occupation_table(db))


def build_in_background(app: Any, source: occupations.Source) -> threading.Thread | None:
    """Start building the model of source (unless built or building); when it is built, the
    posts waiting for a suggestion (待建议) are filled in a unit of work of their own."""
    factory = app.state.session_factory

    def then(model: Any) -> None:
        actor = Actor.system(label=OCCUPATION_LABEL)
        with unit_of_work(factory) as session:
            audit.track(session, actor)
            audit.record(
                session, action="talent.occupation_model", object_type="talent_posts",
                after={"key": source.key[:32]},
            )  # fmt: skip
            fill_all(session, model)

    return occupation_store(app).start(source, then)


def fill_all(session: Session, model: Any) -> None:
    """The posts and the people waiting for a suggested occupation, filled (as the system)."""
    service.fill_suggestions(session, model=model)
    service.fill_people_suggestions(session, model=model)


OCCUPATION_LABEL = "职业建议"


def suggest_posts(app: Any, *, build: bool = False) -> str:
    """Fill the posts and the people waiting for a suggested occupation (待建议, of every firm)
    when the model is ready; otherwise the model is built in the background (when build is
    asked for, or the server runs with warm-up and something waits) and they stay 待建议 until
    it is. Also run by the warm-up, before the server accepts connections. Runs after the
    request's unit of work is committed (a background task of the response), in a unit of work
    of its own as the system actor; a failure is logged and leaves them waiting, it never
    undoes or fails the import or the edit. Returns the model's state."""
    try:
        with unit_of_work(app.state.session_factory) as session:
            audit.track(session, Actor.system(label=OCCUPATION_LABEL))
            source = occupation_source(app.state.settings, session)
            if source is None:
                return "none"
            store = occupation_store(app)
            model = store.get(source)
            if model is not None:
                fill_all(session, model)
                return "ready"
            waiting = bool(
                service.count_suggestions(session).get("pending")
                or service.count_people_suggestions(session).get("pending")
            )
        if build or (waiting and app.state.settings.warm_up):
            build_in_background(app, source)
        return store.state(source)
    except Exception:  # they stay 待建议; the office sees the model state
        log.exception("职业代码建议失败")
        return "failed"


suggest_occupations = suggest_posts  # the posts and the people


MODEL_STATES = {
    "ready": "职业分类模型已就绪",
    "building": (
        "职业分类模型正在后台建立（全表约需一两分钟），建立后自动为待建议的岗位和人员给出建议"
    ),
    "failed": "职业分类模型建立失败，请查看服务器日志后重试",
    "absent": "职业分类模型尚未建立",
    "none": "尚未载入职业分类大典（2022）：请系统管理员导入职业分类表或在设置中配置职业分类文件",
}
FILE_MISSING = "设置中配置的职业分类文件不存在（{}）：暂用已导入的职业分类表，请系统管理员检查设置"


def _occupations_context(
    request: Request, db: Session, actor: Actor, typed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The review page: the queues to review, then the suggestions taken automatically (which
    the office may correct); typed: the code a refused review typed (kind, id, code)."""
    table = table_of(request, db)
    queue = service.occupation_queue(db, actor=actor, table=table)
    taken = service.occupation_queue(db, actor=actor, table=table, states=("suggested",))
    people_queue = service.people_occupation_queue(db, actor=actor, table=table)  # audited
    people_taken = service.people_occupation_queue(  # audited
        db, actor=actor, table=table, states=("suggested",)
    )
    done = _review_done(request, db, actor, table)
    settings = settings_of(request)
    source = occupation_source(settings, db)
    state = occupation_store(request.app).state(source)
    configured = settings.occupations_file
    missing = ""
    if configured is not None and occupations_file(settings) is None:
        missing = FILE_MISSING.format(Path(configured).name)
    return {
        "file_missing": missing,
        "actor": actor, "queue": queue, "counts": service.count_suggestions(db),
        "people_queue": people_queue, "people_counts": service.count_people_suggestions(db),
        "states": occupations.STATES, "model_state": state,
        "model_note": MODEL_STATES.get(state, state), "table": sorted((table or {}).items()),
        "can_write": actor.has(Permission.TALENT_WRITE), "error": None,
        "taken": taken, "people_taken": people_taken, "typed": typed or {}, "done": done,
    }  # fmt: skip


def _review_done(
    request: Request, db: Session, actor: Actor, table: Mapping[str, str] | None
) -> str:
    """The message after a review (?reviewed=post id, ?reviewed_person=person id): which post
    or person now has which occupation; the person's name is a people read (audited)."""
    names = table or {}

    def number(key: str) -> int | None:
        return whole_number(request.query_params.get(key, ""))

    post_id, person_id = number("reviewed"), number("reviewed_person")
    if post_id is not None:
        found = service.reviewed_post(db, actor=actor, post_id=post_id)
        if found is not None:
            title, code = found
            return f"已复核岗位 {post_id}“{title}”：职业代码 {code} {names.get(code, '')}".rstrip()
    if person_id is not None:
        person = service.reviewed_person(db, actor=actor, person_id=person_id)  # audited
        if person is not None:
            name, code = person
            shown = f"{code} {names.get(code, '')}".rstrip()
            return f"已复核人员 {person_id}（{name}）：职业代码 {shown}"
    return ""


def _about(db: Session, kind: str, oid: int, error: WulianError) -> WulianError:
    """The refused review's error naming the post or the person it was about (the queue rows
    the office sees carry the same numbers and names)."""
    where = service.review_subject(db, kind, oid)
    error.message = f"{where}：{error.message}"
    return error


@pages.get("/talent/occupations")
def occupation_review_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    """The posts and the people whose suggested occupation the talent office reviews (low
    confidence), in two lists."""
    try:
        context = _occupations_context(request, db, actor)
    except PermissionDenied as error:
        _refused(db, actor, "查看职业代码复核", error, None)
        raise
    return render(request, "talent/occupations.html", context)


@pages.post("/talent/occupations/model")
def occupation_model(
    request: Request, db: DB, actor: CurrentActor, background: BackgroundTasks
) -> Response:
    """Build the model now (in the background) and fill the posts waiting for it (the office)."""
    try:
        actor.require(Permission.TALENT_WRITE)
        if not service.in_office(db, actor):
            raise PermissionDenied(service.OCCUPATION_REVIEW_ONLY)
    except PermissionDenied as error:
        _refused(db, actor, "建立职业分类模型", error, None)
        raise
    if occupation_source(settings_of(request), db) is None:
        raise InvalidInput(MODEL_STATES["none"])
    # filled (or the model built first) after this request, as the system actor
    background.add_task(suggest_posts, request.app, build=True)
    return RedirectResponse("/talent/occupations?model=1", status_code=303)


@pages.post("/talent/posts/{post_id}/occupation")
def occupation_review(
    request: Request, post_id: PostId, db: DB, actor: CurrentActor,
    code: Annotated[str, Form(max_length=20, title="职业代码")] = "",
) -> Response:  # fmt: skip
    """The office accepts the suggested occupation or chooses another code of the table."""
    try:
        service.review_occupation(
            db, actor=actor, post_id=post_id, code=code, table=table_of(request, db)
        )
    except PermissionDenied as error:
        _refused(db, actor, "复核岗位职业代码", error, post_id)
        raise
    except WulianError as error:
        _refused(db, actor, "复核岗位职业代码", error, post_id)
        typed = {"kind": "post", "id": post_id, "code": code}
        context = _occupations_context(request, db, actor, typed)
        context["error"] = _about(db, "post", post_id, error)
        return render(request, "talent/occupations.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/occupations?reviewed={post_id}", status_code=303)


@pages.post("/talent/people/{person_id}/occupation")
def person_occupation_review(
    request: Request, person_id: PersonId, db: DB, actor: CurrentActor,
    code: Annotated[str, Form(max_length=20, title="职业代码")] = "",
) -> Response:  # fmt: skip
    """The office accepts a person's suggested occupation or chooses another code."""
    try:
        service.review_person_occupation(
            db, actor=actor, person_id=person_id, code=code, table=table_of(request, db)
        )
    except (PermissionDenied, service.OtherFirmsPerson) as error:
        _refused(db, actor, "复核人员职业代码", error, person_id)
        raise
    except WulianError as error:
        _refused(db, actor, "复核人员职业代码", error, person_id)
        typed = {"kind": "person", "id": person_id, "code": code}
        context = _occupations_context(request, db, actor, typed)
        context["error"] = _about(db, "person", person_id, error)
        return render(request, "talent/occupations.html", context, status_code=error.status)
    return RedirectResponse(f"/talent/occupations?reviewed_person={person_id}", status_code=303)


# ---------------------------------------------------------------- editing a person's record


def _edit_context(request: Request, db: Session, actor: Actor, person_id: int) -> dict[str, Any]:
    view = service.get_person(db, actor=actor, keys=keys_of(request), person_id=person_id)
    _, values = service.editable_values(db, actor=actor, person_id=person_id)
    return {
        "actor": actor, "person": view, "values": values, "errors": {}, "labels": service.EDITABLE,
        "education": service.EDUCATION,
        "bands": {k: v[0] for k, v in service.SALARY_BANDS.items()},
        "titles": evaluation.TITLE_LEVELS, "positions": evaluation.POSITION_LEVELS,
        "honours": evaluation.HONOUR_LEVELS, "saved": None,
    }  # fmt: skip


@pages.get("/talent/people/{person_id}/edit")
def person_edit_page(
    request: Request, person_id: PersonId, db: DB, actor: CurrentActor
) -> Response:
    """The editable fields of a person's record (the office; a firm its own staff)."""
    try:
        keys_of(request)
    except KeyMissing as missing:  # as the record page: the page says why
        context = {"actor": actor, "people": [], "key_missing": missing.message}
        return render(request, "talent/people.html", context)
    try:
        firm, _ = service.editable_values(db, actor=actor, person_id=person_id)
        service.require_people_write(db, actor, firm)
        context = _edit_context(request, db, actor, person_id)
    except (PermissionDenied, service.OtherFirmsPerson) as error:
        _refused(db, actor, "修改人员信息", error, person_id)
        raise
    return render(request, "talent/person_edit.html", context)


@pages.post("/talent/people/{person_id}/edit")
def person_edit(
    request: Request, person_id: PersonId, db: DB, actor: CurrentActor, form: FormFields,
    background: BackgroundTasks,
) -> Response:  # fmt: skip
    values = {name: str(form.get(name) or "")[:400] for name in service.EDITABLE if name in form}
    try:
        changed = service.update_person(
            db, actor=actor, person_id=person_id, values=values, table=table_of(request, db)
        )
    except (PermissionDenied, service.OtherFirmsPerson) as error:
        _refused(db, actor, "修改人员信息", error, person_id)
        raise
    except InvalidInput as error:
        db.rollback()
        context = _edit_context(request, db, actor, person_id)
        context["values"] |= values
        field = str(error.extra.get("field") or "")
        context["errors"] = dict(error.extra.get("errors") or {field: error.message})
        context["error"] = error
        return render(request, "talent/person_edit.html", context, status_code=error.status)
    if changed:  # a blank occupation (or new skills of one waiting): suggested after the commit
        background.add_task(suggest_occupations, request.app)
    return RedirectResponse(
        f"/talent/people?person={person_id}&saved={len(changed)}", status_code=303
    )


# ---------------------------------------------------------------- API: people, programmes, imports

FirmQ = Annotated[int | None, Query(ge=1, title="企业编号")]
RoundId = Annotated[int, Path_(title="批次编号")]


@api.get("/talent/people", response_model=list[schemas.PersonOut])
def api_people(request: Request, db: DB, actor: CurrentActor, firm: FirmQ = None) -> Any:
    """People of a firm (a firm's caller: its own staff only) or of the pool (the talent office);
    identity numbers masked; the read is audited with the ids listed, a refusal too."""
    try:
        listed = service.list_people(db, actor=actor, keys=keys_of(request), enterprise_id=firm)
    except PermissionDenied as error:
        _refused(db, actor, "查看人员名单（接口）", error, None)
        raise
    return [schemas.PersonOut.of(v) for v in listed]


@api.get("/talent/people/{person_id}", response_model=schemas.PersonOut)
def api_person(request: Request, person_id: PersonId, db: DB, actor: CurrentActor) -> Any:
    """One person's record (masked), as the record page shows it; the read is audited."""
    try:
        view = service.get_person(db, actor=actor, keys=keys_of(request), person_id=person_id)
    except (PermissionDenied, service.OtherFirmsPerson) as error:
        _refused(db, actor, "查看人员信息（接口）", error, person_id)
        raise
    return schemas.PersonOut.of(view)


@api.get("/talent/programmes", response_model=list[schemas.RoundOut])
def api_programmes(request: Request, db: DB, actor: CurrentActor) -> Any:
    """Every round of every talent programme, newest first."""
    rounds = programme_service.programmes(db, actor=actor, today=today_of(request))
    return [
        schemas.RoundOut(
            id=r.id, programme_id=r.programme.id, programme_code=r.programme.code,
            programme_name=r.programme.name, name=r.name, opens_on=r.opens_on,
            closes_on=r.closes_on, open_now=r.open_now, applications=r.applications,
            min_award_yuan=r.programme.min_award_yuan, max_award_yuan=r.programme.max_award_yuan,
        )
        for r in rounds
    ]  # fmt: skip


@api.get(
    "/talent/programmes/rounds/{round_id}/applications",
    response_model=list[schemas.ApplicationOut],
)
def api_round_applications(round_id: RoundId, db: DB, actor: CurrentActor) -> Any:
    """A round's applications the caller may see: the talent office all (ranked), the round's
    experts all, a firm its own; others are refused (audited)."""
    try:
        _, _, views = programme_service.round_applications(db, actor=actor, round_id=round_id)
    except PermissionDenied as error:
        programme_service.refused(
            db, actor=actor, attempt="查看申报（接口）", error=error,
            object_type="talent_programme_rounds", object_id=round_id,
        )  # fmt: skip
        raise
    return [
        schemas.ApplicationOut(
            id=v.id, round_id=v.round_id, person_id=v.person_id, person_name=v.person_name,
            enterprise_id=v.enterprise_id, firm_name=v.firm_name, state=v.state,
            state_label=v.state_label, submitted_on=v.submitted_on, amount_yuan=v.amount_yuan,
            decided_on=v.decided_on, reviews=v.reviews, average=v.average, rank=v.rank,
        )
        for v in views
    ]  # fmt: skip


@api.post("/talent/import/{kind}", response_model=schemas.ImportOut)
def api_import(
    request: Request, kind: KindP, db: DB, actor: CurrentActor, background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
    firm: Annotated[int | None, Form(ge=1, title="企业编号")] = None,
    check_only: Annotated[bool, Form(title="只检查，不写入")] = False,
    confirm: Annotated[str, Form(max_length=2000, title="确认的行号（逗号分隔）")] = "",
) -> Response:  # fmt: skip
    """Import a staff list (staff) or posts (posts) file, all rows or none, by the same checks as
    the pages: 200 with the result when written (or checked only), 422 with every problem's row,
    column and value (identity numbers masked) and nothing written."""
    found = _kind(kind)
    filename = Path(file.filename or "名单.xlsx").name[:200]
    rows = row_numbers(confirm.replace("，", ",").split(","))
    try:
        actor.require(Permission.TALENT_WRITE)
        report = imports.run_import(
            db, kind=found, actor=actor, keys=keys_of(request), today=today_of(request),
            data=file.file.read(), filename=filename, dry_run=check_only, enterprise_id=firm,
            confirm_rows=rows, table=table_of(request, db),
        )  # fmt: skip
    except PermissionDenied as error:
        _refused(db, actor, f"导入{found.title}（接口）", error, None)
        raise
    if report.committed:  # posts and people without an occupation, after the commit
        background.add_task(suggest_occupations, request.app)
    body = schemas.ImportOut(
        kind=found.key, filename=filename, rows_total=report.rows_total, checked_only=check_only,
        committed=report.committed, created=report.created,
        problems=[schemas.ProblemOut(row=p.row, column=p.column, value=p.value, reason=p.reason)
                  for p in report.problems],
        flags=[schemas.FlagOut(row=f.row, column=f.column, value=f.value, reason=f.reason)
               for f in report.unconfirmed],
    )  # fmt: skip
    status = 200 if report.ready else 422
    return JSONResponse(body.model_dump(mode="json"), status_code=status)
