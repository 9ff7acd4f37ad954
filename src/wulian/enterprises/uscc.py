"""统一社会信用代码 (unified social credit code) checks, with Chinese messages."""

from __future__ import annotations

from stdnum import exceptions
from stdnum.cn import uscc as _uscc

from wulian.core.errors import InvalidInput

_REASONS: dict[type[Exception], str] = {
    exceptions.InvalidLength: "长度应为 18 位",
    exceptions.InvalidFormat: "格式不正确（含不允许的字符）",
    exceptions.InvalidComponent: "登记管理部门或机构类别代码无效",
    exceptions.InvalidChecksum: "校验位不正确",
}


def normalise(code: str) -> str:
    """The code in canonical form: 18 upper-case characters, or a clear error."""
    try:
        return str(_uscc.validate(code))
    except exceptions.ValidationError as error:
        reason = next((text for kind, text in _REASONS.items() if isinstance(error, kind)), "无效")
        raise InvalidInput(f"统一社会信用代码“{code}”{reason}", field="uscc", value=code) from None


def synthetic(number: int, region: str = "330800") -> str:
    """A valid but plainly made-up code (organisation part MA + a base-32 serial) for demos
    and tests."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    serial = ""
    for _ in range(7):
        number, digit = divmod(number, len(alphabet))
        serial = alphabet[digit] + serial
    body = f"91{region}MA{serial}"
    return body + _uscc.calc_check_digit(body)
