"""Errors as problem+json under /api/ and as friendly Chinese pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from wulian.core.auth.cookies import clear_session_cookie
from wulian.core.db import WAIT_ERRORS, gave_up
from wulian.core.deps import render
from wulian.core.errors import (
    InvalidInput,
    MalformedJSON,
    NotAuthenticated,
    NotFound,
    PasswordChangeRequired,
    SessionExpired,
    WulianError,
    validation_message,
)

log = logging.getLogger("wulian.errors")
PROBLEM_JSON = "application/problem+json"

# Labels of parameter and field names that carry no title of their own (Form(title=…) and
# Field(title=…) take precedence). A name missing from both is a fault a test catches.
FIELD_LABELS = {
    "amount": "金额",
    "firm": "企业",
    "fund": "基金",
    "invested_on": "投资日期",
    "project_id": "项目编号",
    "round_total": "本轮融资总额",
    "unit": "金额单位",
    "top_k": "前几名",
    "action": "操作",
    "active": "状态",
    "alias_id": "别名",
    "answer": "答复",
    "as_copy": "另存为新版本",
    "as_of": "数据日期",
    "assignee": "承办人",
    "attachment_id": "附件",
    "attachments": "附件",
    "attribute": "类别属性",
    "back": "返回页面",
    "band": "榜单",
    "category": "类别",
    "chain": "产业链",
    "channel": "渠道",
    "code": "代码",
    "cohort": "阶段",
    "comment": "意见",
    "common": "共性诉求",
    "confirm_password": "确认新密码",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "content_base64": "文件内容",
    "create_firms": "新建企业",
    "credit_spec_id": "授信方案",
    "current_password": "当前密码",
    "days": "公示天数",
    "decision": "审核结果",
    "expected": "确认的条数",
    "department": "部门",
    "department_code": "部门",
    "department_id": "部门",
    "description": "描述",
    "display_name": "姓名",
    "draws": "抽样次数",
    "email": "电子邮箱",
    "due": "期限",
    "enterprise": "企业",
    "enterprise_id": "企业",
    "enterprise_uscc": "企业统一社会信用代码",
    "escalated": "督办",
    "evidence": "佐证材料",
    "expired": "登录已过期",
    "expires_at": "到期时间",
    "expires_on": "到期日期",
    "external": "区外企业",
    "fact_id": "数据",
    "file": "文件",
    "filename": "文件名",
    "grade": "等级",
    "granted": "授权",
    "group": "分组",
    "ids": "所选记录",
    "in_zone": "区内企业",
    "into": "合并到",
    "is_active": "启用",
    "item_id": "事项",
    "keep": "保留企业",
    "key": "键",
    "kind": "类型",
    "label": "名称",
    "low": "低效企业",
    "margin": "差距",
    "membership_id": "归属",
    "metric": "指标",
    "mode": "兑现方式",
    "mine": "我的",
    "name": "名称",
    "new_password": "新密码",
    "next": "跳转页面",
    "node": "环节",
    "noise": "权重扰动幅度",
    "note": "说明",
    "notification_id": "通知",
    "object_type": "对象类型",
    "objection_id": "异议",
    "outcome": "处理结果",
    "owner": "负责人",
    "phone": "手机号码",
    "page": "页码",
    "paid": "兑现情况",
    "parameter": "参数",
    "partial": "部分导入",
    "password": "密码",
    "per_page": "每页条数",
    "period": "期间",
    "holidays": "放假日期",
    "workdays": "调休上班日期",
    "notice_no": "通知文号",
    "confirm": "确认写入的行",
    "copy_as_new": "另存为新规格",
    "form_key": "表单编号",
    "priority": "优先级",
    "q": "搜索内容",
    "rating": "评价",
    "reason": "理由",
    "region": "区域",
    "request_id": "诉求",
    "revision": "版本",
    "role": "角色",
    "run": "评价批次",
    "run_id": "评价批次",
    "satisfaction": "满意度",
    "saved": "已保存",
    "scopes": "权限范围",
    "service_code": "类别",
    "sha256": "校验值",
    "show": "显示条数",
    "since": "开始日期",
    "size": "规模",
    "solved": "是否解决",
    "sort": "排序",
    "source": "数据来源",
    "spec_id": "方案",
    "state": "状态",
    "status": "状态",
    "tag": "标签",
    "target": "目标",
    "text": "内容",
    "threshold": "阈值",
    "title": "标题",
    "token": "令牌",
    "token_id": "令牌",
    "top": "前几名",
    "tracking_no": "受理编号",
    "unread": "只看未读",
    "until": "截止日期",
    "uscc": "统一社会信用代码",
    "user_id": "用户",
    "username": "用户名",
    "value": "数值",
    "who": "操作人",
    "year": "年度",
    "zone": "园区",
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


def field_labels(request: Request) -> dict[tuple[str, ...], str]:
    """(location…) → Chinese label of every parameter of the request's route: its title, else
    FIELD_LABELS; a body model's fields by their titles."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    labels: dict[tuple[str, ...], str] = {}
    if dependant is None:
        return labels
    params = [
        *dependant.query_params, *dependant.path_params, *dependant.body_params,
        *(p for sub in dependant.dependencies for p in sub.query_params + sub.body_params),
    ]  # fmt: skip
    for param in params:
        info = param.field_info
        name = param.alias or param.name
        labels[(name,)] = info.title or FIELD_LABELS.get(name, "")
        model = info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for field_name, field in model.model_fields.items():
                key = field.alias or field_name
                label = field.title or FIELD_LABELS.get(key, "")
                labels[(key,)] = labels.get((key,)) or label
                labels[(name, key)] = label
    return labels


def _validation_error(exc: RequestValidationError, request: Request | None = None) -> WulianError:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return MalformedJSON("请求内容不是有效的 JSON，请检查格式")
    if errors and all(e.get("loc", ("",))[0] == "path" for e in errors):
        return NotFound("页面不存在：地址中的编号无效")  # /enterprises/import is no firm
    labels = field_labels(request) if request is not None else {}
    fields: list[dict[str, Any]] = []
    for e in errors:
        location = [str(part) for part in e.get("loc", ()) if part not in ("body", "query", "path")]
        label = ""
        for start in range(len(location)):  # the most specific labelled part of the location
            label = labels.get(tuple(location[start:])) or labels.get((location[start],), "")
            if label:
                break
        if not label and location:
            label = FIELD_LABELS.get(location[-1], "")
        message = validation_message(e)
        fields.append({"field": ".".join(location), "label": label, "message": message})
    summary = "；".join(f"“{f['label']}”：{f['message']}" if f["label"] else f["message"]
                       for f in fields)  # fmt: skip
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
        return await render_error(request, _validation_error(exc, request))

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
        response = await render_error(request, UnhandledError())
        # the server drops the connection after an unhandled error: say so, so that a client
        # does not send its next request on it
        response.headers["Connection"] = "close"
        return response

    app.add_exception_handler(WulianError, wulian_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    for kind in WAIT_ERRORS:
        app.add_exception_handler(kind, database_error)
    app.add_exception_handler(Exception, unhandled)
