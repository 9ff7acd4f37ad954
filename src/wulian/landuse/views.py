"""亩均效益 pages: runs, the class lists with the zone view, the low-efficiency list, a firm's
report card, the published xlsx, and the spec files."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core.deps import DB, CurrentActor, render, render_failure, xlsx_download
from wulian.core.errors import InvalidInput, NotFound, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor
from wulian.core.runpages import RunPages, lifecycle_router
from wulian.core.runs import RunStatus
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.enterprises import views as enterprise_views
from wulian.landuse import schemas, service
from wulian.landuse.evaluate import STATUS_NAMES
from wulian.landuse.models import LanduseResult, LanduseRun, LanduseSpec
from wulian.landuse.spec import GROUPS

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["亩均效益"])
enterprise_views.profile_part(
    "landuse", service.firm_standing
)  # on a firm's page: 亩均 classes by run

Short = Annotated[str | None, Query(max_length=40)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]


def _index_context(
    db: Session, actor: Actor, error: WulianError | None = None, page: int = 1, per_page: int = 20
) -> dict[str, Any]:
    staff = actor.enterprise_id is None
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    newest = service.runs_page(db, actor=actor, page=1, per_page=1).items
    latest: dict[str, LanduseSpec] = {}
    for row in service.get_specs(db, actor=actor) if staff else []:
        latest.setdefault(row.code, row)
    runnable = [s for s in latest.values() if service.may_run(db, actor=actor, spec=s)]
    return {
        "actor": actor,
        "runs": result.items,
        "result": result,
        "newest": newest[0] if newest else None,
        "sizes": PAGE_SIZES,
        "specs": runnable,
        "can_run": bool(runnable),
        "statuses": RunStatus,
        "error": error,
    }


@pages.get("/landuse")
def index(
    request: Request, db: DB, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20
) -> Response:
    if actor.enterprise_id is not None:  # a firm goes to its own report card
        return RedirectResponse(f"/landuse/card/{actor.enterprise_id}", status_code=303)
    return render(request, "landuse/index.html", _index_context(db, actor, None, page, per_page))


@pages.post("/landuse/runs")
def create_run(
    request: Request,
    db: DB,
    actor: CurrentActor,
    spec_id: Annotated[int, Form()],
    year: Annotated[int, Form(ge=1900, le=2999)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        run = service.create_run(db, actor=actor, spec_id=spec_id, period=year, note=note)
    except WulianError as error:
        return render_failure(
            request, db, error, "landuse/index.html", lambda e: _index_context(db, actor, e)
        )
    return RedirectResponse(f"/landuse/runs/{run.id}", status_code=303)


def _run_context(
    db: Session,
    actor: Actor,
    run_id: int,
    filters: service.Filters,
    page: int = 1,
    error: WulianError | None = None,
) -> dict[str, Any]:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    spec = service.parse(run.spec.text)
    listing = service.listing(db, actor=actor, run_id=run.id, filters=filters, page=page)
    params = {
        "group": filters.group or "", "grade": filters.grade or "",
        "status": filters.status or "", "low": "1" if filters.low else "", "q": filters.q or "",
    }  # fmt: skip
    view = service.zone_view(db, actor=actor, run_id=run.id)
    peak = max((n for _, n in view.histogram), default=0)
    return {
        "actor": actor,
        "run": run,
        "spec": spec,
        "status": RunStatus(run.status),
        "filters": filters,
        "listing": listing,
        "base": f"/landuse/runs/{run.id}?{urlencode({k: v for k, v in params.items() if v})}&",
        "view": view,
        "peak": peak,
        "groups": {g.key: g.label for g in spec.groups},
        "status_names": STATUS_NAMES,
        "item_names": _item_names(spec),
        "can_manage": service.may_run(db, actor=actor, spec=run.spec),
        "error": error,
    }


def _item_names(spec: Any) -> dict[str, str]:
    names = {}
    for group in spec.groups:
        for item in group.items:
            names[item.key] = item.name or service.metric_name(item.key)
    return names


@pages.get("/landuse/runs/{run_id}")
def run_page(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    group: Short = None,
    grade: Short = None,
    status: Short = None,
    low: Short = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
    page: PageNo = 1,
) -> Response:
    filters = service.Filters(
        group=group if group in GROUPS else None, grade=grade or None,
        status=status if status in STATUS_NAMES else None, low=bool(low), q=q or None,
    )  # fmt: skip
    return render(request, "landuse/run.html", _run_context(db, actor, run_id, filters, page))


pages.include_router(
    lifecycle_router(
        RunPages(
            base="/landuse/runs",
            service=service,
            template="landuse/run.html",
            context=lambda db, actor, run_id, error: _run_context(
                db, actor, run_id, service.Filters(), error=error
            ),
        )
    )
)


@pages.get("/landuse/runs/{run_id}/low")
def low(request: Request, run_id: int, db: DB, actor: CurrentActor) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    firms = service.low_list(db, actor=actor, run_id=run.id)
    years = sorted({y for firm in firms for y in firm.history})
    context = {
        "actor": actor, "run": run, "firms": firms, "years": years,
        "line": service.parse(run.spec.text).scope.low_tax_per_mu,
    }  # fmt: skip
    return render(request, "landuse/low.html", context)


@pages.get("/landuse/runs/{run_id}/export.xlsx")
def export(run_id: int, db: DB, actor: CurrentActor) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    content = service.export_xlsx(db, actor=actor, run_id=run.id)
    label = RunStatus(run.status).label
    return xlsx_download(content, f"{run.year}年度亩均效益综合评价名单-{label}.xlsx")


@pages.get("/landuse/runs/{run_id}/firms/{enterprise_id}")
def card(
    request: Request, run_id: int, enterprise_id: int, db: DB, actor: CurrentActor
) -> Response:
    found = service.card(db, actor=actor, run_id=run_id, enterprise_id=enterprise_id)
    context = {
        "actor": actor, "card": found, "groups": GROUPS, "status_names": STATUS_NAMES,
        "item_names": _item_names(service.parse(found.run.spec.text)),
    }  # fmt: skip
    return render(request, "landuse/card.html", context)


@pages.get("/landuse/card/{enterprise_id}")
def latest_card(enterprise_id: int, db: DB, actor: CurrentActor) -> Response:
    """The firm's card in the newest run it is in (published only, for a firm's own users)."""
    actor.require_enterprise(enterprise_id)
    runs = [r.id for r in service.get_runs(db, actor=actor)]
    found = db.scalar(
        sa.select(LanduseResult.run_id)
        .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
        .where(LanduseResult.enterprise_id == enterprise_id, LanduseResult.run_id.in_(runs))
        .order_by(LanduseRun.period.desc(), LanduseRun.id.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound("还没有这家企业的亩均效益评价结果")
    return RedirectResponse(f"/landuse/runs/{found}/firms/{enterprise_id}", status_code=303)


# ---------------------------------------------------------------- specs

SPEC_PAGES = SpecPages(
    base="/landuse/specs",
    kind=service.SPECS,
    intro="每个方案是一个规格文件：参评范围、规上与规下的指标、权重和基准值、分类比例、"
    "加减分和各类的差别化政策。修改会保存为新版本，旧版本保留，历次评价记录所用的版本。",
    hint="格式见用户手册“亩均效益”。保存前逐项检查：指标必须是指标目录中的计算指标，权重"
    "和基准值必须是大于 0 的数字，分类比例从小到大且最后一类为 1。有错时不保存，并指出"
    "行号。",
    shipped_note="平台内置（黄岩 2022 年口径）。基准值每年重新公布，请按当年数值另存新版本。",
)
pages.include_router(spec_router(SPEC_PAGES))
api.include_router(spec_api(SPEC_PAGES))


# ---------------------------------------------------------------- API


@api.get("/landuse/grades", response_model=schemas.GradesPage)
def grades(
    db: DB,
    actor: CurrentActor,
    year: Annotated[int | None, Query(ge=2000, le=2999, description="年度，如 2025")] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.GradesPage:
    """已发布的亩均效益评价中每家企业的类别、得分和适用政策（供执行差别化电价、水价、用地
    政策的系统读取）。需要 `zone:read` 范围的令牌。"""
    run, rows = service.published_grades(db, actor=actor, year=year, page=page, per_page=per_page)
    policies = service.parse(run.spec.text).policies if run else {}
    return schemas.GradesPage(
        year=run.year if run else None,
        spec=f"{run.spec.name}（第 {run.spec.version} 版）" if run else None,
        published_at=run.published_at if run else None,
        **PageOut.fields(rows),
        items=[
            schemas.GradeOut(
                uscc=e.uscc, name=e.name, group=r.group, grade=r.grade, status=r.status,
                score=r.score, rank=r.rank, size=r.size, low=r.low, tax_per_mu=r.tax_per_mu,
                policy=policies.get(r.grade or ""),
            )
            for r, e in rows.items
        ],
    )  # fmt: skip


GRADES = ("A", "B", "C", "D", "T")


@api.get("/landuse/runs", summary="亩均效益评价批次（分页，新的年度在前）")
def api_runs(
    db: DB, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20
) -> PageOut[schemas.RunOut]:
    """与“亩均效益评价”页面相同的分页；企业用户只看到公示中和已发布的批次。"""
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    items = [schemas.RunOut.of(r) for r in result.items]
    return PageOut[schemas.RunOut](**PageOut.fields(result), items=items)


@api.get("/landuse/runs/{run_id}/results", response_model=PageOut[schemas.ResultOut])
def api_results(
    run_id: int,
    db: DB,
    actor: CurrentActor,
    group: Annotated[str | None, Query(max_length=40, description="above 规上、below 规下")] = None,
    grade: Annotated[str | None, Query(max_length=40, description="类别：A、B、C、D、T")] = None,
    status: Annotated[
        str | None, Query(max_length=40, description="rated、T、rented、out、incomplete")
    ] = None,
    low: Annotated[bool, Query(description="只看低效企业")] = False,
    q: Annotated[str | None, Query(max_length=50, description="企业名称的一部分")] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[schemas.ResultOut]:
    """一次评价（任何状态）的企业结果，与评价页面相同的筛选和分页；只有园区工作人员可以读取。"""
    if group and group not in GROUPS:
        raise InvalidInput(f"分组“{group}”不对，应为 above（规上）或 below（规下）", field="group")
    if grade and grade not in GRADES:
        raise InvalidInput(f"类别“{grade}”不对，应为 A、B、C、D 或 T", field="grade")
    if status and status not in STATUS_NAMES:
        raise InvalidInput(
            f"状态“{status}”不对，应为 {'、'.join(STATUS_NAMES)} 之一", field="status"
        )
    filters = service.Filters(
        group=group or None, grade=grade or None, status=status or None, low=low, q=q or None
    )
    rows = service.listing(
        db, actor=actor, run_id=run_id, filters=filters, page=page, per_page=per_page
    )
    items = [
        schemas.ResultOut(
            enterprise_id=e.id,
            uscc=e.uscc,
            name=e.name,
            group=r.group,
            grade=r.grade,
            status=r.status,
            score=r.score,
            rank=r.rank,
            size=r.size,
            low=r.low,
            tax_per_mu=r.tax_per_mu,
            reason=r.reason,
        )
        for r, e in rows.items
    ]
    return PageOut[schemas.ResultOut](**PageOut.fields(rows), items=items)
