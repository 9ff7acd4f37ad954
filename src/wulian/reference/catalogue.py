"""The metric catalogue shipped with the package: every number the platform knows.

Pure: reads the YAML file into validated `MetricSpec`s; the database copy is kept in step by
`reference.service.sync_metrics`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wulian.core.errors import InvalidInput
from wulian.reference.units import unit

EVALUATIONS = frozenset({"innovation", "landuse", "ladder"})
# The formulas of computed indicators: a ratio of two inputs, or growth over last period.
FORMULA = re.compile(r"^(?P<num>[a-z_]+) / (?P<prev>上年 )?(?P<den>[a-z_]+)(?P<less> - 1)?$")


@dataclass(frozen=True)
class Formula:
    """numerator / denominator (last period's when previous), less one when growth."""

    numerator: str
    denominator: str
    previous: bool
    less_one: bool

    @classmethod
    def parse(cls, text: str) -> Formula:
        match = FORMULA.match(text.strip())
        if match is None:
            raise ValueError(f"公式“{text}”无法识别：应为“a / b”或“a / 上年 a - 1”")
        return cls(
            numerator=match["num"],
            denominator=match["den"],
            previous=match["prev"] is not None,
            less_one=match["less"] is not None,
        )


class ChangeBound(BaseModel):
    """How far a new value may move from the stored current value before an import or a
    self-report lists it as a sharp change for an officer to confirm.

    ratio: sharp when the new value is below old / ratio or above old × ratio (both positive);
    jump: sharp when |new − old| exceeds jump (for ratios and percentages, in the metric's unit);
    floor: never sharp when |new − old| is at most floor (small counts: 1 → 4 patents).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ratio: float | None = Field(default=None, gt=1)
    jump: float | None = Field(default=None, gt=0)
    floor: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _check(self) -> ChangeBound:
        if self.ratio is None and self.jump is None:
            raise ValueError("change 须给出 ratio（倍数）或 jump（绝对变动）")
        return self

    def describe(self, unit: str) -> str:
        """The bound in Chinese, for the check report."""
        parts = []
        if self.ratio is not None:
            parts.append(f"不到原值的 1/{self.ratio:g} 或超过 {self.ratio:g} 倍")
        if self.jump is not None:
            shown = f"{self.jump * 100:g} 个百分点" if unit == "比例" else f"{self.jump:g} {unit}"
            parts.append(f"变动超过 {shown}")
        return "或".join(parts)


# Defaults by type when a metric names no bound: amounts may triple or fall to a third; ratios
# may move 20 percentage points; counts as amounts, but a change of 10 or fewer is never sharp.
DEFAULT_CHANGE = {
    "number": ChangeBound(ratio=3),
    "integer": ChangeBound(ratio=3, floor=10),
    "ratio": ChangeBound(jump=0.2),
}


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=100)
    unit: str
    period: Literal["year", "month"] = "year"
    type: Literal["number", "integer", "ratio"]
    kind: Literal["input", "indicator"] = "input"
    owner: str | None = Field(None, pattern=r"^[a-z][a-z0-9_-]{0,31}$")  # department code
    min: float | None = None
    max: float | None = None
    formula: str | None = None
    definition: str = ""
    used_by: tuple[str, ...] = ()
    change: ChangeBound | None = None

    @property
    def change_bound(self) -> ChangeBound:
        """This metric's bound on sharp changes (its own, else the default of its type)."""
        return self.change or DEFAULT_CHANGE[self.type]

    @model_validator(mode="after")
    def _check(self) -> MetricSpec:
        unit(self.unit)  # a known unit
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min 大于 max")
        if self.kind == "indicator" and not self.formula:
            raise ValueError("计算指标必须给出 formula")
        if self.formula is not None:
            Formula.parse(self.formula)
        unknown = set(self.used_by) - EVALUATIONS
        if unknown:
            raise ValueError(f"未知的评价：{', '.join(sorted(unknown))}")
        return self


def parse(text: str, source: str = "metrics.yaml") -> tuple[MetricSpec, ...]:
    """Metrics from YAML text; a bad entry is refused with its position and key."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark else ""
        raise InvalidInput(f"{source} {where} 不是有效的 YAML：{error}") from None
    if not isinstance(raw, list):
        raise InvalidInput(f"{source} 应为指标列表")
    specs: list[MetricSpec] = []
    for index, item in enumerate(raw, start=1):
        key = item.get("key", "?") if isinstance(item, dict) else "?"
        try:
            specs.append(MetricSpec.model_validate(item))
        except (ValidationError, InvalidInput) as error:
            raise InvalidInput(f"{source} 第 {index} 个指标（{key}）无效：{error}") from None
    keys = [s.key for s in specs]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InvalidInput(f"{source} 中指标键重复：{', '.join(duplicates)}")
    return tuple(specs)


@cache
def shipped() -> tuple[MetricSpec, ...]:
    """The catalogue that ships with the package."""
    text = resources.files("wulian.reference").joinpath("data/metrics.yaml").read_text("utf-8")
    return parse(text)


def names() -> dict[str, str]:
    """Metric key → its Chinese name, from the shipped catalogue."""
    return {m.key: m.name for m in shipped()}


def change_bounds(
    overrides: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[str, ChangeBound]:
    """Metric key → its bound on sharp changes: the catalogue's, with overrides from the
    settings (`WULIAN_CHANGE_BOUNDS`, e.g. {"revenue": {"ratio": 2}}) taking precedence."""
    bounds = {m.key: m.change_bound for m in shipped()}
    for key, given in (overrides or {}).items():
        if key not in bounds:
            raise InvalidInput(f"设置 change_bounds 中的指标“{key}”不在指标目录中")
        try:
            bounds[key] = ChangeBound.model_validate(dict(given))
        except ValidationError as error:
            raise InvalidInput(f"设置 change_bounds 中“{key}”的变动界限无效：{error}") from None
    return bounds


def sharp(
    old: pl.Expr,
    new: pl.Expr,
    ratio: pl.Expr | float | None,
    jump: pl.Expr | float | None,
    floor: pl.Expr | float = 0.0,
) -> pl.Expr:
    """True where new moved from old beyond the bound (ratio, jump, floor as in `ChangeBound`;
    a null bound does not apply); false where old is unknown."""
    ratio = pl.lit(ratio, pl.Float64) if not isinstance(ratio, pl.Expr) else ratio
    jump = pl.lit(jump, pl.Float64) if not isinstance(jump, pl.Expr) else jump
    floor = pl.lit(floor, pl.Float64) if not isinstance(floor, pl.Expr) else floor
    moved = (new - old).abs()
    by_ratio = (old > 0) & (new >= 0) & ((new * ratio < old) | (new > old * ratio))
    by_jump = moved > jump
    return (by_ratio.fill_null(False) | by_jump.fill_null(False)) & (moved > floor).fill_null(False)


def formulas() -> dict[str, Formula]:
    """Computed indicator key → its formula, from the shipped catalogue."""
    return {m.key: Formula.parse(m.formula) for m in shipped() if m.formula is not None}


@dataclass(frozen=True)
class Needs:
    """The inputs a set of metrics needs: this period's, and last period's."""

    current: tuple[str, ...]
    previous: tuple[str, ...]


def needs(keys: Iterable[str]) -> Needs:
    """Which stored inputs compute keys (an input needs itself)."""
    known = formulas()
    current: list[str] = []
    previous: list[str] = []
    for key in keys:
        formula = known.get(key)
        if formula is None:
            current.append(key)
            continue
        current.append(formula.numerator)
        (previous if formula.previous else current).append(formula.denominator)
    return Needs(tuple(dict.fromkeys(current)), tuple(dict.fromkeys(previous)))


def derive(
    current: pl.DataFrame,
    previous: pl.DataFrame | None,
    keys: Iterable[str],
    *,
    on: str = "enterprise_id",
) -> pl.DataFrame:
    """on + one column per key: inputs as given, computed indicators from their formulas.

    A ratio whose denominator is zero or missing is missing (unknown, not zero or infinite).
    previous holds last period's inputs (same column names), for growth rates.
    """
    known = formulas()
    frame = current
    if previous is not None:
        last = previous.select(
            on, *[pl.col(c).alias(f"{c}__prev") for c in previous.columns if c != on]
        )
        frame = frame.join(last, on=on, how="left")
    columns = []
    for key in dict.fromkeys(keys):
        formula = known.get(key)
        if formula is None:
            columns.append(pl.col(key))
            continue
        numerator = pl.col(formula.numerator)
        name = f"{formula.denominator}__prev" if formula.previous else formula.denominator
        denominator = pl.col(name) if name in frame.columns else pl.lit(None, pl.Float64)
        ratio = pl.when(denominator != 0).then(numerator / denominator)
        columns.append((ratio - 1 if formula.less_one else ratio).cast(pl.Float64).alias(key))
    return frame.select(on, *columns)
