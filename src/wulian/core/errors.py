"""Errors a user can cause: each has a stable code, an HTTP status and a Chinese message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any


class WulianError(Exception):
    """Base of every error shown to a user; raising it rolls the unit of work back."""

    code = "error"
    status = 400
    title = "请求有误"

    def __init__(self, message: str | None = None, **extra: Any) -> None:
        self.message = message or self.title
        self.extra = extra
        super().__init__(self.message)

    def problem(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 problem document for this error."""
        body: dict[str, Any] = {
            "type": f"urn:wulian:error:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.message,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        body.update(self.extra)
        return body


class InvalidInput(WulianError):
    code = "invalid_input"
    status = 422
    title = "输入内容不符合要求"


@dataclass(frozen=True)
class RowProblem:
    """One problem found in an uploaded file: where it is, what was there, and why it is wrong."""

    row: int | None  # the line number a person sees in the file (header = 1); None: whole file
    column: str | None
    value: str | None
    reason: str
    kind: str = ""  # a short Chinese label for counting problems by kind (imports)

    def describe(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            where.append(f"“{self.column}”列")
        value = f"（值：{self.value}）" if self.value not in (None, "") else ""
        return f"{''.join(where)}{value}：{self.reason}" if where else self.reason


class InvalidFile(WulianError):
    code = "invalid_file"
    status = 422
    title = "文件内容有误，未写入任何数据"
    shown = 5

    def __init__(self, problems: list[RowProblem], source: str = "文件") -> None:
        self.problems = problems
        head = "；".join(p.describe() for p in problems[: self.shown])
        more = f"；另有 {len(problems) - self.shown} 处问题" if len(problems) > self.shown else ""
        super().__init__(
            f"{source}有 {len(problems)} 处问题，未写入任何数据。{head}{more}",
            problems=[asdict(p) for p in problems],
        )


class MalformedJSON(WulianError):
    code = "malformed_json"
    status = 400
    title = "请求内容不是有效的 JSON"


class NotAuthenticated(WulianError):
    code = "not_authenticated"
    status = 401
    title = "请先登录"


class SessionExpired(NotAuthenticated):
    code = "session_expired"
    title = "登录已过期，请重新登录"


class InvalidCredentials(WulianError):
    code = "invalid_credentials"
    status = 401
    title = "用户名或密码错误"


class AccountLocked(WulianError):
    code = "account_locked"
    status = 429
    title = "登录失败次数过多，已暂时锁定"


class AccountDisabled(WulianError):
    code = "account_disabled"
    status = 403
    title = "账号已停用，请联系管理员"


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    title = "API 令牌无效、已过期或已吊销"


class PermissionDenied(WulianError):
    code = "permission_denied"
    status = 403
    title = "没有权限执行此操作"


class MissingScope(PermissionDenied):
    code = "missing_scope"
    title = "API 令牌缺少所需的权限范围"


class PasswordChangeRequired(PermissionDenied):
    code = "password_change_required"
    title = "请先修改初始密码"


class CSRFFailed(WulianError):
    code = "csrf_failed"
    status = 403
    title = "页面已失效（安全校验未通过），请刷新页面后重试"


class RequestTooLarge(WulianError):
    code = "request_too_large"
    status = 413
    title = "请求内容过大"


class NotFound(WulianError):
    code = "not_found"
    status = 404
    title = "没有找到对应的内容"


class Conflict(WulianError):
    code = "conflict"
    status = 409
    title = "与已有数据冲突"


class Busy(WulianError):
    """A lock another request holds was not released in time (a double submit, say)."""

    code = "busy"
    status = 409
    title = "数据正被其他操作修改，请稍后重试"


class TimedOut(WulianError):
    code = "timeout"
    status = 503
    title = "数据库处理超时，请稍后重试"


class DatabaseBehind(WulianError):
    code = "database_behind"
    status = 503
    title = "数据库结构版本落后"


class DatabaseAhead(DatabaseBehind):
    """The database was upgraded by a newer wulian: older code must not run on it."""

    code = "database_ahead"
    title = "数据库结构版本比程序新"


# ---------------------------------------------------------------- validation messages

# pydantic's error types in Chinese; {…} are filled from the error's context (its bounds). The one
# table for every place that validates: request fields (web), spec and policy files (engines).
VALIDATION_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识这个字段",
    "string_type": "应为文字",
    "string_too_short": "至少 {min_length} 个字",
    "string_too_long": "最多 {max_length} 个字",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "finite_number": "应为有效的数字",
    "bool_type": "应为是或否（true 或 false）",
    "bool_parsing": "应为是或否（true 或 false）",
    "list_type": "应为列表",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
    "model_attributes_type": "应为键值表",
    "enum": "取值不在允许范围内",
    "literal_error": "应为以下之一：{expected}",
    "union_tag_invalid": "不认识的取值“{tag}”；可选：{expected_tags}",
    "union_tag_not_found": "缺少“{discriminator}”",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_type": "应为日期时间（ISO 8601）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "不能小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "不能大于 {le}",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "uuid_parsing": "格式不正确",
    "url_parsing": "应为网址",
}
FALLBACK_MESSAGE = "取值不符合要求"


def _context_text(value: Any) -> str:
    """A bound or a list of choices as a person writes it: 2100 (not 2100.0), a、b、c."""
    if isinstance(value, float):
        return f"{value:.15g}"
    text = str(value)
    return text.replace("', '", "、").replace("' or '", "、").replace(" or ", "、").strip("'")


def validation_message(error: Mapping[str, Any]) -> str:
    """One pydantic error (an item of ValidationError.errors()) in Chinese, without the field:
    the caller names it. A validator's own message (raised in Chinese) is kept; pydantic's
    English text never is."""
    kind = str(error.get("type", ""))
    if kind in ("value_error", "assertion_error"):
        cause = (error.get("ctx") or {}).get("error")
        text = str(cause) if cause is not None else str(error.get("msg", ""))
        return text.removeprefix("Value error, ").removeprefix("Assertion failed, ") or (
            FALLBACK_MESSAGE
        )
    template = VALIDATION_MESSAGES.get(kind, FALLBACK_MESSAGE)
    context = {k: _context_text(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return template.format(**context)
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：（ ") or FALLBACK_MESSAGE
