"""The metric catalogue shipped with the package: every number the platform knows.

Pure: reads the YAML file into validated `MetricSpec`s; the database copy is kept in step by
`reference.service.sync_metrics`.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from wulian.core.errors import InvalidInput
from wulian.reference.units import unit

EVALUATIONS = frozenset({"innovation", "landuse", "ladder"})


class MetricSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    name: str = Field(min_length=1, max_length=100)
    unit: str
    period: Literal["year", "month"] = "year"
    type: Literal["number", "integer", "ratio"]
    kind: Literal["input", "indicator"] = "input"
    min: float | None = None
    max: float | None = None
    formula: str | None = None
    definition: str = ""
    used_by: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> MetricSpec:
        unit(self.unit)  # a known unit
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min 大于 max")
        if self.kind == "indicator" and not self.formula:
            raise ValueError("计算指标必须给出 formula")
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
