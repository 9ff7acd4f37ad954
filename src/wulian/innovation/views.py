"""Innovation-points pages (specs, runs, lists, pool, sensitivity, portraits) and the bank API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

import polars as pl
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import calendar
from wulian.core.deps import DB, CurrentActor, render, render_failure, xlsx_download
from wulian.core.errors import InvalidInput, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.runpages import RunPages, lifecycle_router, run_action
from wulian.core.runs import RunStatus
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.enterprises import views as enterprise_views
from wulian.innovation import charts, schemas, service
from wulian.innovation.models import ObjectionOutcome, SpecKind

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["创新积分"])
enterprise_views.profile_part(
    "innovation", service.firm_standing
)  # on a firm's page: innovation points by run

Short = Annotated[str | None, Query(max_length=40)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]


# ---------------------------------------------------------------- runs


def _index_context(
    db: Session, actor: Actor, error: WulianError | None = None, page: int = 1, per_page: int = 20
) -> dict[str, Any]:
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    newest = service.runs_page(db, actor=actor, page=1, per_page=1).items
    staff = actor.enterprise_id is None
    specs = service.get_specs(db, actor=actor) if staff else []
    latest: dict[str, Any] = {}
    for spec in specs:
        latest.setdefault(spec.code, spec)
    runnable = [
        s
        for s in latest.values()
        if s.kind == SpecKind.INDEX and service.may_run(db, actor=actor, spec=s)
    ]
    return {
        "actor": actor,
        "runs": result.items,
        "result": result,
        "newest": newest[0] if newest else None,
        "sizes": PAGE_SIZES,
        "index_specs": runnable,
        "credit_specs": [s for s in latest.values() if s.kind == SpecKind.CREDIT],
        "can_run": bool(runnable),
        "error": error,
        "statuses": RunStatus,
    }


@pages.get("/innovation")
def index(
    request: Request,
    db: DB,
    actor: CurrentActor,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    context = _index_context(db, actor, page=page, per_page=per_page)
    return render(request, "innovation/index.html", context)


@pages.post("/innovation/runs")
def create_run(
    request: Request,
    db: DB,
    actor: CurrentActor,
    spec_id: Annotated[int, Form()],
    period: Annotated[str, Form(max_length=7)],
    credit_spec_id: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        run = service.create_run(
            db,
            actor=actor,
            spec_id=spec_id,
            period=period.strip(),
            credit_spec_id=int(credit_spec_id) if credit_spec_id.strip().isdigit() else None,
            note=note,
        )
    except WulianError as error:
        return render_failure(
            request, db, error, "innovation/index.html", lambda e: _index_context(db, actor, e)
        )
    return RedirectResponse(f"/innovation/runs/{run.id}", status_code=303)


def _run_context(
    db: Session,
    actor: Actor,
    run_id: int,
    *,
    cohort: str | None = None,
    band: str | None = None,
    top: int | None = None,
    page: int = 1,
    error: WulianError | None = None,
) -> dict[str, Any]:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    stages = service.cohorts(run)
    cohort = cohort if cohort in stages else (stages[0] if stages else None)
    listing = service.listing(
        db, actor=actor, run_id=run.id, cohort=cohort, band=band or None, top=top, page=page
    )
    params = {"cohort": cohort or "", "band": band or "", "top": top or ""}
    return {
        "actor": actor,
        "run": run,
        "status": RunStatus(run.status),
        "stages": stages,
        "cohort": cohort,
        "band": band or "",
        "top": top,
        "bands": service.bands(run),
        "listing": listing,
        "base": f"/innovation/runs/{run.id}?{urlencode({k: v for k, v in params.items() if v})}&",
        "objections": service.objections(db, actor=actor, run_id=run.id),
        "outcomes": ObjectionOutcome,
        "can_manage": service.may_run(db, actor=actor, spec=run.spec),
        "today": calendar.today(),
        "error": error,
    }


@pages.get("/innovation/runs/{run_id}")
def run_page(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    cohort: Short = None,
    band: Short = None,
    top: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    page: PageNo = 1,
) -> Response:
    context = _run_context(db, actor, run_id, cohort=cohort, band=band, top=top, page=page)
    return render(request, "innovation/run.html", context)


RUN_PAGES = RunPages(
    base="/innovation/runs",
    service=service,
    template="innovation/run.html",
    context=lambda db, actor, run_id, error: _run_context(db, actor, run_id, error=error),
)
pages.include_router(lifecycle_router(RUN_PAGES))


def _run_action(
    request: Request, db: Session, actor: Actor, run_id: int, action: Callable[[], object]
) -> Response:
    return run_action(RUN_PAGES, request, db, actor, run_id, action)


@pages.post("/innovation/runs/{run_id}/objections")
def raise_objection(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    enterprise_id: Annotated[int, Form(ge=1)],
    text: Annotated[str, Form(max_length=2000)],
) -> Response:
    try:
        service.raise_objection(
            db, actor=actor, run_id=run_id, enterprise_id=enterprise_id, text=text
        )
    except WulianError as error:
        if actor.enterprise_id is not None:
            return render_failure(
                request,
                db,
                error,
                "innovation/portrait.html",
                lambda e: _portrait_context(db, actor, enterprise_id, run_id, error=e),
            )
        return render_failure(
            request,
            db,
            error,
            "innovation/run.html",
            lambda e: _run_context(db, actor, run_id, error=e),
        )
    if actor.enterprise_id is not None:
        return RedirectResponse(
            f"/innovation/portrait/{enterprise_id}?run={run_id}&objected=1", status_code=303
        )
    return RedirectResponse(f"/innovation/runs/{run_id}#objections", status_code=303)


@pages.post("/innovation/objections/{objection_id}/answer")
def answer_objection(
    request: Request,
    objection_id: int,
    db: DB,
    actor: CurrentActor,
    run_id: Annotated[int, Form(ge=1)],
    outcome: Annotated[str, Form(max_length=16)],
    answer: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _run_action(
        request,
        db,
        actor,
        run_id,
        lambda: service.answer_objection(
            db, actor=actor, objection_id=objection_id, outcome=outcome, answer=answer
        ),
    )


@pages.get("/innovation/runs/{run_id}/export.xlsx")
def export(run_id: int, db: DB, actor: CurrentActor) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    content = service.export_xlsx(db, actor=actor, run_id=run_id)
    name = f"{run.period}年度企业创新积分榜单-{RunStatus(run.status).label}.xlsx"
    return xlsx_download(content, name)


@pages.get("/innovation/runs/{run_id}/pool")
def pool(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    margin: Annotated[float, Query(gt=0, le=50)] = 5.0,
) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    entries = service.cultivation_pool(db, actor=actor, run_id=run_id, margin=margin)
    bands = service.bands(run)
    return render(
        request,
        "innovation/pool.html",
        {
            "actor": actor,
            "run": run,
            "entries": entries,
            "margin": margin,
            "last_band": bands[-1] if bands else "",
        },
    )


@pages.get("/innovation/runs/{run_id}/sensitivity")
def sensitivity_page(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    cohort: Short = None,
    draws: Annotated[int, Query(ge=10, le=2000)] = 300,
    noise: Annotated[float, Query(gt=0, le=0.9)] = 0.25,
    show: Annotated[int, Query(ge=5, le=200)] = 30,
) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    stages = service.cohorts(run)
    cohort = cohort if cohort in stages else (stages[0] if stages else "")
    frame = service.rank_intervals(
        db, actor=actor, run_id=run_id, cohort=cohort, draws=draws, noise=noise
    )
    worst = float(frame.select(pl.col("rank").max()).item() or 1) if frame.height else 1.0
    rows = [
        charts.Interval(
            label=r["name"] or str(r["enterprise_id"]),
            rank=float(r["rank"]),
            low=float(r["rank_q05"]),
            median=float(r["median_rank"]),
            high=float(r["rank_q95"]),
        )
        for r in frame.head(show).iter_rows(named=True)
    ]
    widest = frame.head(show).sort("interval", descending=True).head(5).to_dicts()
    return render(
        request,
        "innovation/sensitivity.html",
        {
            "actor": actor,
            "run": run,
            "stages": stages,
            "cohort": cohort,
            "draws": draws,
            "noise": noise,
            "show": show,
            "chart": charts.intervals(rows, worst=worst),
            "widest": widest,
            "count": frame.height,
        },
    )


# ---------------------------------------------------------------- specs

SPEC_PAGES = SpecPages(
    base="/innovation/specs",
    kind=service.SPECS,
    kinds={"credit": "授信参考", "index": "积分指数"},
    intro="每个方案是一个规格文件：指标、层级、权重、分阶段方式和计算流程。修改会保存为"
    "新版本，旧版本保留，历次评价记录所用的版本。平台内置方案中，国家核心指标的官方"
    "分阶段权重未公开，所列权重为平台默认值。",
    hint="格式见用户手册“综合指数引擎”。保存前逐项检查：指标必须在指标目录中，权重必须是"
    "数字，层级不能成环，阶段分档不能有空缺或重叠，榜单比例不能超过 100%。有错时不保存，"
    "并指出行号。",
    shipped_note="平台内置。国家核心指标的分阶段权重官方未公开，这里是平台默认值，请按本地"
    "方案修改。",
)
pages.include_router(spec_router(SPEC_PAGES))
api.include_router(spec_api(SPEC_PAGES))


# ---------------------------------------------------------------- portraits


def _portrait_context(
    db: Session,
    actor: Actor,
    enterprise_id: int,
    run_id: int | None,
    error: WulianError | None = None,
) -> dict[str, Any]:
    from wulian.enterprises import service as enterprise_service

    enterprise = enterprise_service.get_or_raise(db, actor=actor, enterprise_id=enterprise_id)
    portrait = service.portrait(db, actor=actor, enterprise_id=enterprise_id, run_id=run_id)
    radar = ""
    if portrait is not None:
        radar = charts.radar(
            [charts.Axis(name, value, median) for _, name, value, median in portrait.categories]
            + (
                []
                if len(portrait.categories) >= 3
                else [
                    charts.Axis(i["name"][:8], i["normalised"], i["median"])
                    for i in portrait.indicators[:6]
                ]
            )
        )
    own = actor.enterprise_id == enterprise_id
    return {
        "actor": actor,
        "enterprise": enterprise,
        "portrait": portrait,
        "runs": service.portrait_runs(db, actor=actor, enterprise_id=enterprise_id),
        "radar": radar,
        "own": own,
        "consent": service.consent_of(db, actor=actor, enterprise_id=enterprise_id),
        "can_consent": own or actor.has(Permission.ENTERPRISES_WRITE),
        "today": calendar.today(),
        "error": error,
    }


@pages.get("/innovation/portrait/{enterprise_id}")
def portrait_page(
    request: Request,
    enterprise_id: int,
    db: DB,
    actor: CurrentActor,
    run: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    context = _portrait_context(db, actor, enterprise_id, run)
    return render(request, "innovation/portrait.html", context)


@pages.post("/innovation/portrait/{enterprise_id}/consent")
def consent(
    enterprise_id: int,
    db: DB,
    actor: CurrentActor,
    granted: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    service.set_consent(db, actor=actor, enterprise_id=enterprise_id, granted=granted == "1")
    return RedirectResponse(f"/innovation/portrait/{enterprise_id}", status_code=303)


# ---------------------------------------------------------------- API for partner banks


@api.get("/innovation/scores", response_model=schemas.ScoresPage)
def bank_scores(
    db: DB,
    actor: CurrentActor,
    period: Annotated[str | None, Query(pattern=r"^\d{4}$", description="年度，如 2025")] = None,
    uscc: Annotated[str | None, Query(max_length=18, description="统一社会信用代码")] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 100,
) -> schemas.ScoresPage:
    """已发布的创新积分中，授权给银行查看的企业的积分、阶段排名与授信参考额度。需要
    `innovation:credit` 范围的令牌。"""
    run, result = service.bank_scores(
        db, actor=actor, period=period, uscc=uscc, page=page, per_page=per_page
    )
    return schemas.ScoresPage.build(run, result)


@api.get("/innovation/runs", summary="创新积分评价批次（分页，新的在前）")
def api_runs(
    db: DB,
    actor: CurrentActor,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PageOut[schemas.RunOut]:
    """与“创新积分”页面相同的分页；企业用户只看到公示中和已发布的批次。"""
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    items = [schemas.RunOut.of(r) for r in result.items]
    return PageOut[schemas.RunOut](**PageOut.fields(result), items=items)


@api.get("/innovation/runs/{run_id}/results", summary="一次评价的结果（按阶段和排名，分页、筛选）")
def api_results(
    run_id: int,
    db: DB,
    actor: CurrentActor,
    cohort: Annotated[str | None, Query(max_length=40, description="发展阶段")] = None,
    band: Annotated[str | None, Query(max_length=40, description="榜单，如 领跑榜")] = None,
    top: Annotated[int | None, Query(ge=1, le=100_000, description="阶段内前 N 名")] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> PageOut[schemas.ResultOut]:
    """与评价页面相同的筛选和分页；企业用户只看到公示中和已发布评价的上榜企业。"""
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    if cohort and cohort not in service.cohorts(run):
        known = "、".join(service.cohorts(run))
        raise InvalidInput(f"这次评价没有“{cohort}”这个阶段，可选：{known}", field="cohort")
    if band and band not in service.bands(run):
        known = "、".join(service.bands(run))
        raise InvalidInput(f"这次评价没有“{band}”这个榜单，可选：{known}", field="band")
    result = service.listing(
        db, actor=actor, run_id=run.id, cohort=cohort or None, band=band or None, top=top,
        page=page, per_page=per_page,
    )  # fmt: skip
    items = [schemas.ResultOut.of(item) for item in result.items]
    return PageOut[schemas.ResultOut](**PageOut.fields(result), items=items)
