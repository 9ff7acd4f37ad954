"""Errors as problem+json under /api/ and as friendly Chinese pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wulian.core.auth.cookies import clear_session_cookie
from wulian.core.db import gave_up
from wulian.core.deps import render
from wulian.core.errors import (
    InvalidInput,
    MalformedJSON,
    NotAuthenticated,
    NotFound,
    PasswordChangeRequired,
    SessionExpired,
    WulianError,
)

log = logging.getLogger("wulian.errors")
PROBLEM_JSON = "application/problem+json"

_PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "string_type": "应为文本",
    "string_too_short": "内容过短",
    "string_too_long": "内容过长",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为布尔值（true 或 false）",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "enum": "取值不在允许范围内",
    "literal_error": "取值不在允许范围内",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "extra_forbidden": "不允许的字段",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
}


class UnhandledError(WulianError):
    code = "internal_error"
    status = 500
    title = "系统内部错误，请稍后重试或联系管理员"


class HTTPStatusError(WulianError):
    code = "http_error"

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


_HTTP_ERRORS = {
    404: ("not_found", "页面或资源不存在"),
    405: ("method_not_allowed", "不支持该请求方法"),
}


def is_api(request: Request) -> bool:
    """Whether request is for the JSON API."""
    return request.url.path.startswith("/api/")


def _wants_login(request: Request, error: WulianError) -> bool:
    return isinstance(error, NotAuthenticated) and not is_api(request)


async def render_error(request: Request, error: WulianError) -> Response:
    """The response for error: problem+json for the API, a Chinese page or a redirect otherwise."""
    if is_api(request):
        body = error.problem(instance=request.url.path)
        body["request_id"] = request.scope.get("state", {}).get("request_id")
        headers = {}
        if "retry_after_seconds" in error.extra:
            headers["Retry-After"] = str(error.extra["retry_after_seconds"])
        if error.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return JSONResponse(
            body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers
        )
    if _wants_login(request, error):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        reason = "&expired=1" if isinstance(error, SessionExpired) else ""
        response: Response = RedirectResponse(f"/login?next={quote(target)}{reason}", 303)
        if isinstance(error, SessionExpired):
            clear_session_cookie(response, request, request.app.state.settings)
        return response
    if isinstance(error, PasswordChangeRequired):
        return RedirectResponse("/account/password", 303)
    actor = request.scope.get("state", {}).get("actor")
    return render(request, "errors/error.html", {"error": error, "actor": actor}, error.status)


def _validation_error(exc: RequestValidationError) -> WulianError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return MalformedJSON("请求内容不是有效的 JSON，请检查格式")
    fields: list[dict[str, Any]] = []
    for e in errors:
        location = [str(part) for part in e.get("loc", ()) if part not in ("body", "query", "path")]
        message = _PYDANTIC_ZH.get(str(e.get("type")), str(e.get("msg", "")))
        fields.append({"field": ".".join(location), "message": message})
    summary = "；".join(f"{f['field'] or '请求'}：{f['message']}" for f in fields)
    return InvalidInput(f"输入内容不符合要求：{summary}", errors=fields)


def install(app: FastAPI) -> None:
    """Register the error handlers on app."""

    async def wulian_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, WulianError):
            raise exc
        return await render_error(request, exc)

    async def validation_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, RequestValidationError):
            raise exc
        return await render_error(request, _validation_error(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, StarletteHTTPException):
            raise exc
        code, message = _HTTP_ERRORS.get(exc.status_code, ("http_error", "请求无法处理"))
        if exc.status_code == 404:
            return await render_error(request, NotFound(message))
        return await render_error(request, HTTPStatusError(exc.status_code, message, code))

    async def database_error(request: Request, exc: Exception) -> Response:
        waited = gave_up(exc)  # a lock or statement timeout: the user may simply try again
        if waited is None:
            return await unhandled(request, exc)
        log.warning("database wait gave up on %s %s: %s", request.method, request.url.path, exc)
        return await render_error(request, waited)

    async def unhandled(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return await render_error(request, UnhandledError())

    app.add_exception_handler(WulianError, wulian_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(sa.exc.DBAPIError, database_error)
    app.add_exception_handler(Exception, unhandled)
