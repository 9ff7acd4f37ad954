"""Signing in and out, changing one's password, and who am I."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from wulian.core.auth import service as auth_service
from wulian.core.auth.cookies import SESSION_COOKIE, clear_session_cookie, set_session_cookie
from wulian.core.auth.schemas import MeOut
from wulian.core.deps import (
    DB,
    ActorPendingPasswordChange,
    OptionalActor,
    client_ip,
    current_session,
    login_policy,
    render,
    settings_of,
)
from wulian.core.errors import InvalidInput, WulianError

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["账号"])


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in; anything else becomes the home page."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target:
        return "/"
    return target


def _login_page(
    request: Request,
    *,
    next_url: str,
    username: str = "",
    error: WulianError | None = None,
    notice: str | None = None,
) -> Response:
    return render(
        request,
        "account/login.html",
        {"next": next_url, "username": username, "error": error, "notice": notice},
        status_code=error.status if error else 200,
    )


@pages.get("/login")
def login_form(
    request: Request, actor: OptionalActor, next: str = "/", expired: int = 0
) -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next), 303)
    notice = "登录已过期，请重新登录" if expired else None
    return _login_page(request, next_url=safe_next(next), notice=notice)


@pages.post("/login")
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    settings = settings_of(request)
    result = auth_service.login(
        db,
        username=username,
        password=password,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
        secret=settings.session_secret,
        policy=login_policy(settings),
    )
    if result.error or result.token is None or result.user is None:
        # The failure is recorded (throttling, audit) and committed; nothing else changes.
        return _login_page(request, next_url=safe_next(next), username=username, error=result.error)
    target = "/account/password" if result.user.must_change_password else safe_next(next)
    response = RedirectResponse(target, 303)
    set_session_cookie(response, request, settings, result.token)
    return response


@pages.post("/logout")
def logout(request: Request, db: DB, actor: OptionalActor) -> Response:
    settings = settings_of(request)
    if (token := request.cookies.get(SESSION_COOKIE)) and actor is not None:
        auth_service.logout(db, token=token, secret=settings.session_secret)
    response = RedirectResponse("/login", 303)
    clear_session_cookie(response, request, settings)
    return response


def _password_page(
    request: Request, actor: ActorPendingPasswordChange, **context: object
) -> Response:
    error = context.get("error")
    status = error.status if isinstance(error, WulianError) else 200
    return render(request, "account/password.html", {"actor": actor, **context}, status_code=status)


@pages.get("/account/password")
def password_form(request: Request, actor: ActorPendingPasswordChange) -> Response:
    return _password_page(request, actor)


@pages.post("/account/password")
def change_password(
    request: Request,
    db: DB,
    actor: ActorPendingPasswordChange,
    current_password: Annotated[str, Form(max_length=200)] = "",
    new_password: Annotated[str, Form(max_length=200)] = "",
    confirm_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        if new_password != confirm_password:
            raise InvalidInput("两次输入的新密码不一致", field="confirm_password")
        session_row = current_session(request)
        auth_service.change_password(
            db,
            actor=actor,
            current_password=current_password,
            new_password=new_password,
            keep_session_id=session_row.id if session_row else None,
            policy=login_policy(settings_of(request)),
        )
    except WulianError as error:
        # nothing of the account changes before every check passes; what is kept is the count
        # of wrong current passwords and its audit entry
        return _password_page(request, actor, error=error)
    return RedirectResponse("/?password_changed=1", 303)


@api.get("/me", summary="当前身份与权限")
def me(actor: ActorPendingPasswordChange) -> MeOut:
    return MeOut(
        kind=actor.kind,
        id=actor.id,
        label=actor.label,
        role=actor.role,
        department_id=actor.department_id,
        enterprise_id=actor.enterprise_id,
        permissions=sorted(p.value for p in actor.permissions),
        scopes=sorted(actor.scopes),
        must_change_password=actor.must_change_password,
    )
