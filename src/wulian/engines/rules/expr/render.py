"""Expressions written back for people: operators as ≥ ≤ ≠ × ÷ and names as their labels."""

from __future__ import annotations

from collections.abc import Callable

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
    walk,
)


def comparisons(node: Node) -> list[Compare]:
    """The comparisons inside a condition, in reading order: what a trace shows."""
    return [n for n in walk(node) if isinstance(n, Compare)]


OPERATORS = {">=": "≥", "<=": "≤", "!=": "≠", "==": "=", "*": "×", "/": "÷"}

_PRECEDENCE = {"or": 1, "and": 2, "+": 5, "-": 5, "*": 6, "/": 6}


def render(node: Node, label: Callable[[str], str] = str, *, symbols: bool = False) -> str:
    """node as text, names through label: the readable form of a rule. With symbols, operators
    as ≥ ≤ ≠ × ÷ and the words in Chinese."""

    def op(text: str) -> str:
        return OPERATORS.get(text, text) if symbols else text

    def word(text: str) -> str:
        chinese = {"and": "且", "or": "或", "not": "非", "if": "如果", "then": "则", "else": "否则",
                   "in": "属于", "not in": "不属于", "true": "是", "false": "否"}  # fmt: skip
        return chinese[text] if symbols else text

    def level(node: Node) -> int:
        if isinstance(node, If):
            return 0
        if isinstance(node, Logic):
            return _PRECEDENCE[node.op]
        if isinstance(node, Not):
            return 3
        if isinstance(node, Compare | Member):
            return 4
        if isinstance(node, Arith):
            return _PRECEDENCE[node.op]
        if isinstance(node, Neg):
            return 7
        return 8

    def inner(node: Node, least: int) -> str:
        text = out(node)
        return f"({text})" if level(node) < least else text

    def out(node: Node) -> str:
        if isinstance(node, Num):
            return node.written or repr(node.value)
        if isinstance(node, Text):
            return f"'{node.value}'"
        if isinstance(node, Bool):
            return word("true" if node.value else "false")
        if isinstance(node, Name):
            return label(node.name)
        if isinstance(node, Neg):
            return "-" + inner(node.operand, 8)
        if isinstance(node, Arith):
            right = _PRECEDENCE[node.op] + 1  # left-associative: a - (b - c) keeps its brackets
            return (
                f"{inner(node.left, _PRECEDENCE[node.op])} {op(node.op)} {inner(node.right, right)}"
            )
        if isinstance(node, Compare):
            return f"{inner(node.left, 5)} {op(node.op)} {inner(node.right, 5)}"
        if isinstance(node, Logic):
            joiner = f" {word(node.op)} "
            return joiner.join(inner(item, _PRECEDENCE[node.op] + 1) for item in node.items)
        if isinstance(node, Not):
            return f"{word('not')} {inner(node.operand, 3)}"
        if isinstance(node, If):
            return (
                f"{word('if')} {out(node.condition)} {word('then')} {inner(node.then, 1)} "
                f"{word('else')} {out(node.otherwise)}"
            )
        if isinstance(node, Member):
            within = (
                label(node.within.name)
                if isinstance(node.within, Name)
                else "[" + ", ".join(out(m) for m in node.within) + "]"
            )
            return f"{inner(node.item, 5)} {word('not in' if node.negate else 'in')} {within}"
        if isinstance(node, Call):
            return f"{node.function}({', '.join(out(a) for a in node.args)})"
        raise TypeError(node)  # pragma: no cover

    return out(node)
