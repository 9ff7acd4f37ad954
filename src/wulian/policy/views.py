"""Policy pages: the library (list, search, a policy in readable form with its tests and
versions), evaluation runs, payout lists with approval and export, what-if, cultivation pools,
and the policy calculator of a firm."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from wulian.core import calendar, forms
from wulian.core.deps import DB, CurrentActor, FormFields, render, render_failure, xlsx_download
from wulian.core.errors import InvalidInput, NotFound, WulianError
from wulian.core.pagination import PAGE_SIZES, Page, PageOut
from wulian.core.permissions import Actor, Permission
from wulian.core.specpages import SpecPages, spec_api, spec_router
from wulian.engines.rules import cases as rule_cases
from wulian.engines.rules.policy import CATEGORIES, STATUS_NAMES
from wulian.enterprises import service as enterprise_service
from wulian.enterprises import views as enterprise_views
from wulian.policy import service

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["政策"])
enterprise_views.profile_part(
    "benefits", service.firm_benefits
)  # on a firm's page: benefits received and eligible

Period = Annotated[int | None, Query(ge=1990, le=2100)]
PageNo = Annotated[int, Query(ge=1, le=100_000)]
PerPage = Annotated[int, Query(ge=1, le=200)]


@pages.get("/policies")
def library(
    request: Request,
    db: DB,
    actor: CurrentActor,
    q: Annotated[str, Query(max_length=100)] = "",
    category: Annotated[str, Query(max_length=8)] = "",
) -> Response:
    items = service.library(db, actor=actor, q=q, category=category)
    context = {
        "actor": actor, "items": items, "q": q, "category": category, "categories": CATEGORIES,
        "staff": actor.enterprise_id is None,
    }  # fmt: skip
    return render(request, "policy/library.html", context)


@pages.get("/policies/detail/{code}")
def detail(request: Request, code: str, db: DB, actor: CurrentActor) -> Response:
    rows = [r for r in service.get_versions(db, actor=actor) if r.code == code]
    if not rows:
        raise NotFound(f"政策不存在：{code}")
    policy = service.policy_of(db, rows[0])
    context = {
        "actor": actor,
        "row": rows[0],
        "versions": rows,
        "policy": policy,
        "department": service.department_name(db, policy),
        "readable": service.readable(policy),
        "sources": {k: service.source_of(policy, k) for k in policy.all_inputs},
        "fields": service.FIELDS,
        "results": rule_cases.run_cases(policy),
        "status_names": STATUS_NAMES,
    }
    return render(request, "policy/detail.html", context)


SPEC_PAGES = SpecPages(
    base="/policies/versions",
    kind=service.SPECS,
    intro="每项政策是一个 YAML 文件：适用范围、分期参数（每个取值附法律依据）、条件、"
    "评分表、金额公式和测试用例。修改保存为新版本，保存前必须通过文件中的全部测试用例。",
    hint="格式见《政策文件格式》（docs/guide/policy.md）。保存时检查：表达式的语法和类型"
    "（出错时指出行和列）、输入的来源、参数的日期区间不重叠，并运行全部测试用例。",
    shipped_note="平台内置政策：依据文件原文编写，附测试用例。",
)
pages.include_router(spec_router(SPEC_PAGES))
api.include_router(spec_api(SPEC_PAGES))


# ---------------------------------------------------------------- runs


def _runs_context(
    db: Session, actor: Actor, error: WulianError | None = None, page: int = 1, per_page: int = 20
) -> dict[str, Any]:
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    latest = service.runs_page(db, actor=actor, page=1, per_page=1).items
    return {
        "actor": actor,
        "runs": result.items,
        "result": result,
        "latest": latest[0] if latest else None,
        "sizes": PAGE_SIZES,
        "can_run": actor.has(Permission.ANALYSES_WRITE),
        "this_year": calendar.today().year,
        "error": error,
    }


@pages.get("/policies/runs")
def runs(
    request: Request, db: DB, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20
) -> Response:
    context = _runs_context(db, actor, page=page, per_page=per_page)
    return render(request, "policy/runs.html", context)


@pages.post("/policies/runs")
def create_run(
    request: Request,
    db: DB,
    actor: CurrentActor,
    period: Annotated[int, Form(ge=1990, le=2100)],
    note: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    try:
        run = service.create_run(db, actor=actor, period=period, note=note)
    except WulianError as error:
        return render_failure(
            request, db, error, "policy/runs.html", lambda e: _runs_context(db, actor, e)
        )
    return RedirectResponse(f"/policies/runs/{run.id}", status_code=303)


@pages.get("/policies/runs/{run_id}")
def run_page(request: Request, run_id: int, db: DB, actor: CurrentActor) -> Response:
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    policies = {code: service.run_policy(db, run, code)[1] for code in run.versions}
    ordered = sorted(
        policies.items(), key=lambda kv: (CATEGORIES.index(kv[1].category), kv[1].rung or 99, kv[0])
    )
    context = {"actor": actor, "run": run, "policies": ordered}
    return render(request, "policy/run.html", context)


@pages.get("/policies/pools")
def latest_pools(db: DB, actor: CurrentActor) -> Response:
    runs = service.get_runs(db, actor=actor)
    if not runs:
        return RedirectResponse("/policies/runs", status_code=303)
    return RedirectResponse(f"/policies/runs/{runs[0].id}/pools", status_code=303)


PREVIEW = 20  # members of each pool shown when no title is chosen


def _pool_filters(title: str | None, chain: str | None, q: str | None) -> service.PoolFilters:
    return service.PoolFilters(
        title=title or None, chain=chain or None, q=(q or "").strip() or None
    )


@pages.get("/policies/runs/{run_id}/pools")
def pools(
    request: Request,
    run_id: int,
    db: DB,
    actor: CurrentActor,
    title: Annotated[str | None, Query(max_length=40)] = None,
    chain: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    """The pools, filtered; with a title chosen, its members page by page, else the first
    PREVIEW of each pool with a link to the rest."""
    filters = _pool_filters(title, chain, q)
    error = None
    try:
        run, found = service.pools(db, actor=actor, run_id=run_id, filters=filters)
    except InvalidInput as bad:  # a title typed into the address: every pool, and why
        error, filters = bad, service.PoolFilters()
        run, found = service.pools(db, actor=actor, run_id=run_id)
    chains = sorted({c for p in found for c in p.by_chain})
    fields = {k: v for k, v in {"title": filters.title, "chain": filters.chain,
                                "q": filters.q}.items() if v}  # fmt: skip
    query = urlencode(fields)
    shown: list[tuple[Any, Page[Any]]] = []
    for pool in found:
        members = pool.members()
        if filters.title:
            at = (page - 1) * per_page
            shown.append((pool, Page(members[at : at + per_page], len(members), page, per_page)))
        else:
            shown.append((pool, Page(members[:PREVIEW], len(members), 1, PREVIEW)))
    context = {
        "actor": actor, "run": run, "pools": shown, "filters": filters, "chains": chains,
        "titles": service.pool_titles(db, actor=actor, run_id=run.id),
        "no_chain": service.NO_CHAIN, "query": query, "sizes": PAGE_SIZES,
        "base": f"/policies/runs/{run.id}/pools?" + (query + "&" if query else ""),
        "error": error,
    }  # fmt: skip
    status = error.status if error else 200
    return render(request, "policy/pools.html", context, status_code=status)


@pages.get("/policies/runs/{run_id}/pools/export.xlsx")
def pools_export(
    run_id: int,
    db: DB,
    actor: CurrentActor,
    title: Annotated[str | None, Query(max_length=40)] = None,
    chain: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The pools as filtered (every member, not one page), as a workbook."""
    filters = _pool_filters(title, chain, q)
    content = service.pools_xlsx(db, actor=actor, run_id=run_id, filters=filters)
    return xlsx_download(content, f"梯度培育库-{run_id}.xlsx")


Short = Annotated[str | None, Query(max_length=40)]
Search = Annotated[
    str | None,
    Query(max_length=100, description="名称或曾用名的一部分、拼音或首字母、统一社会信用代码"),
]


def _payout_filters(
    status: str | None, mode: str | None, q: str | None, paid: str | None, sort: str | None
) -> service.PayoutFilters:
    return service.PayoutFilters(
        status=status or "eligible", mode=mode or None, q=(q or "").strip() or None,
        paid=paid or None, sort=sort or "amount",
    )  # fmt: skip


def _filter_fields(filters: service.PayoutFilters) -> dict[str, str]:
    """The filter as query fields (those not at their default)."""
    fields = {
        "status": "" if filters.status == "eligible" else filters.status,
        "mode": filters.mode or "", "q": filters.q or "", "paid": filters.paid or "",
        "sort": "" if filters.sort == "amount" else filters.sort,
    }  # fmt: skip
    return {k: v for k, v in fields.items() if v}


def _list_context(
    db: Session,
    actor: Actor,
    run_id: int,
    code: str,
    filters: service.PayoutFilters | None = None,
    error: WulianError | None = None,
    *,
    page: int = 1,
    per_page: int = 50,
) -> dict[str, Any]:
    filters = filters or service.PayoutFilters()
    listing = service.payout_list(
        db, actor=actor, run_id=run_id, code=code, filters=filters, page=page, per_page=per_page
    )
    policy, status = listing.policy, filters.status
    fields = _filter_fields(filters)
    query = urlencode(fields)
    base = f"/policies/runs/{run_id}/{code}"
    return {
        "actor": actor,
        "run": listing.run,
        "code": code,
        "policy": policy,
        "lines": listing.lines.items,
        "result": listing.lines,
        "status": status,
        "filters": filters,
        "fields": fields,
        "query": query,
        "base": f"{base}?" + (query + "&" if query else ""),
        "sizes": PAGE_SIZES,
        "statuses": service.STATUSES,
        "modes": service.MODES,
        "paid_choices": service.PAID,
        "sorts": service.SORTS,
        "can_approve": service.may_approve(db, actor=actor, policy=policy) and status == "eligible",
        "department": service.department_name(db, policy),
        "numeric": [
            k for k, p in policy.parameters.items() if not isinstance(p.values[0].value, bool | str)
        ],
        "error": error,
        "total": listing.amount,
    }


@pages.get("/policies/runs/{run_id}/{code}")
def payout_page(
    request: Request,
    run_id: int,
    code: str,
    db: DB,
    actor: CurrentActor,
    status: Annotated[str, Query(max_length=12)] = "eligible",
    mode: Short = None,
    q: Search = None,
    paid: Short = None,
    sort: Short = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> Response:
    filters = _payout_filters(status, mode, q, paid, sort)
    try:
        context = _list_context(db, actor, run_id, code, filters, page=page, per_page=per_page)
    except InvalidInput as error:  # a bad filter value: the payout list, with the reason
        context = _list_context(db, actor, run_id, code, None, error, per_page=per_page)
        return render(request, "policy/payouts.html", context, status_code=error.status)
    return render(request, "policy/payouts.html", context)


@pages.post("/policies/runs/{run_id}/{code}/approve")
def approve(
    request: Request, run_id: int, code: str, db: DB, actor: CurrentActor, form: FormFields
) -> Response:
    key = str(form.get("form_key") or "")
    if (done := forms.once(db, key)) is not None:  # a double-click: the first one acted
        return RedirectResponse(done or f"/policies/runs/{run_id}/{code}", status_code=303)
    try:
        ids = [int(str(v)) for v in form.getlist("enterprise_id")]
    except ValueError:
        ids = []
    try:
        payouts = service.approve(db, actor=actor, run_id=run_id, code=code, enterprise_ids=ids)
    except WulianError as error:
        return render_failure(
            request, db, error, "policy/payouts.html",
            lambda e: _list_context(db, actor, run_id, code, None, e),
        )  # fmt: skip
    location = f"/policies/runs/{run_id}/{code}?approved={len(payouts)}"
    forms.remember(db, key, location)
    return RedirectResponse(location, status_code=303)


@pages.post("/policies/runs/{run_id}/{code}/approve-matching")
def approve_matching(
    request: Request,
    run_id: int,
    code: str,
    db: DB,
    actor: CurrentActor,
    mode: Annotated[str, Form(max_length=40)] = "",
    q: Annotated[str, Form(max_length=100)] = "",
    paid: Annotated[str, Form(max_length=40)] = "",
    sort: Annotated[str, Form(max_length=40)] = "",
    expected: Annotated[int | None, Form(ge=0)] = None,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    """Every eligible, unpaid firm of the filtered list approved: first the count to confirm,
    then (confirm, with the count confirmed) the approval, in one transaction."""
    filters = _payout_filters("eligible", mode, q, paid, sort)
    try:
        count = service.approve_matching(
            db, actor=actor, run_id=run_id, code=code, filters=filters, expected=expected,
            dry_run=not confirm,
        )  # fmt: skip
    except WulianError as error:

        def again(e: WulianError) -> dict[str, Any]:
            try:
                return _list_context(db, actor, run_id, code, filters, e)
            except InvalidInput:
                return _list_context(db, actor, run_id, code, None, e)

        return render_failure(request, db, error, "policy/payouts.html", again)
    if not confirm:
        context = _list_context(db, actor, run_id, code, filters)
        context["confirming"] = {
            "count": count, "verb": "批准兑现", "fields": _filter_fields(filters),
        }  # fmt: skip
        return render(request, "policy/payouts.html", context)
    return RedirectResponse(f"/policies/runs/{run_id}/{code}?approved={count}", status_code=303)


@pages.get("/policies/runs/{run_id}/{code}/export.xlsx")
def export(
    run_id: int,
    code: str,
    db: DB,
    actor: CurrentActor,
    status: Annotated[str, Query(max_length=12)] = "eligible",
    mode: Short = None,
    q: Search = None,
    paid: Short = None,
    sort: Short = None,
) -> Response:
    filters = _payout_filters(status, mode, q, paid, sort)
    content = service.export_xlsx(db, actor=actor, run_id=run_id, code=code, filters=filters)
    return xlsx_download(content, f"兑现清单-{code}-{run_id}.xlsx")


@pages.get("/policies/runs/{run_id}/{code}/whatif")
def what_if(
    request: Request,
    run_id: int,
    code: str,
    db: DB,
    actor: CurrentActor,
    parameter: Annotated[str, Query(max_length=64)],
    value: Annotated[str, Query(max_length=40)],
) -> Response:
    try:
        text = value.strip().replace("％", "%")
        try:
            number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            raise InvalidInput(
                "试算值应为数字（比例可写 15%）", field="value", value=value
            ) from None
        result = service.what_if(
            db, actor=actor, run_id=run_id, code=code, parameter=parameter, value=number
        )
    except InvalidInput as error:  # back to the list and its what-if form, with the reason
        return render_failure(
            request, db, error, "policy/payouts.html",
            lambda e: _list_context(db, actor, run_id, code, None, e) | {"tried": {
                "parameter": parameter, "value": value}},
        )  # fmt: skip
    run = service.get_run_or_raise(db, actor=actor, run_id=run_id)
    context = {"actor": actor, "run": run, "code": code, "result": result, "value": value}
    return render(request, "policy/whatif.html", context)


# ---------------------------------------------------------------- the calculator


@pages.get("/policies/calculator")
def calculator_start(
    request: Request,
    db: DB,
    actor: CurrentActor,
    enterprise: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    if actor.enterprise_id is not None:
        return RedirectResponse(f"/policies/calculator/{actor.enterprise_id}", status_code=303)
    error = None
    candidates: list[Any] = []
    text = enterprise.strip()
    if text:
        found = enterprise_service.find_id(db, text=text)
        if found is None:  # part of a name, a former name, pinyin or its initials
            matches = enterprise_service.get_all(
                db, actor=actor, filters=enterprise_service.Filters(q=text), per_page=20
            )
            candidates = list(matches.items)
            found = candidates[0].id if matches.total == 1 else None
        if found is not None:
            return RedirectResponse(f"/policies/calculator/{found}", status_code=303)
        if not candidates:
            error = NotFound(
                f"没有找到企业：{text}（可输入名称或曾用名的一部分、拼音或首字母、统一社会信用代码）"
            )
    return render(
        request,
        "policy/calculator_start.html",
        {"actor": actor, "enterprise": text, "error": error, "candidates": candidates},
    )


@pages.get("/policies/calculator/{enterprise_id}")
def calculator(
    request: Request, enterprise_id: int, db: DB, actor: CurrentActor, period: Period = None
) -> Response:
    year = period or calendar.today().year - 1
    result = service.calculator(db, actor=actor, enterprise_id=enterprise_id, period=year)
    context = {"actor": actor, "result": result, "status_names": STATUS_NAMES}
    return render(request, "policy/calculator.html", context)


# ---------------------------------------------------------------- API


@api.get("/policies", summary="政策库：每项政策的最新版本")
def api_policies(db: DB, actor: CurrentActor) -> list[dict[str, Any]]:
    return [
        {
            "id": i.policy.id,
            "title": i.policy.title,
            "category": i.policy.category,
            "document": i.policy.document,
            "issuer": i.policy.issuer,
            "version": i.row.version,
            "effective_from": i.policy.effective.start.isoformat(),
            "effective_to": i.policy.effective.end.isoformat() if i.policy.effective.end else None,
        }
        for i in service.library(db, actor=actor)
    ]


class PolicyRunOut(BaseModel):
    """A policy evaluation run (which firms each policy of the library reaches, for a period)."""

    id: int
    period: str = Field(description="年度")
    policies: int = Field(description="参与评价的政策数")
    note: str
    created_by: str
    created_at: dt.datetime


@api.get("/policies/runs", summary="政策评价批次（分页，新的在前）")
def api_runs(
    db: DB, actor: CurrentActor, page: PageNo = 1, per_page: PerPage = 20
) -> PageOut[PolicyRunOut]:
    """与“政策评价”页面相同的分页；只有园区工作人员可以读取。"""
    result = service.runs_page(db, actor=actor, page=page, per_page=per_page)
    items = [
        PolicyRunOut(
            id=r.id,
            period=r.period,
            policies=len(r.versions or {}),
            note=r.note or "",
            created_by=r.created_by,
            created_at=r.created_at,
        )
        for r in result.items
    ]
    return PageOut[PolicyRunOut](**PageOut.fields(result), items=items)


class PayoutLineOut(BaseModel):
    """A firm in a policy's list of a run, with its payout if one is approved."""

    enterprise_id: int
    enterprise_name: str
    uscc: str | None
    status: str = Field(description="eligible 符合、unknown 待补充数据、ineligible 不符合")
    near: bool = Field(description="是否接近符合（培育池）")
    mode: str | None = Field(description="兑现方式：免申即享 或 快申快享")
    amount: float | None = Field(description="测算金额（万元）")
    score: float | None
    supply: list[str] = Field(description="需要补充或核实的数据")
    paid: bool = Field(description="是否已批准兑现")
    paid_amount: float | None = Field(description="已批准的金额（万元）")
    approved_at: dt.datetime | None
    approved_by: str | None


class PayoutsPage(PageOut[PayoutLineOut]):
    run_id: int
    period: str = Field(description="年度")
    policy: str = Field(description="政策代码")
    title: str = Field(description="政策名称")
    amount: float = Field(description="全部符合筛选条件的企业的测算金额合计（万元）")


@api.get("/policies/runs/{run_id}/{code}/payouts", summary="兑现清单（分页、筛选）")
def api_payouts(
    run_id: int,
    code: str,
    db: DB,
    actor: CurrentActor,
    status: Annotated[
        str,
        Query(max_length=12, description="eligible 符合（默认）、unknown 待补充、near 接近符合"),
    ] = "eligible",
    mode: Annotated[
        str | None, Query(max_length=40, description="free 免申即享、quick 快申快享")
    ] = None,
    q: Search = None,
    paid: Annotated[
        str | None, Query(max_length=40, description="unpaid 未兑现、paid 已兑现")
    ] = None,
    sort: Annotated[str | None, Query(max_length=40, description="amount（默认）、firm")] = None,
    page: PageNo = 1,
    per_page: PerPage = 50,
) -> PayoutsPage:
    """与兑现清单页面相同的筛选、排序和分页。"""
    filters = _payout_filters(status, mode, q, paid, sort)
    listing = service.payout_list(
        db, actor=actor, run_id=run_id, code=code, filters=filters, page=page, per_page=per_page
    )
    items = [
        PayoutLineOut(
            enterprise_id=line.enterprise.id,
            enterprise_name=line.enterprise.name,
            uscc=line.enterprise.uscc,
            status=line.outcome.status,
            near=bool(line.outcome.near),
            mode=line.outcome.mode,
            amount=line.outcome.amount,
            score=line.outcome.score,
            supply=list(line.outcome.supply or []),
            paid=line.paid is not None,
            paid_amount=line.paid.amount if line.paid else None,
            approved_at=line.paid.approved_at if line.paid else None,
            approved_by=line.paid.approved_by if line.paid else None,
        )
        for line in listing.lines.items
    ]
    return PayoutsPage(
        **PageOut.fields(listing.lines), items=items, run_id=listing.run.id,
        period=listing.run.period, policy=code, title=listing.policy.title, amount=listing.amount,
    )  # fmt: skip
