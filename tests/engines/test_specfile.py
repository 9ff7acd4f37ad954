"""Spec and policy YAML is read within limits: alias bombs, recursive anchors, deep nesting,
oversized files and over-nested expressions are refused with a Chinese message and a line, never
expanded into memory or left to exhaust the stack."""

from __future__ import annotations

import pytest

from wulian.core.errors import InvalidFile
from wulian.engines.rules import expr
from wulian.engines.specfile import MAX_BYTES, read_yaml


def _bomb(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _refused(text: str) -> str:
    with pytest.raises(InvalidFile) as refused:
        read_yaml(text, "方案.yaml")
    problem = refused.value.problems[0]
    return f"{problem.row}:{problem.reason}"


def test_an_alias_bomb_is_refused_before_it_expands():
    text = _bomb(7)  # under 500 bytes that would expand to 10^8 values
    assert len(text) < 500
    assert "展开后的内容太多" in _refused(text)


def test_anchors_that_merge_a_few_entries_still_work():
    data, lines = read_yaml("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "p.yaml")
    assert data["item"] == {"x": 1, "y": 3}
    assert lines[("item", "y")] == 4


@pytest.mark.parametrize(
    "text", ["a: &a [*a]\n", "a: &a\n  b: *a\n", "x: " + "[" * 300 + "]" * 300 + "\n"]
)
def test_recursive_anchors_and_deep_nesting_are_refused(text):
    assert "嵌套太深" in _refused(text)


def test_an_oversized_file_is_refused():
    assert "文件太大" in _refused("x: " + "a" * MAX_BYTES + "\n")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("(" * 90 + "1" + ")" * 90, "嵌套太深"),
        ("not " * 100 + "x", "嵌套太深"),
        ("-" * 100 + "1", "嵌套太深"),
        (" + ".join(["a"] * 500), "表达式太长"),
    ],
)
def test_over_nested_expressions_are_refused_with_their_position(source, message):
    with pytest.raises(expr.ExprError, match=message):
        expr.parse(source)


def test_nesting_within_the_limit_parses():
    node = expr.parse("(" * 20 + "1 + 2" + ")" * 20)
    assert expr.interpret(node, {}, {}) == 3
