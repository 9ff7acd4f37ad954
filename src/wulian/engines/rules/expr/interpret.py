"""The reference interpreter: one row evaluated in plain Python with exact fractions, by the same
rules as the compiled form, which is tested against it. A number is an interval (lo, hi) of
fractions (None: infinite); a known number is lo = hi; an unknown input is its declared range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from wulian.engines.rules.expr.checker import Checker, Symbol
from wulian.engines.rules.expr.exact import exact, round_fraction
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


@dataclass(frozen=True)
class Iv:
    """lo ≤ value ≤ hi; None is −∞ (lo) or +∞ (hi)."""

    lo: Fraction | None
    hi: Fraction | None

    @property
    def point(self) -> Fraction | None:
        return self.lo if self.lo is not None and self.lo == self.hi else None


UNBOUNDED = Iv(None, None)


def _num(node: Num) -> Fraction:
    return exact(node.written) if node.written else exact(node.value)


def constant(node: Node, row: Mapping[str, Any], constants: frozenset[str]) -> Fraction | None:
    """The value of a node that is the same for every row: a number, a parameter, minus one."""
    if isinstance(node, Num):
        return _num(node)
    if isinstance(node, Name) and node.name in constants:
        value = row.get(node.name)
        return None if isinstance(value, bool | str) or value is None else exact(value)
    if isinstance(node, Neg):
        inner = constant(node.operand, row, constants)
        return None if inner is None else -inner
    return None


def _add(a: Iv, b: Iv) -> Iv:
    lo = None if a.lo is None or b.lo is None else a.lo + b.lo
    hi = None if a.hi is None or b.hi is None else a.hi + b.hi
    return Iv(lo, hi)


def _neg(a: Iv) -> Iv:
    return Iv(None if a.hi is None else -a.hi, None if a.lo is None else -a.lo)


def _scaled(a: Iv, c: Fraction) -> Iv:
    if c == 0:  # an infinite end stays infinite: 0 × (x / 0) stays unknown
        return Iv(None if a.lo is None else Fraction(0), None if a.hi is None else Fraction(0))
    lo = None if a.lo is None else a.lo * c
    hi = None if a.hi is None else a.hi * c
    return Iv(lo, hi) if c > 0 else Iv(hi, lo)


def _mul(a: Iv, b: Iv) -> Iv:
    if a.lo is not None and a.lo >= 0 and b.lo is not None and b.lo >= 0:
        return Iv(a.lo * b.lo, None if a.hi is None or b.hi is None else a.hi * b.hi)
    if a.lo is None or a.hi is None or b.lo is None or b.hi is None:
        return UNBOUNDED
    products = [x * y for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return Iv(min(products), max(products))


def _reciprocal(b: Iv) -> Iv:
    if (b.lo is None or b.lo <= 0) and (b.hi is None or b.hi >= 0):
        return UNBOUNDED  # it may be 0: division by zero is unknown
    return Iv(Fraction(0) if b.hi is None else 1 / b.hi, Fraction(0) if b.lo is None else 1 / b.lo)


def _lower(x: Fraction | None, y: Fraction | None, how: str, propagate: bool) -> Fraction | None:
    if x is None or y is None:
        if propagate:
            return None
        return y if x is None else x
    return min(x, y) if how == "min" else max(x, y)


def _abs(a: Iv) -> Iv:
    if a.lo is not None and a.lo >= 0:
        return a
    if a.hi is not None and a.hi <= 0:
        return _neg(a)
    if a.lo is None and a.hi is None:
        return UNBOUNDED
    widest = None if a.lo is None or a.hi is None else max(-a.lo, a.hi)
    return Iv(Fraction(0), widest)


def _decide(op: str, a: Iv, b: Iv) -> bool | None:
    def holds(x: Fraction | None, cmp: str, y: Fraction | None) -> bool:
        if x is None or y is None:
            return False
        return {
            ">=": x >= y,
            ">": x > y,
            "<=": x <= y,
            "<": x < y,
            "==": x == y,
        }[cmp]

    if op in (">=", ">"):
        true = holds(a.lo, op, b.hi)
        false = holds(a.hi, "<" if op == ">=" else "<=", b.lo)
    elif op in ("<=", "<"):
        true = holds(a.hi, op, b.lo)
        false = holds(a.lo, ">" if op == "<=" else ">=", b.hi)
    else:
        same = holds(a.lo, "==", a.hi) and holds(b.lo, "==", b.hi) and holds(a.lo, "==", b.lo)
        differ = holds(a.hi, "<", b.lo) or holds(a.lo, ">", b.hi)
        true, false = (same, differ) if op == "==" else (differ, same)
    if true:
        return True
    if false:
        return False
    return None


def _band(symbol: Symbol, x: Iv) -> Iv:
    reached: list[Fraction] = []
    upper: Fraction | None = None
    for lower_float, points in symbol.bands:
        lower = exact(lower_float)
        high_enough = x.hi is None or x.hi >= lower
        low_enough = upper is None or x.lo is None or x.lo < upper
        if high_enough and low_enough:
            reached.append(exact(points))
        upper = lower
    if upper is not None and (x.lo is None or x.lo < upper):
        reached.append(exact(symbol.otherwise or 0))
    return Iv(min(reached), max(reached))


class _Run:
    def __init__(
        self, row: Mapping[str, Any], symbols: Mapping[str, Symbol], constants: frozenset[str]
    ) -> None:
        self.row = row
        self.symbols = symbols
        self.constants = constants
        self.checker = Checker("", symbols)

    def number(self, node: Node) -> Iv:
        value = constant(node, self.row, self.constants)
        if value is not None:
            return Iv(value, value)
        if isinstance(node, Name):
            raw = self.row.get(node.name)
            if isinstance(raw, Iv):
                return raw
            if raw is None:
                symbol = self.symbols.get(node.name, Symbol("number"))
                return Iv(symbol.low, symbol.high)
            if isinstance(raw, bool | str):
                raise TypeError(node)  # pragma: no cover - the checker allows numbers only
            value = exact(raw)
            return Iv(value, value)
        if isinstance(node, Neg):
            return _neg(self.number(node.operand))
        if isinstance(node, Arith):
            if node.op in ("+", "-"):
                right = self.number(node.right)
                return _add(self.number(node.left), right if node.op == "+" else _neg(right))
            right_constant = constant(node.right, self.row, self.constants)
            if node.op == "*":
                left_constant = constant(node.left, self.row, self.constants)
                if left_constant is not None:
                    return _scaled(self.number(node.right), left_constant)
                if right_constant is not None:
                    return _scaled(self.number(node.left), right_constant)
                return _mul(self.number(node.left), self.number(node.right))
            if right_constant is not None:
                if right_constant == 0:
                    return UNBOUNDED
                return _scaled(self.number(node.left), 1 / right_constant)
            return _mul(self.number(node.left), _reciprocal(self.number(node.right)))
        if isinstance(node, If):
            condition = self.run(node.condition)
            then, otherwise = self.number(node.then), self.number(node.otherwise)
            if condition is True:
                return then
            if condition is False:
                return otherwise
            return Iv(
                _lower(then.lo, otherwise.lo, "min", True),
                _lower(then.hi, otherwise.hi, "max", True),
            )
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(node)  # pragma: no cover

    def call(self, node: Call) -> Iv:
        function, args = node.function, node.args
        if function in ("min", "max"):
            values = [self.number(a) for a in args]
            out = values[0]
            for v in values[1:]:
                if function == "min":
                    out = Iv(_lower(out.lo, v.lo, "min", True), _lower(out.hi, v.hi, "min", False))
                else:
                    out = Iv(_lower(out.lo, v.lo, "max", False), _lower(out.hi, v.hi, "max", True))
            return out
        if function == "abs":
            return _abs(self.number(args[0]))
        if function == "round":
            x = self.number(args[0])
            digits = int(args[1].value)  # type: ignore[attr-defined]
            return Iv(
                None if x.lo is None else round_fraction(x.lo, digits),
                None if x.hi is None else round_fraction(x.hi, digits),
            )
        if function == "band":
            return _band(self.symbols[args[0].name], self.number(args[1]))  # type: ignore[attr-defined]
        if function == "lookup":
            symbol = self.symbols[args[0].name]  # type: ignore[attr-defined]
            code = self.run(args[1])
            table = {k: exact(v) for k, v in symbol.codes}
            otherwise = exact(symbol.otherwise or 0)
            if code is None:
                every = [*table.values(), otherwise]
                return Iv(min(every), max(every))
            value = table.get(str(code), otherwise)
            return Iv(value, value)
        raise TypeError(function)  # pragma: no cover

    def kind(self, node: Node) -> str:
        return self.checker.type(node)

    def run(self, node: Node) -> Any:
        """bool and code nodes: True/False/None, a code or None; numbers as intervals."""
        if self.kind(node) == "number":
            return self.number(node)
        if isinstance(node, Text | Bool):
            return node.value
        if isinstance(node, Name):
            raw = self.row.get(node.name)
            return tuple(raw) if isinstance(raw, list) else raw
        if isinstance(node, Compare):
            if self.kind(node.left) == "number":
                return _decide(node.op, self.number(node.left), self.number(node.right))
            a, b = self.run(node.left), self.run(node.right)
            if a is None or b is None:
                return None
            return (a == b) if node.op == "==" else (a != b)
        if isinstance(node, Logic):
            values = [self.run(item) for item in node.items]
            if node.op == "and":
                if any(v is False for v in values):
                    return False
                return None if any(v is None for v in values) else True
            if any(v is True for v in values):
                return True
            return None if any(v is None for v in values) else False
        if isinstance(node, Not):
            x = self.run(node.operand)
            return None if x is None else not x
        if isinstance(node, If):
            condition = self.run(node.condition)
            then, otherwise = self.run(node.then), self.run(node.otherwise)
            if condition is None:
                return then if then is not None and then == otherwise else None
            return then if condition else otherwise
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, Call) and node.function == "known":
            if self.kind(node.args[0]) == "number":
                return self.number(node.args[0]).point is not None
            return self.run(node.args[0]) is not None
        raise TypeError(node)  # pragma: no cover

    def member(self, node: Member) -> bool | None:
        if isinstance(node.within, Name):
            item = self.run(node.item)
            held = self.row.get(node.within.name)
            if item is None or held is None:
                return None
            found: bool | None = item in held
        elif self.kind(node.item) == "number":
            x = self.number(node.item)
            decided = [
                _decide("==", x, Iv(_num(m), _num(m))) for m in node.within if isinstance(m, Num)
            ]
            found = True if True in decided else (None if None in decided else False)
        else:
            item = self.run(node.item)
            if item is None:
                return None
            found = item in [m.value for m in node.within if isinstance(m, Text)]
        return None if found is None else (not found if node.negate else found)


def evaluate_node(
    node: Node,
    row: Mapping[str, Any],
    symbols: Mapping[str, Symbol],
    constants: frozenset[str] = frozenset(),
) -> Any:
    """node for one row: a number as an interval `Iv`, a condition as True/False/None, a code as
    itself or None. row: inputs as plain values (None = unknown) and derived values as `Iv`;
    constants: the names in row that are the same for every row (parameters, the period)."""
    return _Run(row, symbols, constants).run(node)


def interpret(
    node: Node,
    row: Mapping[str, Any],
    symbols: Mapping[str, Symbol],
    constants: frozenset[str] = frozenset(),
) -> Value:
    """node evaluated for one row of plain values (None = unknown), by the rules of `compile`:
    a number as the float nearest its exact value where it is known, else None."""
    out = evaluate_node(node, row, symbols, constants)
    if isinstance(out, Iv):
        point = out.point
        return None if point is None else point.numerator / point.denominator
    return out  # type: ignore[no-any-return]
