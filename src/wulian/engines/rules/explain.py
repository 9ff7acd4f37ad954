"""Explaining one unit against a policy in Chinese: every condition with its values, what
decided it and what is missing, and numbers formatted as people write them; and the row-by-row
interpreter the tests compare the compiled engine with."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from wulian.engines.rules import expr
from wulian.engines.rules.policy import STATUS_NAMES, Dated, Policy, parameter_values


def names_of(mask: int, names: Sequence[str]) -> list[str]:
    return [name for bit, name in enumerate(names) if mask >> bit & 1]


def fmt(value: Any, unit: str = "", percent: bool = False) -> str:
    """A value as a person reads it: 2.6%, 18,500,000 元, 是, 缺失."""
    if value is None:
        return "缺失"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "、".join(value) or "无"
    number = float(value)
    if math.isinf(number):
        return "∞"
    if percent:
        text = f"{number * 100:.2f}".rstrip("0").rstrip(".")
        return f"{'0' if text == '-0' else text}%"
    text = _plain(number)
    return f"{text} {unit}".strip() if unit and unit != "%" else text


def _plain(number: float) -> str:
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:,.6g}" if abs(number) >= 1e-4 else f"{number:.3g}"


@dataclass(frozen=True)
class Check:
    """One comparison of a condition, with the unit's value and the threshold."""

    left: str
    left_value: str
    op: str
    right: str
    right_value: str
    holds: bool | None

    def text(self) -> str:
        right = (
            self.right_value
            if self.right == self.right_value
            else f"{self.right} {self.right_value}"
        )
        return f"{self.left} {self.left_value}，需 {self.op} {right}"

    def detail(self) -> str:
        """The comparison as the explanation's line shows it: as written when it holds
        (2.63% ≥ 1%), what went wrong when it fails (2.63%，低于 5%), what is needed when a
        value is missing (缺失，需 ≥ 5%)."""
        if self.holds is True:
            return f"{self.left} {self.left_value} {self.op} {self.right_value}"
        if self.holds is False:
            return f"{self.left} {self.left_value}，{_FAILED[self.op]} {self.right_value}"
        return f"{self.left} {self.left_value}，需 {self.op} {self.right_value}"


@dataclass(frozen=True)
class ConditionLine:
    key: str
    name: str
    rule: str  # the expression in readable Chinese
    holds: bool | None
    shortfall: float | None
    checks: list[Check]

    def reason(self) -> str:
        failing = [c.text() for c in self.checks if c.holds is False]
        return "；".join(failing) or self.name


@dataclass(frozen=True)
class Explanation:
    policy: str
    title: str
    document: str
    status: str
    amount: float | None
    unit: str  # of the amount
    score: float | None
    items: list[tuple[str, str, str]]  # point items: name, points, max
    values: list[tuple[str, str]]  # derived values: name, value
    conditions: list[ConditionLine]
    missing: list[tuple[str, str]]  # inputs: key, name
    parameters: list[tuple[str, str, str]]  # name, value, legal reference
    near: bool
    overflow: bool = False  # a value left the range of exact arithmetic: unknown for that

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status]

    def lines(self) -> list[str]:
        head = f"{self.title}（{self.document}）：{self.status_name}"
        if self.amount is not None and self.status == "eligible":
            head += f"，{fmt(self.amount, self.unit)}"
        if self.score is not None:
            head += f"，总分 {fmt(self.score)}"
        out = [head]
        out += [
            f"  得分 {name}：{points}" + (f" / {top}" if top else "")
            for name, points, top in self.items
        ]
        out += [f"  {name}：{value}" for name, value in self.values]
        for line in self.conditions:
            mark = {True: "✓", False: "✗", None: "?"}[line.holds]
            detail = "；".join(c.detail() for c in line.checks)
            out.append(f"  {mark} {line.name}" + (f"（{detail}）" if detail else ""))
        if self.missing:
            out.append("  缺少数据：" + "、".join(name for _, name in self.missing))
        if self.overflow:
            out.append("  数值超出精确计算范围，相关结论按未知处理")
        out += [f"  参数 {name} = {value}（{ref}）" for name, value, ref in self.parameters]
        return out


_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}
# what a failed comparison's value is, against the other side (a ≥ b fails: a 低于 b)
_FAILED = {"≥": "低于", ">": "未超过", "≤": "高于", "<": "不低于", "=": "不等于", "≠": "等于"}


def explain_row(policy: Policy, row: dict[str, Any], params: dict[str, Dated]) -> Explanation:
    """A traced row of one policy's frame, in Chinese."""

    def value_of(name: str) -> Any:
        if name in params:
            return params[name].value
        return row.get(name)

    def side(node: expr.Node, other: expr.Node, value: Any) -> tuple[str, str]:
        percent = _percent(policy, node) or _percent(policy, other)
        if isinstance(node, expr.Num):
            return fmt(value, percent=percent), fmt(value, percent=percent)
        label = expr.render(node, policy.label, symbols=True)
        unit = policy.unit(node.name) if isinstance(node, expr.Name) else ""
        return label, fmt(value, unit, percent)

    conditions = []
    for i, condition in enumerate(policy.conditions):
        checks = []
        for k, comparison in enumerate(expr.comparisons(policy.tree("conditions", i))):
            left_value = row.get(f"t.{condition.key}.{k}.l")
            right_value = row.get(f"t.{condition.key}.{k}.r")
            left, left_text = side(comparison.left, comparison.right, left_value)
            right, right_text = side(comparison.right, comparison.left, right_value)
            holds = row.get(f"t.{condition.key}.{k}.h")
            checks.append(Check(left, left_text, _OPS[comparison.op], right, right_text, holds))
        conditions.append(
            ConditionLine(
                condition.key,
                condition.name,
                expr.render(policy.tree("conditions", i), policy.label, symbols=True),
                row.get(f"c.{condition.key}"),
                row.get(f"s.{condition.key}"),
                checks,
            )
        )
    missing = names_of(row["missing"], list(policy.inputs))
    return Explanation(
        policy=policy.id,
        title=policy.title,
        document=policy.document,
        status=str(row["status"]),
        amount=row.get("amount"),
        unit=policy.benefit.unit if policy.benefit else "",
        score=row.get("score"),
        items=[
            (s.name, fmt(row.get(s.key)), fmt(s.max) if s.max is not None else "")
            for s in policy.score
        ],
        values=[(v.name, fmt(row.get(v.key), v.unit, v.percent)) for v in policy.values],
        conditions=conditions,
        missing=[(key, policy.inputs[key].name) for key in missing],
        parameters=[
            (
                policy.parameters[key].name,
                fmt(d.value, policy.parameters[key].unit, policy.parameters[key].percent),
                d.reference,
            )
            for key, d in params.items()
        ],
        near=bool(row.get("near")),
        overflow=bool(row.get("overflow")),
    )


def _percent(policy: Policy, node: expr.Node) -> bool:
    if isinstance(node, expr.Name):
        return policy.is_percent(node.name)
    if isinstance(node, expr.Num):
        return node.written.endswith("%")
    return False


# ---------------------------------------------------------------- the plain reference


def interpret_policy(
    policy: Policy,
    row: dict[str, Any],
    params: dict[str, Dated],
    period: int,
    day: dt.date | None = None,
) -> tuple[str, float | None]:
    """(status, amount) of one unit, row by row in plain Python with exact fractions through
    `expr.evaluate_node`: the reference the compiled evaluation is checked and timed against.
    The outputs of the policies it reads are interpreted first, on their parameters of day (the
    period's end unless given)."""
    status, amount, _ = _interpret(policy, row, params, period, day or dt.date(period, 12, 31))
    return status, amount


def _interpret(
    policy: Policy, row: dict[str, Any], params: dict[str, Dated], period: int, day: dt.date
) -> tuple[str, float | None, dict[str, Any]]:
    env: dict[str, Any] = dict(row)
    env["period"] = period
    env |= {key: d.value for key, d in params.items()}
    constants = frozenset(["period", *params])
    symbols = policy.symbols
    for owner, used in policy.uses.items():
        status, amount, theirs = _interpret(used, row, parameter_values(used, day), period, day)
        for key in used.outputs():
            if key == "eligible":
                value: Any = {"eligible": True, "ineligible": False}.get(status)
            elif key == "amount":  # what it pays; unknown: any value (a sound reference)
                paid = None if status == "unknown" else expr.exact(amount or 0)
                value = expr.Iv(paid, paid)
            else:
                value = theirs[key]
            env[f"{owner}.{key}"] = value

    def run(tree: expr.Node) -> Any:
        return expr.evaluate_node(tree, env, symbols, constants)

    for i, value in enumerate(policy.values):
        env[value.key] = run(policy.tree("values", i))
    if policy.score:
        low: Fraction | None = Fraction(0)
        high: Fraction | None = Fraction(0)
        for i, item in enumerate(policy.score):
            points = run(policy.tree("score", i))
            env[item.key] = points
            low = None if low is None or points.lo is None else low + points.lo
            high = None if high is None or points.hi is None else high + points.hi
        env["score"] = expr.Iv(low, high)
    holds = [run(policy.tree("conditions", i)) for i in range(len(policy.conditions))]
    for condition, held in zip(policy.conditions, holds, strict=True):
        env[condition.key] = held
    if not policy.conditions and any(
        _unknown(env[k]) for k in [*(v.key for v in policy.values), *policy.score_keys]
    ):
        return "unknown", None, env
    if any(h is False for h in holds):
        return "ineligible", 0.0 if policy.benefit is not None else None, env
    if any(h is None for h in holds):
        return "unknown", None, env
    if policy.benefit is None:
        return "eligible", None, env
    amount = run(policy.tree("benefit"))
    lo, hi = amount.lo, amount.hi
    cap = policy.benefit.cap
    if cap is not None:
        limit = expr.exact(params[cap].value if isinstance(cap, str) else cap)
        lo = None if lo is None else min(lo, limit)
        hi = limit if hi is None else min(hi, limit)
    if policy.benefit.min is not None:
        floor = expr.exact(policy.benefit.min)
        lo = floor if lo is None else max(lo, floor)
        hi = None if hi is None else max(hi, floor)
    digits = policy.benefit.digits
    lo = None if lo is None else expr.round_fraction(lo, digits)
    hi = None if hi is None else expr.round_fraction(hi, digits)
    if lo is None or lo != hi:
        return "unknown", None, env
    return "eligible", lo.numerator / lo.denominator, env


def _unknown(value: Any) -> bool:
    if isinstance(value, expr.Iv):
        return value.lo is None or value.lo != value.hi
    return value is None
