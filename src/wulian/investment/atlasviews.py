"""The 招商图谱's pages: every chain's gaps, a chain's map (gaps, roadmap, application domains,
workbook and Word document), a gap's five layers with its ranked targets and approach plans, and
the plans' forms (record, change, turn into a lead of the pipeline)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core.calendar import parse_day
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
from wulian.core.errors import InvalidInput, WulianError
from wulian.core.forms import optional_number as _number
from wulian.core.permissions import Actor, Permission
from wulian.investment import approach, atlas, opportunities, report, schemas, service, tasks

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["招商"])
Year = Annotated[int | None, Query(ge=2000, le=2999)]
Key = Annotated[str, Path_(max_length=64, title="环节")]
Code = Annotated[str, Path_(max_length=48, title="产业链")]
PlanId = Annotated[int, Path_(title="攻关计划编号")]


@pages.get("/investment/atlas")
def atlas_index(request: Request, db: DB, actor: CurrentActor, year: Year = None) -> Response:
    service.require_read(actor)
    maps = [
        atlas.chain_map(db, actor=actor, chain=c, year=year)
        for c in service.labels(db, actor=actor).chains
    ]
    return render(request, "investment/atlas.html", {"actor": actor, "maps": maps})


def _chain_context(
    db: Session, actor: Actor, request: Request, chain: str, year: int | None
) -> dict[str, Any]:
    found = atlas.chain_map(db, actor=actor, chain=chain, year=year)
    charts = {c.key: c for c in (report.gap_chart(found), report.domain_chart(found))}
    return {
        "actor": actor, "m": found, "spec": found.spec, "charts": charts,
        "roadmap": report.roadmap(found, today_of(request)), "money": atlas.money,
        "plans": approach.plans(db, actor=actor, chain=chain),
        "routes": approach.ROUTES, "statuses": approach.STATUSES,
        "names": {n.key: n.name for n in found.spec.nodes}
        | {a.key: a.name for a in found.spec.applications},
    }  # fmt: skip


@pages.get("/investment/atlas/{chain}")
def chain_page(
    request: Request, chain: Code, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    context = _chain_context(db, actor, request, chain, year)
    return render(request, "investment/atlas_chain.html", context)


@pages.get("/investment/atlas/{chain}/export.xlsx")
def chain_xlsx(
    request: Request, chain: Code, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    found = report.report(db, actor=actor, chain=chain, year=year)
    content = report.report_xlsx(found, today=today_of(request))
    return xlsx_download(content, f"{found.map.spec.name}招商图谱.xlsx")


@pages.get("/investment/atlas/{chain}/report.docx")
def chain_docx(
    request: Request, chain: Code, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    found = report.report(db, actor=actor, chain=chain, year=year)
    zone = settings_of(request).zone_name
    content = report.report_docx(found, zone=zone, today=today_of(request))
    return download(content, f"{found.map.spec.name}招商图谱.docx", DOCX)


def _node_context(
    db: Session, actor: Actor, request: Request, chain: str, key: str, year: int | None
) -> dict[str, Any]:
    node = atlas.node_map(db, actor=actor, chain=chain, key=key, year=year)
    targets = atlas.rank_targets(
        db, actor=actor, chain=chain, node=key, year=node.chain.state.year, top_k=20
    )
    plans = approach.plans(db, actor=actor, chain=chain, node=key)
    names = service.labels(db, actor=actor)
    return {
        "actor": actor, "n": node, "spec": node.chain.spec, "targets": targets, "plans": plans,
        "criteria": atlas.CRITERIA, "money": atlas.money, "routes": approach.ROUTES,
        "statuses": approach.STATUSES, "labels": names, "error": None, "form": {},
        "teams": service.teams(db, actor=actor),
        "officers": tasks.investment_officers(db, actor=actor),  # staff of 招商 teams, admins
        "can_write": actor.has(Permission.INVESTMENT_WRITE),
        "may_write": lambda p: approach.may_write(actor, p), "today": today_of(request),
        "planned": {p.enterprise_id for p in plans},
        "brokers": approach.brokers(db, node, targets, plans),
        "suggested": {
            str(t.id): found for t in targets if (found := approach.suggestion(t)) is not None
        },
    }  # fmt: skip


@pages.get("/investment/atlas/{chain}/{key}")
def node_page(
    request: Request, chain: Code, key: Key, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    context = _node_context(db, actor, request, chain, key, year)
    return render(request, "investment/atlas_node.html", context)


def _plan_input(values: dict[str, str]) -> approach.PlanInput:
    return approach.PlanInput(
        route=values.get("route", ""),
        team_id=_number(values.get("team_id", ""), "team_id", "招商小组"),
        officer_id=_number(values.get("officer_id", ""), "officer_id", "负责人"),
        via_enterprise_id=_number(values.get("via_enterprise_id", ""), "via_enterprise_id",
                                  "牵线企业"),
        fund_name=values.get("fund_name", ""), steps=values.get("steps", "")[:4000],
        next_step=values.get("next_step", "")[:200],
        next_on=parse_day(values.get("next_on", ""), field="next_on"),
        status=values.get("status", "planned") or "planned",
    )  # fmt: skip


def _failed(
    request: Request, db: DB, actor: Actor, chain: str, key: str, error: WulianError,
    values: dict[str, str], attempt: str, plan_id: int | None = None,
) -> Response:  # fmt: skip
    service.refused(db, actor=actor, project_id=None, attempt=attempt, error=error)
    context = _node_context(db, actor, request, chain, key, None)
    context |= {"error": error, "form": values, "failed_plan": plan_id}
    return render(request, "investment/atlas_node.html", context, status_code=error.status)


@pages.post("/investment/atlas/{chain}/{key}/plans")
def plan_create(
    request: Request, chain: Code, key: Key, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        target = _number(values.get("enterprise_id", ""), "enterprise_id", "目标企业")
        if target is None:
            raise InvalidInput("请选择目标企业", field="enterprise_id")
        data = _plan_input(values)
        approach.check_suggestion(
            target,
            _number(values.get("suggested_for", ""), "suggested_for", "建议所对的目标企业"),
            _number(values.get("suggested_via", ""), "suggested_via", "建议的牵线企业"),
            data,
        )
        plan = approach.create_plan(
            db, actor=actor, chain=chain, node=key, enterprise_id=target, data=data
        )
    except WulianError as error:
        return _failed(request, db, actor, chain, key, error, values, "登记攻关计划")
    return RedirectResponse(
        f"/investment/atlas/{chain}/{key}?planned={plan.id}#plan-{plan.id}", status_code=303
    )


@pages.post("/investment/plans/{plan_id}/edit")
def plan_edit(
    request: Request, plan_id: PlanId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    plan = approach.get_plan_or_raise(db, actor=actor, plan_id=plan_id)
    chain, key = plan.chain, plan.node
    try:
        revision = _number(values.get("revision", ""), "revision", "版本") or 0
        approach.update_plan(
            db, actor=actor, plan_id=plan_id, revision=revision, data=_plan_input(values)
        )
    except WulianError as error:
        return _failed(request, db, actor, chain, key, error, values, "修改攻关计划", plan_id)
    return RedirectResponse(
        f"/investment/atlas/{chain}/{key}?saved={plan_id}#plan-{plan_id}", status_code=303
    )


@pages.post("/investment/plans/{plan_id}/lead")
def plan_lead(
    request: Request, plan_id: PlanId, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    plan = approach.get_plan_or_raise(db, actor=actor, plan_id=plan_id)
    chain, key = plan.chain, plan.node
    try:
        project = approach.to_lead(
            db, actor=actor, today=today_of(request), plan_id=plan_id,
            name=values.get("name", ""), amount_yi=values.get("amount_yi", ""),
            note=values.get("note", "")[:500],
        )  # fmt: skip
    except WulianError as error:
        return _failed(request, db, actor, chain, key, error, values, "攻关计划转为线索", plan_id)
    return RedirectResponse(f"/investment/{project.id}?created=1", status_code=303)


@api.get(
    "/investment/atlas/{chain}/{key}/targets",
    response_model=list[schemas.TargetOut],
    summary="招商图谱：一个方向的目标企业（得分与理由）",
)
def api_targets(
    chain: Code,
    key: Key,
    db: DB,
    actor: CurrentActor,
    year: Year = None,
    top_k: Annotated[int, Query(ge=1, le=500)] = 20,
) -> list[schemas.TargetOut]:
    """External firms ranked for a gap (a node or an application domain of the chain)."""
    rows = atlas.rank_targets(db, actor=actor, chain=chain, node=key, year=year, top_k=top_k)
    return [
        schemas.TargetOut(
            id=t.id, name=t.name, rank=i, score=t.score, points=t.points, reasons=t.reasons,
            revenue_wan=t.revenue, region=t.region, industry_code=t.industry_code,
            project_id=t.project[0] if t.project else None,
        )
        for i, t in enumerate(rows, start=1)
    ]  # fmt: skip


@pages.get("/investment/opportunities")
def opportunity_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    weight: Annotated[str, Query(max_length=16, title="权重")] = "revenue",
    preset: Annotated[str, Query(max_length=16, title="方案")] = "",
) -> Response:
    """The zone's opportunity industries (complexity engine over the registry)."""
    found = opportunities.opportunity_industries(db, actor=actor, weight=weight, preset=preset)
    context = {
        "actor": actor, "o": found, "weights": opportunities.WEIGHTS,
        "presets": opportunities.PRESETS,
    }  # fmt: skip
    return render(request, "investment/opportunities.html", context)
