"""The policy file: one policy as declarative data, checked on load.

A policy names its issuing body, document number (文号) and category, its effective period, the
inputs it needs (with where a platform finds them), dated parameters (each value with its legal
reference), tables (value bands → points, or codes → values), derived values, point items, the
eligibility conditions, an optional benefit formula with a cap, and test cases beside it. Every
expression is parsed and type-checked on load; a malformed one is refused with its line and
column. See docs/guide/policy.md for the format.
"""

from __future__ import annotations

import datetime as dt
import graphlib
import itertools
from collections import OrderedDict
from collections.abc import Iterable
from fractions import Fraction
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, model_validator

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.rules import expr
from wulian.engines.specfile import SpecProblem, load_spec, read_yaml

Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Label = Annotated[str, Field(min_length=1, max_length=200)]
Number = Annotated[float, Field(allow_inf_nan=False)]
CATEGORIES = ("减免", "奖补", "权益", "资质")
BUILTINS = {"period": "评价年度", "score": "总分"}
# what another policy may read of a policy besides its values, point items and conditions
RESULTS = {"eligible": "是否符合", "amount": "金额"}
MAX_INPUTS = 63  # the missing-input set of a firm is one 64-bit mask
MAX_CONDITIONS = 63


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Source(Strict):
    """Where a platform finds an input; the engine itself reads the column of the input's key.

    metric: a metric of the facts store (lag years back); tag: whether the firm holds a registry
    title; field: a registry field (age_years, section, industry_code, chain, on_chain,
    region_code, gaoxin_since); landuse: the firm's published 亩均效益 result (grade: its class;
    low: whether it is on the low-efficiency list); talent: a count or sum per firm from the
    talent office's records (recognised: people recognised or awarded who agreed to benefits;
    award_due: the talent programme instalments due in the year with their milestone met, 万元).
    supplied (with a metric): no government system holds it, the firm or an officer supplies it
    (an expert score, a document), so it is unknown until they do and never counts as a trusted
    source."""

    metric: str | None = None
    lag: int = Field(0, ge=0, le=5)
    tag: str | None = None
    field: str | None = None
    landuse: Literal["grade", "low"] | None = None
    talent: Literal["recognised", "award_due"] | None = None
    supplied: bool = False

    @model_validator(mode="after")
    def _one(self) -> Source:
        kinds = [self.metric, self.tag, self.field, self.landuse, self.talent]
        if sum(k is not None for k in kinds) != 1:
            raise SpecProblem("来源应为 metric、tag、field、landuse、talent 之一，且只写一个")
        if self.lag and self.metric is None:
            raise SpecProblem("lag 只用于 metric", ("lag",))
        if self.supplied and self.metric is None:
            raise SpecProblem("supplied 只用于 metric（由企业或工作人员填报的指标）", ("supplied",))
        return self

    @property
    def kind(self) -> str:
        for kind in ("metric", "tag", "field", "landuse", "talent"):
            if getattr(self, kind) is not None:
                return kind
        raise AssertionError  # pragma: no cover - the validator requires one


class Range(Strict):
    """The values a number input can take (inclusive); an end left out is unbounded."""

    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _order(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SpecProblem("min 大于 max", ("min",))
        return self


# Units of amounts and counts that are never negative: without a declared range, an unknown
# input of such a unit is taken to be ≥ 0 (a share, percent: true, to lie in [0, 1]).
NOT_NEGATIVE_UNITS = frozenset(
    {
        "元",
        "千元",
        "万元",
        "百万元",
        "亿元",
        "美元",
        "万美元",
        "人",
        "人次",
        "个",
        "件",
        "项",
        "家",
        "次",
        "篇",
        "台",
        "套",
        "年",
        "月",
        "天",
        "亩",
        "平方米",
        "公顷",
        "吨",
        "千瓦时",
        "万千瓦时",
        "吨标准煤",
        "分",
    }
)


class Input(Strict):
    name: Label
    type: Literal["number", "bool", "code", "tags"] = "number"
    unit: str = Field("", max_length=20)
    percent: bool = False  # a share, shown as a percentage
    source: Source | None = None
    range: Range | None = None  # number inputs: the values it can take when unknown

    @model_validator(mode="after")
    def _range(self) -> Input:
        if self.range is not None and self.type != "number":
            raise SpecProblem("只有数值输入可以设定 range", ("range",))
        return self

    @property
    def bounds(self) -> tuple[Fraction | None, Fraction | None]:
        """(least, greatest) value the input can take; None where unbounded. Declared, or by
        default: a share in [0, 1], an amount or count of a known unit ≥ 0, else unbounded."""
        if self.range is not None:
            low, high = self.range.min, self.range.max
            return (
                None if low is None else expr.exact(low),
                None if high is None else expr.exact(high),
            )
        if self.percent:
            return Fraction(0), Fraction(1)
        if self.unit in NOT_NEGATIVE_UNITS:
            return Fraction(0), None
        return None, None


class Dated(Strict):
    """One value of a parameter, from a date (and to a date, inclusive), with its reference."""

    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(None, alias="to")
    value: Number | bool | str
    reference: Label  # the article of the document that sets it

    @model_validator(mode="after")
    def _order(self) -> Dated:
        if self.end is not None and self.end < self.start:
            raise SpecProblem("to 早于 from", ("to",))
        return self


class Parameter(Strict):
    name: Label
    unit: str = Field("", max_length=20)
    percent: bool = False
    values: list[Dated] = Field(min_length=1)
    # The values the parameter may take: a range for a number (inclusive), a domain for a code.
    # Every dated value must lie in it, and a what-if may not leave it.
    min: Number | None = None
    max: Number | None = None
    choices: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _no_overlap(self) -> Parameter:
        kinds = {_kind(v.value) for v in self.values}
        if len(kinds) > 1:
            raise SpecProblem("各期取值的类型不一致（数字、是非、代码不能混用）", ("values",))
        kind = kinds.pop()
        if (self.min is not None or self.max is not None) and kind != "number":
            raise SpecProblem("只有数值参数可以设定 min、max", ("min",))
        if self.choices is not None and kind != "code":
            raise SpecProblem("只有代码参数可以设定 choices", ("choices",))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SpecProblem("min 大于 max", ("min",))
        for i, dated in enumerate(self.values):
            problem = self.problem(dated.value)
            if problem:
                raise SpecProblem(problem, ("values", i, "value"))
        ordered = sorted(range(len(self.values)), key=lambda i: self.values[i].start)
        for before, after in itertools.pairwise(ordered):
            first, second = self.values[before], self.values[after]
            if first.end is None or first.end >= second.start:
                raise SpecProblem(
                    f"取值期间重叠：{first.start} 起的取值"
                    + (f"到 {first.end} 为止" if first.end else "没有截止日期")
                    + f"，与 {second.start} 起的取值重叠",
                    ("values", after, "from"),
                )
        return self

    @property
    def declared(self) -> bool:
        """Whether the parameter declares the values it may take (a range or a domain)."""
        return self.min is not None or self.max is not None or self.choices is not None

    def shown(self, value: float) -> str:
        """A value of the parameter as a person reads it: 15%, 100 万元."""
        if self.percent:
            return f"{value * 100:.15g}%"
        return f"{value:.15g}{' ' + self.unit if self.unit else ''}"

    def problem(self, value: object) -> str | None:
        """Why value is outside the parameter's declared range or domain, or None."""
        if self.choices is not None and value not in self.choices:
            return f"“{self.name}”应为以下之一：{'、'.join(self.choices)}"
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        low, high = self.min, self.max
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                bounds = f"应在 {self.shown(low)} 至 {self.shown(high)} 之间"
            elif low is not None:
                bounds = f"不能小于 {self.shown(low)}"
            else:
                bounds = f"不能大于 {self.shown(high)}"  # type: ignore[arg-type]
            return f"“{self.name}”{bounds}（给出的是 {self.shown(value)}）"
        return None

    def at(self, day: dt.date) -> Dated | None:
        for value in self.values:
            if value.start <= day and (value.end is None or day <= value.end):
                return value
        return None


def _kind(value: object) -> expr.Type:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "code"
    return "number"


class Band(Strict):
    min: Number  # inclusive lower bound
    value: Number


class Table(Strict):
    """Value bands → points (band), or codes → values (lookup); `else` for everything else."""

    name: Label
    bands: list[Band] | None = None
    codes: dict[str, Number] | None = None
    otherwise: Number = Field(alias="else")

    @model_validator(mode="after")
    def _one(self) -> Table:
        if (self.bands is None) == (self.codes is None):
            raise SpecProblem("应写 bands（数值分档）或 codes（代码取值）之一")
        if self.bands is not None:
            if not self.bands:
                raise SpecProblem("至少需要一档", ("bands",))
            lows = [b.min for b in self.bands]
            for i, low in enumerate(lows):
                if lows.index(low) != i:
                    raise SpecProblem(f"下限 {low:g} 重复", ("bands", i, "min"))
        return self

    @property
    def symbol(self) -> expr.Symbol:
        if self.bands is not None:
            ordered = sorted(((b.min, b.value) for b in self.bands), reverse=True)
            return expr.Symbol("table", bands=tuple(ordered), otherwise=self.otherwise)
        return expr.Symbol(
            "codetable", codes=tuple((self.codes or {}).items()), otherwise=self.otherwise
        )


class Derived(Strict):
    key: Key
    name: Label
    expr: str = Field(min_length=1, max_length=2000)
    unit: str = Field("", max_length=20)
    percent: bool = False


class ScoreItem(Strict):
    key: Key
    name: Label
    expr: str = Field(min_length=1, max_length=2000)
    max: Number | None = None


class Condition(Strict):
    key: Key
    name: Label
    expr: str = Field(min_length=1, max_length=2000)


class Benefit(Strict):
    name: Label = "金额"
    expr: str = Field(min_length=1, max_length=2000)
    cap: Number | Key | None = None  # a number or a parameter's key
    min: Number | None = None  # the least amount (0: never negative), where the policy says so
    unit: str = Field("万元", max_length=20)
    digits: int = Field(2, ge=0, le=6)


class Effective(Strict):
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(None, alias="to")


class Expect(Strict):
    # left out: not checked (a file of outputs only has no conclusion of its own to check)
    status: Literal["eligible", "ineligible", "unknown", "not_in_effect"] | None = None
    amount: Number | None = None
    score: Number | None = None
    failed: list[Key] | None = None  # exactly these conditions fail
    missing: list[Key] | None = None  # exactly these inputs are reported missing
    values: dict[str, Number | bool | str] | None = None  # derived values and point items


class Case(Strict):
    name: Label
    period: int = Field(ge=1990, le=2100)
    on: dt.date | None = None
    input: dict[str, Number | bool | str | list[str] | None]
    expect: Expect


STATUS_NAMES = {"eligible": "符合", "ineligible": "不符合", "unknown": "待补充数据"}


class Policy(Strict):
    id: Key
    title: Label
    issuer: Label
    # the code of the department that administers the policy and approves its payouts (主管部门);
    # without one, only administrators approve them
    department: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    document: Label  # 文号
    reference: str = Field("", max_length=500)  # a link, or where the text is published
    # a file without conditions only defines outputs for other policies, and has no category
    category: Literal["减免", "奖补", "权益", "资质"] | None = None
    summary: str = Field("", max_length=2000)
    effective: Effective
    grants: Key | None = None  # the registry title this qualification gives (资质)
    rung: int | None = Field(None, ge=1, le=20)  # its place on the cultivation ladder
    inputs: dict[Key, Input] = Field(min_length=1)
    parameters: dict[Key, Parameter] = Field(default_factory=dict)
    tables: dict[Key, Table] = Field(default_factory=dict)
    values: list[Derived] = Field(default_factory=list)
    score: list[ScoreItem] = Field(default_factory=list)
    conditions: list[Condition] = Field(default_factory=list)
    benefit: Benefit | None = None
    tests: list[Case] = Field(default_factory=list)

    _trees: dict[str, expr.Node] = PrivateAttr(default_factory=dict)
    _types: dict[str, expr.Type] = PrivateAttr(default_factory=dict)
    _source: tuple[str, str] = PrivateAttr(default=("", "policy.yaml"))  # (text, filename)
    # the policies whose outputs this one reads (policy_id.output), by id
    _uses: dict[str, Policy] = PrivateAttr(default_factory=dict)
    # its compiled plans (evaluate.py), by everything a plan depends on besides the policy
    _plans: OrderedDict[Any, Any] = PrivateAttr(default_factory=OrderedDict)

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> Policy:
        if self.conditions and self.category is None:
            raise SpecProblem("有条件的政策须写明类别（category）", ("category",))
        if not self.conditions and (self.category is not None or self.grants or self.rung):
            raise SpecProblem(
                "没有条件的文件只定义供其他政策引用的结果，不写类别、资质和梯度", ("conditions",)
            )
        context = info.context if isinstance(info.context, dict) else {}
        self._known = dict(context.get("policies", {}))
        if len(self.inputs) > MAX_INPUTS:
            raise SpecProblem(f"输入最多 {MAX_INPUTS} 项", ("inputs",))
        if len(self.conditions) > MAX_CONDITIONS:
            raise SpecProblem(f"条件最多 {MAX_CONDITIONS} 项", ("conditions",))
        self._names()
        symbols: dict[str, expr.Symbol] = {"period": expr.Symbol("number")}
        symbols |= {
            k: expr.Symbol(i.type, low=i.bounds[0], high=i.bounds[1])
            for k, i in self.inputs.items()
        }
        symbols |= {k: expr.Symbol(_kind(p.values[0].value)) for k, p in self.parameters.items()}
        symbols |= {k: t.symbol for k, t in self.tables.items()}
        for i, value in enumerate(self.values):
            symbols[value.key] = expr.Symbol(self._typed(value.expr, ("values", i), symbols))
        for i, item in enumerate(self.score):
            self._typed(item.expr, ("score", i), symbols, "number")
        for item in self.score:
            symbols[item.key] = expr.Symbol("number")
        if self.score:
            symbols["score"] = expr.Symbol("number")
        for i, condition in enumerate(self.conditions):
            self._typed(condition.expr, ("conditions", i), symbols, "bool")
        if self.benefit is not None:
            self._typed(self.benefit.expr, ("benefit",), symbols, "number")
            cap = self.benefit.cap
            if isinstance(cap, str) and symbols.get(cap, expr.Symbol("code")).type != "number":
                raise SpecProblem(f"封顶应为数字或数值参数，“{cap}”不是", ("benefit", "cap"))
            if isinstance(cap, str) and cap not in self.parameters:
                raise SpecProblem(f"封顶“{cap}”不是参数", ("benefit", "cap"))
        if len(self.all_inputs) > MAX_INPUTS:
            raise SpecProblem(f"输入（含所引用结果所需的输入）最多 {MAX_INPUTS} 项", ("inputs",))
        for i, case in enumerate(self.tests):
            unknown = sorted(set(case.input) - set(self.all_inputs))
            if unknown:
                raise SpecProblem(f"未声明的输入：{'、'.join(unknown)}", ("tests", i, "input"))
            expect = case.expect
            named = {c.key for c in self.conditions}
            for key in expect.failed or []:
                if key not in named:
                    raise SpecProblem(f"没有条件“{key}”", ("tests", i, "expect", "failed"))
            for key in expect.missing or []:
                if key not in self.all_inputs:
                    raise SpecProblem(f"没有输入“{key}”", ("tests", i, "expect", "missing"))
            derived = {v.key for v in self.values} | {s.key for s in self.score}
            for key in expect.values or {}:
                if key not in derived:
                    raise SpecProblem(
                        f"“{key}”不是中间值或得分项", ("tests", i, "expect", "values")
                    )
        self._symbols = symbols
        return self

    def _names(self) -> None:
        seen: dict[str, str] = {}
        groups: list[tuple[str, list[str]]] = [
            ("inputs", list(self.inputs)),
            ("parameters", list(self.parameters)),
            ("tables", list(self.tables)),
            ("values", [v.key for v in self.values]),
            ("score", [s.key for s in self.score]),
            ("conditions", [c.key for c in self.conditions]),
        ]
        for group, keys in groups:
            for i, key in enumerate(keys):
                where: tuple[str | int, ...] = (group, key) if group in (
                    "inputs", "parameters", "tables"
                ) else (group, i, "key")  # fmt: skip
                if key in BUILTINS or key in expr.KEYWORDS or key in expr.FUNCTIONS:
                    raise SpecProblem(f"“{key}”是保留名称，请换一个", where)
                if key in seen:
                    raise SpecProblem(f"名称“{key}”与 {seen[key]} 中的重复", where)
                seen[key] = group

    def _typed(
        self,
        source: str,
        path: tuple[str | int, ...],
        symbols: dict[str, expr.Symbol],
        wanted: expr.Type | None = None,
    ) -> expr.Type:
        where = (*path, "expr")
        try:
            tree = expr.parse(source)
            self._resolve(source, tree, symbols)
            found = expr.Checker(source, symbols).type(tree)
        except expr.ExprError as error:
            at = (
                f"第 {error.column} 列"
                if error.line == 1
                else f"第 {error.line} 行第 {error.column} 列"
            )
            raise SpecProblem(f"表达式{at}：{error.message}", where) from None
        if wanted is not None and found != wanted:
            raise SpecProblem(
                f"表达式应得出{expr.TYPE_NAMES[wanted]}，实际得出{expr.TYPE_NAMES[found]}", where
            )
        self._trees[".".join(str(p) for p in path)] = tree
        return found

    def _resolve(self, source: str, tree: expr.Node, symbols: dict[str, expr.Symbol]) -> None:
        """Bring the outputs of other policies that tree reads (policy_id.output) into scope;
        ExprError at the name when there is no such policy or output."""
        for node in expr.walk(tree):
            if not isinstance(node, expr.Name) or "." not in node.name:
                continue
            if node.name in symbols:
                continue
            owner, key = node.name.split(".", 1)
            if owner == self.id:
                raise expr.error_at(source, node.at, f"本政策的“{key}”直接写名称，不加“{owner}.”")
            used = self._known.get(owner)
            if used is None:
                raise expr.error_at(
                    source,
                    node.at,
                    f"没有政策“{owner}”：引用它的结果时，须把它的文件一同载入",
                )
            symbol = used.output_symbol(key)
            if symbol is None:
                readable = "、".join(used.outputs()) or "无"
                raise expr.error_at(
                    source, node.at, f"政策“{owner}”没有结果“{key}”（可引用：{readable}）"
                )
            symbols[node.name] = symbol
            self._uses[owner] = used

    _symbols: dict[str, expr.Symbol] = PrivateAttr(default_factory=dict)
    _known: dict[str, Policy] = PrivateAttr(default_factory=dict)

    # ------------------------------------------------------------ what others read of it

    def outputs(self) -> list[str]:
        """The names another policy may read as policy_id.name: derived values, point items,
        the total score, conditions, whether it is met, and the amount."""
        names = [v.key for v in self.values] + [s.key for s in self.score]
        if self.score:
            names.append("score")
        names += [c.key for c in self.conditions]
        names.append("eligible")
        if self.benefit is not None:
            names.append("amount")
        return names

    def output_symbol(self, key: str) -> expr.Symbol | None:
        if key not in self.outputs():
            return None
        if key == "eligible" or any(c.key == key for c in self.conditions):
            return expr.Symbol("bool")
        if key == "amount":
            return expr.Symbol("number")
        return self._symbols[key]

    @property
    def score_keys(self) -> list[str]:
        """Its point items and, when it has any, the total score."""
        return [*(s.key for s in self.score), *(["score"] if self.score else [])]

    @property
    def plans(self) -> OrderedDict[Any, Any]:
        """Its compiled plans, kept by the evaluation (evaluate.py) between runs."""
        return self._plans

    @property
    def uses(self) -> dict[str, Policy]:
        """The policies whose outputs this one reads, by id."""
        return self._uses

    @cached_property
    def all_inputs(self) -> dict[str, Input]:
        """Its own inputs, then those of the policies it uses that feed what it reads of them
        (an unknown one may leave its result unknown, so it is reported as missing)."""
        found = dict(self.inputs)
        for name in sorted(self.reads_of_others()):
            owner, key = name.split(".", 1)
            used = self._uses[owner]
            for input_key in sorted(used.reach[key]):
                found.setdefault(input_key, used.all_inputs[input_key])
        return found

    def reads_of_others(self) -> set[str]:
        return {name for tree in self._trees.values() for name in expr.names(tree) if "." in name}

    # ------------------------------------------------------------ for the evaluator

    @property
    def symbols(self) -> dict[str, expr.Symbol]:
        return self._symbols

    def tree(self, *path: str | int) -> expr.Node:
        return self._trees[".".join(str(p) for p in path)]

    @property
    def filename(self) -> str:
        return self._source[1]

    @property
    def text(self) -> str:
        return self._source[0]

    def line_of(self, *path: str | int) -> int | None:
        _, lines = read_yaml(self.text, self.filename)
        for end in range(len(path), -1, -1):
            if path[:end] in lines:
                return lines[path[:end]]
        return None

    def _theirs(self, name: str) -> tuple[Policy, str] | None:
        """(the policy, its output) that name (policy_id.output) reads; None for a name of its
        own."""
        owner, dot, key = name.partition(".")
        return (self._uses[owner], key) if dot and owner in self._uses else None

    def label(self, name: str) -> str:
        """The Chinese name of anything an expression can name."""
        if name in BUILTINS:
            return BUILTINS[name]
        theirs = self._theirs(name)
        if theirs is not None:
            used, key = theirs
            return f"{used.title}·{used.label(key)}"
        if name in RESULTS:
            return RESULTS[name]
        for group in (self.inputs, self.parameters, self.tables):
            if name in group:
                return group[name].name
        items: list[Derived | ScoreItem | Condition] = [*self.values, *self.score, *self.conditions]
        for item in items:
            if item.key == name:
                return item.name
        return name

    def is_percent(self, name: str) -> bool:
        theirs = self._theirs(name)
        if theirs is not None:
            return theirs[0].is_percent(theirs[1])
        if name in self.inputs:
            return self.inputs[name].percent
        if name in self.parameters:
            return self.parameters[name].percent
        return any(v.key == name and v.percent for v in self.values)

    def unit(self, name: str) -> str:
        theirs = self._theirs(name)
        if theirs is not None:
            return theirs[0].unit(theirs[1])
        if name == "amount" and self.benefit is not None:
            return self.benefit.unit
        if name in self.inputs:
            return self.inputs[name].unit
        if name in self.parameters:
            return self.parameters[name].unit
        for value in self.values:
            if value.key == name:
                return value.unit
        if name == "score" or any(s.key == name for s in self.score):
            return "分"
        return ""

    @cached_property
    def depends(self) -> dict[str, frozenset[str]]:
        """For each condition key (and "benefit"), the inputs it depends on, through derived
        values, point items and the outputs of other policies it reads."""
        reach = self.reach
        out = {c.key: reach[c.key] for c in self.conditions}
        if self.benefit is not None:
            out["benefit"] = reach["benefit"]
        return out

    @cached_property
    def reach(self) -> dict[str, frozenset[str]]:
        """For every name it computes (values, point items, score, conditions, benefit, and
        its outputs eligible and amount), the inputs — its own or those of the policies it
        uses — that name depends on."""
        through: dict[str, frozenset[str]] = {}

        def inputs_of(tree: expr.Node) -> frozenset[str]:
            found: set[str] = set()
            for name in expr.names(tree):
                if name in self.inputs:
                    found.add(name)
                elif name in through:
                    found |= through[name]
                elif "." in name:
                    owner, key = name.split(".", 1)
                    found |= self._uses[owner].reach[key]
            return frozenset(found)

        for i, value in enumerate(self.values):
            through[value.key] = inputs_of(self.tree("values", i))
        for i, item in enumerate(self.score):
            through[item.key] = inputs_of(self.tree("score", i))
        if self.score:
            through["score"] = frozenset().union(*(through[s.key] for s in self.score))
        for i, condition in enumerate(self.conditions):
            through[condition.key] = inputs_of(self.tree("conditions", i))
        if self.benefit is not None:
            through["benefit"] = inputs_of(self.tree("benefit"))
        every = frozenset().union(
            *(through[c.key] for c in self.conditions), through.get("benefit", frozenset())
        )
        through["eligible"] = every
        through["amount"] = every
        return through

    def in_effect(self, day: dt.date) -> bool:
        return self.effective.start <= day and (
            self.effective.end is None or day <= self.effective.end
        )


def load(text: str, filename: str = "policy.yaml", uses: Iterable[Policy] = ()) -> Policy:
    """A policy from YAML text, reading the outputs of the policies in uses; InvalidFile naming
    file, line and reason otherwise."""
    known = {p.id: p for p in uses}
    policy = load_spec(text, filename, Policy, {"policies": known})
    policy._source = (text, filename)
    return policy


def references(text: str, filename: str) -> tuple[str | None, set[str]]:
    """A policy file's id and the ids of the policies its expressions read (policy_id.output),
    found without checking the file (the full load reports its problems)."""
    data, _ = read_yaml(text, filename)
    if not isinstance(data, dict):
        return None, set()
    sources: list[object] = []
    for group in ("values", "score", "conditions"):
        items = data.get(group)
        if isinstance(items, list):
            sources += [item.get("expr") for item in items if isinstance(item, dict)]
    benefit = data.get("benefit")
    if isinstance(benefit, dict):
        sources.append(benefit.get("expr"))
    found: set[str] = set()
    for source in sources:
        if not isinstance(source, str):
            continue
        try:
            found |= {n.split(".", 1)[0] for n in expr.names(expr.parse(source)) if "." in n}
        except expr.ExprError:
            continue
    own = data.get("id")
    return (own if isinstance(own, str) else None), found


def load_set(files: Iterable[tuple[str, str]], uses: Iterable[Policy] = ()) -> list[Policy]:
    """Policies from (text, filename) pairs, each loaded after the policies it reads (which may
    also come from uses), in the order given otherwise; InvalidFile for every problem of every
    file, a repeated id, and a cycle of references (named, as a → b → a)."""
    texts = list(files)
    known = {p.id: p for p in uses}
    ids: dict[str, int] = {}
    graph: dict[int, set[int]] = {}
    problems: list[RowProblem] = []
    read = [references(text, name) for text, name in texts]
    for index, (own, _) in enumerate(read):
        if own is None:
            continue
        if own in ids:
            problems.append(
                RowProblem(None, "id", own, f"政策编号重复（{texts[ids[own]][1]} 中已有）")
            )
        ids.setdefault(own, index)
    for index, (own, refs) in enumerate(read):
        graph[index] = {ids[r] for r in refs if r in ids and r != own}
    sorter = graphlib.TopologicalSorter(graph)
    try:
        order = list(sorter.static_order())
    except graphlib.CycleError as error:
        cycle = [read[i][0] or texts[i][1] for i in error.args[1]]
        problems.append(
            RowProblem(None, "id", cycle[0], f"政策之间循环引用：{' → '.join(map(str, cycle))}")
        )
        raise InvalidFile(problems, texts[error.args[1][0]][1]) from None
    if problems:
        raise InvalidFile(problems, "政策文件")
    loaded: dict[int, Policy] = {}
    for index in order:
        text, name = texts[index]
        available = {**known, **{p.id: p for p in loaded.values()}}
        try:
            loaded[index] = load(text, name, available.values())
        except InvalidFile as error:
            problems += [
                RowProblem(p.row, f"{name} {p.column or ''}".strip(), p.value, p.reason)
                for p in error.problems
            ]
    if problems:
        raise InvalidFile(problems, "政策文件")
    return [loaded[i] for i in range(len(texts))]


def closure(policies: Iterable[Policy]) -> list[Policy]:
    """policies with every policy they read, transitively, each after those it reads."""
    out: dict[str, Policy] = {}

    def visit(policy: Policy) -> None:
        if policy.id in out:
            return
        for used in policy.uses.values():
            visit(used)
        out[policy.id] = policy

    for policy in policies:
        visit(policy)
    return list(out.values())


def parameter_values(policy: Policy, day: dt.date) -> dict[str, Dated]:
    """Each parameter's value on day; InvalidFile at the parameter's line when one has none."""
    values: dict[str, Dated] = {}
    problems: list[RowProblem] = []
    for key, parameter in policy.parameters.items():
        value = parameter.at(day)
        if value is None:
            problems.append(
                RowProblem(
                    policy.line_of("parameters", key),
                    f"parameters.{key}",
                    None,
                    f"“{parameter.name}”在 {day.isoformat()} 没有取值",
                )
            )
        else:
            values[key] = value
    if problems:
        raise InvalidFile(problems, policy.filename)
    return values
