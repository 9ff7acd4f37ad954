"""The colleges page (院校: majors, graduates, retention against the target, the xlsx import) and
the recruitment events pages (人才周: posts offered, intentions and signings)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core.deps import DB, CurrentActor, render, xlsx_download
from wulian.core.errors import PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.talent import colleges, events, service
from wulian.talent.views import table_of

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["人才"])

CollegeId = Annotated[int, Path_(title="院校编号")]
MajorId = Annotated[int, Path_(title="专业编号")]
EventId = Annotated[int, Path_(title="活动编号")]
Name = Annotated[str, Form(max_length=100, title="名称")]
ChainF = Annotated[str, Form(max_length=48, title="产业链")]
NodeF = Annotated[str, Form(max_length=64, title="环节")]
CodeF = Annotated[str, Form(max_length=20, title="职业代码")]
YearF = Annotated[str, Form(max_length=20, title="毕业年度")]
Graduates = Annotated[str, Form(max_length=20, title="毕业生人数")]
Employed = Annotated[str, Form(max_length=20, title="区内企业就业人数")]
Retained = Annotated[str, Form(max_length=20, title="留在园区人数")]
Rate = Annotated[str, Form(max_length=20, title="目标留存率")]
Starts = Annotated[str, Form(max_length=20, title="开始日期")]
Ends = Annotated[str, Form(max_length=20, title="结束日期")]
Place = Annotated[str, Form(max_length=200, title="地点/院校")]
Candidates = Annotated[str, Form(max_length=20, title="应聘人数")]
Intentions = Annotated[str, Form(max_length=20, title="意向人数")]
Signings = Annotated[str, Form(max_length=20, title="签约人数")]
Upload = Annotated[UploadFile, File(title="院校毕业生文件")]


def _failed(db: Session, actor: Actor, attempt: str, error: WulianError) -> None:
    if isinstance(error, PermissionDenied):
        service.refused(db, actor=actor, attempt=attempt, error=error)
    else:
        db.rollback()


# ---------------------------------------------------------------- colleges


def _colleges(
    request: Request, db: Session, actor: Actor, error: WulianError | None = None,
    report: colleges.ImportReport | None = None, status: int = 200,
) -> Response:  # fmt: skip
    context: dict[str, Any] = {
        "actor": actor, "view": colleges.overview(db, actor=actor), "error": error,
        "report": report, "shown": colleges.shown,
        "office": service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE),
        "base": (colleges.DEFAULT_BASE_YEAR, colleges.DEFAULT_BASE_RATE,
                 colleges.DEFAULT_STEP, colleges.DEFAULT_CAP),
    }  # fmt: skip
    return render(request, "talent/colleges.html", context, status_code=status)


@pages.get("/talent/colleges")
def colleges_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return _colleges(request, db, actor)


def _write(request: Request, db: Session, actor: Actor, attempt: str, action: Any) -> Response:
    try:
        action()
    except WulianError as error:
        _failed(db, actor, attempt, error)
        return _colleges(request, db, actor, error=error, status=error.status)
    return RedirectResponse("/talent/colleges?saved=1", status_code=303)


@pages.post("/talent/colleges")
def add_college(request: Request, db: DB, actor: CurrentActor, name: Name) -> Response:
    return _write(
        request, db, actor, "登记院校", lambda: colleges.add_college(db, actor=actor, name=name)
    )


@pages.post("/talent/colleges/{college_id}/majors")
def add_major(
    request: Request, college_id: CollegeId, db: DB, actor: CurrentActor,
    name: Name, chain: ChainF = "", node: NodeF = "", occupation_code: CodeF = "",
) -> Response:  # fmt: skip
    return _write(
        request, db, actor, "登记院校专业",
        lambda: colleges.add_major(
            db, actor=actor, college_id=college_id, name=name, chain=chain, node=node,
            occupation_code=occupation_code, table=table_of(request, db),
        ),
    )  # fmt: skip


@pages.post("/talent/colleges/majors/{major_id}/cohorts")
def record_cohort(
    request: Request, major_id: MajorId, db: DB, actor: CurrentActor,
    year: YearF, graduates: Graduates, employed: Employed = "", retained: Retained = "",
) -> Response:  # fmt: skip
    return _write(
        request, db, actor, "登记院校毕业生",
        lambda: colleges.record_cohort(
            db, actor=actor, major_id=major_id, year=year, graduates=graduates,
            employed=employed, retained=retained,
        ),
    )  # fmt: skip


@pages.post("/talent/colleges/targets")
def set_target(
    request: Request, db: DB, actor: CurrentActor, year: YearF, target_rate: Rate
) -> Response:
    return _write(
        request, db, actor, "设置留存率目标",
        lambda: colleges.set_target(db, actor=actor, year=year, rate=target_rate),
    )  # fmt: skip


@pages.get("/talent/colleges/template.xlsx")
def colleges_template(actor: CurrentActor) -> Response:
    actor.require(Permission.TALENT_WRITE)
    return xlsx_download(colleges.template_xlsx(), "院校毕业生导入模板.xlsx")


@pages.post("/talent/colleges/import")
def import_colleges(
    request: Request,
    db: DB,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(title="院校毕业生文件")],
) -> Response:
    filename = Path(file.filename or "院校.xlsx").name[:200]
    try:
        report = colleges.run_import(
            db, actor=actor, data=file.file.read(), filename=filename, table=table_of(request, db)
        )
    except WulianError as error:
        _failed(db, actor, "导入院校毕业生", error)
        return _colleges(request, db, actor, error=error, status=error.status)
    return _colleges(request, db, actor, report=report, status=200 if report.committed else 422)


# ---------------------------------------------------------------- events


def _events(
    request: Request, db: Session, actor: Actor, error: WulianError | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    context = {
        "actor": actor, "events": events.list_events(db, actor=actor), "error": error,
        "shown": events.shown,
        "office": service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE),
    }  # fmt: skip
    return render(request, "talent/events.html", context, status_code=status)


@pages.get("/talent/events")
def events_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return _events(request, db, actor)


@pages.post("/talent/events")
def create_event(
    request: Request, db: DB, actor: CurrentActor, name: Name, starts_on: Starts, ends_on: Ends,
    place: Place = "", candidates: Candidates = "",
) -> Response:  # fmt: skip
    try:
        event = events.create_event(
            db, actor=actor, name=name, starts_on=starts_on, ends_on=ends_on, place=place,
            candidates=candidates,
        )  # fmt: skip
    except WulianError as error:
        _failed(db, actor, "登记人才周活动", error)
        return _events(request, db, actor, error=error, status=error.status)
    return RedirectResponse(f"/talent/events/{event.id}", status_code=303)


def _event(
    request: Request, db: Session, actor: Actor, event_id: int,
    error: WulianError | None = None, status: int = 200,
) -> Response:  # fmt: skip
    (event,) = events.list_events(db, actor=actor, event_id=event_id)
    office = service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE)
    context = {
        "actor": actor, "event": event, "error": error, "shown": events.shown, "office": office,
        "posts": service.list_posts(db, actor=actor) if office else [],
    }  # fmt: skip
    return render(request, "talent/event.html", context, status_code=status)


@pages.get("/talent/events/{event_id}")
def event_page(request: Request, event_id: EventId, db: DB, actor: CurrentActor) -> Response:
    return _event(request, db, actor, event_id)


@pages.post("/talent/events/{event_id}/posts")
def record_post(
    request: Request, event_id: EventId, db: DB, actor: CurrentActor,
    post_id: Annotated[int, Form(ge=1, title="岗位编号")], intentions: Intentions = "",
    signings: Signings = "",
) -> Response:  # fmt: skip
    try:
        events.record_post(
            db, actor=actor, event_id=event_id, post_id=post_id, intentions=intentions,
            signings=signings,
        )  # fmt: skip
    except WulianError as error:
        _failed(db, actor, "登记人才周岗位", error)
        return _event(request, db, actor, event_id, error=error, status=error.status)
    return RedirectResponse(f"/talent/events/{event_id}", status_code=303)
