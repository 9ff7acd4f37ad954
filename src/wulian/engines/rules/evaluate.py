"""Every unit against every policy at once: eligible, ineligible or unknown, the amount, the
inputs missing, the conditions failed and by how much, and on request a trace of every
comparison.

    result = evaluate(policies, frame, period=2024)
    result.frames["kexing"]      # one row per unit: status, amount, score, missing, failed, …
    result.long()                # one row per unit × policy, missing and failed as names
    result.explain("91330100…")  # one unit, every policy, in Chinese

Each policy is one lazy Polars query (derived values, point items, conditions, benefit), and all
of them run together (`pl.collect_all`). Missing inputs and failed conditions are 64-bit masks
(bit i = the policy's i-th input or condition), decoded to names only where they are shown.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import operator
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.rules import expr
from wulian.engines.rules.explain import (
    Check,
    ConditionLine,
    Explanation,
    explain_row,
    fmt,
    interpret_policy,
    names_of,
)
from wulian.engines.rules.expr.exact import FIT64, Int, Rat
from wulian.engines.rules.policy import Dated, Policy, closure, parameter_values

__all__ = [  # with the explanations (explain.py), which callers read through this module
    "DTYPES",
    "STATUS",
    "Check",
    "ConditionLine",
    "Evaluation",
    "Explanation",
    "Near",
    "check_data",
    "evaluate",
    "explain_row",
    "fmt",
    "interpret_policy",
    "names_of",
    "period_end",
    "required_columns",
]

STATUS = pl.Enum(["eligible", "ineligible", "unknown"])
DTYPES: dict[str, pl.DataType] = {
    "number": pl.Float64(),
    "bool": pl.Boolean(),
    "code": pl.String(),
    "tags": pl.List(pl.String()),
}


@dataclass(frozen=True)
class Near:
    """Near misses: ineligible units failing at most max_failed conditions, each by at most
    margin (a share of its threshold), form the cultivation pool."""

    max_failed: int = 2
    margin: float = 0.2


def period_end(period: int) -> dt.date:
    return dt.date(period, 12, 31)


def required_columns(policies: Sequence[Policy]) -> dict[str, str]:
    """Every input column the policies read, with its type; InvalidFile if two policies give
    one name two types."""
    types: dict[str, str] = {}
    problems: list[RowProblem] = []
    for policy in policies:
        for key, item in policy.inputs.items():
            if types.setdefault(key, item.type) != item.type:
                problems.append(
                    RowProblem(
                        policy.line_of("inputs", key),
                        f"inputs.{key}",
                        item.type,
                        f"与其他政策中同名输入的类型（{types[key]}）不一致",
                    )
                )
    if problems:
        raise InvalidFile(problems, "政策文件")
    return types


@dataclass(frozen=True)
class _Read:
    """A number output of another policy as this one reads it: exact columns of the evaluated
    data (o.<policy>.<key>.n/.d the known value, .lon/.lod/.hin/.hid the interval), the size
    bound of their integers, and the bounds of every value."""

    name: str
    size: int
    low: Fraction | None
    high: Fraction | None

    def span(self, points: bool) -> expr.Span:
        base = f"o.{self.name}"
        wide = self.size >= FIT64

        def ratio(num: str, den: str) -> Rat:
            cast = pl.Int128 if wide else pl.Int64
            return Rat(
                Int(pl.col(f"{base}.{num}").cast(cast), None, self.size, True),
                Int(pl.col(f"{base}.{den}").cast(cast), None, self.size, True),
            )

        if points:
            value = ratio("n", "d")
            return expr.Span(value, value, self.low, self.high)
        return expr.Span(ratio("lon", "lod"), ratio("hin", "hid"), self.low, self.high)


class _Recipe:
    """The columns a pass adds to the frame, batch by batch (`with_columns` as on a LazyFrame),
    to be applied to any frame with the inputs."""

    def __init__(self) -> None:
        self.batches: list[list[pl.Expr]] = []

    def with_columns(self, exprs: Sequence[pl.Expr]) -> _Recipe:
        self.batches.append(list(exprs))
        return self

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for batch in self.batches:
            frame = frame.with_columns(batch)
        return frame


@dataclass(frozen=True)
class _Plan:
    recipe: _Recipe
    columns: list[pl.Expr]
    bounds: dict[str, tuple[Fraction | None, Fraction | None, int]]


_PLANS_KEPT = 8  # plans kept per policy (other days, other data bounds, other sets)


@dataclass(frozen=True)
class _Shared:
    """A derived value or point item computed once for the first pass of every policy that has
    it: its exact ends (span, over the columns name.lon…), its value shown (column name) and
    its overflow checks (column check, or None)."""

    name: str
    span: expr.Span
    check: str | None


class _Unshared(Exception):
    """An expression the first pass of another policy cannot share (it reads another policy's
    outputs, a derived value that is not a number, or the total score)."""


def _canon(policy: Policy, constants: dict[str, float | bool | str], node: expr.Node) -> Any:
    """A numeric expression of a policy in a canonical form: two are equal only where the first
    pass computes the same columns from them, each name resolved to what it is (a constant's
    value, a table's contents, an input with its declaration, a derived value's own form)."""
    derived: dict[str, tuple[str, int]] = {
        v.key: ("values", i) for i, v in enumerate(policy.values)
    }
    derived |= {item.key: ("score", i) for i, item in enumerate(policy.score)}

    def walk(node: expr.Node) -> Any:
        if isinstance(node, expr.Num):
            return ("num", expr.number_of(node))
        if isinstance(node, expr.Name):
            name = node.name
            if name in constants:
                value = constants[name]
                if isinstance(value, bool | str):
                    return ("const", type(value).__name__, value)
                return ("const", expr.exact(value))
            if name in derived and policy.symbols[name].type == "number":
                return ("derived", walk(policy.tree(*derived[name])))
            if name in policy.inputs:
                return ("input", name, policy.symbols[name])
            if name in policy.tables:
                return ("table", policy.symbols[name])
            raise _Unshared(name)
        out: list[Any] = [type(node).__name__]
        for item in dataclasses.fields(node):
            if item.name in ("at", "written"):
                continue
            part: Any = getattr(node, item.name)
            if isinstance(part, expr.Node):
                part = walk(part)
            elif isinstance(part, tuple):
                part = tuple(walk(x) if isinstance(x, expr.Node) else x for x in part)
            out.append(part)
        return tuple(out)

    return walk(node)


def _numeric_items(policy: Policy) -> list[tuple[str, expr.Node]]:
    """Its numeric derived values and point items, in the order the first pass computes them."""
    out = [
        (v.key, policy.tree("values", i))
        for i, v in enumerate(policy.values)
        if policy.symbols[v.key].type == "number"
    ]
    return out + [(item.key, policy.tree("score", i)) for i, item in enumerate(policy.score)]


_SHARES_KEPT = 8
_shares: OrderedDict[Any, tuple[_Recipe, list[str], dict[Any, _Shared]]] = OrderedDict()
_shares_lock = threading.Lock()  # evaluations of several requests share the caches


def _share(items: Sequence[_Compiled], data: pl.DataFrame) -> pl.DataFrame | None:
    """The derived values and point items that two or more of items (the policies of a layer)
    compute alike, computed once on data for their first passes (each item's `shared` set to
    those it has); the frame of their columns, or None when none is."""
    forms: dict[str, list[tuple[str, expr.Node, Any]]] = {}
    owners: dict[Any, set[str]] = {}
    for item in items:
        forms[item.policy.id] = []
        for key, tree in _numeric_items(item.policy):
            try:
                form = _canon(item.policy, item.constants, tree)
            except _Unshared:
                form = None
            forms[item.policy.id].append((key, tree, form))
            if form is not None:
                owners.setdefault(form, set()).add(item.policy.id)
    common = {form for form, ids in owners.items() if len(ids) > 1}
    if not common:
        return None
    order = tuple(f for item in items for _, _, f in forms[item.policy.id] if f in common)
    numbers = tuple(
        sorted(
            {
                (k, c.scale, c.size, c.low, c.high, c.shown is not None)
                for item in items
                for k, c in item.numbers.items()
            }
        )
    )
    cache_key = (order, numbers, items[0].constants["period"])
    with _shares_lock:
        found = _shares.get(cache_key)
        if found is not None:
            _shares.move_to_end(cache_key)
    if found is None:
        recipe = _Recipe()
        names: list[str] = []
        built: dict[Any, _Shared] = {}
        count = 0
        for item in items:
            compiler = item.compiler(True)
            compiler.count = count  # let columns of all compilers apart
            for key, tree, form in forms[item.policy.id]:
                if form in built:
                    compiler.spans[key] = built[form].span
                    continue
                if form not in common:
                    continue  # (no shared item reads it: its form would be shared too)
                name = f"§{len(built)}"
                before = len(compiler.flags.checks)
                columns = compiler.materialize(name, compiler.span(tree))
                recipe = compiler.flush(recipe).with_columns(columns)
                span = compiler.spans[name]
                compiler.spans[key] = span
                checks = compiler.flags.checks[before:]
                added = [compiler.shown(span).alias(name)]
                check = None
                if checks:
                    check = f"{name}.overflow"
                    added.append(pl.any_horizontal(checks).alias(check))
                recipe = compiler.flush(recipe).with_columns(added)
                names += [c.meta.output_name() for c in columns] + [
                    e.meta.output_name() for e in added
                ]
                built[form] = _Shared(name, span, check)
            count = compiler.count
        found = (recipe, names, built)
        with _shares_lock:
            _shares[cache_key] = found
            while len(_shares) > _SHARES_KEPT:
                _shares.popitem(last=False)
    recipe, names, built = found
    for item in items:
        item.shared = {key: built[form] for key, _, form in forms[item.policy.id] if form in built}
    return recipe.apply(data.lazy()).select(names).collect()


def _span_columns(span: expr.Span) -> list[str]:
    """The columns a materialised span reads."""
    ends = [end for end in (span.lo, span.hi) if end is not None]
    return [
        name
        for end in ends
        for part in (end.num, end.den)
        if part.expr is not None
        for name in part.expr.meta.root_names()
    ]


def _write_back(frame: pl.DataFrame, values: pl.DataFrame, name: str, rows: pl.Series) -> pl.Series:
    """frame's column name with the rows given values' column (an exported integer of the
    second pass may be Int128 where the first pass's is Int64: both are widened then)."""
    column, new = frame.get_column(name), values.get_column(name)
    if column.dtype != new.dtype and pl.Int128 in (column.dtype, new.dtype):
        column, new = column.cast(pl.Int128), new.cast(pl.Int128)
    elif _same(column.gather(rows), new):
        return column  # the second pass left these rows as they were: no copy to write
    return column.clone().scatter(rows, new)


def _zeros_but(new: pl.Series, rows: pl.Series, height: int) -> pl.Series:
    """A column of height zeros but for the rows given new's values (none of them null)."""
    given = new.to_numpy()
    out = np.zeros(height, dtype=given.dtype)
    out[rows.to_numpy()] = given
    return pl.Series(new.name, out, dtype=new.dtype)


def _same(old: pl.Series, new: pl.Series) -> bool:
    """Whether two columns of one type hold the same values, nulls alike, floats bit for bit
    (−0.0 is not 0.0); a type not compared so (nested) is taken to differ."""
    dtype = old.dtype
    if dtype != new.dtype or not (
        dtype.is_numeric() or dtype in (pl.Boolean, pl.String) or isinstance(dtype, pl.Enum)
    ):
        return False
    if not old.equals(new, check_dtypes=True, null_equal=True):
        return False
    if dtype.is_float():
        a, b = old.fill_null(0).to_numpy(), new.fill_null(0).to_numpy()
        kind = f"i{a.dtype.itemsize}"
        return bool(np.array_equal(a.view(kind), b.view(kind)))
    return True


def _column(name: str) -> pl.Expr:
    """The column of a name: an output of another policy (policy_id.output) is read from
    o.<policy_id>.<output>."""
    return pl.col(f"o.{name}" if "." in name else name)


def _union(a: Fraction | None, b: Fraction | None, how: str) -> Fraction | None:
    if a is None or b is None:
        return None
    return min(a, b) if how == "min" else max(a, b)


class _Compiled:
    """One policy compiled for one period: its lazy query over the data."""

    def __init__(
        self,
        policy: Policy,
        period: int,
        day: dt.date,
        numbers: dict[str, expr.Column],
        exports: Sequence[str] = (),
        reads: Sequence[_Read] = (),
    ) -> None:
        self.policy = policy
        self.day = day
        self.params: dict[str, Dated] = parameter_values(policy, day)
        constants: dict[str, float | bool | str] = {"period": period}
        constants |= {key: dated.value for key, dated in self.params.items()}
        self.constants = constants
        self.numbers = {k: numbers[k] for k in policy.inputs if k in numbers}
        self.exports = list(exports)  # the outputs others read (or asked for), by key
        # derived values and point items the first pass reads from columns computed once for
        # every policy of the evaluation that has them (`_share`), by key
        self.shared: dict[str, _Shared] = {}
        self.reads = list(reads)
        # the bounds of every value of each exported number, and of the size of its integers,
        # over both passes
        self.bounds: dict[str, tuple[Fraction | None, Fraction | None]] = {}
        self.sizes: dict[str, int] = {}

    def compiler(self, points: bool) -> expr.Compiler:
        symbols = self.policy.symbols
        checker = expr.Checker("", symbols)
        compiler = expr.Compiler(symbols, _column, checker, self.constants, self.numbers, points)
        for read in self.reads:
            compiler.spans[read.name] = read.span(points)
        return compiler

    def read_columns(self) -> list[str]:
        """The columns of other policies' outputs this one reads."""
        out = []
        for name in sorted(self.policy.reads_of_others()):
            if any(r.name == name for r in self.reads):
                out += [f"o.{name}.{part}" for part in ("n", "d", "lon", "lod", "hin", "hid")]
            else:
                out.append(f"o.{name}")
        return out

    def merge(self, bounds: dict[str, tuple[Fraction | None, Fraction | None, int]]) -> None:
        """Take in the bounds of the exported numbers (values, size of integers) of a pass."""
        for key, (low, high, size) in bounds.items():
            before = self.bounds.get(key)
            self.bounds[key] = (
                (low, high)
                if before is None
                else (_union(before[0], low, "min"), _union(before[1], high, "max"))
            )
            self.sizes[key] = max(self.sizes.get(key, 1), size)

    def plan(self, points: bool, unit: str, near: Near, trace: bool) -> _Plan:
        """The pass's plan (its columns, batch by batch, and what it keeps), compiled once per
        everything it depends on (the policy, the day, the sizes and bounds of the inputs and of
        the outputs it reads, the outputs others read of it, …) and kept with the policy (the
        last few); the bounds of its exported numbers taken in, as compiling it would."""
        numbers = tuple(
            (k, c.scale, c.size, c.low, c.high, c.shown is not None)
            for k, c in sorted(self.numbers.items())
        )
        key = (
            id(self.policy),
            points,
            self.constants["period"],
            self.day,
            unit,
            near,
            trace,
            tuple(self.exports),
            tuple(self.reads),
            numbers,
            tuple((k, v.name, v.check) for k, v in self.shared.items()) if points else (),
        )
        plans = self.policy.plans
        with _shares_lock:  # a policy loaded once may be evaluated by several requests
            found: _Plan | None = plans.get(key)
            if found is not None:
                plans.move_to_end(key)
        if found is None:
            bounds: dict[str, tuple[Fraction | None, Fraction | None, int]] = {}
            recipe, columns = self.stage(
                self.compiler(points), _Recipe(), unit, near, trace, bounds
            )
            found = _Plan(recipe, columns, bounds)
            with _shares_lock:
                plans[key] = found
                while len(plans) > _PLANS_KEPT:
                    plans.popitem(last=False)
        self.merge(found.bounds)
        return found

    def export(
        self,
        compiler: expr.Compiler,
        key: str,
        amount: expr.Span | None,
        bounds: dict[str, tuple[Fraction | None, Fraction | None, int]],
    ) -> list[pl.Expr]:
        """The columns under o.<policy>.<key> by which another policy reads output key: a bool
        or code as it is, a number as its value shown and its exact ends."""
        policy = self.policy
        base = f"o.{policy.id}.{key}"
        symbol = policy.output_symbol(key)
        if symbol is None or symbol.type != "number":
            column: pl.Expr
            if key == "eligible":
                column = (
                    pl.when(pl.col("status") == "eligible")
                    .then(True)
                    .when(pl.col("status") == "ineligible")
                    .then(False)
                )
            elif any(c.key == key for c in policy.conditions):
                column = pl.col(f"c.{key}")
            else:
                column = pl.col(key)
            return [column.alias(base)]
        span = amount if key == "amount" and amount is not None else compiler.spans[key]
        span = compiler.share_span(span)
        ints = [x for end in (span.lo, span.hi) if end is not None for x in (end.num, end.den)]
        bounds[key] = (span.low, span.high, max([1, *(x.size for x in ints)]))
        known = compiler.known(span)

        def part(end: Rat | None, which: str) -> pl.Expr:
            """An end's numerator or denominator: Int64 while its size bound fits, else Int128
            (where the interval pass writes a wider column over the point pass's, both are
            widened then); readers cast to the width of the size over both passes."""
            if end is None:
                return pl.lit(None, pl.Int64)
            x = end.num if which == "n" else end.den
            return x.e().cast(pl.Int128 if x.wide else pl.Int64)

        lo, hi = span.lo, span.hi
        return [
            compiler.shown(span).alias(base),
            pl.when(known).then(part(lo, "n")).alias(f"{base}.n"),
            pl.when(known).then(part(lo, "d")).alias(f"{base}.d"),
            part(lo, "n").alias(f"{base}.lon"),
            part(lo, "d").alias(f"{base}.lod"),
            part(hi, "n").alias(f"{base}.hin"),
            part(hi, "d").alias(f"{base}.hid"),
        ]

    def query(self, data: pl.DataFrame, unit: str, near: Near, trace: bool) -> pl.LazyFrame:
        """Two passes: every row with its inputs as they are (unknown is null, deciding
        nothing; what this pass decides is decided, and it costs about what float arithmetic
        did); then only the rows it leaves unknown (or, for an output another policy reads,
        unknown), with every unknown input as the interval of its range, written over the first
        pass's results in place. Rows keep their order."""
        inputs = [unit, *self.policy.all_inputs, *(f"q.{k}" for k in self.numbers), expr.ONES]
        inputs += self.read_columns()
        inputs = list(dict.fromkeys(inputs))
        plan = self.plan(True, unit, near, trace)
        first, columns = plan.recipe.apply(data.lazy()), plan.columns
        keep = [c.meta.output_name() for c in columns]
        redone = [n for n in keep if n not in inputs]  # inputs read the same in both passes

        def again(frame: pl.DataFrame) -> pl.DataFrame:
            """The second pass over the rows the first leaves unknown (none: nothing to do)."""
            unknown = frame.get_column("status") == "unknown"
            if self.exports:  # an output another policy reads is decided only when known
                unknown = unknown | frame.get_column("__unsure")
            if not unknown.any():
                return frame
            rows = unknown.arg_true()
            # gathered eagerly, each column as a Series: a column the data holds as a broadcast
            # constant is then materialised (the in-memory engine may give a one-row column of
            # it for a frame of several); a query collected on the default engine instead costs
            # 5-10 times the gather itself
            redo = pl.DataFrame(data.select(inputs).gather(rows).get_columns()).lazy()
            again_plan = self.plan(False, unit, near, trace)
            second, again_columns = again_plan.recipe.apply(redo), again_plan.columns
            names = [c.meta.output_name() for c in again_columns]
            # a few rows through a large plan: the in-memory engine starts it at far less cost
            values = second.select(again_columns).collect(engine="in-memory")
            if names != keep:  # pragma: no cover - both passes keep the same columns
                raise RuntimeError(f"the passes of {self.policy.id} keep different columns")
            return frame.with_columns(
                _zeros_but(values.get_column(n), rows, frame.height)
                if n == "missing"  # 0 on every row of the first pass (it decodes no blanks)
                else _write_back(frame, values, n, rows)
                for n in redone
            )

        # the UDF returns the frame it is given, columns alike, types too but for an exported
        # integer the second pass widens to Int128 (nothing after it reads the schema)
        return first.select(columns).map_batches(again, validate_output_schema=False)

    def stage(
        self,
        compiler: expr.Compiler,
        data: _Recipe,
        unit: str,
        near: Near,
        trace: bool,
        bounds: dict[str, tuple[Fraction | None, Fraction | None, int]],
    ) -> tuple[_Recipe, list[pl.Expr]]:
        """The policy's query by one compiler, recorded onto data: the columns it adds batch by
        batch, and what to keep; the bounds of its exported numbers put in bounds."""
        policy = self.policy
        compile_ = compiler.compile

        def put(frame: _Recipe, *exprs: Any) -> _Recipe:
            built: list[pl.Expr] = []
            for item in exprs:
                built += [item] if isinstance(item, pl.Expr) else list(item)
            return compiler.flush(frame).with_columns(built)

        frame = data
        shared = self.shared if compiler.points else {}

        def take(key: str) -> _Shared | None:
            """The shared columns of a derived value or point item, read as its own."""
            got = shared.get(key)
            if got is not None:
                compiler.spans[key] = got.span
                if got.check is not None:
                    compiler.flags.checks.append(pl.col(got.check))
            return got

        for i, value in enumerate(policy.values):
            tree = policy.tree("values", i)
            got = take(value.key)
            if got is not None:
                frame = put(frame, pl.col(got.name).alias(value.key))
                compiler.floats.add(value.key)
            elif policy.symbols[value.key].type == "number":
                frame = put(frame, compiler.materialize(value.key, compiler.span(tree)))
                shown = compiler.shown(compiler.spans[value.key])
                frame = put(frame, shown.alias(value.key))
                compiler.floats.add(value.key)
            else:
                frame = put(frame, compile_(tree).alias(value.key))
        if policy.score:
            items = []
            for i, item in enumerate(policy.score):
                if take(item.key) is None:
                    items += compiler.materialize(item.key, compiler.span(policy.tree("score", i)))
            frame = put(frame, items)
            total = compiler.spans[policy.score[0].key]
            for item in policy.score[1:]:
                total = compiler.add(total, compiler.spans[item.key])
            frame = put(frame, compiler.materialize("score", total))
            frame = put(
                frame,
                [
                    (
                        pl.col(shared[key].name)
                        if key in shared
                        else compiler.shown(compiler.spans[key])
                    ).alias(key)
                    for key in [*(s.key for s in policy.score), "score"]
                ],
            )
            compiler.floats.update([*(s.key for s in policy.score), "score"])
        conditions = [f"c.{c.key}" for c in policy.conditions]
        frame = put(
            frame,
            [
                compile_(policy.tree("conditions", i)).alias(conditions[i])
                for i in range(len(policy.conditions))
            ],
        )
        # a file without conditions defines outputs only: every unit meets it
        eligible = compiler.let(  # read three times by the status: computed once
            pl.all_horizontal(pl.col(c) for c in conditions) if conditions else pl.lit(True)
        )
        amount: pl.Expr | None = None
        amount_span: expr.Span | None = None
        benefit = policy.benefit
        if benefit is not None:
            span = compiler.span(policy.tree("benefit"))
            if benefit.cap is not None:
                cap = (
                    self.params[benefit.cap].value if isinstance(benefit.cap, str) else benefit.cap
                )
                span = compiler.extreme([span, expr.Span.const(expr.exact(cap))], "min")
            if benefit.min is not None:
                floor = expr.Span.const(expr.exact(benefit.min))
                span = compiler.extreme([span, floor], "max")
            amount_span = compiler.share_span(compiler.rounded(span, benefit.digits))
            amount = compiler.shown(amount_span)
            frame = put(frame, amount.alias("a.raw"))
        amount_known = pl.col("a.raw").is_not_null() if amount is not None else pl.lit(True)
        # without conditions, what it is for is its values: unknown while one of them is
        outputs = [] if conditions else [*(v.key for v in policy.values), *policy.score_keys]
        if outputs:
            amount_known = amount_known & pl.all_horizontal(
                pl.col(k).is_not_null() for k in outputs
            )
        status = (  # of the enum's own values (text cast to it row by row costs far more)
            pl.when(eligible.is_null())
            .then(pl.lit("unknown", STATUS))
            .when(eligible & ~amount_known)
            .then(pl.lit("unknown", STATUS))
            .when(eligible)
            .then(pl.lit("eligible", STATUS))
            .otherwise(pl.lit("ineligible", STATUS))
        )
        frame = put(frame, status.alias("status"))
        unknown = pl.col("status") == "unknown"
        # missing: the unknown inputs that feed a condition (or the amount) that is unknown,
        # the inputs of the outputs it reads of other policies included
        inputs = list(policy.all_inputs)
        bit = {key: 1 << i for i, key in enumerate(inputs)}
        null_mask = pl.sum_horizontal(
            pl.when(pl.col(key).is_null())
            .then(pl.lit(bit[key], pl.UInt64))
            .otherwise(pl.lit(0, pl.UInt64))
            for key in inputs
        )
        feeding = []
        feeds = [
            (pl.col("a.raw") if key == "benefit" else pl.col(f"c.{key}"), deps)
            for key, deps in policy.depends.items()
        ] + [(pl.col(key), policy.reach[key]) for key in outputs]
        for column, deps in feeds:
            mask = sum(bit[d] for d in deps)
            if not mask:
                continue
            feeding.append(
                pl.when(column.is_null())
                .then(pl.lit(mask, pl.UInt64))
                .otherwise(pl.lit(0, pl.UInt64))
            )
        missing = (
            pl.when(unknown)
            .then(null_mask & functools.reduce(operator.or_, feeding))
            .otherwise(pl.lit(0, pl.UInt64))
            if feeding and not compiler.points  # the second pass redoes every unknown row
            else pl.lit(0, pl.UInt64)
        )
        failed_bits = [
            pl.when(pl.col(c) == False)  # noqa: E712 - null stays out of the mask
            .then(pl.lit(1 << bit, pl.UInt64))
            .otherwise(pl.lit(0, pl.UInt64))
            for bit, c in enumerate(conditions)
        ]
        shortfalls = [  # shown in a trace; else read only where the condition fails
            expr.shortfall(policy.tree("conditions", i), compiler, pl.col(f"c.{c.key}")).alias(
                f"s.{c.key}"
            )
            for i, c in enumerate(policy.conditions)
            if trace
        ]
        frame = put(
            frame,
            missing.cast(pl.UInt64).alias("missing"),
            (pl.sum_horizontal(failed_bits) if conditions else pl.lit(0))
            .cast(pl.UInt64)
            .alias("failed"),
            (
                pl.sum_horizontal(pl.col(c) == False for c in conditions)  # noqa: E712
                if conditions
                else pl.lit(0)
            )
            .cast(pl.Int32)
            .alias("n_failed"),
            *shortfalls,
        )
        # each failed condition's gap (≥ 0; -1 where it does not fail): an ineligible row
        # fails one at least, so the greatest is its worst
        gaps = [
            pl.when(pl.col(c).not_())
            .then(pl.col(f"s.{k.key}") if trace else compiler.gap(policy.tree("conditions", i)))
            .otherwise(-1.0)
            for i, (c, k) in enumerate(zip(conditions, policy.conditions, strict=True))
        ]
        worst = (
            pl.lit(None, pl.Float64)
            if not gaps
            else gaps[0]
            if len(gaps) == 1
            else pl.max_horizontal(gaps)
        )
        frame = put(
            frame,
            pl.when(pl.col("status") == "ineligible").then(worst).alias("worst"),
        )
        frame = put(
            frame,
            (
                (pl.col("status") == "ineligible")
                & (pl.col("n_failed") <= near.max_failed)
                & (pl.col("worst") <= near.margin)
            ).alias("near"),
            (
                pl.when(pl.col("status") == "eligible")
                .then(pl.col("a.raw"))
                .when(pl.col("status") == "ineligible")
                .then(0.0)
                if amount is not None
                else pl.lit(None, pl.Float64)
            ).alias("amount"),
        )
        exported: list[pl.Expr] = []
        if self.exports:
            paid = None
            if amount_span is not None:  # what it pays: the amount, 0 when not met
                status_now = pl.col("status")
                met = (
                    pl.when(status_now == "eligible")
                    .then(True)
                    .when(status_now == "ineligible")
                    .then(False)
                )
                paid = compiler.choose(met, amount_span, expr.Span.const(Fraction(0)))
            for key in self.exports:
                exported += self.export(compiler, key, paid, bounds)
            frame = put(frame, exported)
            unsure = [
                pl.col(e.meta.output_name()).is_null()
                for e in exported
                if e.meta.output_name().count(".") == 2  # the value shown, not its ends
            ]
            frame = put(frame, pl.any_horizontal(unsure).alias("__unsure"))
        checks = compiler.flags.checks
        overflow = pl.any_horizontal(checks).fill_null(False) if checks else pl.lit(False)
        frame = put(frame, overflow.alias("overflow"))
        core = [unit, "status", "amount", "missing", "failed", "n_failed", "worst", "near"]
        core.append("overflow")
        core += [e.meta.output_name() for e in exported]
        if self.exports:
            core.append("__unsure")
        if policy.score:
            core.insert(3, "score")
        if not trace:
            return compiler.flush(frame), [pl.col(c) for c in core]
        sides = []
        for i, condition in enumerate(policy.conditions):
            for k, comparison in enumerate(expr.comparisons(policy.tree("conditions", i))):
                sides += [
                    compile_(comparison.left).alias(f"t.{condition.key}.{k}.l"),
                    compile_(comparison.right).alias(f"t.{condition.key}.{k}.r"),
                    compile_(comparison).alias(f"t.{condition.key}.{k}.h"),
                ]
        keep = [
            *core,
            *policy.all_inputs,
            *(v.key for v in policy.values),
            *(s.key for s in policy.score),
            *conditions,
            *(f"s.{c.key}" for c in policy.conditions),
        ]
        frame = compiler.flush(frame).with_columns(sides)
        names = [*dict.fromkeys(keep), *(e.meta.output_name() for e in sides)]
        return frame, [pl.col(c) for c in names]


@dataclass
class Evaluation:
    policies: dict[str, Policy]
    frames: dict[str, pl.DataFrame]
    period: int
    day: dt.date
    unit: str
    parameters: dict[str, dict[str, Dated]]
    skipped: dict[str, str] = field(default_factory=dict)  # policy id → why not evaluated
    traced: bool = False
    # o.<policy>.<output>: the outputs other policies read, or asked for, per policy
    exported: dict[str, pl.DataFrame] = field(default_factory=dict)

    def outputs(self, names: Sequence[str]) -> pl.DataFrame:
        """One row per unit: its id, then each named output (policy_id.output) as a person
        reads it (a number where known, true/false, a code; empty where unknown)."""
        first = next(iter(self.frames.values()), None)
        ids = (
            pl.DataFrame({"id": []})
            if first is None
            else first.select(pl.col(self.unit).alias("id"))
        )
        columns = []
        for name in names:
            owner = name.split(".", 1)[0]
            if owner in self.exported:
                columns.append(self.exported[owner].get_column(f"o.{name}").alias(name))
            else:  # not in effect on the day: unknown for every unit
                columns.append(pl.Series(name, [None] * ids.height))
        return ids.with_columns(columns)

    def long(self) -> pl.DataFrame:
        """One row per unit × policy: status, amount, score, missing inputs and failed
        conditions (keys, joined by ;), and the reasons in Chinese."""
        parts = []
        for key, frame in self.frames.items():
            policy = self.policies[key]
            inputs = list(policy.all_inputs)
            conditions = [c.key for c in policy.conditions]
            parts.append(
                frame.select(
                    pl.col(self.unit).cast(pl.String).alias("id"),
                    pl.lit(key).alias("policy"),
                    pl.col("status").cast(pl.String),
                    "amount",
                    (
                        pl.col("score") if "score" in frame.columns else pl.lit(None, pl.Float64)
                    ).alias("score"),
                    _decode(pl.col("missing"), inputs).alias("missing"),
                    _decode(pl.col("failed"), conditions).alias("failed"),
                    "near",
                    _decode(
                        pl.col("missing"), [i.name for i in policy.all_inputs.values()], "、"
                    ).alias("missing_names"),
                    _decode(pl.col("failed"), [c.name for c in policy.conditions], "；").alias(
                        "failed_names"
                    ),
                )
            )
        schema = {
            "id": pl.String,
            "policy": pl.String,
            "status": pl.String,
            "amount": pl.Float64,
            "score": pl.Float64,
            "missing": pl.String,
            "failed": pl.String,
            "near": pl.Boolean,
            "missing_names": pl.String,
            "failed_names": pl.String,
        }
        return pl.concat(parts) if parts else pl.DataFrame(schema=schema)

    def explain(self, unit: Any) -> list[Explanation]:
        """One unit against every policy, with the trace (needs evaluate(..., trace=True))."""
        if not self.traced:
            raise ValueError("explain needs an evaluation with trace=True")
        out = []
        for key, frame in self.frames.items():
            rows = frame.filter(pl.col(self.unit).cast(pl.String) == str(unit))
            if rows.height:
                out.append(
                    explain_row(self.policies[key], rows.row(0, named=True), self.parameters[key])
                )
        return out


def _decode(mask: pl.Expr, names: Sequence[str], separator: str = ";") -> pl.Expr:
    parts = [pl.when((mask & (1 << bit)) != 0).then(pl.lit(name)) for bit, name in enumerate(names)]
    if not parts:
        return pl.lit("")
    return pl.concat_str(parts, separator=separator, ignore_nulls=True)


def check_data(policies: Sequence[Policy], data: pl.DataFrame, unit: str) -> pl.DataFrame:
    """data with each input column of its type; every absent column and every column of the
    wrong type refused at once."""
    types = required_columns(policies)
    problems = []
    if unit not in data.columns:
        problems.append(RowProblem(None, unit, None, "缺少单位编号列"))
    casts = []
    for key, kind in types.items():
        if key not in data.columns:
            needed = [p.id for p in policies if key in p.inputs]
            problems.append(
                RowProblem(None, key, None, f"缺少输入列（政策 {'、'.join(needed)} 需要）")
            )
            continue
        wanted = DTYPES[kind]
        have = data.schema[key]
        if have == wanted:
            continue
        if kind == "number" and (have.is_numeric() or isinstance(have, pl.Decimal)):
            continue  # read exactly: integers and decimals as they are, floats by shortest repr
        if have == pl.Null:
            casts.append(pl.col(key).cast(wanted))
        else:
            problems.append(RowProblem(None, key, str(have), f"类型应为{expr.TYPE_NAMES[kind]}"))
    if problems:
        raise InvalidFile(problems, "数据")
    return data.with_columns(casts) if casts else data


def _check_outputs(policies: Sequence[Policy], names: Sequence[str]) -> None:
    by_id = {p.id: p for p in policies}
    problems = []
    for name in names:
        owner, _, key = name.partition(".")
        policy = by_id.get(owner)
        if policy is None:
            problems.append(RowProblem(None, "outputs", name, f"没有政策“{owner}”"))
        elif key not in policy.outputs():
            readable = "、".join(policy.outputs())
            problems.append(
                RowProblem(None, "outputs", name, f"政策“{owner}”没有这项结果（可选：{readable}）")
            )
    if problems:
        raise InvalidFile(problems, "输出")


def _exports(active: Sequence[Policy], asked: Sequence[str]) -> dict[str, set[str]]:
    """For each policy, the outputs another policy reads or the caller asked for."""
    out: dict[str, set[str]] = {p.id: set() for p in active}
    for name in [*(n for p in active for n in p.reads_of_others()), *asked]:
        owner, key = name.split(".", 1)
        if owner in out:
            out[owner].add(key)
    return out


def _reads(policy: Policy, compiled: dict[str, _Compiled]) -> list[_Read]:
    """The number outputs of other policies that policy reads, with the bounds of their
    integers and of their values over the passes that ran."""
    reads = []
    for name in sorted(policy.reads_of_others()):
        owner, key = name.split(".", 1)
        symbol = policy.uses[owner].output_symbol(key)
        if symbol is None or symbol.type != "number":
            continue
        low, high = compiled[owner].bounds[key]
        reads.append(_Read(name, compiled[owner].sizes[key], low, high))
    return reads


def _layers(active: Sequence[Policy]) -> list[list[Policy]]:
    """active in layers: each policy one layer after the last of those it reads."""
    depth: dict[str, int] = {}
    for policy in active:  # closure() put each after those it reads
        depth[policy.id] = 1 + max((depth[u] for u in policy.uses), default=-1)
    layers: list[list[Policy]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for policy in active:
        layers[depth[policy.id]].append(policy)
    return layers


def evaluate(
    policies: Sequence[Policy],
    data: pl.DataFrame,
    *,
    period: int,
    day: dt.date | None = None,
    unit: str = "id",
    trace: bool = False,
    near: Near = Near(),
    outputs: Sequence[str] = (),
) -> Evaluation:
    """Every row of data (one unit each, unit = its id column) against every policy in effect on
    day (the end of the period unless given), and the policies they read, each evaluated once
    after those it reads. outputs: policy_id.output names to keep (Evaluation.outputs)."""
    day = day or period_end(period)
    ids = [p.id for p in policies]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise InvalidFile(
            [RowProblem(None, "id", d, "政策编号重复") for d in duplicated], "政策文件"
        )
    policies = closure(policies)
    _check_outputs(policies, outputs)
    data = check_data(policies, data, unit)
    skipped: dict[str, str] = {}
    active: list[Policy] = []
    for policy in policies:  # each after those it reads
        if not policy.in_effect(day):
            end = policy.effective.end or "长期"
            skipped[policy.id] = f"不在有效期内（{policy.effective.start} 至 {end}）"
        elif any(used in skipped for used in policy.uses):
            missing = "、".join(used for used in policy.uses if used in skipped)
            skipped[policy.id] = f"所引用的政策 {missing} 在 {day} 不在有效期内"
        else:
            active.append(policy)
    kinds = required_columns(active)
    try:
        data, numbers = expr.exact_frame(data, [k for k, kind in kinds.items() if kind == "number"])
    except expr.Inexact as error:
        column = getattr(error, "column", None)
        raise InvalidFile(
            [
                RowProblem(
                    None, column, str(error.value), "数值超出精确计算范围（小数位过多或数值过大）"
                )
            ],
            "数据",
        ) from None
    exports = _exports(active, outputs)
    one = data.select(expr.ones()).to_series()  # the column of ones, made once for all
    compiled: dict[str, _Compiled] = {}
    frames: dict[str, pl.DataFrame] = {}
    exported: dict[str, pl.DataFrame] = {}
    for layer in _layers(active):  # each after those it reads, a layer at a time: a reader's
        queries = []  # integers are sized by what its sources held (the interval pass of a
        items = []  # source is compiled while it runs, on the rows that need it)
        for policy in layer:
            item = _Compiled(
                policy, period, day, numbers, sorted(exports[policy.id]), _reads(policy, compiled)
            )
            compiled[policy.id] = item
            items.append(item)
        # what several policies of the layer compute alike (variants of one policy: the same
        # ratios and point tables), computed once for their first passes
        common = _share(items, data.with_columns(one))
        for policy, item in zip(layer, items, strict=True):
            names = [unit, *policy.all_inputs]
            names += [f"q.{k}" for k in policy.inputs if k in numbers]
            source = data.select(*(pl.col(c) for c in dict.fromkeys(names))).with_columns(one)
            theirs = item.read_columns()
            if theirs:
                owners = dict.fromkeys(c.split(".")[1] for c in theirs)
                source = source.hstack(
                    pl.concat([exported[o] for o in owners], how="horizontal").select(theirs)
                )
            if common is not None and item.shared:
                mine = dict.fromkeys(
                    c
                    for got in item.shared.values()
                    for c in [
                        got.name,
                        *_span_columns(got.span),
                        *([got.check] if got.check else []),
                    ]
                )
                source = source.hstack(common.select(list(mine)))
            queries.append(item.query(source, unit, near, trace))
        for policy, frame in zip(layer, pl.collect_all(queries), strict=True):
            key = policy.id
            own = [c for c in frame.columns if c.startswith(f"o.{key}.") or c == "__unsure"]
            exported[key] = frame.select(c for c in own if c != "__unsure")
            frames[key] = frame.drop(own)
    return Evaluation(
        policies={p.id: p for p in policies},
        frames={p.id: frames[p.id] for p in active},
        period=period,
        day=day,
        unit=unit,
        parameters={key: item.params for key, item in compiled.items()},
        exported=exported,
        skipped=skipped,
        traced=trace,
    )


# ---------------------------------------------------------------- explanations in Chinese
