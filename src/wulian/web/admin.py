"""Administration: users, departments, API tokens, the audit log and the State Council's holiday
notices, as pages and as API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import calendar
from wulian.core.audit import labels as audit_labels
from wulian.core.audit import service as audit_service
from wulian.core.auth import service as auth_service
from wulian.core.auth.schemas import (
    CreatedTokenOut,
    CreatedUserOut,
    DepartmentIn,
    DepartmentOut,
    PasswordOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from wulian.core.calendar import end_of_day, parse_day, start_of_day
from wulian.core.deps import DB, CurrentActor, render, settings_of, today_of, xlsx_download
from wulian.core.errors import WulianError
from wulian.core.pagination import PAGE_SIZES
from wulian.core.permissions import ROLE_PERMISSIONS, SCOPES, Actor, Permission, Role
from wulian.core.workdays import service as workdays
from wulian.desk import service as desk_service
from wulian.enterprises import service as enterprise_service

pages = APIRouter(include_in_schema=False, prefix="/admin")
api = APIRouter(tags=["系统管理"])

T = TypeVar("T")


def attempt(db: Session, action: Callable[[], T]) -> tuple[T | None, WulianError | None]:
    """Run a form's action; on a user error roll back everything it did and return the error."""
    try:
        return action(), None
    except WulianError as error:
        db.rollback()
        return None, error


def _render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    return render(request, name, context, status_code=status)


# ---------------------------------------------------------------- users


# The role a new user's form starts with: the one that may do least, so that a slip gives too
# little rather than too much.
DEFAULT_ROLE = min(Role, key=lambda role: len(ROLE_PERMISSIONS[role]))


def _users_page(
    request: Request, db: Session, actor: Actor, status: int = 200, **context: Any
) -> Response:
    users = auth_service.get_all_users(db, actor=actor)
    departments = auth_service.get_all_departments(db, actor=actor)
    return _render(
        request,
        "admin/users.html",
        status,
        actor=actor,
        users=users,
        departments={d.id: d for d in departments},
        roles=list(Role),
        form=context.pop("form", None) or {"role": DEFAULT_ROLE.value},
        **context,
    )


@pages.get("/users")
def users_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    actor.require(Permission.USERS_MANAGE)
    return _users_page(request, db, actor)


@pages.post("/users")
def users_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    username: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=16)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    department_code: Annotated[str, Form(max_length=32)] = "",
    enterprise_uscc: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    actor.require(Permission.USERS_MANAGE)
    created, error = attempt(
        db,
        lambda: auth_service.create_user(
            db,
            actor=actor,
            username=username,
            role=role,
            display_name=display_name,
            department_id=auth_service.department_id_for_code(db, code=department_code),
            enterprise_id=enterprise_service.id_for_uscc(db, code=enterprise_uscc),
        ),
    )
    form = {
        "username": username,
        "role": role,
        "display_name": display_name,
        "department_code": department_code,
        "enterprise_uscc": enterprise_uscc,
    }
    if error or created is None:
        status = error.status if error else 500
        return _users_page(request, db, actor, status, error=error, form=form)
    return _users_page(request, db, actor, created=created)


@pages.get("/users/{user_id}")
def user_page(request: Request, user_id: int, db: DB, actor: CurrentActor) -> Response:
    user = auth_service.get_user_or_raise(db, actor=actor, user_id=user_id)
    departments = auth_service.get_all_departments(db, actor=actor)
    enterprise = (
        enterprise_service.get(db, actor=actor, enterprise_id=user.enterprise_id)
        if user.enterprise_id
        else None
    )
    return _render(
        request,
        "admin/user.html",
        actor=actor,
        user=user,
        departments=departments,
        enterprise=enterprise,
        roles=list(Role),
    )


@pages.post("/users/{user_id}")
def user_update(
    request: Request,
    user_id: int,
    db: DB,
    actor: CurrentActor,
    role: Annotated[str, Form(max_length=16)] = "",
    display_name: Annotated[str, Form(max_length=100)] = "",
    department_code: Annotated[str, Form(max_length=32)] = "",
    enterprise_uscc: Annotated[str, Form(max_length=40)] = "",
    is_active: Annotated[str, Form(max_length=8)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    _, error = attempt(
        db,
        lambda: auth_service.update_user(
            db,
            actor=actor,
            user_id=user_id,
            role=role,
            display_name=display_name,
            department_id=auth_service.department_id_for_code(db, code=department_code),
            enterprise_id=enterprise_service.id_for_uscc(db, code=enterprise_uscc),
            is_active=is_active == "on",
            email=email,
            phone=phone,
        ),
    )
    if error:
        user = auth_service.get_user_or_raise(db, actor=actor, user_id=user_id)
        return _render(
            request,
            "admin/user.html",
            error.status,
            actor=actor,
            user=user,
            departments=auth_service.get_all_departments(db, actor=actor),
            enterprise=None,
            roles=list(Role),
            error=error,
        )
    return RedirectResponse(f"/admin/users/{user_id}?saved=1", 303)


@pages.post("/users/{user_id}/reset-password")
def user_reset_password(request: Request, user_id: int, db: DB, actor: CurrentActor) -> Response:
    password = auth_service.reset_password(db, actor=actor, user_id=user_id)
    user = auth_service.get_user_or_raise(db, actor=actor, user_id=user_id)
    return _render(
        request,
        "admin/user.html",
        actor=actor,
        user=user,
        departments=auth_service.get_all_departments(db, actor=actor),
        enterprise=None,
        roles=list(Role),
        new_password=password,
    )


@api.get("/users", summary="用户列表")
def api_users(db: DB, actor: CurrentActor) -> list[UserOut]:
    return [UserOut.model_validate(u) for u in auth_service.get_all_users(db, actor=actor)]


@api.post("/users", status_code=201, summary="创建用户")
def api_user_create(body: UserIn, db: DB, actor: CurrentActor) -> CreatedUserOut:
    actor.require(Permission.USERS_MANAGE)
    created = auth_service.create_user(
        db,
        actor=actor,
        username=body.username,
        role=body.role,
        display_name=body.display_name,
        password=body.password,
        department_id=auth_service.department_id_for_code(db, code=body.department_code),
        enterprise_id=enterprise_service.id_for_uscc(db, code=body.enterprise_uscc),
    )
    return CreatedUserOut(
        user=UserOut.model_validate(created.user), generated_password=created.generated_password
    )


@api.patch("/users/{user_id}", summary="修改用户")
def api_user_update(user_id: int, body: UserPatch, db: DB, actor: CurrentActor) -> UserOut:
    user = auth_service.get_user_or_raise(db, actor=actor, user_id=user_id)
    fields = body.model_fields_set
    department_id = (
        auth_service.department_id_for_code(db, code=body.department_code)
        if "department_code" in fields
        else user.department_id
    )
    enterprise_id = (
        enterprise_service.id_for_uscc(db, code=body.enterprise_uscc)
        if "enterprise_uscc" in fields
        else user.enterprise_id
    )
    updated = auth_service.update_user(
        db,
        actor=actor,
        user_id=user_id,
        display_name=body.display_name,
        role=body.role,
        department_id=department_id,
        enterprise_id=enterprise_id,
        is_active=body.is_active,
    )
    return UserOut.model_validate(updated)


@api.post("/users/{user_id}/reset-password", summary="重置密码（生成新初始密码）")
def api_user_reset_password(user_id: int, db: DB, actor: CurrentActor) -> PasswordOut:
    return PasswordOut(
        generated_password=auth_service.reset_password(db, actor=actor, user_id=user_id)
    )


# ---------------------------------------------------------------- departments


def _departments_page(
    request: Request, db: Session, actor: Actor, status: int = 200, **context: Any
) -> Response:
    actor.require(Permission.DEPARTMENTS_MANAGE)
    departments = auth_service.get_all_departments(db, actor=actor)
    return _render(
        request,
        "admin/departments.html",
        status,
        actor=actor,
        departments=departments,
        form=context.pop("form", {}),
        **context,
    )


@pages.get("/departments")
def departments_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return _departments_page(request, db, actor)


@pages.post("/departments")
def departments_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    code: Annotated[str, Form(max_length=32)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    created, error = attempt(
        db, lambda: auth_service.create_department(db, actor=actor, code=code, name=name)
    )
    if error:
        form = {"code": code, "name": name}
        return _departments_page(request, db, actor, error.status, error=error, form=form)
    return _departments_page(request, db, actor, created=created)


@api.get("/departments", summary="部门列表")
def api_departments(db: DB, actor: CurrentActor) -> list[DepartmentOut]:
    departments = auth_service.get_all_departments(db, actor=actor)
    return [DepartmentOut.model_validate(d) for d in departments]


@api.post("/departments", status_code=201, summary="创建部门")
def api_department_create(body: DepartmentIn, db: DB, actor: CurrentActor) -> DepartmentOut:
    department = auth_service.create_department(db, actor=actor, code=body.code, name=body.name)
    return DepartmentOut.model_validate(department)


# ---------------------------------------------------------------- API tokens


def _parse_expiry(value: str) -> dt.datetime | None:
    day = parse_day(value, field="expires_on")
    return end_of_day(day) if day else None


def _tokens_page(
    request: Request, db: Session, actor: Actor, status: int = 200, **context: Any
) -> Response:
    tokens = auth_service.get_all_tokens(db, actor=actor)
    return _render(
        request,
        "admin/tokens.html",
        status,
        actor=actor,
        tokens=tokens,
        all_scopes=SCOPES,
        form=context.pop("form", {}),
        **context,
    )


@pages.get("/tokens")
def tokens_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return _tokens_page(request, db, actor)


@pages.post("/tokens")
def tokens_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    name: Annotated[str, Form(max_length=100)] = "",
    scopes: Annotated[list[str], Form(max_length=64)] = [],  # noqa: B006  (FastAPI copies it)
    enterprise_uscc: Annotated[str, Form(max_length=40)] = "",
    expires_on: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    created, error = attempt(
        db,
        lambda: auth_service.create_token(
            db,
            actor=actor,
            name=name,
            scopes=scopes,
            secret=settings_of(request).session_secret,
            enterprise_id=enterprise_service.id_for_uscc(db, code=enterprise_uscc),
            expires_at=_parse_expiry(expires_on),
        ),
    )
    if error:
        values = {
            "name": name,
            "scopes": scopes,
            "enterprise_uscc": enterprise_uscc,
            "expires_on": expires_on,
        }
        return _tokens_page(request, db, actor, error.status, error=error, form=values)
    return _tokens_page(request, db, actor, created=created)


@pages.post("/tokens/{token_id}/revoke")
def tokens_revoke(token_id: int, db: DB, actor: CurrentActor) -> Response:
    auth_service.revoke_token(db, actor=actor, token_id=token_id)
    return RedirectResponse("/admin/tokens?revoked=1", 303)


@api.get("/tokens", summary="API 令牌列表")
def api_tokens(db: DB, actor: CurrentActor) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in auth_service.get_all_tokens(db, actor=actor)]


@api.post("/tokens", status_code=201, summary="创建 API 令牌（明文只返回一次）")
def api_token_create(
    request: Request, body: TokenIn, db: DB, actor: CurrentActor
) -> CreatedTokenOut:
    actor.require(Permission.TOKENS_MANAGE)
    created = auth_service.create_token(
        db,
        actor=actor,
        name=body.name,
        scopes=body.scopes,
        secret=settings_of(request).session_secret,
        enterprise_id=enterprise_service.id_for_uscc(db, code=body.enterprise_uscc),
        expires_at=body.expires_at,
    )
    return CreatedTokenOut(
        token=TokenOut.model_validate(created.token), plaintext=created.plaintext
    )


@api.post("/tokens/{token_id}/revoke", summary="吊销 API 令牌")
def api_token_revoke(token_id: int, db: DB, actor: CurrentActor) -> TokenOut:
    return TokenOut.model_validate(auth_service.revoke_token(db, actor=actor, token_id=token_id))


# ---------------------------------------------------------------- audit log


def _day(value: str | None, field: str) -> dt.datetime | None:
    day = parse_day(value or "", field=field)
    return start_of_day(day) if day else None


AuditAction = Annotated[str | None, Query(max_length=64)]
AuditWho = Annotated[str | None, Query(max_length=200)]
AuditDay = Annotated[str | None, Query(max_length=10)]


def _audit_filters(
    action: str | None, object_type: str | None, who: str | None, since: str | None,
    until: str | None,
) -> audit_service.Filters:  # fmt: skip
    since_at, until_day = _day(since, "since"), _day(until, "until")
    return audit_service.Filters(
        action=action or None,
        object_type=object_type or None,
        actor_label=who or None,
        since=since_at,
        until=until_day + dt.timedelta(days=1) if until_day else None,
    )


def _audit_described(
    action: str | None, object_type: str | None, who: str | None, since: str | None,
    until: str | None,
) -> str:  # fmt: skip
    """The filter as the page states it: 动作：登录；对象：用户；操作人含“zhang”；2026-11-01 至 …"""
    parts = []
    if action:
        parts.append(f"动作：{audit_labels.action(action)}")
    if object_type:
        parts.append(f"对象：{audit_labels.table(object_type)}")
    if who:
        parts.append(f"操作人含“{who}”")
    if since or until:
        parts.append(f"{since or '最早'} 至 {until or '今天'}")
    return "；".join(parts)


@pages.get("/audit")
def audit_page(
    request: Request,
    db: DB,
    actor: CurrentActor,
    action: AuditAction = None,
    object_type: AuditAction = None,
    who: AuditWho = None,
    since: AuditDay = None,
    until: AuditDay = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Response:
    filters = _audit_filters(action, object_type, who, since, until)
    result = audit_service.get_all(
        db,
        actor=actor,
        action=filters.action,
        object_type=filters.object_type,
        actor_label=filters.actor_label,
        since=filters.since,
        until=filters.until,
        page=page,
        per_page=per_page,
    )
    actions, types = audit_service.distinct_values(db, actor=actor)
    shown = {
        "action": action or "",
        "object_type": object_type or "",
        "who": who or "",
        "since": since or "",
        "until": until or "",
    }
    query = urlencode({k: v for k, v in shown.items() if v})
    return _render(
        request,
        "admin/audit.html",
        actor=actor,
        result=result,
        actions=actions,
        types=types,
        filters=shown,
        labels=audit_labels,
        export="/admin/audit/export.xlsx" + (f"?{query}" if query else ""),
        base="/admin/audit?" + (f"{query}&" if query else ""),
        sizes=PAGE_SIZES,
        limit=audit_service.EXPORT_LIMIT,
    )


@pages.get("/audit/export.xlsx")
def audit_export(
    db: DB,
    actor: CurrentActor,
    action: AuditAction = None,
    object_type: AuditAction = None,
    who: AuditWho = None,
    since: AuditDay = None,
    until: AuditDay = None,
) -> Response:
    """The entries that match the filter (all pages, newest first) as a workbook; the export is
    itself recorded in the audit log."""
    actor.require(Permission.AUDIT_READ)
    export = audit_service.export_xlsx(
        db,
        actor=actor,
        filters=_audit_filters(action, object_type, who, since, until),
        staff=auth_service.staff_names(db),
        described=_audit_described(action, object_type, who, since, until),
    )
    return xlsx_download(export.content, f"审计日志-{calendar.today():%Y%m%d}.xlsx")


@api.get("/audit", summary="审计日志（最新在前）")
def api_audit(
    db: DB,
    actor: CurrentActor,
    action: Annotated[str | None, Query(max_length=64)] = None,
    object_type: Annotated[str | None, Query(max_length=64)] = None,
    who: Annotated[str | None, Query(max_length=200)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    result = audit_service.get_all(
        db,
        actor=actor,
        action=action,
        object_type=object_type,
        actor_label=who,
        page=page,
        per_page=per_page,
    )
    return {
        "total": result.total,
        "page": result.page,
        "per_page": result.per_page,
        "items": [
            {
                "id": e.id,
                "at": e.at.isoformat(),
                "actor_kind": e.actor_kind,
                "actor_id": e.actor_id,
                "actor_label": e.actor_label,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "before": e.before,
                "after": e.after,
                "ip": e.ip,
                "request_id": e.request_id,
            }
            for e in result.items
        ],
    }


# ---------------------------------------------------------------- header aliases


def _aliases_page(
    request: Request, db: Session, actor: Actor, status: int = 200, **context: Any
) -> Response:
    from wulian.reference import aliases
    from wulian.reference.models import Metric

    metrics = db.query(Metric).filter(Metric.kind == "input").order_by(Metric.name).all()
    return _render(
        request,
        "admin/aliases.html",
        status,
        actor=actor,
        aliases=aliases.list_aliases(db, actor=actor),
        metrics=metrics,
        form=context.pop("form", {}),
        **context,
    )


@pages.get("/aliases")
def aliases_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    actor.require(Permission.REFERENCE_MANAGE)
    return _aliases_page(request, db, actor)


@pages.post("/aliases")
def aliases_create(
    request: Request,
    db: DB,
    actor: CurrentActor,
    label: Annotated[str, Form(max_length=100)] = "",
    target: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    from wulian.reference import aliases

    created, error = attempt(
        db, lambda: aliases.add_alias(db, actor=actor, label=label, target=target)
    )
    if error or created is None:
        status = error.status if error else 500
        form = {"label": label, "target": target}
        return _aliases_page(request, db, actor, status, error=error, form=form)
    return _aliases_page(request, db, actor, created=created)


@pages.post("/aliases/{alias_id}/delete")
def aliases_delete(request: Request, alias_id: int, db: DB, actor: CurrentActor) -> Response:
    from wulian.reference import aliases

    aliases.remove_alias(db, actor=actor, alias_id=alias_id)
    return RedirectResponse("/admin/aliases", status_code=303)


# ---------------------------------------------------------------- holiday notices


def _calendar_page(
    request: Request, db: Session, actor: Actor, status: int = 200, **context: Any
) -> Response:
    notices = workdays.get_all(db, actor=actor)
    today = today_of(request)
    sources = workdays.sources(db)
    return _render(
        request,
        "admin/calendar.html",
        status,
        actor=actor,
        notices=notices,
        warning=calendar.coverage_warning(sources, today),
        last_official=calendar.official_until(sources, today),
        year_sources=[
            (year, next(s for s in sources if s.covers(year)))
            for year in range(today.year - 1, today.year + 3)
        ],
        form=context.pop("form", {"year": str(today.year + 1)}),
        **context,
    )


@pages.get("/calendar")
def calendar_page(request: Request, db: DB, actor: CurrentActor) -> Response:
    return _calendar_page(request, db, actor)


@pages.post("/calendar")
def calendar_save(
    request: Request,
    db: DB,
    actor: CurrentActor,
    year: Annotated[str, Form(max_length=10)] = "",
    notice_no: Annotated[str, Form(max_length=100)] = "",
    holidays: Annotated[str, Form(max_length=5000)] = "",
    workdays_text: Annotated[str, Form(alias="workdays", max_length=5000)] = "",
) -> Response:
    def save() -> tuple[Any, int]:
        notice = workdays.save(
            db,
            actor=actor,
            year=year,
            notice_no=notice_no,
            holidays=holidays,
            workdays=workdays_text,
        )
        return notice, desk_service.recompute_provisional(db, actor=actor)

    saved, error = attempt(db, save)
    if error or saved is None:
        form = {
            "year": year,
            "notice_no": notice_no,
            "holidays": holidays,
            "workdays": workdays_text,
        }
        return _calendar_page(
            request, db, actor, error.status if error else 500, error=error, form=form
        )
    notice, recomputed = saved
    return _calendar_page(request, db, actor, saved=notice, recomputed=recomputed)
