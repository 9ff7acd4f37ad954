"""From an index spec and an input frame to the rows a run stores, and what a portrait derives
from them. Pure: Polars and NumPy in, results out; the service module does the reading and writing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from wulian.engines.index import pipeline
from wulian.engines.index.spec import Denominate, IndexSpec
from wulian.engines.specfile import refuse
from wulian.innovation import credit

UNIT = "enterprise_id"


def columns_of(spec: IndexSpec) -> list[str]:
    """The data columns the spec reads (each a metric of the catalogue)."""
    columns = [i.source for i in spec.indicators]
    if spec.cohort is not None:
        columns.append(spec.cohort.column)
    columns += [s.by for s in spec.pipeline if isinstance(s, Denominate)]
    return list(dict.fromkeys(columns))


def check_columns(spec: IndexSpec, text: str, filename: str, known: Iterable[str]) -> None:
    """Refuse a spec that reads a column the metric catalogue does not have, at its line."""
    catalogue = set(known)
    problems: list[tuple[tuple[str | int, ...], Any, str]] = []
    if spec.unit != UNIT:
        problems.append((("unit",), spec.unit, f"创新积分按企业评价，unit 应为 {UNIT}"))
    for i, indicator in enumerate(spec.indicators):
        if indicator.source not in catalogue:
            field = "column" if indicator.column else "key"
            problems.append((("indicators", i, field), indicator.source, "指标目录中没有这个指标"))
    if spec.cohort is not None and spec.cohort.column not in catalogue:
        problems.append((("cohort", "column"), spec.cohort.column, "指标目录中没有这个指标"))
    for i, step in enumerate(spec.pipeline):
        if isinstance(step, Denominate) and step.by not in catalogue:
            problems.append((("pipeline", i, "by"), step.by, "指标目录中没有这个指标"))
    if problems:
        raise refuse(text, filename, problems)


@dataclass(frozen=True)
class Evaluation:
    result: pipeline.Result
    rows: pl.DataFrame  # enterprise_id, cohort, points, rank, cohort_size, percentile, band, …
    details: list[dict[str, Any]]  # per row of rows
    stats: dict[str, Any]  # cohort → size, medians and upper quartiles, band thresholds


def evaluate(
    spec: IndexSpec, frame: pl.DataFrame, credit_spec: credit.CreditSpec | None = None
) -> Evaluation:
    """Run spec on frame (one row per firm) and shape what a run keeps."""
    result = pipeline.run(spec, frame)
    root = spec.root
    scores = result.scores
    cohort = (
        scores[pipeline.COHORT].cast(pl.String)
        if pipeline.COHORT in scores.columns
        else pl.Series("cohort", ["全部"] * scores.height)
    )
    base = scores.select(UNIT, pl.col(root).alias("points")).with_columns(cohort.alias("cohort"))
    rank = (
        scores[f"rank_{root}"]
        if f"rank_{root}" in scores.columns
        else base.select(pl.col("points").rank("min", descending=True).over("cohort"))["points"]
    )
    band = scores[f"band_{root}"] if f"band_{root}" in scores.columns else None
    rows = base.with_columns(
        rank.cast(pl.Int64).alias("rank"),
        pl.len().over("cohort").cast(pl.Int64).alias("cohort_size"),
        (
            pl.col("points").rank("max").over("cohort")
            / pl.col("points").count().over("cohort")
            * 100
        )
        .round(1)
        .alias("percentile"),
        (band if band is not None else pl.lit(None, pl.String)).alias("band"),
    )
    if spec.cohort is not None:
        # A firm whose stage is unknown (its revenue is missing) has points but no place: it is
        # not ranked, banded or given a line until the value is supplied.
        unstaged = pl.col("cohort") == spec.cohort.missing_label
        rows = rows.with_columns(
            pl.when(unstaged).then(None).otherwise(pl.col(c)).alias(c)
            for c in ("rank", "percentile", "band")
        )
    scored_in_cohort = pl.col("points").count().over("cohort")
    rows = rows.with_columns((pl.col("rank") / scored_in_cohort).alias("top_share"))
    if credit_spec is not None:
        line = credit.lines(credit_spec, rows)
        rows = rows.with_columns(
            pl.when(pl.col("rank").is_null()).then(None).otherwise(line).alias("credit_line")
        )
    else:
        rows = rows.with_columns(pl.lit(None, pl.Float64).alias("credit_line"))
    rows = rows.drop("top_share")
    return Evaluation(
        result=result,
        rows=rows,
        details=_details(spec, result),
        stats=_stats(spec, result, rows),
    )


def _details(spec: IndexSpec, result: pipeline.Result) -> list[dict[str, Any]]:
    keys = [i.key for i in spec.indicators]
    levels = [a.key for a in spec.aggregates]
    raw = result.raw.select(keys).rows()
    normalised = result.normalised.select(keys).rows()
    imputed = result.imputed.select(keys).rows()
    scores = result.scores.select(levels).rows()
    details = []
    for r, n, m, s in zip(raw, normalised, imputed, scores, strict=True):
        details.append(
            {
                "scores": dict(zip(levels, map(_clean, s), strict=True)),
                "raw": dict(zip(keys, map(_clean, r), strict=True)),
                "normalised": dict(zip(keys, map(_clean, n), strict=True)),
                "imputed": [k for k, flag in zip(keys, m, strict=True) if flag],
            }
        )
    return details


def _clean(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, 6)


def _stats(spec: IndexSpec, result: pipeline.Result, rows: pl.DataFrame) -> dict[str, Any]:
    keys = [i.key for i in spec.indicators]
    levels = [a.key for a in spec.aggregates]
    frame = pl.concat(
        [
            rows.select("cohort", "band", "points"),
            result.normalised.select(keys),
            result.raw.select(pl.col(k).alias(f"raw__{k}") for k in keys),
            result.scores.select(pl.col(k).alias(f"score__{k}") for k in levels),
        ],
        how="horizontal",
    )
    stats: dict[str, Any] = {}
    for (label,), group in frame.group_by(["cohort"], maintain_order=True):
        quantile = group.select(
            *[pl.col(k).median().alias(f"median__{k}") for k in keys],
            *[pl.col(k).quantile(0.75, "linear").alias(f"p75__{k}") for k in keys],
            *[pl.col(f"raw__{k}").quantile(0.75, "linear").alias(f"p75raw__{k}") for k in keys],
            *[pl.col(f"score__{k}").median().alias(f"median__{k}") for k in levels],
        ).row(0, named=True)
        thresholds = (
            group.filter(pl.col("band").is_not_null())
            .group_by("band")
            .agg(pl.col("points").min())
            .rows()
        )
        stats[str(label)] = {
            "size": group.height,
            "scored": int(group["points"].count()),
            "median": {k: _clean(quantile[f"median__{k}"]) for k in [*keys, *levels]},
            "p75": {k: _clean(quantile[f"p75__{k}"]) for k in keys},
            "p75_raw": {k: _clean(quantile[f"p75raw__{k}"]) for k in keys},
            "band_min": {band: _clean(points) for band, points in thresholds},
        }
    return stats


@dataclass(frozen=True)
class Gain:
    key: str
    name: str
    current: float | None  # normalised score now (None: missing)
    target: float  # the stage's upper quartile
    target_raw: float | None
    gain: float  # points gained


def marginal_gains(
    spec: IndexSpec, detail: dict[str, Any], cohort: str, stats: dict[str, Any], top: int = 5
) -> list[Gain]:
    """The indicators whose rise to the stage's upper quartile would add the most points (a
    missing indicator counts as reported at that level), computed through the spec's own
    aggregation, largest first."""
    stage = stats.get(cohort) or {}
    p75 = stage.get("p75", {})
    now = detail["normalised"]
    root = spec.root
    current = detail["scores"].get(root)
    if current is None:
        return []
    masks = {cohort: np.array([True])}
    gains = []
    for indicator in spec.indicators:
        key = indicator.key
        target = p75.get(key)
        value = now.get(key)
        if target is None or (value is not None and value >= target):
            continue
        values = {k: np.array([np.nan if now.get(k) is None else float(now[k])]) for k in now}
        values[key] = np.array([float(target)])
        scored, _ = pipeline.aggregate_arrays(spec, values, cohorts=masks)
        gain = float(scored[root][0]) - current
        if gain > 1e-9:
            gains.append(
                Gain(key, indicator.name, value, target, stage.get("p75_raw", {}).get(key), gain)
            )
    gains.sort(key=lambda g: -g.gain)
    return gains[:top]
