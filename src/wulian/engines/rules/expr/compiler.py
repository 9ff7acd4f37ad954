"""Expressions compiled to Polars: unknown stays unknown (Kleene logic), comparisons with a
tolerance relative to the threshold, division exact; and how far a row is from a condition.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import polars as pl

from wulian.engines.rules.expr.checker import Checker, Symbol
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

TOLERANCE = 1e-9

# Polars divides by a constant by multiplying with its reciprocal (3 / 10 gives
# 0.30000000000000004); dividing by a column is exact IEEE division. So every divisor is
# multiplied by this column of ones, which frames given to compiled expressions must carry.
ONES = "__one"


def ones() -> pl.Expr:
    """The column of ones, materialised (a broadcast literal would divide as a constant)."""
    return (pl.int_range(pl.len(), dtype=pl.Int64) * 0 + 1).cast(pl.Float64).alias(ONES)


def threshold_bounds(t: float) -> tuple[float, float]:
    slack = TOLERANCE * abs(t)
    return t - slack, t + slack


def _compare(op: str, left: pl.Expr, right: pl.Expr | float, numeric: bool = True) -> pl.Expr:
    """left op right; numbers with the tolerance relative to right (a Python float when it is a
    constant, so that its bounds are folded)."""
    if not numeric:
        return left == right if op == "==" else left != right
    if isinstance(right, float):
        low, high = threshold_bounds(right)
        lo: pl.Expr | float = low
        hi: pl.Expr | float = high
    else:
        slack = TOLERANCE * right.abs()
        lo, hi = right - slack, right + slack
    if op == ">=":
        return left >= lo
    if op == ">":
        return left > hi
    if op == "<=":
        return left <= hi
    if op == "<":
        return left < lo
    equal = (left >= lo) & (left <= hi)
    return equal if op == "==" else ~equal


def _literal(value: float | bool | str) -> pl.Expr:
    if isinstance(value, bool):
        return pl.lit(value, pl.Boolean)
    if isinstance(value, str):
        return pl.lit(value, pl.String)
    return pl.lit(float(value), pl.Float64)


def round_value(value: float, digits: int) -> float:
    """`round_half_up` for one Python float, by the same arithmetic."""
    if not value:
        return 0.0
    scale = 10.0**digits
    return math.copysign(1.0, value) * (math.floor(abs(value) * scale + 0.5 + TOLERANCE) / scale)


def round_half_up(x: pl.Expr, digits: int) -> pl.Expr:
    """x to digits decimals, halves away from zero (四舍五入), a hair of tolerance so that 2.675
    stored as 2.67499… still rounds up; `interpret` rounds the same way."""
    scale = 10.0**digits
    out: pl.Expr = x.sign() * ((x.abs() * scale + 0.5 + TOLERANCE).floor() / (scale * pl.col(ONES)))
    return out.cast(pl.Float64)


def _unknown_if_any(args: Sequence[pl.Expr], value: pl.Expr) -> pl.Expr:
    return pl.when(pl.any_horizontal(a.is_null() for a in args)).then(None).otherwise(value)


class Compiler:
    """A checked expression as a Polars expression over columns named by `column(name)`;
    names in constants (parameters, the period) are literals, the same for every row."""

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        column: Callable[[str], pl.Expr],
        checker: Checker,
        constants: Mapping[str, float | bool | str] | None = None,
    ) -> None:
        self.symbols = symbols
        self.column = column
        self.checker = checker
        self.constants = constants or {}

    def constant(self, node: Node) -> float | None:
        """The value of a numeric node that is the same for every row (a number, a parameter)."""
        if isinstance(node, Num):
            return node.value
        if isinstance(node, Name) and node.name in self.constants:
            value = self.constants[node.name]
            return None if isinstance(value, bool | str) else float(value)
        if isinstance(node, Neg):
            inner = self.constant(node.operand)
            return None if inner is None else -inner
        return None

    def threshold(self, node: Node) -> pl.Expr | float:
        value = self.constant(node)
        return self.compile(node) if value is None else value

    def compile(self, node: Node) -> pl.Expr:
        if isinstance(node, Num):
            return pl.lit(node.value, pl.Float64)
        if isinstance(node, Text):
            return pl.lit(node.value, pl.String)
        if isinstance(node, Bool):
            return pl.lit(node.value, pl.Boolean)
        if isinstance(node, Name):
            if node.name in self.constants:
                return _literal(self.constants[node.name])
            return self.column(node.name)
        if isinstance(node, Neg):
            return -self.compile(node.operand)
        if isinstance(node, Arith):
            left, right = self.compile(node.left), self.compile(node.right)
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            return pl.when(right == 0).then(None).otherwise(left / (right * pl.col(ONES)))
        if isinstance(node, Compare):
            numeric = self.checker.type(node.left) == "number"
            if not numeric:
                return _compare(node.op, self.compile(node.left), self.compile(node.right), False)
            return _compare(node.op, self.compile(node.left), self.threshold(node.right))
        if isinstance(node, Logic):
            items = [self.compile(item) for item in node.items]
            return pl.all_horizontal(items) if node.op == "and" else pl.any_horizontal(items)
        if isinstance(node, Not):
            return ~self.compile(node.operand)
        if isinstance(node, If):
            condition = self.compile(node.condition)
            return (
                pl.when(condition.is_null())
                .then(None)
                .when(condition)
                .then(self.compile(node.then))
                .otherwise(self.compile(node.otherwise))
            )
        if isinstance(node, Member):
            item = self.compile(node.item)
            if isinstance(node.within, Name):
                found = self.column(node.within.name).list.contains(item)
            else:
                values = [m.value for m in node.within if isinstance(m, Num | Text)]
                if self.checker.type(node.item) == "number":
                    found = pl.any_horizontal(_compare("==", item, float(v)) for v in values)
                else:
                    found = item.is_in([str(v) for v in values])
                found = pl.when(item.is_null()).then(None).otherwise(found)
            return ~found if node.negate else found
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(node)  # pragma: no cover

    def call(self, node: Call) -> pl.Expr:
        function, args = node.function, node.args
        if function in ("min", "max"):
            compiled = [self.compile(a) for a in args]
            value = (
                pl.min_horizontal(compiled) if function == "min" else pl.max_horizontal(compiled)
            )
            return _unknown_if_any(compiled, value)
        if function == "abs":
            return self.compile(args[0]).abs()
        if function == "round":
            return round_half_up(self.compile(args[0]), int(args[1].value))  # type: ignore[attr-defined]
        if function == "band":
            symbol = self.symbols[args[0].name]  # type: ignore[attr-defined]
            x = self.compile(args[1])
            chain: Any = pl.when(x.is_null()).then(None)
            for lower, points in symbol.bands:
                chain = chain.when(_compare(">=", x, lower)).then(pl.lit(points, pl.Float64))
            out: pl.Expr = chain.otherwise(pl.lit(symbol.otherwise, pl.Float64))
            return out
        if function == "lookup":
            symbol = self.symbols[args[0].name]  # type: ignore[attr-defined]
            code = self.compile(args[1])
            found = code.replace_strict(
                dict(symbol.codes), default=symbol.otherwise, return_dtype=pl.Float64
            )
            return pl.when(code.is_null()).then(None).otherwise(found)
        if function == "known":
            return self.compile(args[0]).is_not_null()
        raise TypeError(function)  # pragma: no cover


def shortfall(node: Node, compiler: Compiler, holds: pl.Expr | None = None) -> pl.Expr:
    """How far a condition is from holding, as a share of its threshold: 0 when it holds; for a
    failed comparison a ≥ t, (t − a) / |t| (|t| = 0 counts as 1); `and` the largest of its parts,
    `or` the smallest; anything else that fails, infinity. Null where the condition is unknown.
    holds: the condition's value when it is already a column."""
    holds = compiler.compile(node) if holds is None else holds
    if (
        isinstance(node, Compare)
        and node.op not in ("==", "!=")
        and compiler.checker.type(node.left) == "number"
    ):
        a = compiler.compile(node.left)
        t = compiler.threshold(node.right)
        if isinstance(t, float):
            gap = (a - t).abs() * (1.0 / (abs(t) or 1.0))
        else:
            gap = (a - t).abs() / pl.when(t == 0).then(1.0).otherwise(t.abs())
    elif isinstance(node, Logic):
        parts = [shortfall(item, compiler) for item in node.items]
        gap = pl.max_horizontal(parts) if node.op == "and" else pl.min_horizontal(parts)
    else:
        gap = pl.lit(math.inf)
    return pl.when(holds.is_null()).then(None).when(holds).then(0.0).otherwise(gap)
