"""链上往来's pages: the ties (search, enter, delete) and their xlsx import (check, confirm)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response

from wulian.core import forms
from wulian.core.db import utcnow
from wulian.core.deps import (
    DB,
    CurrentActor,
    FormFields,
    render,
    settings_of,
    today_of,
    xlsx_download,
)
from wulian.core.errors import InvalidInput, PermissionDenied, WulianError
from wulian.core.permissions import Actor
from wulian.core.uploads import Uploads
from wulian.investment import schemas, service, ties

pages = APIRouter(include_in_schema=False)
api = APIRouter()
TieId = Annotated[int, Path_(title="往来编号")]
Words = Annotated[str, Query(max_length=100, title="查找")]
FIELDS = ("zone_firm", "partner", "direction", "product", "amount_wan", "source", "year")


def _context(db: DB, actor: Actor, q: str) -> dict[str, Any]:
    shown = ties.get_all(db, actor=actor, q=q)
    return {
        "actor": actor, "ties": shown, "q": q,
        "registered": ties.registered_partners(db, actor=actor, shown=shown),
        "total": ties.count(db, actor=actor), "directions": ties.DIRECTIONS,
        "can_write": ties.may_write(db, actor), "error": None, "form": {},
    }  # fmt: skip


def _refused(db: DB, actor: Actor, tie_id: int | None, attempt: str, error: WulianError) -> None:
    service.refused(
        db, actor=actor, project_id=tie_id, attempt=attempt, error=error,
        object_type="investment_supply_ties",
    )  # fmt: skip


def _require_write(db: DB, actor: Actor, attempt: str) -> None:
    """Only investment staff write ties; anyone else's try is recorded, then refused."""
    try:
        ties.require_write(db, actor)
    except WulianError as error:
        _refused(db, actor, None, attempt, error)
        raise


@pages.get("/investment/ties")
def ties_page(request: Request, db: DB, actor: CurrentActor, q: Words = "") -> Response:
    return render(request, "investment/ties.html", _context(db, actor, q))


@pages.post("/investment/ties")
def tie_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = {k: str(form.get(k) or "") for k in FIELDS}
    values["confirm_amount"] = str(form.get("confirm_amount") or "")
    unread = forms.Problems()  # a year that is not a year, named with the other problems
    try:
        year = unread.check(lambda: ties.year_of(values["year"]))
        ties.create(
            db, actor=actor, today=today_of(request),
            data=ties.TieInput(
                zone_firm=values["zone_firm"], partner=values["partner"],
                direction=values["direction"], product=values["product"],
                amount_wan=values["amount_wan"], source=values["source"],
                year=year, confirm_amount=bool(values["confirm_amount"]),
            ),
            unread=[e for e in unread.errors if isinstance(e, InvalidInput)],
        )  # fmt: skip
    except WulianError as error:
        _refused(db, actor, None, "登记链上往来", error)
        context = _context(db, actor, "") | {"error": error, "form": values}
        return render(request, "investment/ties.html", context, status_code=error.status)
    return RedirectResponse("/investment/ties?saved=1", status_code=303)


@pages.post("/investment/ties/{tie_id}/delete")
def tie_delete(request: Request, tie_id: TieId, db: DB, actor: CurrentActor) -> Response:
    try:
        ties.delete(db, actor=actor, tie_id=tie_id)
    except WulianError as error:
        _refused(db, actor, tie_id, "删除链上往来", error)
        raise
    return RedirectResponse("/investment/ties?deleted=1", status_code=303)


# ---------------------------------------------------------------- the import


def _uploads(request: Request) -> Uploads:
    settings = settings_of(request)
    return Uploads(
        folder=settings.data_dir / "uploads",
        keep=dt.timedelta(hours=settings.upload_keep_hours),
        clock=getattr(request.app.state, "clock", utcnow),
    )


def _import_context(actor: Actor) -> dict[str, Any]:
    return {"actor": actor, "report": None, "error": None, "columns": ties.LABELS, "token": None}


@pages.get("/investment/ties/import")
def import_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    _require_write(db, actor, "打开链上往来导入")
    return render(request, "investment/ties_import.html", _import_context(actor))


@pages.get("/investment/ties/import/template.xlsx")
def import_template(request: Request, db: DB, actor: CurrentActor) -> Response:
    _require_write(db, actor, "下载链上往来导入模板")
    return xlsx_download(ties.template_xlsx(), "链上往来导入模板.xlsx")


@pages.post("/investment/ties/import")
def import_check(
    request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> Response:
    """Upload and check a file of ties; nothing is written until the check is confirmed."""
    _require_write(db, actor, "检查链上往来文件")
    filename = Path(file.filename or "ties.xlsx").name[:200]
    data = file.file.read()
    context = _import_context(actor)
    try:
        report = ties.import_ties(
            db, actor=actor, today=today_of(request), data=data, filename=filename, dry_run=True
        )
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        context["error"] = error
        return render(request, "investment/ties_import.html", context, status_code=error.status)
    if not report.problems:
        meta = {"filename": filename, "actor": Uploads.owner(actor)}
        context["token"] = _uploads(request).save(data=data, meta=meta, report=b"")
    context["report"] = report
    return render(request, "investment/ties_import.html", context)


@pages.post("/investment/ties/import/{token}/commit")
def import_commit(
    request: Request,
    token: Annotated[str, Path_(max_length=40)],
    db: DB,
    actor: CurrentActor,
    form: FormFields,
) -> Response:
    """Write a checked file: every row, flagged amounts only when their boxes are ticked."""
    _require_write(db, actor, "导入链上往来")
    uploads = _uploads(request)
    meta = uploads.meta_for(token, actor)
    confirmed = forms.row_numbers(v for v in form.getlist("confirm") if isinstance(v, str))
    report = ties.import_ties(
        db, actor=actor, today=today_of(request), data=uploads.data(token),
        filename=meta["filename"], dry_run=False, confirm_rows=confirmed,
    )  # fmt: skip
    if report.committed:
        uploads.used(token)
    context = _import_context(actor) | {
        "report": report, "token": None if report.committed else token,
    }  # fmt: skip
    return render(request, "investment/ties_import.html", context)


# ---------------------------------------------------------------- API


@api.get("/investment/ties", response_model=list[schemas.TieOut])
def api_ties(
    db: DB,
    actor: CurrentActor,
    q: Words = "",
    limit: Annotated[int, Query(ge=1, le=5000, title="最多条数")] = 500,
) -> list[schemas.TieOut]:
    """Supply ties, newest year first (q: a word of a firm or product); investment staff and
    analysts only."""
    return [schemas.TieOut.of(t) for t in ties.get_all(db, actor=actor, q=q, limit=limit)]


@api.post("/investment/ties", response_model=schemas.TieOut, status_code=201)
def api_tie_create(
    request: Request, body: schemas.TieIn, db: DB, actor: CurrentActor
) -> schemas.TieOut:
    """Record one tie, checked as on the page (a duplicate, an unknown zone firm or an amount
    that looks off by 10⁴ without confirm_amount: 4xx with the Chinese message and field)."""
    try:
        row = ties.create(db, actor=actor, today=today_of(request), data=body.to_input())
    except WulianError as error:
        _refused(db, actor, None, "登记链上往来（接口）", error)
        raise
    found = ties.get_all(db, actor=actor, zone_ids=[row.zone_enterprise_id], limit=100_000)
    return schemas.TieOut.of(next(t for t in found if t.id == row.id))


@api.delete("/investment/ties/{tie_id}", status_code=204)
def api_tie_delete(tie_id: TieId, db: DB, actor: CurrentActor) -> Response:
    """Delete a tie (entered in error or no longer true)."""
    try:
        ties.delete(db, actor=actor, tie_id=tie_id)
    except WulianError as error:
        _refused(db, actor, tie_id, "删除链上往来（接口）", error)
        raise
    return Response(status_code=204)
