"""Exact numbers and intervals: thresholds decided exactly against Python's fractions, and an
unknown input leaving a result unknown only where some value in its range would change it."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction
from importlib import resources
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.engines.rules import cases, expr
from wulian.engines.rules.evaluate import evaluate
from wulian.engines.rules.policy import load

SHIPPED = Path(str(resources.files("wulian.policy").joinpath("policies")))

POLICY = """\
id: exact
title: 精确比较
issuer: 示范区科技局
document: 示范区科〔2024〕9号
category: 奖补
effective: {from: 2023-01-01}
inputs:
  rd: {name: 研发费用, unit: 元}
  revenue: {name: 营业收入, unit: 元}
conditions:
  - {key: intensity, name: 研发费用占比不低于3%, expr: rd / revenue >= 3%}
  - {key: small, name: 营业收入不超过2亿元, expr: revenue <= 200000000 or rd >= 0}
benefit: {expr: "rd * 0.5", min: 0, unit: 元}
"""


def outcome(text: str, **columns: list[Any]) -> list[dict[str, Any]]:
    policy = load(text, "exact.yaml")
    n = len(next(iter(columns.values())))
    frame = pl.DataFrame({"id": [str(i) for i in range(n)], **columns})
    return evaluate([policy], frame, period=2024, trace=True).frames[policy.id].to_dicts()


# ---------------------------------------------------------------- exact thresholds


def test_large_amounts_just_below_a_ratio_threshold_fail_it() -> None:
    rows = outcome(
        POLICY,
        rd=[3e10 - 1, 3e10, 740_000.0],
        revenue=[1e12, 1e12, 18_500_000.0],
    )
    assert [r["c.intensity"] for r in rows] == [False, True, True]
    assert [r["status"] for r in rows] == ["ineligible", "eligible", "eligible"]


def test_one_jiao_over_a_ceiling_fails_it() -> None:
    text = POLICY.replace("revenue <= 200000000 or rd >= 0", "revenue <= 200000000")
    rows = outcome(text, rd=[1e7, 1e7], revenue=[200_000_000.1, 200_000_000.0])
    assert [r["c.small"] for r in rows] == [False, True]


def test_decimal_columns_are_read_exactly() -> None:
    text = POLICY.replace("revenue <= 200000000 or rd >= 0", "revenue <= 200000000")
    frame = pl.DataFrame(
        {
            "id": ["a", "b"],
            "rd": [Decimal("10000000.00"), Decimal("10000000.00")],
            "revenue": [Decimal("200000000.01"), Decimal("200000000.00")],
        }
    )
    policy = load(text, "exact.yaml")
    out = evaluate([policy], frame, period=2024, trace=True).frames["exact"]
    assert out["c.small"].to_list() == [False, True]


def test_amounts_round_half_away_from_zero_exactly() -> None:
    text = POLICY.replace('"rd * 0.5"', '"rd * 1"').replace("min: 0, unit: 元}", "min: 0}")
    rows = outcome(text, rd=[2.675, 1.005, 0.125], revenue=[1.0, 1.0, 1.0])
    assert [r["amount"] for r in rows] == [2.68, 1.01, 0.13]


def test_an_overflow_is_unknown_with_its_reason() -> None:
    text = POLICY.replace("rd / revenue >= 3%", "rd * rd * rd * revenue * revenue >= 3%")
    policy = load(text, "exact.yaml")
    frame = pl.DataFrame({"id": ["big", "small"], "rd": [1e15, 2.0], "revenue": [1e15, 2.0]})
    result = evaluate([policy], frame, period=2024, trace=True)
    out = result.frames["exact"]
    assert out["status"].to_list() == ["unknown", "eligible"]
    assert out["overflow"].to_list() == [True, False]
    assert "数值超出精确计算范围" in "\n".join(result.explain("big")[0].lines())


decimals = st.decimals(
    min_value=Decimal("-1000000000"),
    max_value=Decimal("1000000000"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
thresholds = st.decimals(
    min_value=Decimal("-100"), max_value=Decimal("100"), places=3, allow_nan=False
)
nudges = st.sampled_from([Decimal(0), Decimal("0.01"), Decimal("-0.01"), Decimal("0.001")])

SYMBOLS = {"a": expr.Symbol("number"), "b": expr.Symbol("number")}


def compiled_rows(source: str, rows: list[dict[str, Any]], symbols: dict[str, Any]) -> list[Any]:
    tree = expr.parse(source)
    expr.Checker(source, symbols).type(tree)
    frame = pl.DataFrame(rows, schema={k: pl.Float64 for k in symbols if k in rows[0]})
    frame, numbers = expr.exact_frame(frame, list(frame.columns))
    compiler = expr.Compiler(symbols, pl.col, expr.Checker("", symbols), numbers=numbers)
    out = compiler.compile(tree).alias("out")
    lazy = compiler.flush(frame.lazy().with_columns(expr.ones()))
    return lazy.with_columns(out).collect()["out"].to_list()


def truth(op: str, left: Fraction, right: Fraction) -> bool:
    return {
        ">=": left >= right,
        ">": left > right,
        "<=": left <= right,
        "<": left < right,
        "==": left == right,
        "!=": left != right,
    }[op]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    b=decimals.filter(lambda d: d != 0),
    t=thresholds,
    nudge=nudges,
    op=st.sampled_from([">=", ">", "<=", "<", "==", "!="]),
    form=st.sampled_from(["ratio", "sum", "product"]),
)
def test_comparisons_agree_with_fractions_at_and_around_thresholds(
    b: Decimal, t: Decimal, nudge: Decimal, op: str, form: str
) -> None:
    """a is put on the threshold (or a cent, a tenth of a cent off it), so most cases are
    exactly on it, where a tolerance or binary rounding would decide wrongly."""
    if form == "ratio":  # a / b ≥ t, with a = t·b rounded to cents, then nudged
        a = (t * b).quantize(Decimal("0.01")) + nudge
        source, exact_left = f"a / b {op} {t}", Fraction(a) / Fraction(b)
    elif form == "sum":
        a = t - b + nudge
        source, exact_left = f"a + b {op} {t}", Fraction(a) + Fraction(b)
    else:
        a = (t / b).quantize(Decimal("0.0001")) + nudge if b else nudge
        source, exact_left = f"a * b {op} {t}", Fraction(a) * Fraction(b)
    row = {"a": float(a), "b": float(b)}
    [got] = compiled_rows(source, [row], SYMBOLS)
    assert got == truth(op, exact_left, Fraction(t)), (source, row)
    tree = expr.parse(source)
    assert expr.interpret(tree, row, SYMBOLS) == got


def test_the_classic_decimal_cases() -> None:
    rows = [{"a": 0.7, "b": 0.1}, {"a": 740_000.0, "b": 18_500_000.0}]
    assert compiled_rows("a + b == 0.8", rows[:1], SYMBOLS) == [True]
    assert compiled_rows("a / b == 4%", rows[1:], SYMBOLS) == [True]
    assert compiled_rows("round(a * 3.825, 2) == 2.68", [{"a": 0.7, "b": 1.0}], SYMBOLS) == [
        True  # 2.6775 → 2.68
    ]


# ---------------------------------------------------------------- decided from bounds


def test_a_blank_that_cannot_change_the_outcome_leaves_it_decided() -> None:
    """20 tech-staff points and 40 R&D points by revenue: 60 points whatever the total cost."""
    policy = load((SHIPPED / "kexing.yaml").read_text("utf-8"), "kexing.yaml")
    base = dict(policy.tests[0].input) | {"tech_staff": 30, "staff_total": 100}
    rows = [
        base | {"rd_expense": 92.5, "revenue": 1850, "total_cost": None},  # 5%: 40 points
        base | {"rd_expense": 55.5, "revenue": 1850, "total_cost": None},  # 3%: 20 points
    ]
    data = pl.concat([cases.frame_of(policy, r) for r in rows])
    out = evaluate([policy], data, period=2024).long()
    assert out["status"].to_list() == ["eligible", "unknown"]
    assert out["missing"].to_list() == ["", "total_cost"]


def test_the_interval_pass_over_rows_alike_in_a_point_table() -> None:
    """Every redone row in the same band of a point table (the band a constant over the rows it
    redoes): each row decided as alone, whichever the row count."""
    policy = load((SHIPPED / "kexing.yaml").read_text("utf-8"), "kexing.yaml")
    base = dict(policy.tests[0].input) | {"tech_staff": 30, "staff_total": 100}
    for count in (2, 3, 40):
        rows = [base | {"rd_expense": 92.5, "revenue": 1850, "total_cost": None}] * count
        data = pl.concat([cases.frame_of(policy, r) for r in rows])
        out = evaluate([policy], data, period=2024).long()
        assert out["status"].to_list() == ["eligible"] * count


def test_a_ceiling_met_by_the_cap_makes_the_amount_known() -> None:
    text = POLICY.replace("rd / revenue >= 3%", "revenue > 0").replace(
        '{expr: "rd * 0.5", min: 0, unit: 元}', '{expr: "rd * 0.5 + revenue", cap: 100, min: 0}'
    )
    rows = outcome(text, rd=[None, None], revenue=[500.0, 50.0])
    assert [r["status"] for r in rows] == ["eligible", "unknown"]
    assert rows[0]["amount"] == 100.0


def test_declared_ranges_and_their_defaults() -> None:
    text = POLICY.replace(
        "  revenue: {name: 营业收入, unit: 元}",
        "  revenue: {name: 营业收入, unit: 元}\n  margin: {name: 利润率, range: {min: -1, max: 1}}",
    ).replace("revenue <= 200000000 or rd >= 0", "margin <= 1 and margin >= -1")
    policy = load(text, "exact.yaml")
    assert policy.inputs["margin"].bounds == (Fraction(-1), Fraction(1))
    assert policy.inputs["rd"].bounds == (Fraction(0), None)  # an amount in 元
    frame = pl.DataFrame(
        {"id": ["1"], "rd": [30.0], "revenue": [100.0], "margin": [None]},
        schema={"id": pl.String, "rd": pl.Float64, "revenue": pl.Float64, "margin": pl.Float64},
    )
    out = evaluate([policy], frame, period=2024, trace=True).frames["exact"]
    assert out["c.small"].to_list() == [True]  # holds for every margin in its range
    with pytest.raises(Exception, match="min 大于 max"):
        load(text.replace("min: -1, max: 1", "min: 1, max: -1"), "exact.yaml")


# A brute force over the ranges: x in [0, 10], y in [-5, 5], z in [0, ∞) (checked up to a
# large value). The functions of the language are monotone piecewise in each input, so a grid
# with the range ends, every constant of the language below, points either side of them and
# of zero finds any value that would flip a decided result.

RANGED = {
    "x": expr.Symbol("number", low=Fraction(0), high=Fraction(10)),
    "y": expr.Symbol("number", low=Fraction(-5), high=Fraction(5)),
    "z": expr.Symbol("number", low=Fraction(0)),
    "b": expr.Symbol("bool"),
    "c": expr.Symbol("code"),
    "points": expr.Symbol("table", bands=((3.0, 20.0), (1.0, 10.0), (-1.0, 5.0)), otherwise=0.0),
    "grades": expr.Symbol("codetable", codes=(("A", 1.0), ("B", 0.5)), otherwise=-2.0),
}
CONSTANTS = ["0", "1", "2", "0.5", "3", "-1", "4"]
GRID = {
    "x": [0, 0.5, 0.999, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 9.999, 10],
    "y": [-5, -4, -3, -2, -1.5, -1, -0.5, -0.001, 0, 0.001, 0.5, 1, 2, 3, 4, 5],
    "z": [0, 0.001, 0.5, 1, 2, 3, 4, 1e6],
    "b": [True, False],
    "c": ["A", "B", "C"],
}


def _number(depth: int) -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["x", "y", "z", *CONSTANTS])
    if depth == 0:
        return leaf
    inner = _number(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda a: f"-{a}"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        inner.map(lambda a: f"abs({a})"),
        inner.map(lambda a: f"round({a}, 0)"),
        inner.map(lambda a: f"band(points, {a})"),
        st.just("lookup(grades, c)"),
        st.tuples(_condition(depth - 1), inner, inner).map(
            lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"
        ),
    )


def _condition(depth: int) -> st.SearchStrategy[str]:
    comparison = st.tuples(
        _number(depth), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _number(0)
    ).map(lambda t: f"{t[0]} {t[1]} {t[2]}")
    if depth == 0:
        return st.one_of(comparison, st.sampled_from(["b", "c == 'A'"]))
    inner = _condition(depth - 1)
    return st.one_of(
        comparison,
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda a: f"not ({a})"),
    )


ranged_rows = st.fixed_dictionaries(
    {
        "x": st.none() | st.sampled_from(GRID["x"]),
        "y": st.none() | st.sampled_from(GRID["y"]),
        "z": st.none() | st.sampled_from(GRID["z"]),
        "b": st.none() | st.booleans(),
        "c": st.none() | st.sampled_from(GRID["c"]),
    }
)


def ranged_compiled(tree: expr.Node, rows: list[dict[str, Any]]) -> list[Any]:
    schema = {"x": pl.Float64, "y": pl.Float64, "z": pl.Float64, "b": pl.Boolean, "c": pl.String}
    frame = pl.DataFrame(rows, schema=schema)
    frame, numbers = expr.exact_frame(frame, ["x", "y", "z"])
    compiler = expr.Compiler(RANGED, pl.col, expr.Checker("", RANGED), numbers=numbers)
    out = compiler.compile(tree).alias("out")
    lazy = compiler.flush(frame.lazy().with_columns(expr.ones()))
    return lazy.with_columns(out).collect()["out"].to_list()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_condition(2), rows=st.lists(ranged_rows, min_size=1, max_size=6))
def test_a_decided_condition_holds_for_every_value_of_its_blanks(
    source: str, rows: list[dict[str, Any]]
) -> None:
    tree = expr.parse(source)
    expr.Checker(source, RANGED).type(tree)
    got = ranged_compiled(tree, rows)
    for row, decided in zip(rows, got, strict=True):
        assert decided == expr.interpret(tree, row, RANGED), (source, row)
        if decided is None:
            continue
        blanks = [k for k, v in row.items() if v is None]
        for values in itertools.product(*(GRID[k] for k in blanks)):
            filled = row | dict(zip(blanks, values, strict=True))
            assert expr.interpret(tree, filled, RANGED) == decided, (source, row, filled)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=_number(2), rows=st.lists(ranged_rows, min_size=1, max_size=6))
def test_every_value_of_the_blanks_lies_in_the_interval(
    source: str, rows: list[dict[str, Any]]
) -> None:
    tree = expr.parse(source)
    expr.Checker(source, RANGED).type(tree)
    for row in rows:
        span = expr.evaluate_node(tree, row, RANGED)
        blanks = [k for k, v in row.items() if v is None]
        for values in itertools.product(*(GRID[k] for k in blanks)):
            filled = row | dict(zip(blanks, values, strict=True))
            point = expr.evaluate_node(tree, filled, RANGED).point
            if point is None:
                continue  # division by zero: unknown at that point
            assert span.lo is None or span.lo <= point, (source, row, filled)
            assert span.hi is None or point <= span.hi, (source, row, filled)


def test_cells_of_a_data_file_are_read_as_written(tmp_path: Path) -> None:
    from wulian.engines.rules import files

    text = POLICY.replace("revenue <= 200000000 or rd >= 0", "revenue <= 1000000000000")
    (tmp_path / "exact.yaml").write_text(text, "utf-8")
    policies = files.read_policies(tmp_path)
    data = tmp_path / "data.csv"
    data.write_text(
        'id,rd,revenue\n1,"30,000,000,000.00","1,000,000,000,000.01"\n'
        '2,3%,"1,000,000,000,000.00"\n3,,100\n',
        "utf-8",
    )
    frame = files.read_data(data, policies)
    assert frame["rd"].to_list() == [Decimal("30000000000.00"), Decimal("0.03"), None]
    out = evaluate(policies, frame, period=2024, trace=True).frames["exact"]
    assert out["c.small"].to_list() == [False, True, True]
