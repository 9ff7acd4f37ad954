"""Chain atlas pages and API: the atlas, a chain's map and dashboard, a node, the regional
distribution, the review queue, the N个一 items and the chain spec files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wulian.chains import charts, schemas, service
from wulian.chains.models import MembershipStatus
from wulian.core import calendar, xlsx
from wulian.core import charts as core_charts
from wulian.core.deps import DB, CurrentActor, render, render_failure, xlsx_download
from wulian.core.errors import InvalidInput, PermissionDenied, WulianError
from wulian.core.pagination import PAGE_SIZES, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.enterprises import read
from wulian.enterprises import views as enterprise_views

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["产业链"])

# Cards other packages add to a chain's page without the chains reading them (the web layer adds
# the capital card): key → part(session, *, actor, chain, year), shown as parts[key]; None where
# the reader may not see it.
ChainPart = Callable[..., Any]
_CHAIN_PARTS: dict[str, ChainPart] = {}


def chain_part(key: str, part: ChainPart) -> None:
    _CHAIN_PARTS[key] = part


def _parts(db: Session, actor: Actor, chain: str, year: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, part in _CHAIN_PARTS.items():
        try:
            out[key] = part(db, actor=actor, chain=chain, year=year)
        except PermissionDenied:
            out[key] = None
    return out


enterprise_views.profile_part("positions", service.positions)  # a firm's places on the chains

PageNo = Annotated[int, Query(ge=1, le=100_000)]
Year = Annotated[int | None, Query(ge=1900, le=2999)]
Short = Annotated[str | None, Query(max_length=100)]

SPEC_PAGES = SpecPages(
    base="/atlas/specs",
    kind=service.SPECS,
    intro="每条产业链一份文件：上中下游环节（名称、说明、关键词、典型产品、国民经济行业代码、"
    "战略性新兴产业分类、战略权重）、环节之间的供给关系与投入占比、“N个一”工作事项和强弱缺评级规则。"
    "修改后保存为新版本，图谱、归链和链健康度都按最新版本计算。",
    hint="YAML 格式，见使用手册“产业链图谱”。保存前逐行校验："
    "环节编号重复、供给关系指向不存在的环节、供给关系成环等问题会指出所在行。",
    shipped_note="这是平台内置的产业链文件，由公开资料整理，请按本地实际修改。",
    edit_permission=Permission.CHAINS_MANAGE,
)
pages.include_router(spec_router(SPEC_PAGES))
api.include_router(spec_api(SPEC_PAGES))


def _placement_context(db: Session, actor: Actor) -> dict[str, Any]:
    managed = service.managed(db, actor)
    return {
        "placement": service.latest_placement(db, actor=actor),
        "managed": managed,
        "can_manage": bool(managed),
        "can_place": service.can_place(db, actor, managed),
        "threshold": service.THRESHOLD,
    }


def _atlas_context(
    db: Session, actor: Actor, year: int | None, error: WulianError | None = None
) -> dict[str, Any]:
    states = service.states(db, actor=actor, year=year)
    return {
        "actor": actor,
        "states": states,
        "years": service.period_years(db),
        "year": states[0].year if states else year,
        "error": error,
        **_placement_context(db, actor),
    }


@pages.get("/atlas")
def atlas(request: Request, db: DB, actor: CurrentActor, year: Year = None) -> Response:
    return render(request, "chains/atlas.html", _atlas_context(db, actor, year))


@pages.post("/atlas/place")
def place(
    request: Request,
    db: DB,
    actor: CurrentActor,
    threshold: Annotated[float, Form(ge=0, le=1)] = service.THRESHOLD,
) -> Response:
    try:
        placement = service.place(db, actor=actor, threshold=threshold)
    except WulianError as error:
        return render_failure(
            request, db, error, "chains/atlas.html", lambda e: _atlas_context(db, actor, None, e)
        )
    return RedirectResponse(f"/atlas?placed={placement.id}", status_code=303)


# ---------------------------------------------------------------- review queue

STATUS_CHOICES = {
    "review": "待复核",
    "placed": "自动归链",
    "confirmed": "已确认",
    "rejected": "不在链上",
    "all": "全部",
}


def _review_filters(
    chain: str | None,
    status: str | None,
    q: str | None,
    node: str | None = None,
    sort: str | None = None,
) -> service.Filters:
    status = status or MembershipStatus.REVIEW.value
    if status not in STATUS_CHOICES:
        raise InvalidInput(f"没有“{status}”这种归链状态", field="status")
    wanted = None if status == "all" else status
    return service.Filters(
        chain=chain or None, node=node or None, status=wanted,
        in_zone=True if status != "all" else None, q=(q or "").strip() or None,
        sort=sort or "default",
    )  # fmt: skip


def _review_context(
    db: Session,
    actor: Actor,
    *,
    chain: str | None,
    status: str | None,
    q: str | None,
    page: int,
    node: str | None = None,
    sort: str | None = None,
    per_page: int = 20,
    error: WulianError | None = None,
) -> dict[str, Any]:
    filters = _review_filters(chain, status, q, node, sort)
    atlas = service.chains(db, actor=actor)
    names = {c.spec.id: (c.spec.name, {n.key: n.name for n in c.spec.nodes}) for c in atlas}
    fields = {
        "chain": chain or "", "node": node or "", "status": status or "review", "q": q or "",
        "sort": "" if filters.sort == "default" else filters.sort,
    }  # fmt: skip
    fields = {k: v for k, v in fields.items() if v}
    result = service.memberships(db, actor=actor, filters=filters, page=page, per_page=per_page)
    return {
        "actor": actor,
        "result": result,
        "atlas": atlas,
        "names": names,
        "counts": service.review_counts(db, actor=actor),
        "chain": chain or "",
        "node": node or "",
        "status": status or "review",
        "q": q or "",
        "sort": filters.sort,
        "sorts": service.SORTS,
        "fields": fields,
        "choices": STATUS_CHOICES,
        "base": "/atlas/review?" + urlencode(fields) + "&",
        "sizes": PAGE_SIZES,
        "back": "/atlas/review?" + urlencode({**fields, "page": page, "per_page": per_page}),
        "error": error,
        **_placement_context(db, actor),
    }


@pages.get("/atlas/review")
def review(
    request: Request,
    db: DB,
    actor: CurrentActor,
    chain: Short = None,
    node: Short = None,
    status: Short = None,
    q: Short = None,
    sort: Short = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    context = _review_context(
        db, actor, chain=chain, node=node, status=status, q=q, sort=sort, page=page,
        per_page=per_page,
    )  # fmt: skip
    return render(request, "chains/review.html", context)


@pages.get("/atlas/review/export.xlsx")
def review_export(
    db: DB,
    actor: CurrentActor,
    chain: Short = None,
    node: Short = None,
    status: Short = None,
    q: Short = None,
    sort: Short = None,
) -> Response:
    """Every membership that matches the filter of the review queue, as a workbook."""
    filters = _review_filters(chain, status, q, node, sort)
    content = service.memberships_xlsx(db, actor=actor, filters=filters)
    return xlsx_download(content, f"归链复核-{calendar.today():%Y%m%d}.xlsx")


@pages.post("/atlas/review/confirm-matching")
def confirm_matching(
    request: Request,
    db: DB,
    actor: CurrentActor,
    chain: Annotated[str, Form(max_length=100)] = "",
    node: Annotated[str, Form(max_length=100)] = "",
    q: Annotated[str, Form(max_length=100)] = "",
    sort: Annotated[str, Form(max_length=40)] = "",
    expected: Annotated[int | None, Form(ge=0)] = None,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Every proposal waiting for review that matches the filter confirmed: first the count to
    confirm, then (confirm, with the count confirmed) the decisions, in one transaction."""
    shown: dict[str, Any] = {"chain": chain, "node": node, "status": "review", "q": q,
                             "sort": sort or None}  # fmt: skip
    try:
        count = service.confirm_matching(
            db, actor=actor, filters=_review_filters(chain, "review", q, node, sort),
            expected=expected, dry_run=not confirm,
        )  # fmt: skip
    except WulianError as error:
        return render_failure(
            request, db, error, "chains/review.html",
            lambda e: _review_context(db, actor, page=1, error=e, **shown),
        )  # fmt: skip
    if not confirm:
        context = _review_context(db, actor, page=1, **shown)
        fields = {k: v for k, v in context["fields"].items() if k != "status"}
        context["confirming"] = {"count": count, "verb": "通过归链复核", "fields": fields}
        return render(request, "chains/review.html", context)
    query = urlencode({k: v for k, v in shown.items() if v and k != "status"})
    return RedirectResponse(f"/atlas/review?confirmed={count}&{query}", status_code=303)


def _decided(
    request: Request, db: Session, actor: Actor, back: str, action: Any
) -> Response:  # fmt: skip
    try:
        action()
    except WulianError as error:
        params = request.query_params
        return render_failure(
            request, db, error, "chains/review.html",
            lambda e: _review_context(
                db, actor, chain=params.get("chain"), status=params.get("status"),
                q=params.get("q"), page=1, error=e,
            ),
        )  # fmt: skip
    return RedirectResponse(_safe_back(back), status_code=303)


def _safe_back(back: str) -> str:
    """Only a page of the review queue or of the atlas to go back to."""
    return (
        back
        if back.startswith(("/atlas/review", "/atlas/")) and "//" not in back
        else "/atlas/review"
    )


Back = Annotated[str, Form(max_length=500)]


@pages.post("/atlas/memberships/{membership_id}/confirm")
def confirm(
    request: Request, membership_id: int, db: DB, actor: CurrentActor, back: Back = "/atlas/review"
) -> Response:
    return _decided(
        request, db, actor, back,
        lambda: service.confirm(db, actor=actor, membership_id=membership_id),
    )  # fmt: skip


@pages.post("/atlas/memberships/{membership_id}/move")
def move(
    request: Request,
    membership_id: int,
    db: DB,
    actor: CurrentActor,
    node: Annotated[str, Form(max_length=100)],
    note: Annotated[str, Form(max_length=300)] = "",
    back: Back = "/atlas/review",
) -> Response:
    return _decided(
        request, db, actor, back,
        lambda: service.move(db, actor=actor, membership_id=membership_id, node_code=node,
                             note=note),
    )  # fmt: skip


@pages.post("/atlas/memberships/{membership_id}/reject")
def reject(
    request: Request,
    membership_id: int,
    db: DB,
    actor: CurrentActor,
    note: Annotated[str, Form(max_length=300)] = "",
    back: Back = "/atlas/review",
) -> Response:
    return _decided(
        request, db, actor, back,
        lambda: service.reject(db, actor=actor, membership_id=membership_id, note=note),
    )  # fmt: skip


@pages.post("/atlas/review/confirm")
def bulk_confirm(
    request: Request,
    db: DB,
    actor: CurrentActor,
    ids: Annotated[list[int], Form(max_length=200)] = [],  # noqa: B006 (FastAPI form default)
    back: Back = "/atlas/review",
) -> Response:
    return _decided(
        request, db, actor, back,
        lambda: service.bulk_confirm(db, actor=actor, membership_ids=ids),
    )  # fmt: skip


# ---------------------------------------------------------------- one chain


def _chain_context(
    db: Session, actor: Actor, chain: str, year: int | None, error: WulianError | None = None
) -> dict[str, Any]:
    state = service.state(db, actor=actor, chain=chain, year=year)
    candidates = {
        gap.node.key: service.candidates(
            db, actor=actor, chain=chain, node=gap.node.key, year=state.year, limit=3
        )
        for gap in state.gaps
    }
    spec = state.chain.spec
    trend = service.trends(db, actor=actor, chain=chain).chains.get(chain, [])
    return {
        "actor": actor,
        "state": state,
        "spec": spec,
        "charts": _chain_charts(state, trend),
        "candidates": candidates,
        "items": service.get_items(db, actor=actor, chain=chain),
        "statuses": service.ITEM_STATUSES,
        "years": service.period_years(db),
        "can_manage": chain in service.managed(db, actor),
        "can_invest": actor.has(Permission.INVESTMENT_READ) and actor.enterprise_id is None,
        "error": error,
        "parts": _parts(db, actor, chain, state.year),
    }


def _chain_charts(
    state: service.ChainState, trend: list[service.TrendYear]
) -> dict[str, core_charts.Chart | core_charts.GraphChart]:
    spec = state.chain.spec
    found: list[core_charts.Chart | core_charts.GraphChart] = [
        charts.chain_graph(spec, state.health, f"/atlas/{spec.id}/nodes")
    ]
    if trend:
        found += [charts.trend_chart(spec, trend), charts.rates_chart(spec, trend)]
    return {c.key: c for c in found if not c.empty}


@pages.get("/atlas/{chain}/export.xlsx")
def chain_export(
    request: Request, chain: str, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    """The chain's page as a workbook: the nodes' health, the gaps and each chart's figures."""
    state = service.state(db, actor=actor, chain=chain, year=year)
    trend = service.trends(db, actor=actor, chain=chain).chains.get(chain, [])
    book = xlsx.ListWorkbook()
    h = state.health
    book.table(
        "各环节健康度",
        headers=["环节", "上中下游", "评级", "企业（家）", "营收（万元）", "营收增长",
                 "研发强度", "集中度 HHI", "本地配套率", "评级理由"],
        rows=[[n.name, n.segment, n.rating, n.firms, n.revenue, core_charts.cell(
                   core_charts.percent(n.growth), core_charts.PERCENT),
               core_charts.cell(core_charts.percent(n.rd_intensity), core_charts.PERCENT),
               n.hhi, core_charts.cell(core_charts.percent(n.coverage, 0), core_charts.PERCENT),
               n.reason] for n in h.nodes],
        widths=[20, 10, 6, 10, 14, 10, 10, 12, 12, 40],
    )  # fmt: skip
    book.table(
        "缺链弱链",
        headers=["环节", "评级", "重要度", "理由"],
        rows=[[g.node.name, g.node.rating, g.importance, "；".join(g.reasons)]
              for g in state.gaps],
        widths=[20, 6, 8, 60],
    )  # fmt: skip
    for chart in _chain_charts(state, trend).values():
        chart.sheet_into(book)
    day = f"{state.year}年度" if state.year else "无年度"
    return xlsx_download(book.close(), f"{state.chain.spec.name}产业链-{day}.xlsx")


@pages.get("/atlas/{chain}")
def chain_page(
    request: Request, chain: str, db: DB, actor: CurrentActor, year: Year = None
) -> Response:
    return render(request, "chains/dashboard.html", _chain_context(db, actor, chain, year))


@pages.post("/atlas/{chain}/items/{item_id}")
def update_item(
    request: Request,
    chain: str,
    item_id: int,
    db: DB,
    actor: CurrentActor,
    status: Annotated[str, Form(max_length=8)],
    owner: Annotated[str, Form(max_length=60)] = "",
    note: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        service.update_item(db, actor=actor, item_id=item_id, owner=owner, status=status, note=note)
    except WulianError as error:
        return render_failure(
            request, db, error, "chains/dashboard.html",
            lambda e: _chain_context(db, actor, chain, None, e),
        )  # fmt: skip
    return RedirectResponse(f"/atlas/{chain}#items", status_code=303)


@pages.get("/atlas/{chain}/regions")
def regions_page(request: Request, chain: str, db: DB, actor: CurrentActor) -> Response:
    found = service.chain_or_raise(db, actor=actor, code=chain)
    rows = service.regions(db, actor=actor, chain=chain)
    top = [(r.name, r.zone, r.external) for r in rows[:20]]
    context = {
        "actor": actor,
        "spec": found.spec,
        "rows": rows,
        "chart": charts.region_bars(top),
        "zone_total": sum(r.zone for r in rows),
        "external_total": sum(r.external for r in rows),
    }
    return render(request, "chains/regions.html", context)


@pages.get("/atlas/{chain}/nodes/{node}")
def node_page(
    request: Request,
    chain: str,
    node: str,
    db: DB,
    actor: CurrentActor,
    year: Year = None,
    page: PageNo = 1,
) -> Response:
    state = service.state(db, actor=actor, chain=chain, year=year)
    spec_node = service.node_or_raise(state.chain, node)
    firms = service.memberships(
        db, actor=actor, filters=service.Filters(chain=chain, node=node), page=page
    )
    revenue = service.revenues(
        db, actor=actor, ids=[m.enterprise_id for m in firms.items], year=state.year
    )
    context = {
        "actor": actor,
        "state": state,
        "spec": state.chain.spec,
        "node": spec_node,
        "health": state.health.node(node),
        "gap": next((g for g in state.gaps if g.node.key == node), None),
        "firms": firms,
        "revenue": revenue,
        "candidates": service.candidates(
            db, actor=actor, chain=chain, node=node, year=state.year, limit=10
        ),
        "can_manage": chain in service.managed(db, actor),
        "base": f"/atlas/{chain}/nodes/{node}?" + (f"year={year}&" if year else ""),
    }
    return render(request, "chains/node.html", context)


# ---------------------------------------------------------------- API


@api.get("/chains", summary="产业链列表与健康度")
def api_chains(db: DB, actor: CurrentActor, year: Year = None) -> list[schemas.ChainOut]:
    return [schemas.chain_out(state) for state in service.states(db, actor=actor, year=year)]


@api.get("/chains/{chain}", summary="一条产业链：各环节健康度与缺链弱链")
def api_chain(db: DB, actor: CurrentActor, chain: str, year: Year = None) -> schemas.ChainDetailOut:
    return schemas.chain_detail_out(service.state(db, actor=actor, chain=chain, year=year))


@api.get("/enterprises/{enterprise_id}/chain-positions", summary="企业的产业链位置")
def api_positions(db: DB, actor: CurrentActor, enterprise_id: int) -> list[schemas.PositionOut]:
    return [
        schemas.position_out(p)
        for p in service.positions(db, actor=actor, enterprise_id=enterprise_id)
    ]


class MembershipOut(BaseModel):
    """A firm on a chain node: proposed by the placement, confirmed or rejected by an officer."""

    id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str | None
    in_zone: bool
    chain: str = Field(description="产业链编号")
    node: str = Field(description="环节编号")
    node_name: str = Field(description="环节名称")
    status: str = Field(
        description="review 待复核、placed 自动归链、confirmed 已确认、rejected 不在链上"
    )
    source: str = Field(description="rule 规则、model 模型、officer 人工")
    confidence: float | None = Field(description="模型置信度")
    terms: str = Field(description="依据（决定归链的词语）")
    alternatives: list[tuple[str, float]] = Field(description="候选环节及其得分（chain.node）")
    confirmed_by: str | None
    confirmed_at: dt.datetime | None


@api.get("/chain-memberships", summary="企业归链与归链复核（分页、筛选）")
def api_memberships(
    db: DB,
    actor: CurrentActor,
    chain: Annotated[str | None, Query(max_length=100, description="产业链编号")] = None,
    node: Annotated[str | None, Query(max_length=100, description="环节编号")] = None,
    status: Annotated[
        str | None,
        Query(
            max_length=100, description="review 待复核（默认）、placed、confirmed、rejected、all"
        ),
    ] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="企业名称的一部分、拼音或首字母、信用代码")
    ] = None,
    sort: Annotated[str | None, Query(max_length=100, description="default（默认）、firm")] = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PageOut[MembershipOut]:
    """与“归链复核”页面相同的筛选、排序和分页；只有园区工作人员可以读取。"""
    filters = _review_filters(chain, status, q, node, sort)
    result = service.memberships(db, actor=actor, filters=filters, page=page, per_page=per_page)
    names = {
        (c.spec.id, n.key): n.name for c in service.chains(db, actor=actor) for n in c.spec.nodes
    }
    firms = read.records(db, (m.enterprise_id for m in result.items))
    items = []
    for m in result.items:
        firm = firms.get(m.enterprise_id)
        items.append(
            MembershipOut(
                id=m.id,
                enterprise_id=m.enterprise_id,
                enterprise_name=firm.name if firm else "",
                uscc=firm.uscc if firm else None,
                in_zone=bool(firm and firm.in_zone),
                chain=m.chain,
                node=m.node,
                node_name=names.get((m.chain, m.node), m.node),
                status=m.status,
                source=m.source,
                confidence=m.confidence,
                terms=m.terms or "",
                alternatives=[(str(c), float(v)) for c, v in (m.alternatives or [])],
                confirmed_by=m.confirmed_by,
                confirmed_at=m.confirmed_at,
            )
        )
    return PageOut[MembershipOut](**PageOut.fields(result), items=items)
