"""The syntax of the expression language: tokens, the syntax tree and the parser (within limits
of length and nesting), with 1-based line and column in every error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Type = Literal["number", "bool", "code", "tags", "table", "codetable"]

TYPE_NAMES = {
    "number": "数值",
    "bool": "是非",
    "code": "代码",
    "tags": "标签集",
    "table": "分档表",
    "codetable": "代码表",
}

FUNCTIONS = ("min", "max", "abs", "round", "band", "lookup", "known")

KEYWORDS = {"and", "or", "not", "if", "then", "else", "in", "true", "false"}

COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}


class ExprError(ValueError):
    """A malformed or ill-typed expression; line and column are 1-based within the expression."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(f"第 {line} 行第 {column} 列：{message}")
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class Node:
    at: int = field(compare=False, repr=False)  # offset in the source


@dataclass(frozen=True)
class Num(Node):
    value: float
    written: str = field(default="", compare=False)  # as the file wrote it ("3%")


@dataclass(frozen=True)
class Text(Node):
    value: str


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Name(Node):
    name: str


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Arith(Node):
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str  # < <= > >= == !=
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic(Node):
    op: str  # and, or
    items: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class If(Node):
    condition: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Member(Node):
    item: Node
    within: tuple[Node, ...] | Name  # a list of literals, or a tags input
    negate: bool


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?)
  | (?P<text>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
  | (?P<op><=|>=|==|!=|[-+*/()<>\[\],])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number, text, name, keyword, op, end
    text: str
    at: int


def _position(source: str, at: int) -> tuple[int, int]:
    line = source.count("\n", 0, at) + 1
    column = at - (source.rfind("\n", 0, at) + 1) + 1
    return line, column


def error_at(source: str, at: int, message: str) -> ExprError:
    return ExprError(message, *_position(source, at))


def tokens(source: str) -> list[Token]:
    out: list[Token] = []
    at = 0
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            char = source[at]
            if char == "=":
                raise error_at(source, at, "比较相等请写 ==")
            if char == ".":
                raise error_at(source, at, "“.”只用于引用另一政策的结果，如 kexing.score")
            if char in "'\"":
                raise error_at(source, at, "引号没有闭合")
            raise error_at(source, at, f"不认识的字符“{char}”")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "name" and text in KEYWORDS:
            kind = "keyword"
        if kind != "space":
            out.append(Token(kind, text, at))
        at = match.end()
    out.append(Token("end", "", len(source)))
    return out


def _number(text: str) -> float:
    """The nearest 64-bit float to the decimal written (3% is exactly the float nearest 0.03)."""
    if text.endswith("%"):
        return float(Decimal(text[:-1]) / 100)
    return float(Decimal(text))


MAX_TOKENS = 400  # the longest shipped expression has a few dozen

MAX_NESTING = 30


class _Parser:
    """Recursive descent, lowest precedence first: if, or, and, not, comparison/in, + -, * /,
    unary minus, atoms."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokens(source)
        if len(self.tokens) > MAX_TOKENS + 1:
            raise error_at(
                source, self.tokens[MAX_TOKENS].at, f"表达式太长（最多 {MAX_TOKENS} 个词）"
            )
        self.i = 0
        self.depth = 0

    def nested(self) -> None:
        """Count one more level of nesting (brackets, if, not, minus): deep nesting is refused
        with its position instead of exhausting the interpreter's stack."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.fail(f"表达式嵌套太深（最多 {MAX_NESTING} 层）")

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def accept(self, text: str) -> Token | None:
        if self.token.kind in ("op", "keyword") and self.token.text == text:
            return self.take()
        return None

    def expect(self, text: str, what: str) -> Token:
        token = self.accept(text)
        if token is None:
            raise self.fail(f"这里应为 {what}")
        return token

    def fail(self, message: str, token: Token | None = None) -> ExprError:
        token = token or self.token
        found = "表达式结尾" if token.kind == "end" else f"“{token.text}”"
        return error_at(self.source, token.at, f"{message}，实际是{found}")

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise error_at(self.source, 0, "表达式是空的")
        node = self.expression()
        if self.token.kind != "end":
            raise self.fail("表达式在此之前已经完整")
        return node

    def expression(self) -> Node:
        self.nested()
        try:
            return self._expression()
        finally:
            self.depth -= 1

    def _expression(self) -> Node:
        start = self.token
        if self.accept("if"):
            condition = self.expression()
            self.expect("then", "then")
            then = self.expression()
            self.expect("else", "else（if 必须有 else）")
            otherwise = self.expression()
            return If(start.at, condition, then, otherwise)
        return self.disjunction()

    def _chain(self, op: str, inner: Callable[[], Node]) -> Node:
        start = self.token
        items = [inner()]
        while self.accept(op):
            items.append(inner())
        return items[0] if len(items) == 1 else Logic(start.at, op, tuple(items))

    def disjunction(self) -> Node:
        return self._chain("or", self.conjunction)

    def conjunction(self) -> Node:
        return self._chain("and", self.negation)

    def negation(self) -> Node:
        start = self.token
        if self.accept("not"):
            self.nested()
            node = Not(start.at, self.negation())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum()
        token = self.token
        if token.kind == "op" and token.text in COMPARISONS:
            self.take()
            right = self.sum()
            if self.token.kind == "op" and self.token.text in COMPARISONS:
                raise self.fail("比较不能连写，请用 and 连接")
            return Compare(token.at, token.text, left, right)
        if token.kind == "keyword" and token.text in ("in", "not"):
            self.take()
            negate = token.text == "not"
            if negate:
                self.expect("in", "in（not in）")
            return Member(token.at, left, self.members(), negate)
        return left

    def members(self) -> tuple[Node, ...] | Name:
        token = self.token
        if token.kind == "name":
            self.take()
            return Name(token.at, token.text)
        self.expect("[", "[ 开始的列表或标签输入")
        items: list[Node] = []
        while not self.accept("]"):
            if items:
                self.expect(",", ", 或 ]")
            item = self.token
            if item.kind == "number":
                number = self.take().text
                items.append(Num(item.at, _number(number), number))
            elif item.kind == "text":
                items.append(Text(item.at, self.take().text[1:-1]))
            elif (
                item.kind == "op" and item.text == "-" and self.tokens[self.i + 1].kind == "number"
            ):
                self.take()
                number = self.take().text
                items.append(Num(item.at, -_number(number), "-" + number))
            else:
                raise self.fail("列表中只能写数字或带引号的代码")
        if not items:
            raise error_at(self.source, token.at, "列表是空的")
        return tuple(items)

    def sum(self) -> Node:
        node = self.product()
        while self.token.kind == "op" and self.token.text in "+-":
            token = self.take()
            node = Arith(token.at, token.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.token.kind == "op" and self.token.text in "*/":
            token = self.take()
            node = Arith(token.at, token.text, node, self.unary())
        return node

    def unary(self) -> Node:
        start = self.token
        if self.accept("-"):
            self.nested()
            node = Neg(start.at, self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Num(token.at, _number(token.text), token.text)
        if token.kind == "text":
            return Text(token.at, token.text[1:-1])
        if token.kind == "keyword" and token.text in ("true", "false"):
            return Bool(token.at, token.text == "true")
        if token.kind == "op" and token.text == "(":
            node = self.expression()
            self.expect(")", ")")
            return node
        if token.kind == "name":
            if self.accept("("):
                if token.text not in FUNCTIONS:
                    raise error_at(
                        self.source,
                        token.at,
                        f"没有函数“{token.text}”；可用：{'、'.join(FUNCTIONS)}",
                    )
                args: list[Node] = []
                while not self.accept(")"):
                    if args:
                        self.expect(",", ", 或 )")
                    args.append(self.expression())
                return Call(token.at, token.text, tuple(args))
            return Name(token.at, token.text)
        if token.kind == "op" and token.text == ".":
            raise error_at(self.source, token.at, "不支持属性访问")
        self.i -= 1
        raise self.fail("这里应为数字、名称、函数或括号")


def parse(source: str) -> Node:
    """The syntax tree of source; ExprError with line and column when it is malformed."""
    return _Parser(source).parse()


def names(node: Node) -> Iterator[str]:
    """Every name an expression refers to, tables included."""
    for child in walk(node):
        if isinstance(child, Name):
            yield child.name
        if isinstance(child, Member) and isinstance(child.within, Name):
            yield child.within.name


def walk(node: Node) -> Iterator[Node]:
    yield node
    for child in children(node):
        yield from walk(child)


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Neg | Not):
        return (node.operand,)
    if isinstance(node, Arith | Compare):
        return (node.left, node.right)
    if isinstance(node, Logic):
        return node.items
    if isinstance(node, If):
        return (node.condition, node.then, node.otherwise)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, Member):
        return (node.item, *(node.within if isinstance(node.within, tuple) else ()))
    return ()
