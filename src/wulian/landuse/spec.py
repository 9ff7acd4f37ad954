"""The 亩均效益 spec file: who is evaluated, the items of each group (规上, 规下) with weights and
benchmarks, the classes, bonus points and the policy text of each class.

    spec = load(text, "huangyan.yaml")

A group's score is Σ item / benchmark × weight (each ratio optionally held between a floor and
a cap, said to be official or a platform default), plus bonus points; it compiles to an
index-engine spec (`index_spec`) with the benchmarks as numbers.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.engines.index.spec import IndexSpec
from wulian.engines.specfile import SpecProblem, load_spec
from wulian.reference import catalogue

Number = Annotated[float, Field(allow_inf_nan=False)]
GROUPS = {"above": "规上企业", "below": "规下企业"}
CAP_BASIS = {"official": "官方口径", "default": "平台默认"}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PreviousAverage(Strict):
    previous_average: Number = Field(gt=0)  # × last year's average of the group


Benchmark = Number | Literal["average", "mean"] | PreviousAverage


class Item(Strict):
    key: str  # a catalogue indicator, e.g. tax_per_mu
    name: str | None = None  # shown instead of the catalogue's name
    weight: Number = Field(gt=0)
    # a number (the published benchmark), "average" (the group's total numerator / total
    # denominator), "mean" (the mean of the firms' values) or {previous_average: 1.05}
    benchmark: Benchmark
    # the item's limits: cap, the most the ratio counts (points at most cap × weight), or
    # max_points, the most points it gives; floor, the least the ratio counts (0: a loss or a
    # negative value gives 0 points, not minus points); cap_basis, whether the limits are the
    # scheme's published rule (official) or the platform's default where the scheme says none
    cap: Number | None = Field(default=None, gt=0)
    max_points: Number | None = Field(default=None, gt=0)
    floor: Number | None = None
    cap_basis: Literal["official", "default"] = "default"
    missing: Literal["refuse", "average"] = "refuse"  # average: the group's mean value

    @model_validator(mode="after")
    def _known(self) -> Item:
        if self.key not in catalogue.formulas():
            raise SpecProblem(f"“{self.key}”不是指标目录中的计算指标（如 tax_per_mu）", ("key",))
        if isinstance(self.benchmark, float) and self.benchmark <= 0:
            raise SpecProblem("基准值应大于 0", ("benchmark",))
        if self.cap is not None and self.max_points is not None:
            raise SpecProblem("cap（比值上限）与 max_points（得分上限）只写一个", ("max_points",))
        cap = self.ratio_cap
        if cap is not None and self.floor is not None and self.floor >= cap:
            raise SpecProblem("floor（比值下限）应小于上限", ("floor",))
        return self

    @property
    def ratio_cap(self) -> float | None:
        """The most the ratio value / benchmark counts: cap, or max_points / weight."""
        if self.max_points is not None:
            return self.max_points / self.weight
        return self.cap

    @property
    def limits(self) -> str | None:
        """The item's limits in words, with their basis: “上限 60 分（权重的 2 倍），下限 0 分；
        平台默认”; None when it has none."""
        parts = []
        if (cap := self.ratio_cap) is not None:
            parts.append(f"上限 {cap * self.weight:g} 分（权重的 {cap:g} 倍）")
        if self.floor is not None:
            parts.append(f"下限 {self.floor * self.weight:g} 分")
        if not parts:
            return None
        return f"{'，'.join(parts)}；{CAP_BASIS[self.cap_basis]}"


class Group(Strict):
    key: Literal["above", "below"]
    name: str | None = None
    items: list[Item] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Group:
        keys = [i.key for i in self.items]
        for index, key in enumerate(keys):
            if keys.index(key) != index:
                raise SpecProblem(f"指标“{key}”重复", ("items", index, "key"))
        return self

    @property
    def label(self) -> str:
        return self.name or GROUPS[self.key]


class ClassBand(Strict):
    label: str = Field(min_length=1, max_length=8)
    top: Number | None = Field(default=None, gt=0, le=1)  # by share: cumulative share
    min: Number | None = None  # by score: the lowest score of the class


class Classes(Strict):
    by: Literal["share", "score"] = "share"
    bands: list[ClassBand] = Field(min_length=2)

    @model_validator(mode="after")
    def _ordered(self) -> Classes:
        for index, band in enumerate(self.bands):
            last = index == len(self.bands) - 1
            if self.by == "share":
                if band.top is None:
                    raise SpecProblem("按排名比例分类时每类需要 top（累计比例）", ("bands", index))
                if index and band.top <= (self.bands[index - 1].top or 0):
                    raise SpecProblem("各类的累计比例应从小到大", ("bands", index, "top"))
                if last and band.top != 1:
                    raise SpecProblem(
                        "最后一类的累计比例应为 1（包括其余全部企业）", ("bands", index, "top")
                    )
            elif band.min is None and not last:
                raise SpecProblem("按分数分类时除最后一类外每类需要 min", ("bands", index))
            elif index and band.min is not None and band.min >= (self.bands[index - 1].min or 0):
                raise SpecProblem("按分数分类时各类 min 应从高到低", ("bands", index, "min"))
        labels = [b.label for b in self.bands]
        if len(set(labels)) != len(labels) or "T" in labels:
            raise SpecProblem("类别名称应互不相同，且不能用 T（T 表示不定等级）", ("bands",))
        return self


class Scope(Strict):
    below_min_land: Number = Field(default=3.0, ge=0)  # 规下 firms need this much own land (亩)
    min_age_years: int = Field(default=2, ge=0)  # younger firms are not rated (T)
    sections: list[str] = ["B", "C", "D"]  # GB/T 4754 门类 evaluated: industry
    exempt_sections: list[str] = ["D"]  # 门类 not rated (utilities): class T
    low_tax_per_mu: Number = Field(default=5.0, ge=0)  # 万元/亩: the low-efficiency line


class Bonus(Strict):
    tag: str  # a registry tag (gaoxin, zhuanjing, …)
    points: Number  # negative for a penalty
    name: str = Field(min_length=1)


class LanduseSpec(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,39}$")
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    # the department that runs and publishes the evaluation (a code, e.g. economy for 经信局)
    department: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    scope: Scope = Scope()
    groups: list[Group] = Field(min_length=1, max_length=2)
    classes: Classes
    bonus: list[Bonus] = []
    policies: dict[str, str] = {}  # class label (or T) → the policy it carries

    @model_validator(mode="after")
    def _check(self) -> LanduseSpec:
        keys = [g.key for g in self.groups]
        if len(set(keys)) != len(keys):
            raise SpecProblem("规上（above）、规下（below）各只能有一组", ("groups",))
        labels = {b.label for b in self.classes.bands} | {"T"}
        for label in self.policies:
            if label not in labels:
                raise SpecProblem(f"“{label}”不是已定义的类别", ("policies", label))
        return self

    def group(self, key: str) -> Group | None:
        return next((g for g in self.groups if g.key == key), None)

    def inputs(self) -> list[str]:
        """The stored inputs every item needs (tax_paid, land_area, …)."""
        keys = [i.key for g in self.groups for i in g.items]
        return list(catalogue.needs([*keys, "tax_per_mu"]).current)


def load(text: str, filename: str = "landuse.yaml") -> LanduseSpec:
    """A spec from YAML text; InvalidFile naming file, line and field otherwise."""
    return load_spec(text, filename, LanduseSpec)


def index_spec(
    spec: LanduseSpec, group: Group, benchmarks: dict[str, float], *, classify: bool = True
) -> IndexSpec:
    """The engine's spec for one group: each item as its ratio to the benchmark (numbers here),
    summed with the weights; bonus points as one more item of weight 1; ranks and classes over
    the whole group."""
    names = catalogue.names()
    indicators: list[dict[str, object]] = [
        {"key": i.key, "name": i.name or names.get(i.key, i.key), "parent": "total",
         "weight": i.weight}
        for i in group.items
    ]  # fmt: skip
    pipeline: list[dict[str, object]] = []
    averaged = [i.key for i in group.items if i.missing == "average"]
    if averaged:
        pipeline.append({"stage": "impute", "method": "mean", "indicators": averaged})
    for item in group.items:
        step: dict[str, object] = {
            "stage": "normalise", "method": "ratio", "indicators": [item.key],
            "benchmark": benchmarks[item.key],
        }  # fmt: skip
        if item.ratio_cap is not None:
            step["ratio_cap"] = item.ratio_cap
        if item.floor is not None:
            step["ratio_floor"] = item.floor
        pipeline.append(step)
    if spec.bonus:
        indicators.append({"key": "bonus", "name": "加减分", "parent": "total", "weight": 1})
        pipeline.append(
            {"stage": "normalise", "method": "ratio", "indicators": ["bonus"], "benchmark": 1}
        )
    pipeline.append({"stage": "aggregate"})
    if classify:
        pipeline.append({"stage": "rank", "ties": "min", "within": "all"})
        bands: list[dict[str, object]] = [
            {"label": b.label, "top": b.top} if spec.classes.by == "share"
            else {"label": b.label, "min": b.min if b.min is not None else -1e300}
            for b in spec.classes.bands
        ]  # fmt: skip
        pipeline.append({"stage": "band", "by": spec.classes.by, "within": "all", "bands": bands})
    return IndexSpec.model_validate(
        {
            "id": f"{spec.id}_{group.key}",
            "name": f"{spec.name}（{group.label}）",
            "unit": "enterprise_id",
            "indicators": indicators,
            "aggregates": [{"key": "total", "name": "综合得分", "method": "sum"}],
            "pipeline": pipeline,
        }
    )
