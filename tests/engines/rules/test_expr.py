"""The expression language: what it refuses, and that the compiled Polars form agrees with the
plain interpreter on random expressions and data."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.engines.rules import expr

SYMBOLS = {
    "x": expr.Symbol("number"),
    "y": expr.Symbol("number"),
    "z": expr.Symbol("number"),
    "b": expr.Symbol("bool"),
    "c": expr.Symbol("code"),
    "tags": expr.Symbol("tags"),
    "points": expr.Symbol("table", bands=((0.3, 20.0), (0.1, 10.0), (-1.0, 5.0)), otherwise=0.0),
    "grades": expr.Symbol("codetable", codes=(("A", 1.0), ("B", 0.5)), otherwise=0.0),
}
SCHEMA = {
    "x": pl.Float64,
    "y": pl.Float64,
    "z": pl.Float64,
    "b": pl.Boolean,
    "c": pl.String,
    "tags": pl.List(pl.String),
}


def check(source: str) -> expr.Node:
    tree = expr.parse(source)
    expr.Checker(source, SYMBOLS).type(tree)
    return tree


def compiled(tree: expr.Node, frame: pl.DataFrame) -> list[Any]:
    frame, numbers = expr.exact_frame(frame, ["x", "y", "z"])
    compiler = expr.Compiler(SYMBOLS, pl.col, expr.Checker("", SYMBOLS), numbers=numbers)
    out = compiler.compile(tree).alias("out")
    lazy = compiler.flush(frame.lazy().with_columns(expr.ones()))
    return lazy.with_columns(out).collect()["out"].to_list()


def run(source: str, **row: Any) -> Any:
    tree = check(source)
    frame = pl.DataFrame([{k: row.get(k) for k in SCHEMA}], schema=SCHEMA)
    value = compiled(tree, frame)[0]
    assert value == expr.interpret(tree, row, SYMBOLS) or (value is None and math.isnan(0))
    return value


# ---------------------------------------------------------------- refused, with line and column


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("x >= ", 6, "应为数字、名称"),
        ("x = 1", 3, "=="),
        ("open('f')", 1, "没有函数“open”"),
        ("x.real", 1, "引用另一政策的结果"),
        ("x.real.imag", 7, "只用于引用另一政策的结果"),
        ("__import__('os')", 1, "没有函数"),
        ("x < y < z", 7, "不能连写"),
        ("(x + 1", 7, ")"),
        ("c in []", 6, "列表是空的"),
        ("if b then x", 12, "else"),
        ("x >= 'A'", 3, "不能比较数值和代码"),
        ("c > 'A'", 3, "只能用 == 或 != 比较"),
        ("x and b", 1, "“and”两边应为是非"),
        ("w > 1", 1, "未声明的名称“w”"),
        ("band(grades, x)", 6, "band 的第一个参数应为分档表"),
        ("points > 1", 1, "是表"),
        ("round(x, y)", 10, "整数常量"),
        ("min(x)", 1, "至少需要两个参数"),
        ("if b then x else c", 1, "then 与 else 的类型不同"),
        ("'gaoxin' in c", 13, "不是标签输入"),
        ("x in [1, 'A']", 10, "列表成员应为数值"),
        ("'unclosed", 1, "引号没有闭合"),
        ("x ≥ 1", 3, "不认识的字符"),
    ],
)
def test_malformed_expressions_are_refused_with_their_column(
    source: str, column: int, fragment: str
) -> None:
    with pytest.raises(expr.ExprError) as caught:
        check(source)
    assert caught.value.column == column
    assert fragment in caught.value.message


def test_the_line_counts_within_a_multiline_expression() -> None:
    with pytest.raises(expr.ExprError) as caught:
        check("x >= 1 and\n  y >= 'A'")
    assert (caught.value.line, caught.value.column) == (2, 5)


# ---------------------------------------------------------------- unknown, thresholds


def test_unknown_propagates_except_where_logic_decides() -> None:
    assert run("x + 1 > 0") is None
    assert run("x > 0 and b", b=False) is False
    assert run("x > 0 or b", b=True) is True
    assert run("x > 0 or b", b=False) is None
    assert run("min(x, y)", x=1.0) is None  # never the known one quietly
    assert run("if b then 1 else 2") is None
    assert run("known(x)") is False
    assert run("x / y", x=1.0, y=0.0) is None  # division by zero is unknown, not infinite
    assert run("0 * (x / y)", x=1.0, y=0.0) is None  # and stays so, even times zero


def test_a_value_exactly_on_a_threshold_is_on_it() -> None:
    assert run("x / y >= 4%", x=740_000.0, y=18_500_000.0) is True
    assert run("x + y >= 0.8", x=0.7, y=0.1) is True  # 0.7 + 0.1 = 0.7999999999999999
    assert run("x + y < 0.8", x=0.7, y=0.1) is False
    assert run("x + y == 0.8", x=0.7, y=0.1) is True
    assert run("x >= 0.8", x=0.7999) is False  # a real shortfall stays one
    assert run("band(points, x)", x=0.1) == 10.0
    assert run("band(points, x)", x=0.0999) == 5.0
    assert run("round(x, 2)", x=2.675) == 2.68  # 2.675 is stored as 2.67499999…
    assert run("round(x, 0)", x=-2.5) == -3.0


def test_codes_tags_and_lists() -> None:
    assert run("c in ['A', 'B']", c="B") is True
    assert run("c not in ['A', 'B']", c="C") is True
    assert run("c in ['A', 'B']") is None
    assert run("'gaoxin' in tags", tags=["kexing", "gaoxin"]) is True
    assert run("'gaoxin' in tags", tags=[]) is False
    assert run("lookup(grades, c)", c="B") == 0.5
    assert run("lookup(grades, c)", c="D") == 0.0
    assert run("x in [1, 2.5]", x=2.5) is True


def test_render_reads_back_to_the_same_tree() -> None:
    source = "if x / y >= 3% and not (c in ['A']) then min(x - (y - z), 10) else -x * 2"
    tree = check(source)
    assert expr.parse(expr.render(tree)) == tree
    chinese = expr.render(tree, {"x": "研发费用", "y": "营业收入"}.get, symbols=True)  # type: ignore[arg-type]
    assert "研发费用 ÷ 营业收入 ≥ 3%" in chinese


# ---------------------------------------------------------------- compiled = interpreted

numbers = st.sampled_from([0.0, 1.0, -1.0, 0.1, 0.2, 0.3, 0.7, 2.5, 3.0, 0.04, 1e-9, 100.0, -7.25])
codes = st.sampled_from(["A", "B", "C"])


def _num(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.sampled_from(["x", "y", "z"]), numbers.map(repr), st.just("3%"))
    if depth == 0:
        return leaf
    inner = _num(depth - 1)
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
        st.tuples(inner, st.integers(0, 3)).map(lambda t: f"round({t[0]}, {t[1]})"),
        inner.map(lambda a: f"band(points, {a})"),
        _code(0).map(lambda a: f"lookup(grades, {a})"),
        st.tuples(_bool(depth - 1), inner, inner).map(
            lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"
        ),
    )


def _code(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(st.just("c"), codes.map(lambda c: f"'{c}'"))
    if depth == 0:
        return leaf
    return st.one_of(
        leaf,
        st.tuples(_bool(depth - 1), _code(depth - 1), _code(depth - 1)).map(
            lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"
        ),
    )


def _bool(depth: int) -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.sampled_from(["b", "true", "false", "known(x)", "'A' in tags"]),
        st.tuples(
            st.sampled_from(["x", "y"]),
            st.sampled_from(["<", "<=", ">", ">=", "==", "!="]),
            numbers,
        ).map(lambda t: f"{t[0]} {t[1]} {t[2]!r}"),
        st.tuples(st.just("c"), st.sampled_from(["==", "!="]), codes).map(
            lambda t: f"{t[0]} {t[1]} '{t[2]}'"
        ),
        st.lists(codes, min_size=1, max_size=3).map(
            lambda cs: f"c in [{', '.join(repr(c) for c in cs)}]"
        ),
    )
    if depth == 0:
        return leaf
    inner = _bool(depth - 1)
    return st.one_of(
        leaf,
        st.tuples(
            _num(depth - 1), st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), _num(depth - 1)
        ).map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        inner.map(lambda a: f"not ({a})"),
        _num(depth - 1).map(lambda a: f"{a} not in [0.1, 1.0]"),
    )


rows = st.fixed_dictionaries(
    {
        "x": st.none() | numbers,
        "y": st.none() | numbers,
        "z": st.none() | numbers,
        "b": st.none() | st.booleans(),
        "c": st.none() | codes,
        "tags": st.lists(codes, max_size=2),
    }
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.one_of(_num(3), _bool(3), _code(2)),
    data=st.lists(rows, min_size=1, max_size=12),
)
def test_the_compiled_expression_agrees_with_the_interpreter(
    source: str, data: list[dict[str, Any]]
) -> None:
    tree = check(source)
    assert expr.parse(expr.render(tree)) == tree
    frame = pl.DataFrame(data, schema=SCHEMA)
    got = compiled(tree, frame)
    wanted = [expr.interpret(tree, row, SYMBOLS) for row in data]
    for g, w in zip(got, wanted, strict=True):
        if isinstance(w, float) and isinstance(g, float) and math.isnan(w):
            assert math.isnan(g)
        else:
            assert g == w, (source, got, wanted)
