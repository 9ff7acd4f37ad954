"""The stages before aggregation: denominate, impute, treat, normalise, round. Each takes the
indicators at the units' places and gives new arrays for those it changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import kernels
from wulian.engines.index import treat as treat_module
from wulian.engines.index.pipeline.frame import (
    COHORT,
    Layout,
    Values,
    each,
    parallel,
    segments_of,
    units,
)
from wulian.engines.index.spec import (
    Denominate,
    Impute,
    IndexSpec,
    Normalise,
    Treat,
)


def round_values(_: int, x: np.ndarray, digits: int) -> np.ndarray:
    rounded: np.ndarray = pl.Series(x).round(digits).to_numpy()
    return rounded


def denominate(step: Denominate, by: np.ndarray, values: Values, chosen: list[int]) -> Values:
    usable = ~np.isnan(by) & (by != 0)
    safe = np.where(usable, by, 1.0)
    return each(values, chosen, lambda _, x: np.where(usable, x / safe * step.scale, np.nan))


def impute(
    spec: IndexSpec,
    step: Impute,
    data: pl.DataFrame,
    layout: Layout,
    values: Values,
    chosen: list[int],
) -> Values:
    if step.method == "none":
        return values
    if step.method in ("group_mean", "group_median") and step.group not in (None, "cohort"):
        group = layout.in_place_order(data[str(step.group)].cast(pl.String)).alias("g")
        statistic = "mean" if step.method == "group_mean" else "median"

        def by_group(_: int, x: np.ndarray) -> np.ndarray:
            column = pl.col("x")
            frame = pl.DataFrame([pl.Series("x", x).fill_nan(None), group])
            filled = frame.select(column.fill_null(getattr(column, statistic)().over("g")))
            return filled.to_series().cast(pl.Float64).fill_null(np.nan).to_numpy()

        return each(values, chosen, by_group)
    if step.method == "previous":
        previous = {}
        for j in chosen:
            name = step.previous.format(column=spec.indicators[j].source)
            if name not in data.columns:
                raise InvalidInput(f"按上期值补缺需要“{name}”列", field=name)
            previous[j] = name
    within = "cohort" if step.method.startswith("group_") else "all"
    segments = segments_of(spec, layout, within)

    def fill(j: int, x: np.ndarray) -> np.ndarray:
        if step.method in ("zero", "constant", "previous"):
            missing = np.isnan(x)
            gaps = np.flatnonzero(missing)  # few, as a rule: filled by position, not by mask
            if not gaps.size:
                return x
            x = x.copy()
            if step.method == "previous":
                x[gaps] = layout.take(data[previous[j]])[gaps]
            else:
                x[gaps] = 0.0 if step.method == "zero" else float(step.value or 0.0)
            return x
        if not may_miss(x):
            return x
        out = np.empty_like(x)  # also where a segment's values are put for its median
        changed = False
        for start, end, _ in segments:
            present = out[start:end]  # the median reorders them; filling overwrites them
            count = kernels.present(x[start:end], present)
            if count in (0, end - start):  # all missing, or none: nothing to fill
                out[start:end] = x[start:end]
                continue
            present = present[:count]
            middle = _median(present) if step.method.endswith("median") else present.mean()
            kernels.fill_missing(x[start:end], out[start:end], middle)
            changed = True
        return out if changed else x

    return each(values, chosen, fill)


def may_miss(x: np.ndarray) -> bool:
    """Whether x may have a missing value: False when none is, found without a mask (the sum of
    values is NaN where one is NaN, or where infinities cancel)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return bool(np.isnan(np.add.reduce(x)))


def _median(values: np.ndarray) -> float:
    """The median of values (no NaN, at least one), which are reordered: one partition, where
    np.median makes three (it also looks for NaN at the end) and is several times slower."""
    half = values.size // 2
    values.partition(half)
    upper = float(values[half])
    if values.size % 2:
        return upper
    return (float(values[:half].max()) + upper) / 2


def treat_indicators(
    spec: IndexSpec, step: Treat, layout: Layout, values: Values, chosen: list[int]
) -> tuple[Values, list[dict[str, Any]]]:
    keys = [i.key for i in spec.indicators]
    if step.method in ("log", "sqrt", "clip"):
        low = -np.inf if step.min is None else step.min
        high = np.inf if step.max is None else step.max

        def transform(_: int, x: np.ndarray) -> np.ndarray:
            with np.errstate(invalid="ignore", divide="ignore"):
                if step.method == "log":
                    return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)
                if step.method == "sqrt":
                    return np.where(x >= 0, np.sqrt(np.where(x >= 0, x, 0.0)), np.nan)
                clipped: np.ndarray = np.clip(x, low, high)
                return clipped

        done = [{"indicator": keys[j], "applied": step.method, "changed": None} for j in chosen]
        return each(values, chosen, transform), done
    segments = segments_of(spec, layout, step.within)

    def treat(j: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
        x = values[j]
        changed = np.empty_like(x)  # filled segment by segment (no page is touched before)
        kept_as_is = []  # the segments left as they were, copied over at the end
        done = []
        for start, end, name in segments:
            segment = x[start:end]
            whole = not may_miss(segment)
            present = None if whole else ~np.isnan(segment)
            kept = segment if present is None else segment[present]
            into = changed[start:end] if whole else None  # a log transform is written there
            group = name or "全部"
            if step.method == "log_ct":
                treated = treat_module.log_ct(kept, into) if kept.size else kept
                done.append({"indicator": keys[j], "group": group, "applied": "log_ct"})
            else:
                treated, info = treat_module.winsorise(
                    kept,
                    skew=step.skew,
                    kurtosis=step.kurtosis,
                    winmax=step.winmax,
                    fallback=step.fallback,
                    out=into,
                )
                done.append({"indicator": keys[j], "group": group, **info.__dict__})
            if treated is kept:
                kept_as_is.append((start, end))
            elif into is None:
                changed[start:end] = segment
                changed[start:end][present] = treated
            elif treated is not into:
                changed[start:end] = treated
        if len(kept_as_is) == len(segments):
            return x, done
        for start, end in kept_as_is:  # the segments cover every unit
            changed[start:end] = x[start:end]
        return changed, done

    out = list(values)
    treatments = []
    for j, (x, done) in zip(chosen, parallel(chosen, treat, units(values)), strict=True):
        out[j] = x
        treatments.extend(done)
    return out, treatments


def _over(spec: IndexSpec, expr: pl.Expr, within: str) -> pl.Expr:
    if within == "cohort" and spec.cohort is not None:
        return expr.over(COHORT)
    return expr


def normalise(
    spec: IndexSpec, step: Normalise, layout: Layout, values: Values, chosen: list[int]
) -> Values:
    directions = [i.direction for i in spec.indicators]
    if step.method == "minmax":
        low, high = step.range
        segments = segments_of(spec, layout, step.within)

        def rescale(j: int, x: np.ndarray) -> np.ndarray:
            out = np.empty_like(x)
            for start, end, _ in segments:
                _minmax(x[start:end], out[start:end], low, high, directions[j])
            return out

        return each(values, chosen, rescale)
    keys = [i.key for i in spec.indicators]
    columns = [pl.Series(keys[j], values[j]).fill_nan(None) for j in chosen]
    cohort = layout.cohort_at_places()
    frame = pl.DataFrame(columns + ([cohort] if cohort is not None else []))
    normalised = frame.select(_normalised(spec, step, keys[j], directions[j]) for j in chosen)
    out = list(values)
    for j in chosen:
        out[j] = normalised[keys[j]].cast(pl.Float64).fill_null(np.nan).to_numpy()
    return out


def _minmax(x: np.ndarray, out: np.ndarray, low: float, high: float, direction: int) -> None:
    """x (a cohort's values, NaN = missing) rescaled to low–high into out; one value for
    everyone (zero variance, or a cohort of one) scores the middle of the range."""
    if not x.size:
        return
    with np.errstate(invalid="ignore"):
        lo, hi = float(np.fmin.reduce(x)), float(np.fmax.reduce(x))
    if np.isnan(lo):
        out[...] = x
    elif hi == lo:
        np.copyto(out, np.where(np.isnan(x), np.nan, (low + high) / 2))
    else:  # low + (x − lo) / (hi − lo) × (high − low), in one pass
        origin = lo if direction == 1 else hi
        kernels.rescale(x, out, origin, direction == 1, hi - lo, high - low, low)


def _normalised(spec: IndexSpec, step: Normalise, key: str, direction: int) -> pl.Expr:
    """The methods other than min-max, as an expression on the indicator's column."""
    x = pl.col(key)
    low, high = step.range
    span = high - low

    def over(expr: pl.Expr) -> pl.Expr:
        return _over(spec, expr, step.within)

    if step.method == "goalposts":
        lo_v, hi_v = float(step.min or 0.0), float(step.max or 0.0)  # both given: spec check
        value = x
        if step.cap:
            value = value.clip(lo_v, hi_v)
        if step.log:
            value = pl.when(value > 0).then(value.log()).otherwise(None)
            lo_v, hi_v = float(np.log(lo_v)), float(np.log(hi_v))
        share = (value - lo_v) / (hi_v - lo_v)
        if direction == -1:
            share = 1 - share
        return (low + share * span).alias(key)
    if step.method == "zscore":
        mean, sd = over(x.mean()), over(x.std(ddof=1))
        z = (x - mean) / sd * direction
        expr = (
            pl.when(sd.is_null() | (sd == 0))
            .then(pl.lit(step.mean))
            .otherwise(step.mean + z * step.sd)
        )
        return pl.when(x.is_null()).then(None).otherwise(expr).alias(key)
    if step.method in ("rank", "percentile"):
        ranked = over((x if direction == 1 else -x).rank("average"))
        if step.method == "rank":
            return ranked.alias(key)
        n = over(x.count())
        share = (ranked - 1) / (n - 1)
        expr = pl.when(n == 1).then(pl.lit((low + high) / 2)).otherwise(low + share * span)
        return pl.when(x.is_null()).then(None).otherwise(expr).alias(key)
    if step.method == "ratio":
        if isinstance(step.benchmark, str):
            benchmark = over(getattr(x, step.benchmark)())
        else:
            benchmark = pl.lit(step.benchmark)
        ratio = x / benchmark if direction == 1 else benchmark / x
        ratio = pl.when(ratio.is_infinite() | ratio.is_nan()).then(None).otherwise(ratio)
        expr = ratio * step.scale
        if step.ratio_cap is not None or step.ratio_floor is not None:
            expr = expr.clip(lower_bound=step.ratio_floor, upper_bound=step.ratio_cap)
        return expr.alias(key)
    if step.method == "steps":
        expr_s: Any = pl.lit(None, dtype=pl.Float64)
        for band in reversed(step.steps or []):
            inside = pl.lit(True)
            if band.min is not None:
                inside = inside & (x >= band.min)
            if band.below is not None:
                inside = inside & (x < band.below)
            expr_s = pl.when(inside).then(pl.lit(band.points)).otherwise(expr_s)
        return pl.when(x.is_null()).then(None).otherwise(expr_s).alias(key)
    # boolean
    return (
        pl.when(x.is_null())
        .then(None)
        .when(x != 0)
        .then(pl.lit(step.true_points))
        .otherwise(pl.lit(step.false_points))
        .alias(key)
    )
