"""The capital chain's pages and API: the fund matrix (figures, funds, by chain), a fund
(commitments, investments, valuations, exits), the ledger import, the export, the leverage
definition, and a firm's own view."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.capital import ledger, schemas, service
from wulian.core.calendar import parse_day
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
from wulian.core.permissions import Actor, Permission
from wulian.core.uploads import Uploads

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["资金链"])

FundId = Annotated[int, Path_(title="基金编号")]
InvestmentId = Annotated[int, Path_(title="投资编号")]
FirmId = Annotated[int, Path_(title="企业编号")]


def _values(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


def _int_or_none(text: str, field: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInput(f"{label}“{text}”无效", field=field)
    return int(text)


# ---------------------------------------------------------------- the matrix


def _matrix_context(db: Session, actor: Actor) -> dict[str, Any]:
    m = service.matrix(db, actor=actor)
    return {
        "actor": actor, "m": m, "show": service.show, "kinds": service.FUND_KINDS,
        "investor_kinds": service.INVESTOR_KINDS, "bases": service.BASES,
        "managers": service.managers(db, actor=actor), "depth": service.depth,
        "can_write": service.may_write(db, actor), "error": None, "form": {},
        "can_admin": actor.has(Permission.FINANCE_ADMIN),
    }  # fmt: skip


@pages.get("/capital")
def matrix_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/matrix.html", _matrix_context(db, actor))


@pages.get("/capital/export.xlsx")
def export(request: Request, db: DB, actor: CurrentActor) -> Response:
    content = service.export_xlsx(db, actor=actor)
    return xlsx_download(content, f"基金矩阵-{today_of(request):%Y%m%d}.xlsx")


@pages.post("/capital/funds")
def fund_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        data = service.NewFund(
            name=values.get("name", ""), kind=values.get("kind", ""),
            parent=values.get("parent", ""), manager=values.get("manager", ""),
            chain=values.get("chain", ""), reinvest_pct=values.get("reinvest_pct", ""),
            established_on=parse_day(values.get("established_on", ""), field="established_on"),
            note=values.get("note", "")[:2000],
        )  # fmt: skip
        fund = service.create_fund(db, actor=actor, data=data)
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_funds", object_id=None, attempt="登记基金",
            error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = _matrix_context(db, actor) | {"error": error, "form": values}
        return render(request, "capital/matrix.html", context, status_code=error.status)
    return RedirectResponse(f"/capital/funds/{fund.id}?created=1", status_code=303)


# ---------------------------------------------------------------- a fund


def _fund_context(db: Session, actor: Actor, fund_id: int) -> dict[str, Any]:
    fund = service.fund_or_raise(db, actor=actor, fund_id=fund_id)
    m = service.matrix(db, actor=actor)
    names = {f.id: f.name for f in m.funds}
    writer = service.may_write(db, actor)
    return {
        "actor": actor, "fund": fund, "m": m, "own": m.own[fund.id], "tree": m.per_fund[fund.id],
        "children": [f for f in m.funds if f.parent_id == fund.id], "names": names,
        "commitments": service.commitments(db, actor=actor, fund_id=fund.id),
        "investments": service.investments(db, actor=actor, fund_ids=[fund.id]),
        "projects": service.project_choices(db, actor=actor) if writer else [],
        "show": service.show, "kinds": service.FUND_KINDS,
        "investor_kinds": service.INVESTOR_KINDS, "managers": service.managers(db, actor=actor),
        "can_write": writer, "error": None, "form": {},
    }  # fmt: skip


@pages.get("/capital/funds/{fund_id}")
def fund_page(request: Request, fund_id: FundId, db: DB, actor: CurrentActor) -> Response:
    context = _fund_context(db, actor, fund_id) | {"today": today_of(request)}
    return render(request, "capital/fund.html", context)


def _fund_failure(
    request: Request, db: Session, actor: Actor, fund_id: int, error: WulianError, attempt: str,
    values: dict[str, str],
) -> Response:  # fmt: skip
    service.refused(
        db, actor=actor, object_type="capital_funds", object_id=fund_id, attempt=attempt,
        error=error,
    )  # fmt: skip
    if isinstance(error, PermissionDenied):
        raise error
    context = _fund_context(db, actor, fund_id) | {
        "error": error,
        "form": values,
        "today": today_of(request),
    }
    return render(request, "capital/fund.html", context, status_code=error.status)


@pages.post("/capital/funds/{fund_id}/commitments")
def commitment_add(
    request: Request, fund_id: FundId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    try:
        service.add_commitment(
            db, actor=actor, fund_id=fund_id, investor=values.get("investor", ""),
            investor_kind=values.get("investor_kind", ""), committed=values.get("committed"),
            paid_in=values.get("paid_in"), unit=values.get("unit", "亿元"),
            committed_on=parse_day(values.get("committed_on", ""), field="committed_on"),
        )  # fmt: skip
    except WulianError as error:
        return _fund_failure(request, db, actor, fund_id, error, "登记认缴", values)
    return RedirectResponse(f"/capital/funds/{fund_id}?committed=1", status_code=303)


@pages.post("/capital/funds/{fund_id}/investments")
def investment_add(
    request: Request, fund_id: FundId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    try:
        fund = service.fund_or_raise(db, actor=actor, fund_id=fund_id)
        target = values.get("target", "firm")
        data = service.NewInvestment(
            fund=str(fund.id), amount=values.get("amount"), unit=values.get("unit", "亿元"),
            firm=values.get("firm", "") if target == "firm" else "",
            project_id=_int_or_none(values.get("project_id", ""), "project_id", "招商项目")
            if target == "project" else None,
            round_total=values.get("round_total") or None,
            invested_on=parse_day(values.get("invested_on", ""), field="invested_on"),
            chain=values.get("chain", ""), node=values.get("node", ""),
            note=values.get("note", "")[:2000],
        )  # fmt: skip
        service.invest(db, actor=actor, today=today_of(request), data=data)
    except WulianError as error:
        return _fund_failure(request, db, actor, fund_id, error, "登记基金投资", values)
    return RedirectResponse(f"/capital/funds/{fund_id}?invested=1", status_code=303)


@pages.post("/capital/investments/{investment_id}/value")
def investment_value(
    request: Request, investment_id: InvestmentId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    row = service.investment_or_raise(db, actor=actor, investment_id=investment_id)
    fund_id = row.fund_id
    try:
        on = parse_day(values.get("on", ""), field="on")
        unit = values.get("unit", "亿元")
        if values.get("action") == "exit":
            service.exit_investment(
                db, actor=actor, today=today_of(request), investment_id=investment_id,
                proceeds=values.get("amount", ""), unit=unit, on=on,
            )  # fmt: skip
        else:
            service.value(
                db, actor=actor, today=today_of(request), investment_id=investment_id,
                valuation=values.get("amount", ""), unit=unit, on=on,
            )  # fmt: skip
    except WulianError as error:
        return _fund_failure(request, db, actor, fund_id, error, "登记估值或退出", values)
    return RedirectResponse(f"/capital/funds/{fund_id}?valued=1", status_code=303)


# ---------------------------------------------------------------- the leverage definition


@pages.get("/capital/config")
def config_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_read(actor)
    context = {
        "actor": actor, "config": service.config(db), "investor_kinds": service.INVESTOR_KINDS,
        "bases": service.BASES, "can_admin": actor.has(Permission.FINANCE_ADMIN), "error": None,
    }  # fmt: skip
    return render(request, "capital/config.html", context)


@pages.post("/capital/config")
def config_save(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    kinds = [str(v) for v in form.getlist("government_kinds")]
    try:
        service.update_config(
            db, actor=actor, government_kinds=kinds, leverage_base=str(form.get("base") or "")
        )
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_config", object_id=1, attempt="修改撬动口径",
            error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = {
            "actor": actor, "config": service.config(db), "bases": service.BASES,
            "investor_kinds": service.INVESTOR_KINDS, "error": error,
            "can_admin": actor.has(Permission.FINANCE_ADMIN),
        }  # fmt: skip
        return render(request, "capital/config.html", context, status_code=error.status)
    return RedirectResponse("/capital?configured=1", status_code=303)


# ---------------------------------------------------------------- the ledger import


def _uploads(request: Request) -> Uploads:
    settings = settings_of(request)
    return Uploads(
        folder=settings.data_dir / "uploads",
        keep=dt.timedelta(hours=settings.upload_keep_hours),
        clock=getattr(request.app.state, "clock", utcnow),
    )


@pages.get("/capital/import")
def import_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_write(db, actor)
    context = {"actor": actor, "report": None, "error": None, "columns": ledger.LABELS}
    return render(request, "capital/import.html", context)


@pages.get("/capital/import/template.xlsx")
def import_template(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_write(db, actor)
    return xlsx_download(ledger.template_xlsx(), "基金投资台账导入模板.xlsx")


@pages.post("/capital/import")
def import_check(
    request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> Response:
    """Upload and check a ledger; nothing is written until the check is confirmed."""
    service.require_write(db, actor)
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
        return render(request, "capital/import.html", context, status_code=error.status)
    token = None
    if not report.problems:
        meta = {"filename": filename, "actor": f"{actor.kind}:{actor.id}"}
        token = _uploads(request).save(data=data, meta=meta, report=b"")
    context |= {"report": report, "token": token, "show": service.show}
    return render(request, "capital/import.html", context)


@pages.post("/capital/import/{token}/commit")
def import_commit(
    request: Request, token: Annotated[str, Path_(max_length=40)], db: DB, actor: CurrentActor
) -> Response:
    """Write a checked ledger (checked again: every row or none)."""
    service.require_write(db, actor)
    uploads = _uploads(request)
    meta = uploads.meta(token)
    if meta["actor"] != f"{actor.kind}:{actor.id}":
        raise PermissionDenied("只能确认自己上传的文件")
    report = ledger.import_ledger(
        db, actor=actor, today=today_of(request), data=uploads.data(token),
        filename=meta["filename"], dry_run=False,
    )  # fmt: skip
    if report.committed:
        uploads.used(token)
    context = {
        "actor": actor, "error": None, "columns": ledger.LABELS, "report": report,
        "token": None if report.committed else token, "show": service.show,
    }  # fmt: skip
    return render(request, "capital/import.html", context)


# ---------------------------------------------------------------- a firm's own view


def firm_context(db: Session, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    return {
        "actor": actor, "enterprise_id": enterprise_id, "show": service.show,
        "firm": service.firm_capital(db, actor=actor, enterprise_id=enterprise_id),
    }  # fmt: skip


@pages.get("/capital/firms/{enterprise_id}")
def firm_page(request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/firm.html", firm_context(db, actor, enterprise_id))


# ---------------------------------------------------------------- API


@api.get("/capital/matrix", response_model=schemas.MatrixOut)
def api_matrix(db: DB, actor: CurrentActor) -> schemas.MatrixOut:
    """Every fund's figures (alone and with its sub-funds), the matrix's, and by chain and node;
    money in 元 (integers) and 亿元 (exact text)."""
    return schemas.MatrixOut.of(service.matrix(db, actor=actor))


@api.get("/capital/investments", response_model=list[schemas.InvestmentOut])
def api_investments(
    db: DB, actor: CurrentActor, fund: Annotated[int | None, Query(title="基金编号")] = None
) -> list[schemas.InvestmentOut]:
    """Fund investments (of one fund when given), newest first."""
    rows = service.investments(db, actor=actor, fund_ids=[fund] if fund is not None else None)
    return [schemas.InvestmentOut.of(r) for r in rows]


@api.post("/capital/investments", response_model=schemas.InvestmentOut, status_code=201)
def api_invest(
    request: Request, body: schemas.InvestmentIn, db: DB, actor: CurrentActor
) -> schemas.InvestmentOut:
    """Record a fund's investment in a registry firm or a 招商 project (finance office)."""
    try:
        row = service.invest(db, actor=actor, today=today_of(request), data=body.to_new())
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_investments", object_id=None,
            attempt="登记基金投资（接口）", error=error,
        )  # fmt: skip
        raise
    return schemas.InvestmentOut.of(row)


@api.get("/capital/firms/{enterprise_id}", response_model=list[schemas.InvestmentOut])
def api_firm(enterprise_id: FirmId, db: DB, actor: CurrentActor) -> list[schemas.InvestmentOut]:
    """The fund investments in one firm (a firm's own token or user reads only its own)."""
    firm = service.firm_capital(db, actor=actor, enterprise_id=enterprise_id)
    return [schemas.InvestmentOut.of(r) for r in firm.investments]
