"""Cookies and CSRF tokens.

CSRF uses HMAC-signed synchronizer tokens bound to the browser: to the session cookie once signed
in, before that to a random pre-session cookie. Every unsafe request that does not carry an API
token must present the token as the form field `csrf_token` or the header `X-CSRF-Token`.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import HTTPConnection
from starlette.responses import Response

from wulian.core.settings import Settings

SESSION_COOKIE = "wulian_session"
PRE_COOKIE = "wulian_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def csrf_for(secret: bytes, binding: str) -> str:
    """The CSRF token for a browser bound by binding (a cookie value)."""
    return hmac.new(secret, f"csrf|{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, binding: str | None, provided: str | None) -> bool:
    """Whether provided is the CSRF token of binding."""
    if not binding or not provided:
        return False
    return hmac.compare_digest(csrf_for(secret, binding), provided)


def csrf_binding(cookies: dict[str, str], fresh_pre: str | None = None) -> str | None:
    """What the browser's CSRF token is bound to: its session, else its pre-session cookie."""
    return cookies.get(SESSION_COOKIE) or cookies.get(PRE_COOKIE) or fresh_pre


def csrf_token(conn: HTTPConnection) -> str:
    """The CSRF token to embed in a page rendered for conn."""
    settings: Settings = conn.app.state.settings
    binding = csrf_binding(conn.cookies, conn.scope.get("state", {}).get("pre_token"))
    return csrf_for(settings.session_secret, binding or "")


def is_secure(conn: HTTPConnection, settings: Settings) -> bool:
    """Whether cookies must be Secure: forced by settings, else when served over HTTPS."""
    if settings.secure_cookies is not None:
        return settings.secure_cookies
    return conn.url.scheme == "https"


def set_session_cookie(
    response: Response, conn: HTTPConnection, settings: Settings, token: str
) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=is_secure(conn, settings),
        path="/",
    )


def clear_session_cookie(response: Response, conn: HTTPConnection, settings: Settings) -> None:
    """Remove the session cookie."""
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=is_secure(conn, settings), path="/"
    )
