"""Knowledge-value credit (知识价值信用贷): a spec file of its own that wraps an index spec.

The index spec scores a firm's indicators (through the index engine) and bands the score into
grades; this spec adds the credit line of each grade and how many indicators must be known for a
grade at all. Unknown is not zero: an unknown indicator does not count and its weight goes to the
known ones; a firm with fewer than min_known known indicators gets no grade ("资料不足").
Pure: Polars in, Polars out.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.engines.index import pipeline
from wulian.engines.index.spec import Banding, IndexSpec
from wulian.engines.specfile import SpecProblem, load_spec

UNIT = "enterprise_id"
SHIPPED = "knowledge_credit.yaml"
# the shipped specs a run may use: code → file (Hubei's seven indicators; Chongqing's base
# indicators plus bonus items)
SHIPPED_SPECS: dict[str, str] = {
    "knowledge_credit": SHIPPED,
    "knowledge_credit_cq": "knowledge_credit_cq.yaml",
}
TAG_COLUMNS = {"high_tech": "gaoxin"}  # indicator column → the registry title it reads (1/0)
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CreditSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    name: str = Field(min_length=1, max_length=100)
    version: int | str = 1
    description: str = ""
    department: str | None = None
    unit: str = "万元"
    min_known: int = Field(default=1, ge=1)
    lines: dict[str, Amount] = Field(min_length=1)  # grade → credit line
    index: IndexSpec

    @model_validator(mode="after")
    def _grades(self) -> CreditSpec:
        if self.index.unit != UNIT:
            raise SpecProblem(f"知识价值信用按企业评价，unit 应为 {UNIT}", ("index", "unit"))
        if self.min_known > len(self.index.indicators):
            raise SpecProblem("min_known 不能多于指标数", ("min_known",))
        banding = self.banding
        if banding is None:
            raise SpecProblem("评价流程需要按分数分级的 band 步骤", ("index", "pipeline"))
        missing = [b.label for b in banding.bands if b.label not in self.lines]
        if missing:
            raise SpecProblem(f"等级 {'、'.join(missing)} 没有对应的授信额度", ("lines",))
        return self

    @property
    def banding(self) -> Banding | None:
        root = self.index.root
        for step in self.index.pipeline:
            if isinstance(step, Banding) and step.by == "score" and step.level in (None, root):
                return step
        return None

    @property
    def grades(self) -> list[str]:
        banding = self.banding
        return [b.label for b in banding.bands] if banding else []

    @property
    def columns(self) -> list[str]:
        return [i.source for i in self.index.indicators]


def load(text: str, filename: str = SHIPPED) -> CreditSpec:
    """A knowledge-value credit spec from YAML text; InvalidFile naming file, line and field."""
    return load_spec(text, filename, CreditSpec)


def shipped_text(code: str = "knowledge_credit") -> str:
    filename = SHIPPED_SPECS[code]
    return resources.files("wulian.capital").joinpath("specs", filename).read_text("utf-8")


def shipped(code: str = "knowledge_credit") -> CreditSpec:
    return load(shipped_text(code), SHIPPED_SPECS[code])


def score(spec: CreditSpec, frame: pl.DataFrame) -> tuple[pl.DataFrame, pipeline.Result]:
    """Grades of every firm of frame (enterprise_id + the spec's columns): enterprise_id,
    score, grade, credit_line (万元) and known (how many indicators were known), in id order;
    score, grade and credit_line are null where fewer than min_known indicators are known."""
    result = pipeline.run(spec.index, frame)
    root = spec.index.root
    known = result.raw.select(
        pl.sum_horizontal(
            pl.col(i.key).is_not_null().cast(pl.Int32) for i in spec.index.indicators
        ).alias("known")
    )["known"]
    enough = pl.col("known") >= spec.min_known
    lines = {k: float(v) for k, v in spec.lines.items()}
    rows = (
        result.scores.select(
            UNIT,
            pl.col(root).alias("score"),
            pl.col(f"band_{root}").cast(pl.String).alias("grade"),
        )
        .with_columns(known.alias("known"))
        .with_columns(
            pl.when(enough).then(pl.col("score")).otherwise(None).alias("score"),
            pl.when(enough).then(pl.col("grade")).otherwise(None).alias("grade"),
        )
        .with_columns(
            pl.col("grade")
            .replace_strict(lines, default=None, return_dtype=pl.Float64)
            .alias("credit_line")
        )
    )
    return rows, result


def explanations(spec: CreditSpec, result: pipeline.Result) -> list[dict[str, Any]]:
    """Per firm (in id order): each indicator's value, points and weight; unknown ones marked."""
    raw = result.raw
    normalised = result.normalised
    indicators = spec.index.indicators
    out: list[dict[str, Any]] = []
    raws = {i.key: raw[i.key].to_list() for i in indicators}
    points = {i.key: normalised[i.key].to_list() for i in indicators}
    for row in range(raw.height):
        lines = []
        for ind in indicators:
            value = raws[ind.key][row]
            point = points[ind.key][row]
            lines.append(
                {
                    "key": ind.key, "name": ind.name, "unit": ind.unit, "weight": ind.weight,
                    "raw": None if value is None else float(value),
                    "points": None if point is None else round(float(point), 1),
                }
            )  # fmt: skip
        out.append({"indicators": lines})
    return out
