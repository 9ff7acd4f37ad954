"""Names and types: every name an expression reads, resolved against the policy's inputs,
parameters and tables, and the type of every node checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from wulian.engines.rules.expr.syntax import (
    TYPE_NAMES,
    Arith,
    Bool,
    Call,
    Compare,
    ExprError,
    If,
    Logic,
    Member,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Text,
    Type,
    error_at,
)


@dataclass(frozen=True)
class Symbol:
    """What a name means to an expression: its type, and for tables their contents."""

    type: Type
    bands: tuple[tuple[float, float], ...] = ()  # table: (lower bound inclusive, value), desc.
    codes: tuple[tuple[str, float], ...] = ()  # codetable
    otherwise: float | None = None  # table/codetable: value below every band / other codes
    # a number input: the values it can take when unknown (None: unbounded on that side)
    low: Fraction | None = None
    high: Fraction | None = None


class Checker:
    """Types an expression against the symbols in scope; ExprError at the offending node."""

    def __init__(self, source: str, symbols: Mapping[str, Symbol]) -> None:
        self.source = source
        self.symbols = symbols

    def fail(self, node: Node, message: str) -> ExprError:
        return error_at(self.source, node.at, message)

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
            if symbol is None and "." in node.name:
                raise self.fail(
                    node,
                    f"没有“{node.name}”：引用另一政策的结果写作“政策编号.结果名”，"
                    "且那项政策须一同载入",
                )
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
