"""The reference interpreter: one row evaluated in plain Python by the same rules as the compiled
form, which is tested against it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from wulian.engines.rules.expr.checker import Symbol
from wulian.engines.rules.expr.compiler import round_value, threshold_bounds
from wulian.engines.rules.expr.syntax import (
    Arith,
    Bool,
    Call,
    Compare,
    If,
    Logic,
    Member,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Text,
)

Value = float | str | bool | tuple[str, ...] | None


def _close(op: str, left: float, right: float) -> bool:
    low, high = threshold_bounds(right)
    if op == ">=":
        return left >= low
    if op == ">":
        return left > high
    if op == "<=":
        return left <= high
    if op == "<":
        return left < low
    equal = low <= left <= high
    return equal if op == "==" else not equal


def interpret(node: Node, row: Mapping[str, Value], symbols: Mapping[str, Symbol]) -> Value:
    """node evaluated for one row of plain values (None = unknown), by the rules of `compile`."""

    def run(node: Node) -> Value:
        return interpret(node, row, symbols)

    if isinstance(node, Num | Text | Bool):
        return node.value
    if isinstance(node, Name):
        return row.get(node.name)
    if isinstance(node, Neg):
        x = run(node.operand)
        return None if x is None else -x  # type: ignore[operator]
    if isinstance(node, Arith):
        a, b = run(node.left), run(node.right)
        if a is None or b is None:
            return None
        if not isinstance(a, float | int) or not isinstance(b, float | int):
            raise TypeError(node)  # pragma: no cover - the checker allows numbers only
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return None if b == 0 else a / b
    if isinstance(node, Compare):
        a, b = run(node.left), run(node.right)
        if a is None or b is None:
            return None
        if isinstance(a, bool | str) or isinstance(b, bool | str):
            return (a == b) if node.op == "==" else (a != b)
        return _close(node.op, float(a), float(b))  # type: ignore[arg-type]
    if isinstance(node, Logic):
        values = [run(item) for item in node.items]
        if node.op == "and":
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False
    if isinstance(node, Not):
        x = run(node.operand)
        return None if x is None else not x
    if isinstance(node, If):
        condition = run(node.condition)
        if condition is None:
            return None
        return run(node.then) if condition else run(node.otherwise)
    if isinstance(node, Member):
        item = run(node.item)
        if item is None:
            return None
        if isinstance(node.within, Name):
            held = row.get(node.within.name)
            if held is None:
                return None
            found = item in held  # type: ignore[operator]
        elif isinstance(item, str):
            found = item in [m.value for m in node.within if isinstance(m, Text)]
        else:
            found = any(
                _close("==", float(item), m.value)  # type: ignore[arg-type]
                for m in node.within
                if isinstance(m, Num)
            )
        return (not found) if node.negate else found
    if isinstance(node, Call):
        return _interpret_call(node, run, symbols)
    raise TypeError(node)  # pragma: no cover


def _interpret_call(
    node: Call, run: Callable[[Node], Value], symbols: Mapping[str, Symbol]
) -> Value:
    function, args = node.function, node.args
    if function in ("min", "max"):
        values = [run(a) for a in args]
        if any(v is None for v in values):
            return None
        return (min if function == "min" else max)(values)  # type: ignore[type-var]
    if function == "abs":
        x = run(args[0])
        return None if x is None else abs(x)  # type: ignore[arg-type]
    if function == "round":
        x = run(args[0])
        digits = int(args[1].value)  # type: ignore[attr-defined]
        return None if x is None else round_value(float(x), digits)  # type: ignore[arg-type]
    if function == "band":
        symbol = symbols[args[0].name]  # type: ignore[attr-defined]
        x = run(args[1])
        if x is None:
            return None
        for lower, value in symbol.bands:
            if _close(">=", float(x), lower):  # type: ignore[arg-type]
                return value
        return symbol.otherwise
    if function == "lookup":
        symbol = symbols[args[0].name]  # type: ignore[attr-defined]
        code = run(args[1])
        if code is None:
            return None
        return dict(symbol.codes).get(str(code), symbol.otherwise)
    if function == "known":
        return run(args[0]) is not None
    raise TypeError(function)  # pragma: no cover
