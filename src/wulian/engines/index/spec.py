"""The index spec: what a composite indicator is made of and how it is computed.

A spec file (YAML) names the unit id column, an optional cohort, the indicators (direction, weight,
parent, unit), a tree of aggregates of any depth (weight, method, missing-children rule), and an
ordered pipeline of named stages. See docs/guide/index-engine.md for the format with examples.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from wulian.engines.specfile import SpecProblem, load_spec, union_tags

Key = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Number = Annotated[float, Field(allow_inf_nan=False)]
Within = Literal["all", "cohort"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CohortBand(Strict):
    label: str = Field(min_length=1, max_length=40)
    min: Number | None = None  # inclusive
    below: Number | None = None  # exclusive


class Cohort(Strict):
    """Units are compared within their cohort: a column's value, or bands of a numeric column."""

    column: str = Field(min_length=1)
    name: str = "分组"
    bands: list[CohortBand] | None = None
    missing_label: str = "未分组"  # the cohort of a unit whose cohort value is missing

    @model_validator(mode="after")
    def _contiguous(self) -> Cohort:
        if self.bands is None:
            return self
        if not self.bands:
            raise SpecProblem("至少需要一个分档", ("bands",))
        labels = [b.label for b in self.bands]
        for i, band in enumerate(self.bands):
            if labels.count(band.label) > 1:
                raise SpecProblem(f"分档名称“{band.label}”重复", ("bands", i, "label"))
            if band.min is not None and band.below is not None and band.min >= band.below:
                raise SpecProblem("min 应小于 below", ("bands", i))
            if i == 0:
                continue
            before = self.bands[i - 1]
            if before.below is None or band.min is None:
                raise SpecProblem("只有第一档可以没有下限、最后一档可以没有上限", ("bands", i))
            if band.min < before.below:
                raise SpecProblem(
                    f"与上一档重叠：上一档到 {before.below:g} 为止，本档从 {band.min:g} 开始",
                    ("bands", i, "min"),
                )
            if band.min > before.below:
                raise SpecProblem(
                    f"与上一档之间有空缺：{before.below:g} 到 {band.min:g} 不属于任何一档",
                    ("bands", i, "min"),
                )
        return self


class Indicator(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=100)
    parent: Key
    weight: Weight = 1.0
    cohort_weights: dict[str, Weight] | None = None  # cohort label → weight there (else weight)
    direction: Literal[1, -1] = 1
    unit: str = ""
    column: str | None = None  # the data column; the key when not given
    description: str = ""

    @field_validator("direction", mode="before")
    @classmethod
    def _signs(cls, value: object) -> object:
        return {"+": 1, "-": -1, "正向": 1, "逆向": -1}.get(value, value)  # type: ignore[call-overload]

    @property
    def source(self) -> str:
        return self.column or self.key


class Aggregate(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=100)
    parent: Key | None = None  # None: the root (exactly one)
    weight: Weight = 1.0
    cohort_weights: dict[str, Weight] | None = None  # cohort label → weight there (else weight)
    method: Literal["arithmetic", "geometric", "harmonic", "sum", "min"] = "arithmetic"
    missing: Literal["reweight", "fail", "zero"] = "reweight"


class Step(Strict):
    indicators: list[Key] | None = None  # None: every indicator


class Denominate(Step):
    stage: Literal["denominate"]
    by: str = Field(min_length=1)  # a data column
    scale: Number = 1.0


class Impute(Step):
    stage: Literal["impute"]
    method: Literal[
        "mean", "median", "group_mean", "group_median", "zero", "constant", "previous", "none"
    ]
    group: str | None = None  # group_*: a data column; the cohort when not given
    value: Number | None = None  # constant
    previous: str = "{column}_prev"  # previous: the column holding last period's value

    @model_validator(mode="after")
    def _value(self) -> Impute:
        if self.method == "constant" and self.value is None:
            raise SpecProblem("method: constant 需要 value", ("value",))
        return self


class Treat(Step):
    stage: Literal["treat"]
    method: Literal["winsorise", "log", "log_ct", "sqrt", "clip"]
    skew: Number = Field(default=2.0, gt=0)  # winsorise: |skewness| threshold
    kurtosis: Number = 3.5  # winsorise: kurtosis threshold
    winmax: int = Field(default=5, ge=0)  # winsorise: at most this many points
    fallback: Literal["log_ct", "none"] = "log_ct"  # winsorise: when winmax points do not suffice
    min: Number | None = None  # clip
    max: Number | None = None  # clip
    within: Within = "all"

    @model_validator(mode="after")
    def _bounds(self) -> Treat:
        if self.method == "clip" and self.min is None and self.max is None:
            raise SpecProblem("method: clip 需要 min 或 max", ("method",))
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise SpecProblem("min 应小于 max", ("min",))
        return self


class PointStep(Strict):
    points: Number
    min: Number | None = None  # inclusive
    below: Number | None = None  # exclusive


class Normalise(Step):
    stage: Literal["normalise"]
    method: Literal[
        "minmax", "goalposts", "zscore", "rank", "percentile", "ratio", "steps", "boolean"
    ]
    range: tuple[Number, Number] = (0.0, 100.0)  # minmax, goalposts, percentile
    min: Number | None = None  # goalposts
    max: Number | None = None  # goalposts
    cap: bool = True  # goalposts: values beyond the goalposts score as at them
    log: bool = False  # goalposts: on the natural-log scale (HDI income)
    mean: Number = 0.0  # zscore: the mean of the scores
    sd: Number = Field(default=1.0, gt=0)  # zscore: their standard deviation
    benchmark: Number | Literal["mean", "median", "max"] | None = None  # ratio
    scale: Number = 1.0  # ratio: value / benchmark × scale
    ratio_cap: Number | None = None  # ratio: at most this (after scale)
    ratio_floor: Number | None = None  # ratio: at least this (after scale), e.g. 0
    steps: list[PointStep] | None = None  # steps: value bands → points
    true_points: Number = 1.0  # boolean
    false_points: Number = 0.0  # boolean
    within: Within = "all"

    @model_validator(mode="after")
    def _params(self) -> Normalise:
        if self.method == "goalposts":
            if self.min is None or self.max is None:
                raise SpecProblem("method: goalposts 需要 min 和 max", ("method",))
            if self.min >= self.max:
                raise SpecProblem("min 应小于 max", ("min",))
            if self.log and self.min <= 0:
                raise SpecProblem("log: true 时 min 应大于 0", ("min",))
        if self.method == "ratio" and self.benchmark is None:
            raise SpecProblem(
                "method: ratio 需要 benchmark（数值，或 mean/median/max）", ("method",)
            )
        if self.method == "ratio" and self.benchmark == 0:
            raise SpecProblem("benchmark 不能为 0", ("benchmark",))
        if (
            self.ratio_cap is not None
            and self.ratio_floor is not None
            and self.ratio_floor >= self.ratio_cap
        ):
            raise SpecProblem("ratio_floor 应小于 ratio_cap", ("ratio_floor",))
        if self.method == "steps":
            if not self.steps:
                raise SpecProblem("method: steps 需要 steps 分档表", ("method",))
            for i, step in enumerate(self.steps):
                if i and (self.steps[i - 1].below is None or step.min is None):
                    raise SpecProblem("只有第一档可以没有下限、最后一档可以没有上限", ("steps", i))
                if i and step.min != self.steps[i - 1].below:
                    raise SpecProblem(
                        "分档应首尾相接（本档 min 等于上一档 below），不能重叠或留空", ("steps", i)
                    )
        if self.range[0] >= self.range[1]:
            raise SpecProblem("range 应为 [下限, 上限]，且下限小于上限", ("range",))
        return self


class Aggregation(Strict):
    stage: Literal["aggregate"]


class Round(Strict):
    stage: Literal["round"]
    digits: int = Field(ge=0, le=12)
    keys: list[Key] | None = None  # None: everything computed so far (indicators or aggregates)


class Rank(Strict):
    stage: Literal["rank"]
    level: Key | None = None  # None: the root
    ties: Literal["min", "dense", "ordinal"] = "min"
    within: Within = "cohort"


class Band(Strict):
    label: str = Field(min_length=1, max_length=40)
    top: Annotated[float, Field(gt=0, allow_inf_nan=False)] | None = None  # by share
    min: Number | None = None  # by score


class Banding(Strict):
    stage: Literal["band"]
    level: Key | None = None
    by: Literal["share", "score"] = "share"
    within: Within = "cohort"
    bands: list[Band] = Field(min_length=1)

    @model_validator(mode="after")
    def _bands(self) -> Banding:
        last = 0.0
        for i, band in enumerate(self.bands):
            if self.by == "share":
                if band.top is None:
                    raise SpecProblem(
                        "按排名比例分档时每档需要 top（累计比例，如 0.05）", ("bands", i)
                    )
                if band.top > 1:
                    raise SpecProblem(
                        f"比例 {band.top:g} 超过 100%（应写成 0 到 1 之间的小数）",
                        ("bands", i, "top"),
                    )
                if band.top <= last:
                    raise SpecProblem("各档的累计比例应从小到大", ("bands", i, "top"))
                last = band.top
            elif band.min is None:
                raise SpecProblem("按分数分档时每档需要 min", ("bands", i))
            elif i and band.min >= (self.bands[i - 1].min or 0):
                raise SpecProblem("按分数分档时各档 min 应从高到低", ("bands", i, "min"))
        return self


StepSpec = Annotated[
    Denominate | Impute | Treat | Normalise | Aggregation | Round | Rank | Banding,
    Field(discriminator="stage"),
]
union_tags("denominate", "impute", "treat", "normalise", "aggregate", "round", "rank", "band")


class IndexSpec(Strict):
    id: Key
    name: str = Field(min_length=1, max_length=100)
    version: int | str = 1
    description: str = ""
    # the department that publishes the index's results (a code; metadata the engine carries)
    department: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    unit: str = Field(min_length=1)  # the id column
    unit_name: str | None = None  # a column with a display name, optional
    cohort: Cohort | None = None
    indicators: list[Indicator] = Field(min_length=1)
    aggregates: list[Aggregate] = Field(min_length=1)
    pipeline: list[StepSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _tree(self) -> IndexSpec:
        names: dict[str, tuple[str, int]] = {}
        for part, i, item in self._located():
            if item.key in names:
                raise SpecProblem(f"键“{item.key}”重复", (part, i, "key"))
            names[item.key] = (part, i)
        aggregates = {a.key: a for a in self.aggregates}
        roots = [a.key for a in self.aggregates if a.parent is None]
        if len(roots) != 1:
            found = "、".join(roots) or "无"
            raise SpecProblem(
                f"应有且只有一个总分（没有 parent 的汇总项），现有 {len(roots)} 个：{found}",
                ("aggregates",),
            )
        for part, i, item in self._located():
            if item.parent is not None and item.parent not in aggregates:
                raise SpecProblem(f"上级“{item.parent}”不是已定义的汇总项", (part, i, "parent"))
        for i, aggregate in enumerate(self.aggregates):  # a cycle never reaches the root
            seen, at = {aggregate.key}, aggregate
            while at.parent is not None:
                if at.parent in seen:
                    raise SpecProblem(
                        f"汇总层级成环：{' → '.join([*seen, at.parent])}",
                        ("aggregates", i, "parent"),
                    )
                seen.add(at.parent)
                at = aggregates[at.parent]
        children = {a.key: 0 for a in self.aggregates}
        for item in self.nodes():
            if item.parent is not None:
                children[item.parent] += 1
        for i, aggregate in enumerate(self.aggregates):
            if not children[aggregate.key]:
                raise SpecProblem(f"汇总项“{aggregate.key}”下没有任何指标", ("aggregates", i))
        self._check_pipeline(set(names), {i.key for i in self.indicators})
        self._check_cohort_weights()
        return self

    def _check_cohort_weights(self) -> None:
        labels = None
        if self.cohort is not None and self.cohort.bands is not None:
            labels = [b.label for b in self.cohort.bands]
        for part, i, item in self._located():
            if not item.cohort_weights:
                continue
            if self.cohort is None:
                raise SpecProblem("没有定义 cohort 时不能按分组设权重", (part, i, "cohort_weights"))
            for label in item.cohort_weights:
                if labels is not None and label not in labels:
                    raise SpecProblem(
                        f"“{label}”不是 cohort 的分档；分档有：{'、'.join(labels)}",
                        (part, i, "cohort_weights", label),
                    )

    @property
    def cohort_weighted(self) -> bool:
        """Whether some weight differs by cohort."""
        return any(item.cohort_weights for item in self.nodes())

    def cohort_labels(self) -> list[str]:
        """The labels of the cohort bands, in order (empty without bands)."""
        if self.cohort is None or self.cohort.bands is None:
            return []
        return [b.label for b in self.cohort.bands]

    def nodes(self) -> list[Indicator | Aggregate]:
        """Indicators, then aggregates."""
        return [*self.indicators, *self.aggregates]

    def _located(self) -> list[tuple[str, int, Indicator | Aggregate]]:
        return [("indicators", i, x) for i, x in enumerate(self.indicators)] + [
            ("aggregates", i, x) for i, x in enumerate(self.aggregates)
        ]

    def _check_pipeline(self, keys: set[str], indicators: set[str]) -> None:
        aggregated = False
        normalised = False
        for i, step in enumerate(self.pipeline):
            listed = getattr(step, "indicators", None) or []
            for j, key in enumerate(listed):
                if key not in indicators:
                    raise SpecProblem(f"“{key}”不是已定义的指标", ("pipeline", i, "indicators", j))
            if isinstance(step, Aggregation):
                if aggregated:
                    raise SpecProblem("流程中只能有一个 aggregate", ("pipeline", i))
                if not normalised:
                    raise SpecProblem("aggregate 之前需要 normalise", ("pipeline", i))
                aggregated = True
            elif isinstance(step, Denominate | Impute | Treat | Normalise) and aggregated:
                raise SpecProblem(f"{step.stage} 应在 aggregate 之前", ("pipeline", i, "stage"))
            elif isinstance(step, Rank | Banding):
                if not aggregated:
                    raise SpecProblem(f"{step.stage} 应在 aggregate 之后", ("pipeline", i, "stage"))
                if step.level is not None and step.level not in keys:
                    raise SpecProblem(
                        f"“{step.level}”不是已定义的指标或汇总项", ("pipeline", i, "level")
                    )
            elif isinstance(step, Round):
                for j, key in enumerate(step.keys or []):
                    if key not in keys:
                        raise SpecProblem(
                            f"“{key}”不是已定义的指标或汇总项", ("pipeline", i, "keys", j)
                        )
            if isinstance(step, Normalise):
                normalised = True
        if not aggregated:
            raise SpecProblem("流程中缺少 aggregate", ("pipeline",))

    @property
    def root(self) -> str:
        return next(a.key for a in self.aggregates if a.parent is None)

    def children(self, key: str) -> list[Indicator | Aggregate]:
        return [item for item in self.nodes() if item.parent == key]

    def order(self) -> list[Aggregate]:
        """Aggregates, children before parents."""
        depth: dict[str, int] = {}
        by_key = {a.key: a for a in self.aggregates}
        for aggregate in self.aggregates:
            d, at = 0, aggregate
            while at.parent is not None:
                d += 1
                at = by_key[at.parent]
            depth[aggregate.key] = d
        return sorted(self.aggregates, key=lambda a: -depth[a.key])

    def effective_weights(self, cohort: str | None = None) -> dict[str, float]:
        """Each indicator's share of the root: its weight among its siblings, times its parent's
        share, up to the root (with the weights of cohort where they differ by cohort)."""
        share: dict[str, float] = {self.root: 1.0}
        for aggregate in reversed(self.order()):
            kids = self.children(aggregate.key)
            total = sum(weight_in(k, cohort) for k in kids)
            for kid in kids:
                part = weight_in(kid, cohort) / total if total else 0.0
                share[kid.key] = share[aggregate.key] * part
        return {i.key: share[i.key] for i in self.indicators}

    def numeric_columns(self, available: list[str]) -> list[str]:
        """The data columns this spec reads as numbers (last period's columns where present)."""
        columns = [i.source for i in self.indicators]
        for step in self.pipeline:
            if isinstance(step, Denominate):
                columns.append(step.by)
            if isinstance(step, Impute) and step.method == "previous":
                for indicator in self.indicators:
                    previous = step.previous.format(column=indicator.source)
                    if previous in available:
                        columns.append(previous)
        if self.cohort is not None and self.cohort.bands is not None:
            columns.append(self.cohort.column)
        return list(dict.fromkeys(columns))

    def label(self, key: str) -> str:
        for item in self.nodes():
            if item.key == key:
                return item.name
        return key


def weight_in(item: Indicator | Aggregate, cohort: str | None) -> float:
    """The weight of item for units of cohort (its own weight where the cohort has none)."""
    if cohort is not None and item.cohort_weights and cohort in item.cohort_weights:
        return item.cohort_weights[cohort]
    return item.weight


def load(text: str, filename: str = "spec.yaml") -> IndexSpec:
    """A spec from YAML text; InvalidFile naming file, line and field otherwise."""
    return load_spec(text, filename, IndexSpec)
