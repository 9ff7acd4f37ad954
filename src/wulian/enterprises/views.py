"""Enterprise registry pages and API: the list, a firm's page, imports, self-reports, reviews."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as Path_
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import calendar, forms
from wulian.core.db import utcnow
from wulian.core.deps import DB, XLSX, CurrentActor, render, settings_of, xlsx_download
from wulian.core.errors import InvalidFile, InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.uploads import Uploads
from wulian.enterprises import facts, importreport, imports, read, registry_import, service
from wulian.enterprises.models import FactSource
from wulian.enterprises.schemas import EnterpriseIn, EnterpriseOut, EnterprisePageOut, ReviewOut
from wulian.enterprises.tags import TAGS
from wulian.reference import catalogue
from wulian.reference.models import Metric, Region

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["企业"])

# What other domains show on a firm's page: context key → function of (session, actor,
# enterprise_id). Registered by those domains' views (the chains: its places on the chains).
ProfilePart = Callable[..., Any]
_PROFILE_PARTS: dict[str, ProfilePart] = {}


def profile_part(key: str, part: ProfilePart) -> None:
    """Show part(session, *, actor, enterprise_id) on a firm's page as context[key]."""
    _PROFILE_PARTS[key] = part


Search = Annotated[
    str | None,
    Query(max_length=100, description="名称或曾用名的一部分、拼音或首字母、统一社会信用代码"),
]
Page = Annotated[int, Query(ge=1, le=100_000)]
Short = Annotated[str | None, Query(max_length=40)]
PerPage = Annotated[int, Query(ge=1, le=200)]


def _filters(
    q: str | None, zone: str | None, chain: str | None, tag: str | None, region: str | None,
    size: str | None, sort: str | None,
) -> service.Filters:  # fmt: skip
    in_zone = {"in": True, "out": False}.get(zone or "")
    return service.Filters(
        q=q or None,
        in_zone=in_zone,
        chain=chain or None,
        tag=tag or None,
        region=region or None,
        size=size or None,
        sort=sort if sort in service.SORTS else "name",
    )


@pages.get("/enterprises")
def list_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: Search = None,
    zone: Short = None,
    chain: Short = None,
    tag: Short = None,
    region: Short = None,
    size: Short = None,
    sort: Short = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> Response:
    filters = _filters(q, zone, chain, tag, region, size, sort)
    result = service.get_all(db, actor=actor, filters=filters, page=page, per_page=per_page)
    params = {
        "q": q or "",
        "zone": zone or "",
        "chain": chain or "",
        "tag": tag or "",
        "region": region or "",
        "size": size or "",
        "sort": filters.sort,
    }
    query = "&".join(f"{k}={_quote(v)}" for k, v in params.items() if v)
    facets = service.facets(db, actor=actor)
    return render(
        request,
        "enterprises/list.html",
        {
            "actor": actor,
            "result": result,
            "params": params,
            "query": query,
            "facets": facets,
            "tags": TAGS,
            "regions": dict(facets.regions),
            "sizes": PAGE_SIZES,
        },
    )


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")


@pages.get("/enterprises/export.xlsx")
def export(
    db: DB,
    actor: CurrentActor,
    q: Search = None,
    zone: Short = None,
    chain: Short = None,
    tag: Short = None,
    region: Short = None,
    size: Short = None,
    sort: Short = None,
) -> Response:
    filters = _filters(q, zone, chain, tag, region, size, sort)
    content = service.export_xlsx(db, actor=actor, filters=filters)
    name = f"企业名录-{calendar.today():%Y%m%d}.xlsx"
    return xlsx_download(content, name)


@pages.get("/enterprises/duplicates")
def duplicates_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return render(request, "enterprises/duplicates.html", _duplicates_context(db, actor))


def _duplicates_context(db: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    groups = service.likely_duplicates(db, actor=actor)
    ids = [e.id for group in groups for e in group]
    return {
        "actor": actor,
        "groups": groups,
        "counts": service.current_fact_counts(db, actor=actor, ids=ids),
        "can_merge": actor.has(Permission.ENTERPRISES_WRITE),
        **extra,
    }


@pages.post("/enterprises/{enterprise_id}/merge")
def merge(
    request: Request,
    enterprise_id: int,
    db: DB,
    actor: CurrentActor,
    keep: Annotated[int, Form(ge=1)],
) -> Response:
    try:
        result = service.merge(db, actor=actor, keep_id=keep, drop_id=enterprise_id)
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        return render(
            request,
            "enterprises/duplicates.html",
            _duplicates_context(db, actor, error=error),
            status_code=error.status,
        )
    done = {
        "merged": result.kept.id,
        "facts": result.facts_moved,
        "superseded": result.facts_superseded,
        "tags": result.tags_moved,
        "filled": len(result.fields_filled),
    }
    query = "&".join(f"{k}={v}" for k, v in done.items())
    return RedirectResponse(f"/enterprises/duplicates?{query}", status_code=303)


def _detail_context(db: Session, actor: Actor, enterprise_id: int) -> dict[str, Any]:
    enterprise = service.get_or_raise(db, actor=actor, enterprise_id=enterprise_id)
    values = facts.firm_values(db, actor=actor, enterprise_id=enterprise_id)
    metrics = {m.key: m for m in db.query(Metric).filter(Metric.kind == "input")}
    periods = sorted({p for by_period in values.values() for p in by_period}, reverse=True)[:3]
    region = db.get(Region, enterprise.region_code) if enterprise.region_code else None
    own = actor.enterprise_id == enterprise_id
    return {
        "actor": actor,
        "enterprise": enterprise,
        "values": values,
        "metrics": metrics,
        "periods": periods,
        "region": region,
        "tags": TAGS,
        "own": own,
        "reports": facts.firm_reports(db, actor=actor, enterprise_id=enterprise_id)
        if own or actor.has(Permission.FACTS_VERIFY)
        else [],
        "missing": [m for m in metrics.values() if m.key not in values],
        "this_year": str(calendar.today().year - 1),
        "positions": [],
        **{
            key: part(db, actor=actor, enterprise_id=enterprise_id)
            for key, part in _PROFILE_PARTS.items()
        },
        "can_place": actor.has(Permission.CHAINS_MANAGE) and actor.enterprise_id is None,
    }


@pages.get("/enterprises/{enterprise_id}")
def detail_page(request: Request, enterprise_id: int, db: DB, actor: CurrentActor) -> Response:
    context = _detail_context(db, actor, enterprise_id)
    return render(request, "enterprises/detail.html", context)


@pages.get("/enterprises/{enterprise_id}/history")
def history_page(
    request: Request,
    enterprise_id: int,
    db: DB,
    actor: CurrentActor,
    metric: Annotated[str, Query(max_length=64)],
    period: Annotated[str, Query(max_length=7)],
) -> Response:
    enterprise = service.get_or_raise(db, actor=actor, enterprise_id=enterprise_id)
    rows = facts.history(
        db, actor=actor, enterprise_id=enterprise_id, metric_key=metric, period=period
    )
    return render(
        request,
        "enterprises/history.html",
        {
            "actor": actor,
            "enterprise": enterprise,
            "rows": rows,
            "metric": facts.metric_or_raise(db, metric),
            "period": period,
        },
    )


@pages.post("/enterprises/{enterprise_id}/reports")
def self_report(
    request: Request,
    enterprise_id: int,
    db: DB,
    actor: CurrentActor,
    metric: Annotated[str, Form(max_length=64)],
    period: Annotated[str, Form(max_length=7)],
    value: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=2000)] = "",
    form_key: Annotated[str, Form(max_length=64)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """An enterprise user fills in a value their firm is missing, with evidence."""
    if (done := forms.once(db, form_key)) is not None:  # a double-click: the first one acted
        return RedirectResponse(done or f"/enterprises/{enterprise_id}#reports", status_code=303)
    settings = settings_of(request)
    try:
        if actor.enterprise_id != enterprise_id:
            raise PermissionDenied("只能填报本企业的数据")
        try:
            number = float(value.replace(",", "").strip())
        except ValueError:
            raise InvalidInput("数值不是数字", field="value", value=value) from None
        path = None
        if evidence is not None and evidence.filename:
            content = evidence.file.read(settings.max_evidence_bytes + 1)
            path = facts.store_evidence(
                settings.data_dir, enterprise_id, content, settings.max_evidence_bytes
            )
        facts.record(
            db,
            actor=actor,
            enterprise_id=enterprise_id,
            metric_key=metric,
            period=period.strip(),
            value=number,
            source=facts.SELF_REPORT,
            as_of=calendar.today(),
            evidence_path=path,
            note=note,
        )
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        context = _detail_context(db, actor, enterprise_id)
        given = {"metric": metric, "period": period, "value": value, "note": note}
        context |= {"error": error, "form": given}
        return render(request, "enterprises/detail.html", context, status_code=error.status)
    location = f"/enterprises/{enterprise_id}?reported=1#reports"
    forms.remember(db, form_key, location)
    return RedirectResponse(location, status_code=303)


@pages.get("/facts/{fact_id}/evidence")
def evidence(request: Request, fact_id: int, db: DB, actor: CurrentActor) -> Response:
    relative = facts.evidence_of(db, actor=actor, fact_id=fact_id)
    path = facts.evidence_file(settings_of(request).data_dir, relative)
    media = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg"}
    return FileResponse(path, media_type=media[path.suffix])


# ---------------------------------------------------------------- reviews


Period = Annotated[str | None, Query(max_length=7)]
Key = Annotated[str | None, Query(max_length=64)]


def _review_filters(
    metric: str | None, source: str | None, q: str | None, period: str | None, sort: str | None
) -> facts.ReviewFilters:
    return facts.ReviewFilters(
        metric=metric or None, source=source or None, q=(q or "").strip() or None,
        period=(period or "").strip() or None, sort=sort or "oldest",
    )  # fmt: skip


def _filter_fields(filters: facts.ReviewFilters) -> dict[str, str]:
    """The filter as query fields (those set), for links, the export and the bulk forms."""
    fields = {
        "metric": filters.metric or "", "source": filters.source or "", "q": filters.q or "",
        "period": filters.period or "", "sort": "" if filters.sort == "oldest" else filters.sort,
    }  # fmt: skip
    return {k: v for k, v in fields.items() if v}


@pages.get("/reviews")
def reviews_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    metric: Key = None,
    source: Key = None,
    q: Search = None,
    period: Period = None,
    sort: Short = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> Response:
    filters = _review_filters(metric, source, q, period, sort)
    try:
        context = _reviews_context(request, db, actor, filters, page, per_page)
    except InvalidInput as error:  # a bad filter value: the queue unfiltered, with the reason
        context = _reviews_context(
            request, db, actor, facts.ReviewFilters(), 1, per_page, error=error
        )
        return render(request, "enterprises/reviews.html", context, status_code=error.status)
    return render(request, "enterprises/reviews.html", context)


@pages.get("/reviews/export.xlsx")
def reviews_export(
    db: DB,
    actor: CurrentActor,
    metric: Key = None,
    source: Key = None,
    q: Search = None,
    period: Period = None,
    sort: Short = None,
) -> Response:
    filters = _review_filters(metric, source, q, period, sort)
    content = facts.review_xlsx(db, actor=actor, filters=filters)
    return xlsx_download(content, f"待审核数据-{calendar.today():%Y%m%d}.xlsx")


def _reviews_context(
    request: Request,
    db: Session,
    actor: Actor,
    filters: facts.ReviewFilters | None = None,
    page: int = 1,
    per_page: int = 50,
    **extra: Any,
) -> dict[str, Any]:
    filters = filters or facts.ReviewFilters()
    result = facts.pending_reviews(db, actor=actor, filters=filters, page=page, per_page=per_page)
    bounds = catalogue.change_bounds(settings_of(request).change_bounds)
    changes = facts.review_changes(db, actor=actor, pending=result.items, bounds=bounds)
    metrics, sources = facts.review_facets(db, actor=actor)
    fields = _filter_fields(filters)
    query = urlencode(fields)
    return {
        "actor": actor,
        "result": result,
        "changes": changes,
        "firms": read.records(db, (f.enterprise_id for f in result.items)),
        "filters": filters,
        "fields": fields,
        "metrics": metrics,
        "sources": sources,
        "sorts": facts.REVIEW_SORTS,
        "query": query,
        "base": "/reviews?" + (query + "&" if query else ""),
        "sizes": PAGE_SIZES,
        **extra,
    }


@pages.post("/reviews/bulk")
def review_bulk(
    request: Request,
    db: DB,
    actor: CurrentActor,
    decision: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    metric: Annotated[str, Form(max_length=64)] = "",
    source: Annotated[str, Form(max_length=64)] = "",
    q: Annotated[str, Form(max_length=100)] = "",
    period: Annotated[str, Form(max_length=7)] = "",
    sort: Annotated[str, Form(max_length=40)] = "",
    expected: Annotated[int | None, Form(ge=0)] = None,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Every value that matches the filter, verified or rejected: first the count to confirm,
    then (confirm, with the count confirmed) the decision, in one transaction."""
    filters = _review_filters(metric, source, q, period, sort)
    try:
        count = facts.review_matching(
            db, actor=actor, filters=filters, decision=decision, reason=reason,
            expected=expected, dry_run=not confirm,
        )  # fmt: skip
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        try:
            context = _reviews_context(request, db, actor, filters, error=error)
        except InvalidInput:
            context = _reviews_context(request, db, actor, error=error)
        return render(request, "enterprises/reviews.html", context, status_code=error.status)
    if not confirm:
        context = _reviews_context(request, db, actor, filters)
        verb = "通过" if decision == "verify" else "驳回"
        context["confirming"] = {
            "count": count,
            "verb": f"{verb}待审核数据",
            "fields": {**_filter_fields(filters), "decision": decision, "reason": reason},
        }
        return render(request, "enterprises/reviews.html", context)
    verb = "通过" if decision == "verify" else "驳回"
    return RedirectResponse(f"/reviews?done={verb}&count={count}", status_code=303)


@pages.post("/reviews/{fact_id}")
def review(
    request: Request,
    fact_id: int,
    db: DB,
    actor: CurrentActor,
    decision: Annotated[str, Form(max_length=16)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        if decision == "verify":
            fact = facts.verify(db, actor=actor, fact_id=fact_id)
        elif decision == "reject":
            fact = facts.reject(db, actor=actor, fact_id=fact_id, reason=reason)
        else:
            raise InvalidInput("请选择通过或驳回", field="decision")
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        return render(
            request,
            "enterprises/reviews.html",
            _reviews_context(request, db, actor, error=error),
            status_code=error.status,
        )
    verb = "通过" if decision == "verify" else "驳回"
    return RedirectResponse(f"/reviews?done={verb}&fact={fact.id}", status_code=303)


# ---------------------------------------------------------------- imports


def _uploads(request: Request) -> Uploads:
    """The uploads waiting for confirmation (the clock can be replaced on the app's state)."""
    settings = settings_of(request)
    return Uploads(
        folder=settings.data_dir / "uploads",
        keep=dt.timedelta(hours=settings.upload_keep_hours),
        clock=getattr(request.app.state, "clock", utcnow),
    )


def _run_import(
    request: Request,
    db: Session,
    actor: Actor,
    meta: dict[str, Any],
    data: bytes,
    *,
    dry_run: bool,
    confirm_rows: Collection[int] = (),
) -> importreport.ImportReport:
    if meta["kind"] == "enterprises":
        return registry_import.import_enterprises(
            db,
            actor=actor,
            data=data,
            filename=meta["filename"],
            in_zone=not meta["external"],
            partial=meta["partial"],
            dry_run=dry_run,
        )
    return imports.import_facts(
        db,
        actor=actor,
        data=data,
        filename=meta["filename"],
        period=meta["period"] or None,
        source=meta["source"],
        partial=meta["partial"],
        dry_run=dry_run,
        create_firms=meta["create_firms"],
        confirm_rows=confirm_rows,
        bounds=catalogue.change_bounds(settings_of(request).change_bounds),
    )


def _import_context(db: Session, actor: Actor, **extra: Any) -> dict[str, Any]:
    sources = db.query(FactSource).filter(FactSource.is_active).order_by(FactSource.priority)
    return {
        "actor": actor,
        "sources": list(sources),
        "can_registry": actor.has(Permission.ENTERPRISES_WRITE),
        "form": {"kind": "facts", "source": "officer", "period": "", "partial": False},
        **extra,
    }


def _require_importer(actor: Actor) -> None:
    actor.require(Permission.FACTS_WRITE)
    if actor.enterprise_id is not None:
        raise PermissionDenied("企业用户请在“我的企业”页面填报本企业数据")


@pages.get("/imports")
def imports_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    _require_importer(actor)
    _uploads(request).purge()
    settings = settings_of(request)
    context = _import_context(
        db, actor, keep_hours=settings.upload_keep_hours,
        has_sample=(settings.data_dir / importreport.SAMPLE_NAME).is_file(),
    )  # fmt: skip
    return render(request, "enterprises/import.html", context)


@pages.get("/imports/template.xlsx")
def import_template(request: Request, db: DB, actor: CurrentActor) -> Response:
    """A workbook to fill in: one column per metric that can be reported, with a sheet that
    explains them."""
    _require_importer(actor)
    return xlsx_download(importreport.template_xlsx(db, actor=actor), "企业数据导入模板.xlsx")


@pages.get("/imports/sample.xlsx")
def import_sample(request: Request, db: DB, actor: CurrentActor) -> Response:
    """The demo zone's sample file (with a few deliberate mistakes), where the demo wrote one."""
    _require_importer(actor)
    path = settings_of(request).data_dir / importreport.SAMPLE_NAME
    if not path.is_file():
        raise NotFound("没有示例导入文件（示例园区生成时才有）")
    return xlsx_download(path.read_bytes(), importreport.SAMPLE_NAME)


@pages.post("/imports")
def import_preview(
    request: Request,
    db: DB,
    actor: CurrentActor,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=16)] = "facts",
    period: Annotated[str, Form(max_length=7)] = "",
    source: Annotated[str, Form(max_length=32)] = "officer",
    partial: Annotated[bool, Form()] = False,
    create_firms: Annotated[bool, Form()] = False,
    external: Annotated[bool, Form()] = False,
) -> Response:
    """Upload and check a file; nothing is written until the preview is confirmed."""
    _require_importer(actor)
    meta = {
        "kind": "enterprises" if kind == "enterprises" else "facts",
        "filename": Path(file.filename or "upload").name[:200],
        "period": period.strip(),
        "source": source,
        "partial": partial,
        "create_firms": create_firms,
        "external": external,
        "actor": Uploads.owner(actor),
    }
    data = file.file.read()  # a plain route: FastAPI runs it in a worker thread
    try:
        report = _run_import(request, db, actor, meta, data, dry_run=True)
    except WulianError as error:
        db.rollback()
        if isinstance(error, PermissionDenied):
            raise
        problems = error.problems if isinstance(error, InvalidFile) else []
        context = _import_context(db, actor, error=error, problems=problems, form=meta)
        return render(request, "enterprises/import.html", context, status_code=error.status)
    uploads = _uploads(request)
    token = uploads.save(data=data, meta=meta, report=importreport.report_xlsx(report))
    context = _import_context(
        db,
        actor,
        report=report,
        token=token,
        form=meta,
        keep_hours=settings_of(request).upload_keep_hours,
    )
    return render(request, "enterprises/import.html", context)


def _stored(request: Request, actor: Actor, token: str) -> dict[str, Any]:
    return _uploads(request).meta_for(token, actor)


def _rows(values: list[str]) -> set[int]:
    """Row numbers from the confirmation checkboxes (anything else is ignored)."""
    return {int(v) for v in values if v.isdigit() and len(v) <= 9}


@pages.post("/imports/{token}/commit")
def import_commit(
    request: Request,
    token: Annotated[str, Path_(max_length=40)],
    db: DB,
    actor: CurrentActor,
    confirm: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Write a checked file; rows with warnings only when their boxes are ticked."""
    _require_importer(actor)
    meta = _stored(request, actor, token)
    uploads = _uploads(request)
    data = uploads.data(token)
    confirmed = _rows(confirm or [])
    report = _run_import(request, db, actor, meta, data, dry_run=False, confirm_rows=confirmed)
    if report.committed:
        uploads.used(token)
    uploads.replace_report(token, importreport.report_xlsx(report))
    context = _import_context(
        db,
        actor,
        report=report,
        token=token,
        form=meta,
        done=report.committed,
        keep_hours=settings_of(request).upload_keep_hours,
    )
    return render(request, "enterprises/import.html", context)


@pages.get("/imports/{token}/report.xlsx")
def import_report(request: Request, token: str, actor: CurrentActor) -> Response:
    _require_importer(actor)
    path = _uploads(request).report(token)
    return FileResponse(path, media_type=XLSX, filename="导入检查报告.xlsx")


# ---------------------------------------------------------------- API


@api.get("/enterprises", summary="企业名录（企业用户与绑定企业的令牌只能看到本企业）")
def api_list(
    db: DB,
    actor: CurrentActor,
    q: Search = None,
    in_zone: bool | None = None,
    chain: Annotated[str | None, Query(max_length=40, description="产业链编号")] = None,
    tag: Annotated[str | None, Query(max_length=40, description="资质标签")] = None,
    region: Annotated[str | None, Query(max_length=40, description="区县代码")] = None,
    size: Annotated[
        str | None, Query(max_length=40, description="规模：micro、small、medium、large")
    ] = None,
    sort: Annotated[
        str | None,
        Query(
            max_length=40, description="name（按拼音，默认）、-staff、-capital、-founded、founded"
        ),
    ] = None,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EnterprisePageOut:
    """与企业名录页面相同的筛选、排序和分页。"""
    filters = service.Filters(
        q=q or None, in_zone=in_zone, chain=chain or None, tag=tag or None,
        region=region or None, size=size or None, sort=sort or "name",
    )  # fmt: skip
    service.check_filters(filters)
    result = service.get_all(db, actor=actor, filters=filters, page=page, per_page=per_page)
    return EnterprisePageOut(
        **EnterprisePageOut.fields(result),
        items=[EnterpriseOut.model_validate(e) for e in result.items],
    )


@api.get("/reviews", summary="待审核数据（分页、筛选；工作人员只看本部门负责的指标）")
def api_reviews(
    db: DB,
    actor: CurrentActor,
    metric: Annotated[str | None, Query(max_length=64, description="指标代码")] = None,
    source: Annotated[str | None, Query(max_length=64, description="数据来源代码")] = None,
    q: Search = None,
    period: Annotated[str | None, Query(max_length=7, description="期间：YYYY 或 YYYY-MM")] = None,
    sort: Annotated[
        str | None, Query(max_length=40, description="oldest（默认）、firm、metric")
    ] = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> PageOut[ReviewOut]:
    """与“数据审核”页面相同的筛选、排序和分页。"""
    filters = _review_filters(metric, source, q, period, sort)
    result = facts.pending_reviews(db, actor=actor, filters=filters, page=page, per_page=per_page)
    firms = read.records(db, (f.enterprise_id for f in result.items))
    items = []
    for f in result.items:
        firm = firms.get(f.enterprise_id)
        items.append(
            ReviewOut(
                id=f.id,
                enterprise_id=f.enterprise_id,
                enterprise_name=firm.name if firm else "",
                uscc=firm.uscc if firm else None,
                metric=f.metric.key,
                metric_name=f.metric.name,
                unit=f.metric.unit,
                period=f.period,
                value=f.value,
                source=f.source.code,
                source_name=f.source.name,
                as_of=f.as_of,
                entered_by=f.entered_by,
                note=f.note or "",
                created_at=f.created_at,
            )
        )
    return PageOut[ReviewOut](**PageOut.fields(result), items=items)


@api.get("/enterprises/{enterprise_id}", summary="企业详情")
def api_detail(enterprise_id: int, db: DB, actor: CurrentActor) -> EnterpriseOut:
    return EnterpriseOut.model_validate(
        service.get_or_raise(db, actor=actor, enterprise_id=enterprise_id)
    )


@api.post("/enterprises", status_code=201, summary="登记企业")
def api_create(body: EnterpriseIn, db: DB, actor: CurrentActor) -> EnterpriseOut:
    enterprise = service.create(
        db, actor=actor, name=body.name, code=body.uscc, in_zone=body.in_zone
    )
    return EnterpriseOut.model_validate(enterprise)
