"""Enterprise registry pages and API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wulian.core.deps import DB, CurrentActor, render
from wulian.enterprises import service
from wulian.enterprises.schemas import EnterpriseIn, EnterpriseOut, EnterprisePageOut

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["企业"])

Search = Annotated[
    str | None, Query(max_length=100, description="企业名称关键词或统一社会信用代码")
]
Page = Annotated[int, Query(ge=1, le=100_000)]


@pages.get("/enterprises")
def list_page(
    request: Request, db: DB, actor: CurrentActor, q: Search = None, page: Page = 1
) -> Response:
    result = service.get_all(db, actor=actor, q=q, page=page)
    return render(
        request, "enterprises/list.html", {"actor": actor, "result": result, "q": q or ""}
    )


@pages.get("/enterprises/{enterprise_id}")
def detail_page(request: Request, enterprise_id: int, db: DB, actor: CurrentActor) -> Response:
    enterprise = service.get_or_raise(db, actor=actor, enterprise_id=enterprise_id)
    return render(request, "enterprises/detail.html", {"actor": actor, "enterprise": enterprise})


@api.get("/enterprises", summary="企业名录（企业用户与绑定企业的令牌只能看到本企业）")
def api_list(
    db: DB,
    actor: CurrentActor,
    q: Search = None,
    in_zone: bool | None = None,
    page: Page = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EnterprisePageOut:
    result = service.get_all(db, actor=actor, q=q, in_zone=in_zone, page=page, per_page=per_page)
    return EnterprisePageOut(
        total=result.total,
        page=result.page,
        per_page=result.per_page,
        items=[EnterpriseOut.model_validate(e) for e in result.items],
    )


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
