"""Expressions compiled to Polars, exactly: numbers are fractions of integer columns, compared by
cross-multiplication, never with a tolerance; every numeric expression is an interval [lo, hi]
(a known value is lo = hi), so an unknown input decides nothing only where some value it may
take would change the result. Logic is Kleene's; and how far a row is from a condition.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from wulian.engines.rules.expr import exact as ex
from wulian.engines.rules.expr.checker import Checker, Symbol
from wulian.engines.rules.expr.exact import Int, Rat, exact
from wulian.engines.rules.expr.spans import UNBOUNDED, Arithmetic, Column, Span, is_point, neg_end
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

# Polars divides by a constant by multiplying with its reciprocal (3 / 10 gives
# 0.30000000000000004); dividing by a column is correctly rounded. Exact values are shown as
# floats by dividing by this column of ones, which frames given to compiled expressions carry.
ONES = "__one"


def ones() -> pl.Expr:
    """The column of ones, materialised (a broadcast literal would divide as a constant)."""
    return (pl.int_range(pl.len(), dtype=pl.Int64) * 0 + 1).cast(pl.Float64).alias(ONES)


def number_of(node: Num) -> Fraction:
    """A number literal exactly as written (3% is 3/100)."""
    return exact(node.written) if node.written else exact(node.value)


class Compiler(Arithmetic):
    """A checked expression as Polars expressions over the frame's columns: a number input is
    read through `numbers` (exact integers), anything else through `column(name)`; names in
    constants (parameters, the period) are the same for every row; derived names already
    computed are in `spans`."""

    def __init__(
        self,
        symbols: Mapping[str, Symbol],
        column: Callable[[str], pl.Expr],
        checker: Checker,
        constants: Mapping[str, float | bool | str] | None = None,
        numbers: Mapping[str, Column] | None = None,
        points: bool = False,
    ) -> None:
        super().__init__(points=points)
        self.symbols = symbols
        self.column = column
        self.checker = checker
        self.constants = constants or {}
        self.numbers = dict(numbers or {})
        self.spans: dict[str, Span] = {}
        # derived names whose value shown as a float is already a column of the frame
        self.floats: set[str] = set()
        # each node's span, computed once: a node read again (a condition and its shortfall,
        # a trace) reads the same columns
        self.memo: dict[int, tuple[Node, Span]] = {}

    # ------------------------------------------------------------ shared parts

    # ------------------------------------------------------------ numbers

    def constant(self, node: Node) -> Fraction | None:
        """The value of a numeric node that is the same for every row (a number, a parameter)."""
        if isinstance(node, Num):
            return number_of(node)
        if isinstance(node, Name) and node.name in self.constants:
            value = self.constants[node.name]
            return None if isinstance(value, bool | str) else exact(value)
        if isinstance(node, Neg):
            inner = self.constant(node.operand)
            return None if inner is None else -inner
        return None

    def input(self, name: str) -> Span:
        info = self.numbers.get(name)
        symbol = self.symbols.get(name, Symbol("number"))
        if info is None:
            raise KeyError(f"number input {name} was not converted to exact integers")
        den = 10**info.scale
        if self.points:
            end_ = Rat(Int(info.expr, None, info.size, True), Int.of(den))
            return Span(end_, end_, info.low, info.high)
        low, high = symbol.low, symbol.high
        common = den
        for bound in (low, high):
            if bound is not None:
                common = math.lcm(common, bound.denominator)
        value = Int(info.expr, None, info.size, True)
        if common != den:
            value = ex.mul(value, Int.of(common // den), self.flags)

        def end(bound: Fraction | None) -> Rat:
            if bound is None:
                return Rat(value, Int.of(common))
            filled = int(bound * common)
            size = max(value.size, abs(filled))
            wide = size >= ex.FIT64
            return Rat(Int(value.e(wide).fill_null(filled), None, size), Int.of(common))

        return Span(
            end(low),
            end(high),
            None if low is None else (low if info.low is None else min(low, info.low)),
            None if high is None else (high if info.high is None else max(high, info.high)),
        )

    def span(self, node: Node) -> Span:
        """A numeric node as an interval per row."""
        if isinstance(node, Name | Num):
            return self._span(node)
        found = self.memo.get(id(node))
        if found is not None and found[0] is node:
            return found[1]
        out = self._span(node)
        self.memo[id(node)] = (node, out)
        return out

    def _span(self, node: Node) -> Span:
        value = self.constant(node)
        if value is not None:
            return Span.const(value)
        if isinstance(node, Name):
            if node.name in self.spans:
                return self.spans[node.name]
            return self.input(node.name)
        if isinstance(node, Neg):
            inner = self.span(node.operand)
            return Span(
                neg_end(inner.hi),
                neg_end(inner.lo),
                None if inner.high is None else -inner.high,
                None if inner.low is None else -inner.low,
            )
        if isinstance(node, Arith):
            if node.op in ("+", "-"):
                right = self.span(node.right if node.op == "+" else Neg(node.at, node.right))
                return self.add(self.span(node.left), right)
            right_constant = self.constant(node.right)
            if node.op == "*":
                left_constant = self.constant(node.left)
                if left_constant is not None:
                    return self.scaled(self.span(node.right), left_constant)
                if right_constant is not None:
                    return self.scaled(self.span(node.left), right_constant)
                return self.mul(self.span(node.left), self.span(node.right))
            if right_constant is not None:
                if right_constant == 0:
                    return UNBOUNDED  # division by zero is unknown
                return self.scaled(self.span(node.left), 1 / right_constant)
            return self.mul(self.span(node.left), self.reciprocal(self.span(node.right)))
        if isinstance(node, If):
            condition = self.compile(node.condition)
            return self.choose(condition, self.span(node.then), self.span(node.otherwise))
        if isinstance(node, Call):
            return self.numeric_call(node)
        raise TypeError(node)  # pragma: no cover

    def numeric_call(self, node: Call) -> Span:
        function, args = node.function, node.args
        if function in ("min", "max"):
            return self.extreme([self.span(a) for a in args], function)
        if function == "abs":
            return self.absolute(self.span(args[0]))
        if function == "round":
            return self.rounded(self.span(args[0]), int(args[1].value))  # type: ignore[attr-defined]
        if function == "band":
            return self.band(self.symbols[args[0].name], self.span(args[1]))  # type: ignore[attr-defined]
        if function == "lookup":
            symbol = self.symbols[args[0].name]  # type: ignore[attr-defined]
            code = self.compile(args[1])
            values = {k: exact(v) for k, v in symbol.codes}
            otherwise = exact(symbol.otherwise or 0)
            every = [*values.values(), otherwise]
            den = math.lcm(*(v.denominator for v in every))
            size = max(abs(v * den) for v in every)
            found = pl.when(code.is_not_null()).then(
                code.replace_strict(
                    {k: int(v * den) for k, v in values.items()},
                    default=int(otherwise * den),
                    return_dtype=pl.Int64,
                )
            )
            low, high = min(every), max(every)
            if self.points:
                end_ = Rat(Int(found, None, int(size)), Int.of(den))
                return Span(end_, end_, low, high)
            lo = Rat(Int(found.fill_null(int(low * den)), None, int(size)), Int.of(den))
            hi = Rat(Int(found.fill_null(int(high * den)), None, int(size)), Int.of(den))
            return Span(lo, hi, low, high)
        raise TypeError(function)  # pragma: no cover

    def band(self, symbol: Symbol, x: Span) -> Span:
        """The points of the band x falls in; for an interval, the least and greatest points of
        every band it reaches."""
        bands = [(exact(lower), exact(points)) for lower, points in symbol.bands]  # descending
        otherwise = exact(symbol.otherwise or 0)
        every = [p for _, p in bands] + [otherwise]
        den = math.lcm(*(v.denominator for v in every))
        size = int(max(abs(v * den) for v in every))
        x = self.share_span(x)
        if self.points and is_point(x):
            ladder: Any = pl.when(x.lo.num.e().is_null()).then(None)  # type: ignore[union-attr]
            for lower, points in bands:
                holds = ex.compare(">=", x.lo, Rat.of(lower), self.flags)  # type: ignore[arg-type]
                ladder = ladder.when(holds).then(pl.lit(int(points * den), pl.Int64))
            value = ladder.otherwise(pl.lit(int(otherwise * den), pl.Int64))
            end_ = Rat(Int(value, None, size), Int.of(den))
            return Span(end_, end_, min(every), max(every))
        reach: list[tuple[pl.Expr, Fraction]] = []
        upper: Fraction | None = None
        for lower, points in bands:
            bound = Rat.of(lower)
            high_enough = (
                pl.lit(True)
                if x.hi is None
                else ex.compare(">=", x.hi, bound, self.flags).fill_null(True)
            )
            if upper is None:
                reach.append((self.let(high_enough), points))
            else:
                low_enough = (
                    pl.lit(True)
                    if x.lo is None
                    else ex.compare("<", x.lo, Rat.of(upper), self.flags).fill_null(True)
                )
                reach.append((self.let(high_enough & low_enough), points))
            upper = lower
        if upper is None:  # pragma: no cover - a table has at least one band
            raise ValueError(symbol)
        below = (
            pl.lit(True)
            if x.lo is None
            else ex.compare("<", x.lo, Rat.of(upper), self.flags).fill_null(True)
        )
        reach.append((self.let(below), otherwise))

        def chain(order: list[tuple[pl.Expr, Fraction]]) -> Rat:
            out: Any = pl
            for reached, points in order:
                out = out.when(reached).then(pl.lit(int(points * den), pl.Int64))
            return Rat(Int(out.otherwise(None), None, size), Int.of(den))

        lo = chain(sorted(reach, key=lambda r: r[1]))
        hi = chain(sorted(reach, key=lambda r: r[1], reverse=True))
        return Span(lo, hi, min(every), max(every))

    def materialize(self, name: str, a: Span) -> list[pl.Expr]:
        """The columns that hold a's ends under name, after which the name reads them."""
        out: list[pl.Expr] = []

        def part(x: Int, column: str) -> Int:
            if x.expr is None:
                return x
            out.append(x.e().alias(column))
            return Int(pl.col(column), None, x.size, True)

        def end(x: Rat | None, tag: str) -> Rat | None:
            if x is None:
                return None
            return Rat(part(x.num, f"{name}.{tag}n"), part(x.den, f"{name}.{tag}d"))

        lo = end(a.lo, "lo")
        hi = lo if a.hi is a.lo else end(a.hi, "hi")
        self.spans[name] = Span(lo, hi, a.low, a.high)
        return out

    # ------------------------------------------------------------ what a person reads

    def known(self, a: Span) -> pl.Expr:
        """Whether the value is known (lo = hi)."""
        if a.lo is None or a.hi is None:
            return pl.lit(False)
        if a.lo is a.hi:
            return a.lo.num.e().is_not_null()
        return ex.compare("==", a.lo, a.hi, self.flags).fill_null(False)

    def shown(self, a: Span) -> pl.Expr:
        """The value as a float where it is known, else null."""
        a = self.share_span(a)
        if a.lo is None:
            return pl.lit(None, pl.Float64)
        value = ex.to_float(a.lo, pl.col(ONES))
        if a.lo is a.hi:  # known where the numerator is, and null where it is null
            return value
        return pl.when(self.known(a)).then(value)

    def number(self, node: Node) -> pl.Expr:
        """A numeric node shown as a float (null where unknown)."""
        if isinstance(node, Name) and node.name in self.floats:
            return pl.col(node.name)
        if isinstance(node, Name) and self.points and node.name not in self.spans:
            info = self.numbers.get(node.name)
            if info is not None and info.shown is not None:
                return info.shown  # the input as given: no division per row
        return self.shown(self.span(node))

    def display(self, node: Node) -> pl.Expr:
        """Any node as what a trace shows: a number as a float (null where unknown)."""
        if self.checker.type(node) == "number":
            return self.number(node)
        return self.compile(node)

    # ------------------------------------------------------------ conditions, codes, tags

    def decide(self, op: str, a: Span, b: Span) -> pl.Expr:
        """a op b: true where every value in both intervals makes it true, false where every
        value makes it false, else unknown."""
        flags = self.flags
        if is_point(a) and is_point(b):
            return ex.compare(op, a.lo, b.lo, flags)  # type: ignore[arg-type]
        a, b = self.share_span(a), self.share_span(b)

        def holds(x: Rat | None, cmp: str, y: Rat | None) -> pl.Expr:
            if x is None or y is None:
                return pl.lit(False)
            return ex.compare(cmp, x, y, flags)

        if op in (">=", ">", "<=", "<"):
            if op in (">=", ">"):
                true = holds(a.lo, op, b.hi)
                false = holds(a.hi, "<" if op == ">=" else "<=", b.lo)
            else:
                true = holds(a.hi, op, b.lo)
                false = holds(a.lo, ">" if op == "<=" else ">=", b.hi)
        else:
            same = holds(a.lo, "==", b.hi)
            if a.lo is not a.hi:
                same = same & holds(a.lo, "==", a.hi)
            if b.lo is not b.hi:
                same = same & holds(b.lo, "==", b.hi)
            true = same
            false = holds(a.hi, "<", b.lo) | holds(a.lo, ">", b.hi)
            if op == "!=":
                true, false = false, true
        return pl.when(true).then(True).when(false).then(False).otherwise(None)

    def compile(self, node: Node) -> pl.Expr:
        """A node as a Polars expression: bool and code nodes as such (null: unknown), a
        number as its value shown as a float."""
        kind = self.checker.type(node)
        if kind == "number":
            return self.number(node)
        if isinstance(node, Text):
            return pl.lit(node.value, pl.String)
        if isinstance(node, Bool):
            return pl.lit(node.value, pl.Boolean)
        if isinstance(node, Name):
            if node.name in self.constants:
                value = self.constants[node.name]
                return pl.lit(value, pl.Boolean if isinstance(value, bool) else pl.String)
            return self.column(node.name)
        if isinstance(node, Compare):
            if self.checker.type(node.left) == "number":
                return self.decide(node.op, self.span(node.left), self.span(node.right))
            left, right = self.compile(node.left), self.compile(node.right)
            return left == right if node.op == "==" else left != right
        if isinstance(node, Logic):
            items = [self.compile(item) for item in node.items]
            return pl.all_horizontal(items) if node.op == "and" else pl.any_horizontal(items)
        if isinstance(node, Not):
            return ~self.compile(node.operand)
        if isinstance(node, If):
            condition = self.let(self.compile(node.condition))
            then, otherwise = (
                self.let(self.compile(node.then)),
                self.let(self.compile(node.otherwise)),
            )
            same = pl.when(then == otherwise).then(then) if kind in ("bool", "code") else None
            out: Any = pl.when(condition).then(then).when(~condition).then(otherwise)
            result: pl.Expr = out.otherwise(same) if same is not None else out.otherwise(None)
            return result
        if isinstance(node, Member):
            return self.member(node)
        if isinstance(node, Call) and node.function == "known":
            if self.checker.type(node.args[0]) == "number":
                return self.known(self.span(node.args[0]))
            return self.compile(node.args[0]).is_not_null()
        raise TypeError(node)  # pragma: no cover

    def gap(self, node: Node) -> pl.Expr:
        """How far a condition is from holding where it fails (`shortfall` where it is false):
        read only on the rows where node is false, so it may assume so. Then every item of a
        false `or` is false (its gap, the least of theirs, needs no test of them), and a false
        `and` has a false item (its gap, the greatest of its false items', ≥ 0, is that of
        `shortfall`'s: the 0 of the true ones never the greatest)."""
        if (
            isinstance(node, Compare)
            and node.op not in ("==", "!=")
            and self.checker.type(node.left) == "number"
        ):
            a = self.display(node.left)
            if isinstance(node.left, Name) and self.points and node.left.name not in self.spans:
                info = self.numbers.get(node.left.name)
                if info is not None and info.shown is not None:
                    # the input as given (its `shown` adds 0.0, for −0.0: the same after abs)
                    a = pl.col(node.left.name).cast(pl.Float64)
            t_exact = self.constant(node.right)
            if t_exact is not None:
                t = float(t_exact)
                out = (a - t).abs() * (1.0 / (abs(t) or 1.0))
            else:
                right = self.display(node.right)
                out = (a - right).abs() / pl.when(right == 0).then(1.0).otherwise(right.abs())
            return out.fill_null(math.inf)
        if isinstance(node, Logic):
            if node.op == "or":
                return pl.min_horizontal([self.gap(item) for item in node.items])
            # the greatest of the false items' (one at least: ≥ 0), -1 standing for the others
            return pl.max_horizontal(
                pl.when(self.compile(item).not_()).then(self.gap(item)).otherwise(-1.0)
                for item in node.items
            )
        return pl.lit(math.inf)

    def member(self, node: Member) -> pl.Expr:
        if isinstance(node.within, Name):
            item = self.compile(node.item)
            found = self.column(node.within.name).list.contains(item)
            found = pl.when(item.is_null()).then(None).otherwise(found)
        elif self.checker.type(node.item) == "number":
            x = self.span(node.item)
            members = [Span.const(number_of(m)) for m in node.within if isinstance(m, Num)]
            decided = [self.decide("==", x, m) for m in members]
            found = pl.any_horizontal(decided)
        else:
            item = self.compile(node.item)
            values = [str(m.value) for m in node.within if isinstance(m, Text)]
            found = pl.when(item.is_null()).then(None).otherwise(item.is_in(values))
        return ~found if node.negate else found


def shortfall(node: Node, compiler: Compiler, holds: pl.Expr | None = None) -> pl.Expr:
    """How far a condition is from holding, as a share of its threshold: 0 when it holds; for a
    failed comparison a ≥ t, (t − a) / |t| (|t| = 0 counts as 1); `and` the largest of its parts,
    `or` the smallest; anything else that fails, infinity. Null where the condition is unknown.
    holds: the condition's value when it is already a column. (A float: near misses are a
    measure for people, not a decision.)"""
    holds = compiler.compile(node) if holds is None else holds
    return pl.when(holds.is_null()).then(None).when(holds).then(0.0).otherwise(compiler.gap(node))


def exact_frame(
    frame: pl.DataFrame, names: Sequence[str]
) -> tuple[pl.DataFrame, dict[str, Column]]:
    """frame with each number column in names also held as exact integers (column "q.<name>"),
    and how the compiler reads them; Inexact (with .column set) for a value that cannot be held.
    A float column whose every value has at most a few decimals (the usual case) is found so by
    a few array passes over its known values, columns side by side on threads; any other column
    value by value (`exact_series`)."""
    added: list[pl.Expr | pl.Series] = []
    numbers: dict[str, Column] = {}
    floats = [n for n in names if frame.schema[n].is_float()]
    with ThreadPoolExecutor(max_workers=min(len(floats), os.cpu_count() or 1) or 1) as pool:
        scales = dict(zip(floats, pool.map(lambda n: _fast_scale(frame[n]), floats), strict=True))
    for name in names:
        if scales.get(name) is not None:
            scale, least, greatest, whole = scales[name]  # type: ignore[misc]
            power = 10**scale
            low = None if least is None else ex.exact(least)
            high = None if greatest is None else ex.exact(greatest)
            size = 0 if low is None or high is None else int(max(abs(low), abs(high)) * power)
            if whole is not None:  # no value unknown: the integers already found
                added.append(pl.Series(f"q.{name}", whole))
            else:  # each value checked whole (scale 0) or near a whole number below 2^48
                # when scaled: rounded, then cast without the cast's range checks
                ints = pl.col(name).cast(pl.Float64)
                if scale:
                    ints = (ints * float(power)).round()
                added.append(ints.cast(pl.Int64, wrap_numerical=True).alias(f"q.{name}"))
            # k / 10^s == x was checked by the very division `shown` makes; + 0.0: −0.0 is
            # shown as 0.0, as k / 10^s gives it
            shown = pl.col(name).cast(pl.Float64) + 0.0
            numbers[name] = Column(pl.col(f"q.{name}"), scale, size, low, high, shown)
            continue
        try:
            series, scale, size, low, high = ex.exact_series(frame[name])
        except ex.Inexact as error:
            error.column = name  # type: ignore[attr-defined]
            raise
        added.append(series.alias(f"q.{name}"))
        numbers[name] = Column(pl.col(f"q.{name}"), scale, size, low, high)
    return frame.with_columns(added), numbers


def _fast_scale(
    column: pl.Series,
) -> tuple[int, float | None, float | None, np.ndarray | None] | None:
    """(s, least, greatest, ints) when every known value x of a float column is
    round(x·10^s) / 10^s exactly, for the least s < _FAST_SCALES, with |x·10^s| < 2^48 (then
    that decimal is unique and is x's shortest repr); ints: the integers round(x·10^s) when no
    value is unknown, else None. Otherwise None (a NaN is no decimal)."""
    x = column.cast(pl.Float64).drop_nulls().to_numpy()
    if not x.size:
        return 0, None, None, None
    least, greatest = float(x.min()), float(x.max())
    if math.isnan(least) or math.isnan(greatest):
        return None
    head = x[:_SAMPLE]
    for scale in range(_FAST_SCALES):
        power = 10.0**scale
        if max(-least, greatest) * power >= 2.0**48:
            continue
        if x.size > _SAMPLE:  # a scale the first values refute is refuted: no pass over all
            h = np.round(head * power)
            if not np.array_equal(h if scale == 0 else h / power, head):
                continue
        k = np.round(x * power)
        back = k if scale == 0 else k / power  # numpy divides (no reciprocal): exactly rounded
        if np.array_equal(back, x):
            whole = k.astype(np.int64) if x.size == len(column) else None
            return scale, least, greatest, whole
    return None


_FAST_SCALES = 4
_SAMPLE = 4096
