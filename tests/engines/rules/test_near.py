"""Near misses, row by row: how far each failed condition is from holding (worst, near and the
trace's shortfalls) is read only where the condition fails, and computed so (a false `or`'s items
all fail, a false `and`'s true items are left out, nested ones alike); it must be what the
definition gives for every row — checked against a plain-Python reference on random firms with
blanks (rows decided by the first pass and rows redone on intervals)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.engines.rules import expr
from wulian.engines.rules.evaluate import Near, evaluate, interpret_policy
from wulian.engines.rules.policy import Policy, load, parameter_values

GAPS = """\
id: gaps
title: 差距
issuer: 示例
document: 无
category: 奖补
effective: {from: 2020-01-01}
inputs:
  x: {name: 研发费用, unit: 万元}
  y: {name: 销售收入, unit: 万元}
  z: {name: 成本费用, unit: 万元}
  flag: {name: 直接认定, type: bool}
values:
  - {key: ratio, name: 研发费用占比, percent: true, expr: x / y}
conditions:
  - {key: size, name: 研发费用10万元以上, expr: x >= 10}
  - {key: intensity, name: 研发费用占比3%以上, expr: ratio >= 3%}
  - {key: cost, name: 成本不高于收入或直接认定, expr: z <= y or flag}
  - {key: both, name: 合计50万元以上且有收入, expr: x + z >= 50 and y > 0}
  - {key: cover, name: 成本不低于研发费用, expr: z - x >= 0}
  - key: nested
    name: 嵌套的且与或
    expr: (x >= 20 and (z <= 40 or y >= 100)) or (ratio >= 5% and not flag) or x <= z / 4
"""

POLICY = load(GAPS, "gaps.yaml")


def reference(
    policy: Policy, row: dict[str, Any], holds: list[bool | None], near: Near
) -> dict[str, Any]:
    """worst, near and each condition's shortfall of one row by the definition (`expr.shortfall`:
    0 where it holds, none where unknown; a failed comparison a ≥ t by |a − t| / |t|, |t| = 0
    counting as 1; `and` the largest of its parts, `or` the smallest; anything else infinity),
    with exact fractions for every value and the status of `interpret_policy`. holds: whether
    each condition holds as the evaluation decided it (a row the first pass decides keeps a
    condition it leaves unknown unknown, where its range might decide it)."""
    symbols = policy.symbols
    env: dict[str, Any] = dict(row)
    for i, value in enumerate(policy.values):
        env[value.key] = expr.evaluate_node(policy.tree("values", i), env, symbols)
    checker = expr.Checker("", symbols)

    def shown(node: expr.Node) -> float | None:
        point = expr.evaluate_node(node, env, symbols).point
        return None if point is None else point.numerator / point.denominator

    def gap(node: expr.Node) -> float | None:
        if (
            isinstance(node, expr.Compare)
            and node.op not in ("==", "!=")
            and checker.type(node.left) == "number"
        ):
            a = shown(node.left)
            if isinstance(node.right, expr.Num):
                t = float(expr.number_of(node.right))
                return math.inf if a is None else abs(a - t) * (1.0 / (abs(t) or 1.0))
            r = shown(node.right)
            if a is None or r is None:
                return math.inf
            return abs(a - r) / (abs(r) if r != 0 else 1.0)
        if isinstance(node, expr.Logic):
            parts = [p for p in (shortfall(item) for item in node.items) if p is not None]
            if not parts:
                return None
            return max(parts) if node.op == "and" else min(parts)
        return math.inf

    def shortfall(node: expr.Node, held: bool | None = None, given: bool = False) -> float | None:
        held = held if given else expr.evaluate_node(node, env, symbols)
        return None if held is None else 0.0 if held else gap(node)

    trees = [policy.tree("conditions", i) for i in range(len(policy.conditions))]
    shortfalls = [shortfall(t, h, given=True) for t, h in zip(trees, holds, strict=True)]
    params = parameter_values(policy, dt.date(2024, 12, 31))
    status, _ = interpret_policy(policy, row, params, 2024)
    failed = [s for h, s in zip(holds, shortfalls, strict=True) if h is False]
    known = [s for s in failed if s is not None]
    worst = max(known) if status == "ineligible" and known else None
    out = {
        "status": status,
        "n_failed": len(failed),
        "worst": worst,
        "near": status == "ineligible"
        and len(failed) <= near.max_failed
        and worst is not None
        and worst <= near.margin,
    }
    out |= {f"s.{c.key}": s for c, s in zip(policy.conditions, shortfalls, strict=True)}
    return out


numbers = st.one_of(st.none(), st.integers(0, 120), st.sampled_from([0.5, 2.5, 10.0, 33.3]))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(numbers, numbers, numbers, st.one_of(st.none(), st.booleans())),
        min_size=1,
        max_size=12,
    ),
    max_failed=st.integers(0, 3),
    margin=st.sampled_from([0.05, 0.2, 0.6, 2.0]),
)
def test_worst_near_and_shortfalls_agree_with_the_definition_row_by_row(
    rows: list, max_failed: int, margin: float
) -> None:
    frame = pl.DataFrame(
        {
            "id": [str(i) for i in range(len(rows))],
            "x": [r[0] for r in rows],
            "y": [r[1] for r in rows],
            "z": [r[2] for r in rows],
            "flag": [r[3] for r in rows],
        },
        schema={
            "id": pl.String,
            "x": pl.Float64,
            "y": pl.Float64,
            "z": pl.Float64,
            "flag": pl.Boolean,
        },
    )
    near = Near(max_failed=max_failed, margin=margin)
    plain = evaluate([POLICY], frame, period=2024, near=near).frames["gaps"]
    traced = evaluate([POLICY], frame, period=2024, near=near, trace=True).frames["gaps"]
    conditions = [f"c.{c.key}" for c in POLICY.conditions]
    holds = traced.select(conditions).rows()
    wanted = [
        reference(POLICY, row, list(held), near)
        for row, held in zip(frame.iter_rows(named=True), holds, strict=True)
    ]
    columns = ["status", "n_failed", "worst", "near"]
    got = plain.select(pl.col("status").cast(pl.String), *columns[1:]).to_dicts()
    assert got == [{k: w[k] for k in columns} for w in wanted]
    shortfalls = [f"s.{c.key}" for c in POLICY.conditions]
    assert traced.select(columns[1:] + shortfalls).to_dicts() == [
        {k: v for k, v in w.items() if k != "status"} for w in wanted
    ]


def test_a_near_miss_on_a_row_between_rows_that_hold_or_are_unknown() -> None:
    """Rows that fail, hold and stay unknown interleaved: each failing row gets its own gap."""
    frame = pl.DataFrame(
        {
            "id": ["met", "near", "blank", "far", "cost"],
            "x": [20.0, 9.0, None, 1.0, 30.0],
            "y": [100.0, 100.0, 100.0, 100.0, 100.0],
            "z": [60.0, 60.0, 60.0, 60.0, 120.0],
            "flag": [False, False, False, False, False],
        }
    )
    result = evaluate([POLICY], frame, period=2024, near=Near(max_failed=1, margin=0.2))
    out = result.frames["gaps"]
    assert out["status"].cast(pl.String).to_list() == [
        "eligible",
        "ineligible",
        "unknown",
        "ineligible",
        "ineligible",
    ]
    # 9 of 10 万元: 10% short; 1 of 10: 90% short (and 1% of 3%: 67% short); cost 120 of 100: 20%
    assert out["worst"].to_list() == [
        None,
        abs(9.0 - 10.0) * (1.0 / 10.0),
        None,
        abs(1.0 - 10.0) * (1.0 / 10.0),
        abs(120.0 - 100.0) / 100.0,
    ]
    assert out["near"].to_list() == [False, True, False, False, True]
    assert out["n_failed"].to_list() == [0, 1, 0, 2, 1]
