"""Request dependencies: the unit of work and the acting user or token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from wulian.core import audit, calendar
from wulian.core.auth import service as auth_service
from wulian.core.auth.cookies import SESSION_COOKIE
from wulian.core.auth.models import UserSession
from wulian.core.db import unit_of_work
from wulian.core.errors import (
    InvalidToken,
    NotAuthenticated,
    PasswordChangeRequired,
    PermissionDenied,
    WulianError,
)
from wulian.core.notify import service as notify
from wulian.core.permissions import Actor
from wulian.core.settings import Settings


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> Response:
    """A page rendered with the app's templates (layout, menu and CSRF helpers included)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code)


def render_failure(
    request: Request,
    db: Session,
    error: WulianError,
    template: str,
    context: Callable[[WulianError], dict[str, Any]],
) -> Response:
    """Roll back and show the page again with the error (permission errors go to the 403 page)."""
    db.rollback()
    if isinstance(error, PermissionDenied):
        raise error
    return render(request, template, context(error), status_code=error.status)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content: bytes, name: str, media_type: str) -> Response:
    """A file sent as a download under a Chinese file name (RFC 5987), never sniffed."""
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "X-Content-Type-Options": "nosniff",
        },
    )


def xlsx_download(content: bytes, name: str) -> Response:
    """An xlsx workbook sent as a download under a Chinese file name."""
    return download(content, name, XLSX)


def today_of(request: Request) -> dt.date:
    """Today in China (the app's clock when one is set, as tests do)."""
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "clock", None)
    return calendar.today(clock() if clock else None)


def settings_of(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def login_policy(settings: Settings) -> auth_service.LoginPolicy:
    """Sign-in and session limits from settings."""
    return auth_service.LoginPolicy(
        max_failures=settings.login_max_failures,
        lock_minutes=settings.login_lock_minutes,
        session_idle_minutes=settings.session_idle_minutes,
        session_max_hours=settings.session_max_hours,
    )


def client_ip(request: Request) -> str | None:
    """The client address as the server sees it (behind a proxy: uvicorn --forwarded-allow-ips)."""
    return request.client.host if request.client else None


def _db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed before the response, rolled back on error."""
    state = request.scope.setdefault("state", {})
    meta = audit.RequestMeta(ip=client_ip(request), request_id=state.get("request_id"))
    try:
        with unit_of_work(request.app.state.session_factory) as session:
            audit.set_request(session, meta)
            yield session
    finally:  # a page rendered after the unit of work (an error page) shows the bell uncounted
        request.state.unread = None


DB = Annotated[Session, Depends(_db, scope="function")]


async def _form(request: Request) -> FormData:
    """The request's form, read on the event loop (reading the body is asynchronous), so that
    the route itself can be a plain function that runs in the thread pool."""
    return await request.form()


# Routes that touch the database are plain `def` (run in the thread pool): a blocking call on
# the event loop would stop every other request of the worker while it waits, for a lock say.
# A route that needs the raw form (repeated or dynamic fields) takes it as FormFields.
FormFields = Annotated[FormData, Depends(_form)]


def _resolve(request: Request, db: Session) -> Actor | None:
    settings = settings_of(request)
    authorization = request.headers.get("authorization")
    actor: Actor | None = None
    if authorization and request.url.path.startswith("/api/"):
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise InvalidToken("Authorization 头格式应为：Bearer <令牌>")
        token = auth_service.resolve_token(
            db, plaintext=value.strip(), secret=settings.session_secret
        )
        actor = auth_service.actor_for_token(token)
    elif cookie := request.cookies.get(SESSION_COOKIE):
        user, row = auth_service.resolve_session(
            db, token=cookie, secret=settings.session_secret, policy=login_policy(settings)
        )
        request.state.user_session = row
        actor = auth_service.actor_for_user(user)
        # the header's bell, counted only when a page's layout asks for it
        user_id = user.id
        request.state.unread = lambda: notify.unread_count(db, user_id=user_id)
    if actor is not None:
        request.state.actor = actor
        audit.track(db, actor)
    return actor


def _optional_actor(request: Request, db: DB) -> Actor | None:
    try:
        return _resolve(request, db)
    except NotAuthenticated:
        return None


def _actor(request: Request, db: DB) -> Actor:
    actor = _resolve(request, db)
    if actor is None:
        raise NotAuthenticated()
    if actor.must_change_password:
        raise PasswordChangeRequired("请先修改初始密码，再进行其他操作")
    return actor


def _actor_allowing_password_change(request: Request, db: DB) -> Actor:
    actor = _resolve(request, db)
    if actor is None:
        raise NotAuthenticated()
    return actor


def current_session(request: Request) -> UserSession | None:
    """The browser session of this request, if signed in with a cookie."""
    row = getattr(request.state, "user_session", None)
    return row if isinstance(row, UserSession) else None


OptionalActor = Annotated[Actor | None, Depends(_optional_actor)]
CurrentActor = Annotated[Actor, Depends(_actor)]
ActorPendingPasswordChange = Annotated[Actor, Depends(_actor_allowing_password_change)]
