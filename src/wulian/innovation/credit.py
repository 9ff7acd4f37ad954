"""Credit tiers (创新积分贷): points → a reference credit line, as a spec file of its own.

A line is the base of the points band (never below the floor), raised by the uplift of the firm's
rank share within its stage, and capped. Firms without points get no line (unknown, not zero).
Pure: Polars in, Polars out.
"""

from __future__ import annotations

from typing import Annotated

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.engines.specfile import SpecProblem, load_spec

Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(Strict):
    min: Annotated[float, Field(allow_inf_nan=False)]  # points, inclusive
    line: Amount


class Uplift(Strict):
    top: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]  # rank share within the stage
    rate: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class CreditSpec(Strict):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str = Field(min_length=1, max_length=100)
    version: int | str = 1
    description: str = ""
    unit: str = "万元"
    floor: Amount = 0.0  # every firm with points gets at least this
    cap: Amount | None = None
    lines: list[Line] = Field(min_length=1)
    uplifts: list[Uplift] = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> CreditSpec:
        for i in range(1, len(self.lines)):
            if self.lines[i].min <= self.lines[i - 1].min:
                raise SpecProblem("各档积分下限 min 应从低到高", ("lines", i, "min"))
        for i in range(1, len(self.uplifts)):
            if self.uplifts[i].top <= self.uplifts[i - 1].top:
                raise SpecProblem("各档排名比例 top 应从小到大", ("uplifts", i, "top"))
        if self.cap is not None and self.cap < self.floor:
            raise SpecProblem("上限 cap 不能小于保底额度 floor", ("cap",))
        return self


def load(text: str, filename: str = "credit.yaml") -> CreditSpec:
    """A credit-tier spec from YAML text; InvalidFile naming file, line and field otherwise."""
    return load_spec(text, filename, CreditSpec)


def lines(spec: CreditSpec, frame: pl.DataFrame) -> pl.Series:
    """The reference line of each row of frame (columns points, and top_share: rank / scored firms
    of the stage)."""
    points = pl.col("points")
    base: pl.Expr = pl.lit(None, pl.Float64)
    for line in spec.lines:  # later (higher) bands win
        base = pl.when(points >= line.min).then(pl.lit(line.line)).otherwise(base)
    base = pl.max_horizontal(base, pl.lit(spec.floor))
    rate: pl.Expr = pl.lit(0.0)
    for uplift in reversed(spec.uplifts):  # the smallest share that holds wins
        rate = pl.when(pl.col("top_share") <= uplift.top).then(pl.lit(uplift.rate)).otherwise(rate)
    amount = base * (1 + rate)
    if spec.cap is not None:
        amount = pl.min_horizontal(amount, pl.lit(spec.cap))
    result = pl.when(points.is_null()).then(None).otherwise(amount.round(1))
    return frame.select(result.alias("credit_line"))["credit_line"]
