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

from wulian.capital import (
    credit,
    events,
    knowledge,
    ledger,
    listings,
    loans,
    needs,
    products,
    profile,
    schemas,
    service,
)
from wulian.core import forms
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
from wulian.core.forms import optional_number as _int_or_none
from wulian.core.permissions import Actor, Permission
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.core.uploads import Uploads
from wulian.enterprises import read
from wulian.enterprises import views as enterprise_views

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["资金链"])
enterprise_views.profile_part(
    "capital", profile.firm_finance
)  # on a firm's page: fund investments, loans, listing stage (finance staff and the firm)

FundId = Annotated[int, Path_(title="基金编号")]
InvestmentId = Annotated[int, Path_(title="投资编号")]
FirmId = Annotated[int, Path_(title="企业编号")]


def _values(form: Any) -> dict[str, str]:
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


# ---------------------------------------------------------------- the matrix


def _matrix_context(db: Session, actor: Actor) -> dict[str, Any]:
    m = service.matrix(db, actor=actor)
    return {
        "alerts": [p for p in loans.pools(db, actor=actor) if p.level != "ok"],
        "pct_of": loans.pct_of,
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
        meta = {"filename": filename, "actor": Uploads.owner(actor)}
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
    meta = uploads.meta_for(token, actor)
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
        "loans": loans.firm_loans(db, actor=actor, enterprise_id=enterprise_id),
        "listing": listings.firm_case(db, actor=actor, enterprise_id=enterprise_id),
        "listing_stages": listings.STAGES, "boards": listings.BOARDS,
        "statuses": loans.STATUSES,
        "firm": service.firm_capital(db, actor=actor, enterprise_id=enterprise_id),
        "needs": needs.needs(db, actor=actor, enterprise_id=enterprise_id),
        "need_statuses": needs.STATUSES, "grouped": service.grouped,
        "outcomes": events.firm_outcomes(db, actor=actor, enterprise_id=enterprise_id),
    }  # fmt: skip


@pages.get("/capital/firms/{enterprise_id}")
def firm_page(request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/firm.html", firm_context(db, actor, enterprise_id))


# ---------------------------------------------------------------- loans and pools


def _loans_context(db: Session, actor: Actor, request: Request) -> dict[str, Any]:
    states = loans.pools(db, actor=actor)
    rows = loans.loans(db, actor=actor)
    return {
        "loan_firms": {r.id: r.firm_name for r in rows},
        "actor": actor, "pools": states, "names": {p.pool.id: p.pool.name for p in states},
        "loans": rows, "statuses": loans.STATUSES,
        "compensations": loans.compensations(db, actor=actor),
        "compensation_statuses": loans.COMPENSATION_STATUSES, "show": service.grouped,
        "pct_of": loans.pct_of, "can_write": service.may_write(db, actor),
        "can_admin": actor.has(Permission.FINANCE_ADMIN), "today": today_of(request),
        "error": None, "form": {},
    }  # fmt: skip


@pages.get("/capital/loans")
def loans_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/loans.html", _loans_context(db, actor, request))


def _loans_failure(
    request: Request, db: Session, actor: Actor, error: WulianError, attempt: str,
    values: dict[str, str], object_type: str = "capital_loans", object_id: int | None = None,
) -> Response:  # fmt: skip
    service.refused(
        db, actor=actor, object_type=object_type, object_id=object_id, attempt=attempt,
        error=error,
    )  # fmt: skip
    if isinstance(error, PermissionDenied):
        raise error
    context = _loans_context(db, actor, request) | {"error": error, "form": values}
    return render(request, "capital/loans.html", context, status_code=error.status)


@pages.post("/capital/pools")
def pool_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        loans.create_pool(
            db, actor=actor, name=values.get("name", ""), lender=values.get("lender", ""),
            government=values.get("government", ""), bank=values.get("bank", ""),
            unit=values.get("unit", "万元"), cover_pct=values.get("cover_pct", "") or 80,
            warn_pct=values.get("warn_pct") or None, stop_pct=values.get("stop_pct") or None,
        )  # fmt: skip
    except WulianError as error:
        return _loans_failure(request, db, actor, error, "设立风险池", values, "capital_pools")
    return RedirectResponse("/capital/loans?pooled=1", status_code=303)


@pages.post("/capital/pools/{pool_id}/thresholds")
def pool_thresholds(
    request: Request, pool_id: Annotated[int, Path_(title="资金池编号")], db: DB,
    actor: CurrentActor, form: FormFields,
) -> Response:  # fmt: skip
    values = _values(form)
    try:
        loans.set_thresholds(
            db, actor=actor, pool_id=pool_id, warn_pct=values.get("warn_pct", ""),
            stop_pct=values.get("stop_pct", ""),
        )  # fmt: skip
    except WulianError as error:
        return _loans_failure(
            request, db, actor, error, "修改风险池阈值", values, "capital_pools", pool_id
        )
    return RedirectResponse("/capital/loans?saved=1", status_code=303)


@pages.post("/capital/loans")
def loan_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        data = loans.NewLoan(
            firm=values.get("firm", ""), lender=values.get("lender", ""),
            granted=values.get("granted"), disbursed=values.get("disbursed") or None,
            unit=values.get("unit", "万元"), product=values.get("product", ""),
            pool_id=_int_or_none(values.get("pool_id", ""), "pool_id", "风险池"),
            granted_on=parse_day(values.get("granted_on", ""), field="granted_on"),
            due_on=parse_day(values.get("due_on", ""), field="due_on"),
        )  # fmt: skip
        loans.register(db, actor=actor, today=today_of(request), data=data)
    except WulianError as error:
        return _loans_failure(request, db, actor, error, "登记贷款", values)
    return RedirectResponse("/capital/loans?registered=1", status_code=303)


@pages.post("/capital/loans/{loan_id}")
def loan_update(
    request: Request, loan_id: Annotated[int, Path_(title="贷款编号")], db: DB,
    actor: CurrentActor, form: FormFields,
) -> Response:  # fmt: skip
    values = _values(form)
    try:
        loans.update(
            db, actor=actor, today=today_of(request), loan_id=loan_id,
            status=values.get("status", ""), repaid=values.get("repaid") or None,
            unit=values.get("unit", "万元"),
        )  # fmt: skip
        if values.get("status") == "default" and values.get("propose") == "1":
            loans.propose(db, actor=actor, loan_id=loan_id)
    except WulianError as error:
        return _loans_failure(request, db, actor, error, "更新贷款", values, object_id=loan_id)
    return RedirectResponse("/capital/loans?updated=1", status_code=303)


@pages.post("/capital/loans/{loan_id}/compensation")
def compensation_propose(
    request: Request, loan_id: Annotated[int, Path_(title="贷款编号")], db: DB,
    actor: CurrentActor,
) -> Response:  # fmt: skip
    try:
        loans.propose(db, actor=actor, loan_id=loan_id)
    except WulianError as error:
        return _loans_failure(request, db, actor, error, "申请风险补偿", {}, object_id=loan_id)
    return RedirectResponse("/capital/loans?proposed=1", status_code=303)


@pages.post("/capital/compensations/{compensation_id}/approve")
def compensation_approve(
    request: Request, compensation_id: Annotated[int, Path_(title="补偿编号")], db: DB,
    actor: CurrentActor,
) -> Response:  # fmt: skip
    try:
        loans.approve(db, actor=actor, today=today_of(request), compensation_id=compensation_id)
    except WulianError as error:
        return _loans_failure(
            request, db, actor, error, "审批风险补偿", {}, "capital_compensations", compensation_id
        )
    return RedirectResponse("/capital/loans?approved=1", status_code=303)


# ---------------------------------------------------------------- products and plans


def _products_context(db: Session, actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor, "products": products.catalogue(db, actor=actor), "kinds": products.KINDS,
        "inputs": products.NAMES, "show": service.show, "pct_of": loans.pct_of,
        "can_write": service.may_write(db, actor), "error": None, "form": {},
    }  # fmt: skip


@pages.get("/capital/products")
def products_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/products.html", _products_context(db, actor))


@pages.post("/capital/products")
def product_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        data = products.NewProduct(
            name=values.get("name", ""), lender=values.get("lender", ""),
            kind=values.get("kind", ""), eligibility=values.get("eligibility", ""),
            min_wan=values.get("min_wan") or None, max_wan=values.get("max_wan") or None,
            min_rate=values.get("min_rate") or None, max_rate=values.get("max_rate") or None,
            term_months=values.get("term_months") or None,
            collateral=values.get("collateral", ""),
        )  # fmt: skip
        products.create(db, actor=actor, data=data)
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_products", object_id=None,
            attempt="登记融资产品", error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = _products_context(db, actor) | {"error": error, "form": values}
        return render(request, "capital/products.html", context, status_code=error.status)
    return RedirectResponse("/capital/products?created=1", status_code=303)


def _plan_context(
    db: Session, actor: Actor, request: Request, enterprise_id: int
) -> dict[str, Any]:
    return {
        "actor": actor, "plan": products.plan(db, actor=actor, enterprise_id=enterprise_id,
                                              today=today_of(request)),
        "kinds": products.KINDS, "statuses": products.STATUS_NAMES, "show": service.show,
        "pct_of": loans.pct_of, "units": {k: v[1] for k, v in products.INPUTS.items()},
        "names": products.NAMES, "can_write": service.may_write(db, actor), "error": None,
    }  # fmt: skip


@pages.get("/capital/plans/{enterprise_id}")
def plan_page(request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/plan.html", _plan_context(db, actor, request, enterprise_id))


@pages.post("/capital/plans/{enterprise_id}/notes")
def plan_note(
    request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    try:
        products.annotate(
            db, actor=actor, enterprise_id=enterprise_id, text=values.get("text", ""),
            product_id=_int_or_none(values.get("product_id", ""), "product_id", "产品"),
            handed=values.get("handed") == "1",
        )  # fmt: skip
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_plan_notes", object_id=enterprise_id,
            attempt="批注一企一策", error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = _plan_context(db, actor, request, enterprise_id) | {"error": error}
        return render(request, "capital/plan.html", context, status_code=error.status)
    return RedirectResponse(f"/capital/plans/{enterprise_id}?noted=1", status_code=303)


# ---------------------------------------------------------------- the listing pipeline


def _listings_context(db: Session, actor: Actor, request: Request) -> dict[str, Any]:
    today = today_of(request)
    return {
        "actor": actor, "cases": listings.cases(db, actor=actor),
        "counts": listings.counts(db, actor=actor, today=today), "stages": listings.STAGES,
        "boards": listings.BOARDS, "allowed_next": listings.allowed_next,
        "bse_path": listings.BSE_PATH,  # quoted on 新三板: the board can only be 北交所
        "quoted_stages": ("listed", *listings.QUOTED),
        "can_write": service.may_write(db, actor), "today": today, "error": None, "form": {},
    }  # fmt: skip


@pages.get("/capital/listings")
def listings_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/listings.html", _listings_context(db, actor, request))


def _listings_failure(
    request: Request, db: Session, actor: Actor, error: WulianError, attempt: str,
    values: dict[str, str], object_id: int | None = None,
) -> Response:  # fmt: skip
    service.refused(
        db, actor=actor, object_type="capital_listings", object_id=object_id, attempt=attempt,
        error=error,
    )  # fmt: skip
    if isinstance(error, PermissionDenied):
        raise error
    context = _listings_context(db, actor, request) | {"error": error, "form": values}
    return render(request, "capital/listings.html", context, status_code=error.status)


@pages.post("/capital/listings")
def listing_add(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        listings.add(
            db, actor=actor, today=today_of(request), firm=values.get("firm", ""),
            board=values.get("board", ""), intermediaries=values.get("intermediaries", ""),
        )  # fmt: skip
    except WulianError as error:
        return _listings_failure(request, db, actor, error, "列入上市后备", values)
    return RedirectResponse("/capital/listings?added=1", status_code=303)


@pages.post("/capital/listings/{case_id}/advance")
def listing_advance(
    request: Request, case_id: Annotated[int, Path_(title="编号")], db: DB, actor: CurrentActor,
    form: FormFields,
) -> Response:  # fmt: skip
    values = _values(form)
    try:
        listings.advance(
            db, actor=actor, today=today_of(request), case_id=case_id,
            to_stage=values.get("to_stage", ""), board=values.get("board", ""),
            on=parse_day(values.get("on", ""), field="on"),
        )  # fmt: skip
    except WulianError as error:
        return _listings_failure(request, db, actor, error, "推进上市阶段", values, case_id)
    return RedirectResponse("/capital/listings?moved=1", status_code=303)


@pages.post("/capital/listings/correct")
def listing_correct(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    case_id = None
    try:
        case_id = _int_or_none(values.get("case_id", ""), "case_id", "上市梯队企业")
        if case_id is None:
            raise InvalidInput("请选择企业", field="case_id")
        listings.correct(
            db, actor=actor, today=today_of(request), case_id=case_id,
            stage=values.get("stage", ""), reason=values.get("reason", ""),
            on=parse_day(values.get("on", ""), field="on"), board=values.get("board") or None,
            intermediaries=values.get("intermediaries") or None,
        )  # fmt: skip
    except WulianError as error:
        return _listings_failure(request, db, actor, error, "更正上市阶段记录", values, case_id)
    return RedirectResponse("/capital/listings?corrected=1", status_code=303)


def _chosen_case(values: dict[str, str]) -> tuple[int, str]:
    """The case a listing form's select names (“编号” or “编号:what the page showed”), and what
    the page showed of it ("" when nothing)."""
    chosen, _, shown = values.get("case_id", "").partition(":")
    case_id = _int_or_none(chosen, "case_id", "上市梯队企业")
    if case_id is None:
        raise InvalidInput("请选择企业", field="case_id")
    return case_id, shown


@pages.post("/capital/listings/withdraw")
def listing_withdraw(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    case_id = None
    try:
        # "编号:阶段": the case and the stage the page showed (a second click withdraws nothing)
        case_id, expected = _chosen_case(values)
        listings.withdraw(
            db, actor=actor, today=today_of(request), case_id=case_id,
            reason=values.get("reason", ""), expected=expected or None,
        )  # fmt: skip
    except WulianError as error:
        return _listings_failure(request, db, actor, error, "撤回上市阶段记录", values, case_id)
    return RedirectResponse("/capital/listings?withdrawn=1", status_code=303)


@pages.post("/capital/listings/remove")
def listing_remove(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    case_id = None
    try:
        # "编号:企业编号": the case and the firm the page showed (a second click removes nothing)
        case_id, shown = _chosen_case(values)
        firm = _int_or_none(shown, "case_id", "上市梯队企业") if shown else None
        listings.remove(
            db, actor=actor, case_id=case_id, reason=values.get("reason", ""), firm=firm
        )
    except WulianError as error:
        return _listings_failure(request, db, actor, error, "移出上市梯队", values, case_id)
    return RedirectResponse("/capital/listings?removed=1", status_code=303)


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


@api.get("/capital/pools", response_model=list[schemas.PoolOut])
def api_pools(db: DB, actor: CurrentActor) -> list[schemas.PoolOut]:
    """Risk-compensation pools: contributions, balance, bad-loan ratio and level."""
    return [schemas.PoolOut.of(p) for p in loans.pools(db, actor=actor)]


@api.get("/capital/loans", response_model=list[schemas.LoanOut])
def api_loans(db: DB, actor: CurrentActor) -> list[schemas.LoanOut]:
    """Every registered loan, newest first."""
    return [schemas.LoanOut.of(r) for r in loans.loans(db, actor=actor)]


@api.get("/capital/plans/{enterprise_id}", response_model=schemas.PlanOut)
def api_plan(
    request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor
) -> schemas.PlanOut:
    """A firm's 一企一策 plan: the products it qualifies or nearly qualifies for, with reasons
    and the data to add (a firm's own token or user reads only its own)."""
    plan = products.plan(db, actor=actor, enterprise_id=enterprise_id, today=today_of(request))
    return schemas.PlanOut.of(plan)


# ---------------------------------------------------------------- knowledge-value credit


def _credit_context(db: Session, actor: Actor, run_id: int | None) -> dict[str, Any]:
    all_runs = knowledge.run_list(db, actor=actor)
    run = next((r for r in all_runs if r.id == run_id), None) if run_id else None
    if run is None and all_runs:
        run = all_runs[0]
    rows = knowledge.results(db, actor=actor, run_id=run.id) if run is not None else []
    spec = credit.load(run.spec_text) if run is not None else credit.shipped()
    return {
        "actor": actor, "runs": all_runs, "run": run, "rows": rows, "spec": spec,
        "counts": knowledge.grade_counts(rows, spec.grades), "too_few": knowledge.TOO_FEW,
        "can_write": service.may_write(db, actor), "error": None, "form": {},
        "specs": knowledge.spec_choices(db),
    }  # fmt: skip


@pages.get("/capital/credit")
def credit_page(
    request: Request, db: DB, actor: CurrentActor, run: Annotated[int | None, Query()] = None
) -> Response:
    return render(request, "capital/credit.html", _credit_context(db, actor, run))


def _credit_failure(
    request: Request, db: Session, actor: Actor, error: WulianError, attempt: str,
    values: dict[str, str], run_id: int | None = None,
) -> Response:  # fmt: skip
    service.refused(
        db, actor=actor, object_type="capital_credit_runs", object_id=run_id, attempt=attempt,
        error=error,
    )  # fmt: skip
    if isinstance(error, PermissionDenied):
        raise error
    context = _credit_context(db, actor, run_id) | {"error": error, "form": values}
    return render(request, "capital/credit.html", context, status_code=error.status)


@pages.post("/capital/credit/runs")
def credit_run(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    try:
        run = knowledge.create_run(
            db, actor=actor, period=values.get("period", ""), today=today_of(request),
            note=values.get("note", ""), spec_code=values.get("spec_code") or "knowledge_credit",
        )  # fmt: skip
    except WulianError as error:
        return _credit_failure(request, db, actor, error, "运行知识价值信用评价", values)
    return RedirectResponse(f"/capital/credit?run={run.id}", status_code=303)


@pages.post("/capital/credit/runs/{run_id}/publish")
def credit_publish(request: Request, run_id: int, db: DB, actor: CurrentActor) -> Response:
    try:
        knowledge.publish(db, actor=actor, run_id=run_id, today=today_of(request))
    except WulianError as error:
        return _credit_failure(request, db, actor, error, "发布知识价值信用评价", {}, run_id)
    return RedirectResponse(f"/capital/credit?run={run_id}", status_code=303)


@pages.get("/capital/credit/firms/{enterprise_id}")
def credit_firm(request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor) -> Response:
    run, graded = knowledge.firm_grade(db, actor=actor, enterprise_id=enterprise_id)
    own = actor.enterprise_id == enterprise_id
    firm = read.get_or_raise(db, enterprise_id)
    context = {
        "actor": actor, "run": run, "graded": graded, "enterprise_id": enterprise_id,
        "firm": firm, "too_few": knowledge.TOO_FEW,
        "consent": knowledge.consent_of(db, actor=actor, enterprise_id=enterprise_id),
        "can_consent": (own and actor.has(Permission.FACTS_WRITE))
        or (actor.enterprise_id is None and actor.has(Permission.ENTERPRISES_WRITE)),
    }  # fmt: skip
    return render(request, "capital/credit_firm.html", context)


@pages.post("/capital/credit/firms/{enterprise_id}/consent")
def credit_consent(
    request: Request, enterprise_id: FirmId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    granted = str(form.get("granted", "")) == "1"
    knowledge.set_consent(db, actor=actor, enterprise_id=enterprise_id, granted=granted)
    return RedirectResponse(f"/capital/credit/firms/{enterprise_id}", status_code=303)


@api.get("/capital/credit/grades", response_model=list[schemas.CreditGradeOut])
def api_credit_grades(db: DB, actor: CurrentActor) -> list[schemas.CreditGradeOut]:
    """合作银行：最新已发布的知识价值信用评价中，授权银行查看的企业的等级与授信参考额度。
    需要 `innovation:credit` 范围的令牌（绑定企业的令牌只看到该企业）。"""
    run, rows = knowledge.bank_grades(db, actor=actor)
    return [schemas.CreditGradeOut.of(run.period, g) for g in rows] if run is not None else []


@api.get("/capital/credit/grades/{uscc}", response_model=schemas.CreditGradeOut)
def api_credit_grade(
    uscc: Annotated[str, Path_(max_length=18, title="统一社会信用代码")], db: DB,
    actor: CurrentActor,
) -> schemas.CreditGradeOut:  # fmt: skip
    """合作银行：一家企业的知识价值信用等级、授信参考额度与各指标得分；企业未授权时拒绝，
    并记入审计日志。"""
    try:
        run, graded = knowledge.bank_grade(db, actor=actor, uscc=uscc)
    except PermissionDenied as error:
        knowledge.refused(db, actor=actor, uscc=uscc, error=error)
        raise
    return schemas.CreditGradeOut.of(run.period, graded)


# ---------------------------------------------------------------- financing needs

NeedId = Annotated[int, Path_(title="融资需求编号")]
EventId = Annotated[int, Path_(title="对接活动编号")]


def _needs_context(db: Session, actor: Actor, request: Request) -> dict[str, Any]:
    status = request.query_params.get("status") or None
    status = status if status in needs.STATUSES else None
    return {
        "actor": actor, "needs": needs.needs(db, actor=actor, status=status), "status": status,
        "statuses": needs.STATUSES, "sources": needs.SOURCES, "show": service.grouped,
        "can_write": service.may_write(db, actor), "is_firm": actor.enterprise_id is not None,
        "today": today_of(request), "error": None, "form": {},
    }  # fmt: skip


def _needs_failure(
    request: Request, db: Session, actor: Actor, error: WulianError, attempt: str,
    values: dict[str, str], object_id: int | None = None,
) -> Response:  # fmt: skip
    service.refused(
        db, actor=actor, object_type="capital_needs", object_id=object_id, attempt=attempt,
        error=error,
    )  # fmt: skip
    if isinstance(error, PermissionDenied):
        raise error
    context = _needs_context(db, actor, request) | {"error": error, "form": values}
    return render(request, "capital/needs.html", context, status_code=error.status)


@pages.get("/capital/needs")
def needs_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/needs.html", _needs_context(db, actor, request))


@pages.post("/capital/needs")
def need_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    unread = forms.Problems()
    try:
        data = needs.NewNeed(
            firm=values.get("firm", ""), amount_wan=values.get("amount_wan") or None,
            purpose=values.get("purpose", ""), term_months=values.get("term_months") or None,
            collateral=values.get("collateral", ""),
            deadline=unread.check(lambda: parse_day(values.get("deadline", ""), field="deadline")),
        )  # fmt: skip
        needs.create(db, actor=actor, today=today_of(request), data=data, unread=unread.errors)
    except WulianError as error:
        return _needs_failure(request, db, actor, error, "登记融资需求", values)
    return RedirectResponse("/capital/needs?created=1", status_code=303)


@pages.post("/capital/needs/from-desk")
def need_from_desk(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    unread = forms.Problems()
    try:
        needs.from_desk(
            db, actor=actor, today=today_of(request), request_id=values.get("request_id", ""),
            term_months=values.get("term_months", ""), collateral=values.get("collateral", ""),
            deadline=unread.check(lambda: parse_day(values.get("deadline", ""), field="deadline")),
            unread=unread.errors,
        )  # fmt: skip
    except WulianError as error:
        values["_form"] = "desk"  # the form the values are shown in again
        return _needs_failure(request, db, actor, error, "由诉求登记融资需求", values)
    return RedirectResponse("/capital/needs?created=1", status_code=303)


@pages.post("/capital/needs/{need_id}/status")
def need_status(
    request: Request, need_id: NeedId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    try:
        needs.set_status(db, actor=actor, need_id=need_id, status=values.get("status", ""))
    except WulianError as error:
        return _needs_failure(request, db, actor, error, "更新融资需求状态", values, need_id)
    return RedirectResponse("/capital/needs?moved=1", status_code=303)


def _needs_import(actor: Actor, **more: Any) -> dict[str, Any]:
    return {"actor": actor, "report": None, "error": None, "columns": needs.LABELS,
            "show": service.grouped, "token": None} | more  # fmt: skip


@pages.get("/capital/needs/import")
def needs_import_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_write(db, actor)
    return render(request, "capital/needs_import.html", _needs_import(actor))


@pages.get("/capital/needs/import/template.xlsx")
def needs_import_template(request: Request, db: DB, actor: CurrentActor) -> Response:
    service.require_write(db, actor)
    return xlsx_download(needs.template_xlsx(), "融资需求导入模板.xlsx")


@pages.post("/capital/needs/import")
def needs_import_check(
    request: Request, db: DB, actor: CurrentActor, file: Annotated[UploadFile, File()]
) -> Response:
    """Upload and check a list of needs; nothing is written until the check is confirmed."""
    service.require_write(db, actor)
    filename = Path(file.filename or "needs.xlsx").name[:200]
    data = file.file.read()
    try:
        report = needs.import_needs(
            db, actor=actor, today=today_of(request), data=data, filename=filename, dry_run=True
        )
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        context = _needs_import(actor, error=error)
        return render(request, "capital/needs_import.html", context, status_code=error.status)
    token = None
    if not report.problems:
        meta = {"filename": filename, "actor": Uploads.owner(actor)}
        token = _uploads(request).save(data=data, meta=meta, report=b"")
    return render(
        request, "capital/needs_import.html", _needs_import(actor, report=report, token=token)
    )


@pages.post("/capital/needs/import/{token}/commit")
def needs_import_commit(
    request: Request, token: Annotated[str, Path_(max_length=40)], db: DB, actor: CurrentActor
) -> Response:
    """Write a checked list of needs (checked again: every row or none)."""
    service.require_write(db, actor)
    uploads = _uploads(request)
    meta = uploads.meta_for(token, actor)
    report = needs.import_needs(
        db, actor=actor, today=today_of(request), data=uploads.data(token),
        filename=meta["filename"], dry_run=False,
    )  # fmt: skip
    if report.committed:
        uploads.used(token)
    context = _needs_import(actor, report=report, token=None if report.committed else token)
    return render(request, "capital/needs_import.html", context)


# ---------------------------------------------------------------- matchmaking events (银企对接)


def _events_context(db: Session, actor: Actor, request: Request) -> dict[str, Any]:
    rows = events.events(db, actor=actor)
    return {
        "actor": actor, "events": rows,
        "totals": events.all_totals(db, actor=actor, rows=rows),
        "summary": events.summary(db, actor=actor),
        "invitations": events.invitations(db, actor=actor, today=today_of(request)),
        "statuses": products.STATUS_NAMES, "show": service.grouped,
        "can_write": service.may_write(db, actor), "today": today_of(request), "error": None,
        "form": {},
    }  # fmt: skip


@pages.get("/capital/events")
def events_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/events.html", _events_context(db, actor, request))


@pages.post("/capital/events")
def event_create(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    values = _values(form)
    unread = forms.Problems()
    try:
        made = events.create_event(
            db, actor=actor, today=today_of(request), name=values.get("name", ""),
            held_on=unread.check(lambda: parse_day(values.get("held_on", ""), field="held_on")),
            lenders=values.get("lenders", ""), firms=values.get("firms", ""),
            place=values.get("place", ""), chain=values.get("chain", ""), unread=unread.errors,
        )  # fmt: skip
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_events", object_id=None,
            attempt="登记银企对接活动", error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = _events_context(db, actor, request) | {"error": error, "form": values}
        return render(request, "capital/events.html", context, status_code=error.status)
    return RedirectResponse(f"/capital/events/{made.id}?created=1", status_code=303)


def _event_context(db: Session, actor: Actor, event_id: int) -> dict[str, Any]:
    event = events.event_or_raise(db, actor=actor, event_id=event_id)
    rows = events.outcomes(db, actor=actor, event_id=event_id)
    catalogue = {p.id: p for p in products.catalogue(db, actor=actor)}
    return {
        "actor": actor, "event": event, "outcomes": rows,
        "totals": events.event_totals(db, actor=actor, event_id=event_id),
        "firm_names": read.names(db, event.firms), "products": catalogue,
        "show": service.grouped, "can_write": service.may_write(db, actor), "error": None,
        "form": {},
    }  # fmt: skip


@pages.get("/capital/events/{event_id}")
def event_page(request: Request, event_id: EventId, db: DB, actor: CurrentActor) -> Response:
    return render(request, "capital/event.html", _event_context(db, actor, event_id))


@pages.post("/capital/events/{event_id}/outcomes")
def outcome_create(
    request: Request, event_id: EventId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = _values(form)
    unread = forms.Problems()

    def number(name: str, label: str) -> int | None:
        return unread.check(lambda: _int_or_none(values.get(name, ""), name, label))

    try:
        data = events.NewOutcome(
            firm=values.get("firm", ""), lender=values.get("lender", ""),
            product_id=number("product_id", "产品"), need_id=number("need_id", "融资需求编号"),
            loan_id=number("loan_id", "贷款编号"), intention=values.get("intention", "1") == "1",
            granted_wan=values.get("granted_wan") or None,
            disbursed_wan=values.get("disbursed_wan") or None,
        )  # fmt: skip
        events.record(
            db, actor=actor, event_id=event_id, data=data, today=today_of(request),
            unread=unread.errors,
        )  # fmt: skip
    except WulianError as error:
        service.refused(
            db, actor=actor, object_type="capital_event_outcomes", object_id=event_id,
            attempt="登记银企对接成效", error=error,
        )  # fmt: skip
        if isinstance(error, PermissionDenied):
            raise
        context = _event_context(db, actor, event_id) | {"error": error, "form": values}
        return render(request, "capital/event.html", context, status_code=error.status)
    return RedirectResponse(f"/capital/events/{event_id}?recorded=1", status_code=303)


# ---------------------------------------------------------------- API: needs and events


def _api_refused(db: Session, actor: Actor, object_type: str, object_id: int | None,
                 attempt: str, error: WulianError) -> None:  # fmt: skip
    service.refused(
        db, actor=actor, object_type=object_type, object_id=object_id,
        attempt=f"{attempt}（接口）", error=error,
    )  # fmt: skip


@api.get("/capital/needs", response_model=list[schemas.NeedOut])
def api_needs(
    db: DB, actor: CurrentActor,
    status: Annotated[str | None, Query(title="需求状态")] = None,
) -> list[schemas.NeedOut]:  # fmt: skip
    """Financing needs, newest first (finance staff: every need; a firm: its own)."""
    if status is not None and status not in needs.STATUSES:
        raise InvalidInput(f"需求状态应为：{'、'.join(needs.STATUSES)}", field="status")
    return [schemas.NeedOut.of(n) for n in needs.needs(db, actor=actor, status=status)]


@api.get("/capital/needs/{need_id}", response_model=schemas.NeedOut)
def api_need(need_id: NeedId, db: DB, actor: CurrentActor) -> schemas.NeedOut:
    """One financing need (a firm reads only its own)."""
    return schemas.NeedOut.of(needs.need_or_raise(db, actor=actor, need_id=need_id))


@api.post("/capital/needs", response_model=schemas.NeedOut, status_code=201)
def api_need_create(
    request: Request, body: schemas.NeedIn, db: DB, actor: CurrentActor
) -> schemas.NeedOut:
    """Register a need (a firm's user: for its own firm; the finance office: any zone firm)."""
    try:
        need = needs.create(db, actor=actor, today=today_of(request), data=body.to_new())
    except WulianError as error:
        _api_refused(db, actor, "capital_needs", None, "登记融资需求", error)
        raise
    return schemas.NeedOut.of(need)


@api.post("/capital/needs/{need_id}/status", response_model=schemas.NeedOut)
def api_need_status(
    need_id: NeedId, body: schemas.NeedStatusIn, db: DB, actor: CurrentActor
) -> schemas.NeedOut:
    """Move a need to another state (the finance office)."""
    try:
        need = needs.set_status(db, actor=actor, need_id=need_id, status=body.status)
    except WulianError as error:
        _api_refused(db, actor, "capital_needs", need_id, "更新融资需求状态", error)
        raise
    return schemas.NeedOut.of(need)


@api.get("/capital/events", response_model=list[schemas.EventOut])
def api_events(db: DB, actor: CurrentActor) -> list[schemas.EventOut]:
    """Matchmaking events (银企对接), newest first, with their totals (finance staff)."""
    rows = events.events(db, actor=actor)
    totals = events.all_totals(db, actor=actor, rows=rows)
    return [schemas.EventOut.of(e, totals[e.id]) for e in rows]


@api.get("/capital/events/{event_id}", response_model=schemas.EventDetailOut)
def api_event(event_id: EventId, db: DB, actor: CurrentActor) -> schemas.EventDetailOut:
    """One event with its totals and outcomes (finance staff)."""
    event = events.event_or_raise(db, actor=actor, event_id=event_id)
    totals = events.event_totals(db, actor=actor, event_id=event_id)
    rows = events.outcomes(db, actor=actor, event_id=event_id)
    base = schemas.EventOut.of(event, totals)
    return schemas.EventDetailOut(
        **base.model_dump(), outcomes=[schemas.OutcomeOut.of(r) for r in rows]
    )


@api.post("/capital/events", response_model=schemas.EventOut, status_code=201)
def api_event_create(
    request: Request, body: schemas.EventIn, db: DB, actor: CurrentActor
) -> schemas.EventOut:
    """Register an event with its lenders and zone firms (the finance office)."""
    try:
        event = events.create_event(
            db, actor=actor, today=today_of(request), name=body.name, held_on=body.held_on,
            lenders=body.lenders, firms=body.firms, place=body.place, chain=body.chain,
            note=body.note,
        )  # fmt: skip
    except WulianError as error:
        _api_refused(db, actor, "capital_events", None, "登记银企对接活动", error)
        raise
    return schemas.EventOut.of(event, events.Totals(events=1, firms=len(event.firms)))


@api.post("/capital/events/{event_id}/outcomes", response_model=schemas.OutcomeOut,
          status_code=201)  # fmt: skip
def api_outcome_create(
    request: Request, event_id: EventId, body: schemas.OutcomeIn, db: DB, actor: CurrentActor
) -> schemas.OutcomeOut:
    """Record what came of a firm and a lender at an event (the finance office)."""
    try:
        row = events.record(
            db, actor=actor, event_id=event_id, data=body.to_new(), today=today_of(request)
        )
    except WulianError as error:
        _api_refused(db, actor, "capital_event_outcomes", event_id, "登记银企对接成效", error)
        raise
    return schemas.OutcomeOut.of(row)


# ---------------------------------------------------------------- the credit specs' versions

CREDIT_SPEC_PAGES = SpecPages(
    base="/capital/credit/specs",
    kind=knowledge.SPECS,
    intro="知识价值信用评价方案：湖北模式（七项指标）与重庆模式（基础指标加加分项）随平台内置，"
    "也可保存本地方案。修改会保存为新版本，旧版本保留；每次评价记录所用方案的文本和版本。",
    hint="格式见用户手册“资金链”：index 为指数评价方案（指标、权重、满分线、分级），lines 为各级"
    "授信参考额度（万元），min_known 为评级所需的最少已知指标数。保存前逐项检查，有错时不保存，"
    "并指出行号。",
    shipped_note="平台内置。满分线、权重、分数线和额度为平台默认值，不是官方数值，请按本地方案修改。",
    edit_permission=Permission.FINANCE_WRITE,
)
pages.include_router(spec_router(CREDIT_SPEC_PAGES))
api.include_router(spec_api(CREDIT_SPEC_PAGES))
