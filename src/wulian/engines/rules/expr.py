"""The expression language of policy files: parsed, type-checked, compiled to Polars.

    rd_expense / revenue >= 3% and not ("gaoxin" in tags)
    if revenue <= 5000 then 5% else if revenue <= 20000 then 4% else 3%
    min(rate * max(rd_expense - rd_expense_last, 0), cap)
    band(tech_share_points, tech_staff / staff_total) > 0
    industry_section in ["B", "C", "D"]

Numbers (a trailing % divides by 100), 'text' or "text" codes, true/false; + - * /; comparisons
< <= > >= == !=; and, or, not; if … then … else …; x in [..] and x not in [..] (a list of
literals, or a tags input); functions min, max, abs, round(x, digits), band(table, x),
lookup(table, code), known(x). Nothing else: no attribute access, no calls of anything but these
functions, no loops, and never Python's eval.

Unknown is not zero: a missing input is null, and so is everything computed from it, except
where logic decides without it (false and unknown is false; true or unknown is true — Kleene's
three-valued logic, which Polars implements for & and |). Division by zero is unknown too.

Numbers compare with a tolerance relative to the threshold (the right-hand side t, 64-bit
floats): a value within TOLERANCE × |t| of t is on it, so a ratio that is exactly on a threshold
(740,000 / 18,500,000 against 4%) is on it, and sums of decimal amounts that differ from the
threshold only by binary rounding do not fall below it. a ≥ t is a ≥ t − TOLERANCE·|t|, a > t is
a > t + TOLERANCE·|t|, and so on; when t is a constant its bounds are computed once.

`interpret` evaluates an expression for one row in plain Python, by the same rules; it is the
reference the compiled form is tested against.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

import polars as pl

TOLERANCE = 1e-9
# Polars divides by a constant by multiplying with its reciprocal (3 / 10 gives
# 0.30000000000000004); dividing by a column is exact IEEE division. So every divisor is
# multiplied by this column of ones, which frames given to compiled expressions must carry.
ONES = "__one"


def ones() -> pl.Expr:
    """The column of ones, materialised (a broadcast literal would divide as a constant)."""
    return (pl.int_range(pl.len(), dtype=pl.Int64) * 0 + 1).cast(pl.Float64).alias(ONES)


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


# ---------------------------------------------------------------- syntax tree


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


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?%?)
  | (?P<text>'[^'\n]*'|"[^"\n]*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
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


def _error(source: str, at: int, message: str) -> ExprError:
    return ExprError(message, *_position(source, at))


def tokens(source: str) -> list[Token]:
    out: list[Token] = []
    at = 0
    while at < len(source):
        match = _TOKEN.match(source, at)
        if match is None:
            char = source[at]
            if char == "=":
                raise _error(source, at, "比较相等请写 ==")
            if char == ".":
                raise _error(source, at, "不支持属性访问（.）")
            if char in "'\"":
                raise _error(source, at, "引号没有闭合")
            raise _error(source, at, f"不认识的字符“{char}”")
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


# ---------------------------------------------------------------- parser


MAX_TOKENS = 400  # the longest shipped expression has a few dozen
MAX_NESTING = 30


class _Parser:
    """Recursive descent, lowest precedence first: if, or, and, not, comparison/in, + -, * /,
    unary minus, atoms."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokens(source)
        if len(self.tokens) > MAX_TOKENS + 1:
            raise _error(
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
        return _error(self.source, token.at, f"{message}，实际是{found}")

    def parse(self) -> Node:
        if self.token.kind == "end":
            raise _error(self.source, 0, "表达式是空的")
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
            raise _error(self.source, token.at, "列表是空的")
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
                    raise _error(
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
            raise _error(self.source, token.at, "不支持属性访问")
        self.i -= 1
        raise self.fail("这里应为数字、名称、函数或括号")


def parse(source: str) -> Node:
    """The syntax tree of source; ExprError with line and column when it is malformed."""
    return _Parser(source).parse()


# ---------------------------------------------------------------- names and types


@dataclass(frozen=True)
class Symbol:
    """What a name means to an expression: its type, and for tables their contents."""

    type: Type
    bands: tuple[tuple[float, float], ...] = ()  # table: (lower bound inclusive, value), desc.
    codes: tuple[tuple[str, float], ...] = ()  # codetable
    otherwise: float | None = None  # table/codetable: value below every band / other codes


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


class Checker:
    """Types an expression against the symbols in scope; ExprError at the offending node."""

    def __init__(self, source: str, symbols: Mapping[str, Symbol]) -> None:
        self.source = source
        self.symbols = symbols

    def fail(self, node: Node, message: str) -> ExprError:
        return _error(self.source, node.at, message)

    def want(self, node: Node, wanted: Type, what: str) -> None:
        found = self.type(node)
        if found != wanted:
            raise self.fail(node, f"{what}应为{TYPE_NAMES[wanted]}，这里是{TYPE_NAMES[found]}")

    def type(self, node: Node) -> Type:
        if isinstance(node, Num):
            return "number"
        if isinstance(node, Text):
            return "code"
        if isinstance(node, Bool):
            return "bool"
        if isinstance(node, Name):
            symbol = self.symbols.get(node.name)
            if symbol is None:
                raise self.fail(node, f"未声明的名称“{node.name}”（输入、参数、表或中间值）")
            if symbol.type in ("table", "codetable"):
                raise self.fail(node, f"“{node.name}”是表，只能用在 band 或 lookup 中")
            return symbol.type
        if isinstance(node, Neg):
            self.want(node.operand, "number", "负号后")
            return "number"
        if isinstance(node, Arith):
            self.want(node.left, "number", f"“{node.op}”左边")
            self.want(node.right, "number", f"“{node.op}”右边")
            return "number"
        if isinstance(node, Compare):
            left, right = self.type(node.left), self.type(node.right)
            if left != right:
                raise self.fail(
                    node,
                    f"不能比较{TYPE_NAMES[left]}和{TYPE_NAMES[right]}",
                )
            if left not in ("number", "code", "bool"):
                raise self.fail(node, f"{TYPE_NAMES[left]}不能比较")
            if left != "number" and node.op not in ("==", "!="):
                raise self.fail(node, f"{TYPE_NAMES[left]}只能用 == 或 != 比较")
            return "bool"
        if isinstance(node, Logic):
            for item in node.items:
                self.want(item, "bool", f"“{node.op}”两边")
            return "bool"
        if isinstance(node, Not):
            self.want(node.operand, "bool", "not 后")
            return "bool"
        if isinstance(node, If):
            self.want(node.condition, "bool", "if 的条件")
            then = self.type(node.then)
            otherwise = self.type(node.otherwise)
            if then != otherwise:
                raise self.fail(
                    node, f"then 与 else 的类型不同：{TYPE_NAMES[then]}、{TYPE_NAMES[otherwise]}"
                )
            return then
        if isinstance(node, Member):
            kind = self.type(node.item)
            if isinstance(node.within, Name):
                symbol = self.symbols.get(node.within.name)
                if symbol is None or symbol.type != "tags":
                    raise self.fail(node.within, f"“{node.within.name}”不是标签输入")
                if kind != "code":
                    raise self.fail(node.item, "判断是否带某标签时，左边应为代码，如 'gaoxin'")
                return "bool"
            if kind not in ("code", "number"):
                raise self.fail(node.item, f"{TYPE_NAMES[kind]}不能判断是否属于列表")
            for member in node.within:
                if self.type(member) != kind:
                    raise self.fail(member, f"列表成员应为{TYPE_NAMES[kind]}")
            return "bool"
        if isinstance(node, Call):
            return self.call(node)
        raise self.fail(node, "不支持的写法")  # pragma: no cover - the parser makes no others

    def call(self, node: Call) -> Type:
        function, args = node.function, node.args
        if function in ("min", "max"):
            if len(args) < 2:
                raise self.fail(node, f"{function} 至少需要两个参数")
            for arg in args:
                self.want(arg, "number", f"{function} 的参数")
            return "number"
        if function == "abs":
            self._count(node, 1)
            self.want(args[0], "number", "abs 的参数")
            return "number"
        if function == "round":
            self._count(node, 2)
            self.want(args[0], "number", "round 的第一个参数")
            digits = args[1]
            if not isinstance(digits, Num) or digits.value != int(digits.value):
                raise self.fail(digits, "round 的第二个参数应为整数常量（保留的小数位数）")
            if not 0 <= digits.value <= 10:
                raise self.fail(digits, "保留的小数位数应为 0–10")
            return "number"
        if function in ("band", "lookup"):
            self._count(node, 2)
            table = args[0]
            kind: Type = "table" if function == "band" else "codetable"
            if (
                not isinstance(table, Name)
                or self.symbols.get(table.name, Symbol("number")).type != kind
            ):
                raise self.fail(table, f"{function} 的第一个参数应为{TYPE_NAMES[kind]}的名称")
            self.want(
                args[1], "number" if function == "band" else "code", f"{function} 的第二个参数"
            )
            return "number"
        if function == "known":
            self._count(node, 1)
            self.type(args[0])
            return "bool"
        raise self.fail(node, f"没有函数“{function}”")  # pragma: no cover

    def _count(self, node: Call, n: int) -> None:
        if len(node.args) != n:
            raise self.fail(node, f"{node.function} 需要 {n} 个参数，这里有 {len(node.args)} 个")


# ---------------------------------------------------------------- compiled to Polars


def _bounds(t: float) -> tuple[float, float]:
    slack = TOLERANCE * abs(t)
    return t - slack, t + slack


def _compare(op: str, left: pl.Expr, right: pl.Expr | float, numeric: bool = True) -> pl.Expr:
    """left op right; numbers with the tolerance relative to right (a Python float when it is a
    constant, so that its bounds are folded)."""
    if not numeric:
        return left == right if op == "==" else left != right
    if isinstance(right, float):
        low, high = _bounds(right)
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


# ---------------------------------------------------------------- reference interpreter

Value = float | str | bool | tuple[str, ...] | None


def _close(op: str, left: float, right: float) -> bool:
    low, high = _bounds(right)
    if op == ">=":
        return left >= low
    if op == ">":
        return left > high
    if op == "<=":
        return left <= high
    if op == "<":
        return left < low
    equal = low <= left <= high
    return equal if op == "==" else not equal


def interpret(node: Node, row: Mapping[str, Value], symbols: Mapping[str, Symbol]) -> Value:
    """node evaluated for one row of plain values (None = unknown), by the rules of `compile`."""

    def run(node: Node) -> Value:
        return interpret(node, row, symbols)

    if isinstance(node, Num | Text | Bool):
        return node.value
    if isinstance(node, Name):
        return row.get(node.name)
    if isinstance(node, Neg):
        x = run(node.operand)
        return None if x is None else -x  # type: ignore[operator]
    if isinstance(node, Arith):
        a, b = run(node.left), run(node.right)
        if a is None or b is None:
            return None
        if not isinstance(a, float | int) or not isinstance(b, float | int):
            raise TypeError(node)  # pragma: no cover - the checker allows numbers only
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        return None if b == 0 else a / b
    if isinstance(node, Compare):
        a, b = run(node.left), run(node.right)
        if a is None or b is None:
            return None
        if isinstance(a, bool | str) or isinstance(b, bool | str):
            return (a == b) if node.op == "==" else (a != b)
        return _close(node.op, float(a), float(b))  # type: ignore[arg-type]
    if isinstance(node, Logic):
        values = [run(item) for item in node.items]
        if node.op == "and":
            if any(v is False for v in values):
                return False
            return None if any(v is None for v in values) else True
        if any(v is True for v in values):
            return True
        return None if any(v is None for v in values) else False
    if isinstance(node, Not):
        x = run(node.operand)
        return None if x is None else not x
    if isinstance(node, If):
        condition = run(node.condition)
        if condition is None:
            return None
        return run(node.then) if condition else run(node.otherwise)
    if isinstance(node, Member):
        item = run(node.item)
        if item is None:
            return None
        if isinstance(node.within, Name):
            held = row.get(node.within.name)
            if held is None:
                return None
            found = item in held  # type: ignore[operator]
        elif isinstance(item, str):
            found = item in [m.value for m in node.within if isinstance(m, Text)]
        else:
            found = any(
                _close("==", float(item), m.value)  # type: ignore[arg-type]
                for m in node.within
                if isinstance(m, Num)
            )
        return (not found) if node.negate else found
    if isinstance(node, Call):
        return _interpret_call(node, run, symbols)
    raise TypeError(node)  # pragma: no cover


def _interpret_call(
    node: Call, run: Callable[[Node], Value], symbols: Mapping[str, Symbol]
) -> Value:
    function, args = node.function, node.args
    if function in ("min", "max"):
        values = [run(a) for a in args]
        if any(v is None for v in values):
            return None
        return (min if function == "min" else max)(values)  # type: ignore[type-var]
    if function == "abs":
        x = run(args[0])
        return None if x is None else abs(x)  # type: ignore[arg-type]
    if function == "round":
        x = run(args[0])
        digits = int(args[1].value)  # type: ignore[attr-defined]
        return None if x is None else round_value(float(x), digits)  # type: ignore[arg-type]
    if function == "band":
        symbol = symbols[args[0].name]  # type: ignore[attr-defined]
        x = run(args[1])
        if x is None:
            return None
        for lower, value in symbol.bands:
            if _close(">=", float(x), lower):  # type: ignore[arg-type]
                return value
        return symbol.otherwise
    if function == "lookup":
        symbol = symbols[args[0].name]  # type: ignore[attr-defined]
        code = run(args[1])
        if code is None:
            return None
        return dict(symbol.codes).get(str(code), symbol.otherwise)
    if function == "known":
        return run(args[0]) is not None
    raise TypeError(function)  # pragma: no cover


# ---------------------------------------------------------------- how far from true


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
