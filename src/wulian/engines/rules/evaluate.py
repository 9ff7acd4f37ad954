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

import datetime as dt
import functools
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.rules import expr
from wulian.engines.rules.policy import STATUS_NAMES, Dated, Policy, parameter_values

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


class _Compiled:
    """One policy compiled for one period: its lazy query over the data."""

    def __init__(
        self, policy: Policy, period: int, day: dt.date, numbers: dict[str, expr.Column]
    ) -> None:
        self.policy = policy
        self.params: dict[str, Dated] = parameter_values(policy, day)
        constants: dict[str, float | bool | str] = {"period": period}
        constants |= {key: dated.value for key, dated in self.params.items()}
        self.constants = constants
        self.numbers = {k: numbers[k] for k in policy.inputs if k in numbers}

    def compiler(self, points: bool) -> expr.Compiler:
        symbols = self.policy.symbols
        checker = expr.Checker("", symbols)
        return expr.Compiler(symbols, pl.col, checker, self.constants, self.numbers, points)

    def query(self, data: pl.LazyFrame, unit: str, near: Near, trace: bool) -> pl.LazyFrame:
        """Two passes: every row with its inputs as they are (unknown is null, deciding
        nothing; what this pass decides is decided, and it costs about what float arithmetic
        did); then the rows it leaves unknown again, with every unknown input as the interval
        of its range. Rows keep their order."""
        inputs = [unit, *self.policy.inputs, *(f"q.{k}" for k in self.numbers), expr.ONES]
        inputs = list(dict.fromkeys(inputs))
        indexed = data.with_row_index("__i")
        first, columns = self.stage(self.compiler(True), indexed, unit, near, trace)
        again = pl.col("status") == "unknown"  # what the first pass decides is decided
        keep = [c.meta.output_name() for c in columns]
        carried = [c for c in inputs if c not in keep]
        first = (  # only what is shown and what the second pass reads
            first.select("__i", again.alias("__again"), *columns, *carried).cache()
        )
        redo = first.filter(pl.col("__again")).select("__i", *inputs)
        second, again_columns = self.stage(self.compiler(False), redo, unit, near, trace)
        names = [c.meta.output_name() for c in columns]
        redone = second.select(
            "__i", *(c.alias(f"{n}__2") for c, n in zip(again_columns, names, strict=True))
        )
        joined = first.select("__i", "__again", *keep).join(
            redone, on="__i", how="left", maintain_order="left"
        )
        return joined.select(
            pl.when(pl.col("__again")).then(pl.col(f"{n}__2")).otherwise(pl.col(n)).alias(n)
            if n != unit
            else pl.col(n)
            for n in names
        )

    def stage(
        self, compiler: expr.Compiler, data: pl.LazyFrame, unit: str, near: Near, trace: bool
    ) -> tuple[pl.LazyFrame, list[pl.Expr]]:
        """The policy's query over data by one compiler: the full frame and what to keep."""
        policy = self.policy
        compile_ = compiler.compile

        def put(frame: pl.LazyFrame, *exprs: Any) -> pl.LazyFrame:
            built: list[pl.Expr] = []
            for item in exprs:
                built += [item] if isinstance(item, pl.Expr) else list(item)
            return compiler.flush(frame).with_columns(built)

        frame = data
        for i, value in enumerate(policy.values):
            tree = policy.tree("values", i)
            if policy.symbols[value.key].type == "number":
                frame = put(frame, compiler.materialize(value.key, compiler.span(tree)))
                shown = compiler.shown(compiler.spans[value.key])
                frame = put(frame, shown.alias(value.key))
            else:
                frame = put(frame, compile_(tree).alias(value.key))
        if policy.score:
            items = []
            for i, item in enumerate(policy.score):
                items += compiler.materialize(item.key, compiler.span(policy.tree("score", i)))
            frame = put(frame, items)
            total = compiler.spans[policy.score[0].key]
            for item in policy.score[1:]:
                total = compiler.add(total, compiler.spans[item.key])
            frame = put(frame, compiler.materialize("score", total))
            frame = put(
                frame,
                [
                    compiler.shown(compiler.spans[key]).alias(key)
                    for key in [*(s.key for s in policy.score), "score"]
                ],
            )
        conditions = [f"c.{c.key}" for c in policy.conditions]
        frame = put(
            frame,
            [
                compile_(policy.tree("conditions", i)).alias(conditions[i])
                for i in range(len(policy.conditions))
            ],
        )
        eligible = pl.all_horizontal(pl.col(c) for c in conditions)
        amount: pl.Expr | None = None
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
            amount = compiler.shown(compiler.rounded(span, benefit.digits))
            frame = put(frame, amount.alias("a.raw"))
        amount_known = pl.col("a.raw").is_not_null() if amount is not None else pl.lit(True)
        status = (
            pl.when(eligible.is_null())
            .then(pl.lit("unknown"))
            .when(eligible & ~amount_known)
            .then(pl.lit("unknown"))
            .when(eligible)
            .then(pl.lit("eligible"))
            .otherwise(pl.lit("ineligible"))
            .cast(STATUS)
        )
        frame = put(frame, status.alias("status"))
        unknown = pl.col("status") == "unknown"
        # missing: the unknown inputs that feed a condition (or the amount) that is unknown
        inputs = list(policy.inputs)
        bit = {key: 1 << i for i, key in enumerate(inputs)}
        null_mask = pl.sum_horizontal(
            pl.when(pl.col(key).is_null())
            .then(pl.lit(bit[key], pl.UInt64))
            .otherwise(pl.lit(0, pl.UInt64))
            for key in inputs
        )
        feeding = []
        for key, deps in policy.depends.items():
            mask = sum(bit[d] for d in deps)
            if not mask:
                continue
            column = pl.col("a.raw") if key == "benefit" else pl.col(f"c.{key}")
            feeding.append(
                pl.when(column.is_null())
                .then(pl.lit(mask, pl.UInt64))
                .otherwise(pl.lit(0, pl.UInt64))
            )
        missing = (
            pl.when(unknown)
            .then(null_mask & functools.reduce(operator.or_, feeding))
            .otherwise(pl.lit(0, pl.UInt64))
            if feeding
            else pl.lit(0, pl.UInt64)
        )
        failed_bits = [
            pl.when(pl.col(c) == False)  # noqa: E712 - null stays out of the mask
            .then(pl.lit(1 << bit, pl.UInt64))
            .otherwise(pl.lit(0, pl.UInt64))
            for bit, c in enumerate(conditions)
        ]
        shortfalls = [
            expr.shortfall(policy.tree("conditions", i), compiler, pl.col(f"c.{c.key}")).alias(
                f"s.{c.key}"
            )
            for i, c in enumerate(policy.conditions)
        ]
        frame = put(
            frame,
            missing.cast(pl.UInt64).alias("missing"),
            pl.sum_horizontal(failed_bits).cast(pl.UInt64).alias("failed"),
            pl.sum_horizontal(pl.col(c) == False for c in conditions)  # noqa: E712
            .cast(pl.Int32)
            .alias("n_failed"),
            *shortfalls,
        )
        worst = pl.max_horizontal(
            pl.when(pl.col(c) == False).then(pl.col(f"s.{k.key}"))  # noqa: E712
            for c, k in zip(conditions, policy.conditions, strict=True)
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
        checks = compiler.flags.checks
        overflow = pl.any_horizontal(checks).fill_null(False) if checks else pl.lit(False)
        frame = put(frame, overflow.alias("overflow"))
        core = [unit, "status", "amount", "missing", "failed", "n_failed", "worst", "near"]
        core.append("overflow")
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
            *policy.inputs,
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

    def long(self) -> pl.DataFrame:
        """One row per unit × policy: status, amount, score, missing inputs and failed
        conditions (keys, joined by ;), and the reasons in Chinese."""
        parts = []
        for key, frame in self.frames.items():
            policy = self.policies[key]
            inputs = list(policy.inputs)
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
                        pl.col("missing"), [i.name for i in policy.inputs.values()], "、"
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


def names_of(mask: int, names: Sequence[str]) -> list[str]:
    return [name for bit, name in enumerate(names) if mask >> bit & 1]


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


def evaluate(
    policies: Sequence[Policy],
    data: pl.DataFrame,
    *,
    period: int,
    day: dt.date | None = None,
    unit: str = "id",
    trace: bool = False,
    near: Near = Near(),
) -> Evaluation:
    """Every row of data (one unit each, unit = its id column) against every policy in effect on
    day (the end of the period unless given)."""
    day = day or period_end(period)
    ids = [p.id for p in policies]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        raise InvalidFile(
            [RowProblem(None, "id", d, "政策编号重复") for d in duplicated], "政策文件"
        )
    data = check_data(policies, data, unit)
    active = [p for p in policies if p.in_effect(day)]
    skipped = {
        p.id: f"不在有效期内（{p.effective.start} 至 {p.effective.end or '长期'}）"
        for p in policies
        if not p.in_effect(day)
    }
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
    compiled = [_Compiled(p, period, day, numbers) for p in active]
    lazy = data.lazy()
    queries = []
    for item in compiled:
        names = [unit, *item.policy.inputs]
        names += [f"q.{k}" for k in item.policy.inputs if k in numbers]
        columns = [pl.col(c) for c in dict.fromkeys(names)]
        queries.append(item.query(lazy.select(*columns, expr.ones()), unit, near, trace))
    frames = pl.collect_all(queries) if queries else []
    return Evaluation(
        policies={p.id: p for p in policies},
        frames={item.policy.id: frame for item, frame in zip(compiled, frames, strict=True)},
        period=period,
        day=day,
        unit=unit,
        parameters={item.policy.id: item.params for item in compiled},
        skipped=skipped,
        traced=trace,
    )


# ---------------------------------------------------------------- explanations in Chinese


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
            detail = "；".join(
                f"{c.left} {c.left_value} {c.op} {c.right_value}" for c in line.checks
            )
            out.append(f"  {mark} {line.name}" + (f"（{detail}）" if detail else ""))
        if self.missing:
            out.append("  缺少数据：" + "、".join(name for _, name in self.missing))
        if self.overflow:
            out.append("  数值超出精确计算范围，相关结论按未知处理")
        out += [f"  参数 {name} = {value}（{ref}）" for name, value, ref in self.parameters]
        return out


_OPS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


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
    policy: Policy, row: dict[str, Any], params: dict[str, Dated], period: int
) -> tuple[str, float | None]:
    """(status, amount) of one unit, row by row in plain Python with exact fractions through
    `expr.evaluate_node`: the reference the compiled evaluation is checked and timed against."""
    env: dict[str, Any] = dict(row)
    env["period"] = period
    env |= {key: d.value for key, d in params.items()}
    constants = frozenset(["period", *params])
    symbols = policy.symbols

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
    if any(h is False for h in holds):
        return "ineligible", 0.0 if policy.benefit is not None else None
    if any(h is None for h in holds):
        return "unknown", None
    if policy.benefit is None:
        return "eligible", None
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
        return "unknown", None
    return "eligible", lo.numerator / lo.denominator
