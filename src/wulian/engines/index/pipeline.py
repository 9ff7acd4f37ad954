"""Run an index spec on a frame: every stage kept, scores per level, ranks, bands, explanations.

    result = run(spec, frame)       # frame: the unit id column and the columns the spec reads
    result.scores                    # unit, cohort, each aggregate's score, ranks, bands
    result.stages["treat"]           # the indicators after each stage, by stage name
    result.explain(unit_id)          # each indicator's raw, treated and normalised value, …

Units are processed in the order of their ids, so that nothing depends on the order of rows.
Missing values stay missing (null) through every stage unless an impute stage fills them; what
was imputed is recorded.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import treat as treat_module
from wulian.engines.index.spec import (
    Aggregate,
    Aggregation,
    Banding,
    Denominate,
    Impute,
    IndexSpec,
    Indicator,
    Normalise,
    Rank,
    Round,
    Treat,
    weight_in,
)

COHORT = "__cohort"


@dataclass(frozen=True)
class IndicatorLine:
    key: str
    name: str
    parent: str
    raw: float | None
    treated: float | None
    normalised: float | None
    imputed: bool
    weight: float  # share of the root score
    contribution: float | None  # weight × normalised, where every level above adds up
    percentile: float | None  # of the normalised value within the cohort, 0–100


@dataclass(frozen=True)
class Explanation:
    unit: Any
    cohort: str | None
    scores: dict[str, float | None]
    ranks: dict[str, int | None]
    bands: dict[str, str | None]
    indicators: list[IndicatorLine]
    notes: list[str]


@dataclass
class Result:
    spec: IndexSpec
    scores: pl.DataFrame  # unit, cohort, aggregates, rank_*, band_*
    stages: dict[str, pl.DataFrame]  # stage name → unit + indicator columns after it
    raw: pl.DataFrame
    treated: pl.DataFrame  # the indicators as they went into normalisation
    normalised: pl.DataFrame
    imputed: pl.DataFrame  # unit + a boolean per indicator
    treatments: list[dict[str, Any]] = field(default_factory=list)
    flags: pl.DataFrame = field(default_factory=pl.DataFrame)  # unit, level, note

    def explain(self, unit: Any) -> Explanation:
        """What made a unit's score: see `Explanation`."""
        spec = self.spec
        position = self.scores.get_column(spec.unit).cast(pl.String).to_list()
        try:
            row = position.index(str(unit))
        except ValueError:
            raise InvalidInput(f"没有这个单位：{unit}", field="unit") from None
        cohort = self.scores[COHORT][row] if COHORT in self.scores.columns else None
        weights = spec.effective_weights(cohort)
        additive = _additive_shares(spec, cohort)
        frame = self.normalised
        ranks = [
            (pl.col(i.key).rank("max") / pl.col(i.key).count() * 100).alias(i.key)
            for i in spec.indicators
        ]
        if cohort is not None:
            frame = frame.with_columns(self.scores[COHORT])
            ranks = [e.over(COHORT) for e in ranks]
        percentile = frame.select(ranks)
        lines = []
        for indicator in spec.indicators:
            key = indicator.key
            normalised = self.normalised[key][row]
            share = additive.get(key)
            lines.append(
                IndicatorLine(
                    key=key,
                    name=indicator.name,
                    parent=indicator.parent,
                    raw=self.raw[key][row],
                    treated=self.treated[key][row],
                    normalised=normalised,
                    imputed=bool(self.imputed[key][row]),
                    weight=weights[key],
                    contribution=None
                    if share is None or normalised is None
                    else share * normalised,
                    percentile=percentile[key][row],
                )
            )
        levels = [a.key for a in spec.aggregates]
        record = self.scores.row(row, named=True)
        notes = []
        if self.flags.height:
            notes = self.flags.filter(pl.col(spec.unit).cast(pl.String) == str(unit))[
                "note"
            ].to_list()
        return Explanation(
            unit=unit,
            cohort=cohort,
            scores={k: record[k] for k in levels},
            ranks={k[5:]: v for k, v in record.items() if k.startswith("rank_")},
            bands={k[5:]: v for k, v in record.items() if k.startswith("band_")},
            indicators=lines,
            notes=notes,
        )

    def output(self) -> pl.DataFrame:
        """unit id, cohort, every aggregate's score, ranks and bands: what the CLI writes."""
        frame = self.scores
        if COHORT in frame.columns:
            frame = frame.rename({COHORT: "cohort"})
        return frame


def _additive_shares(spec: IndexSpec, cohort: str | None = None) -> dict[str, float]:
    """For indicators whose every level above is an arithmetic mean or a sum: the factor that turns
    the normalised value into its part of the root score."""
    by_key = {a.key: a for a in spec.aggregates}
    shares: dict[str, float] = {}
    for indicator in spec.indicators:
        factor = 1.0
        item: Indicator | Aggregate = indicator
        parent: Aggregate | None = by_key[indicator.parent]
        ok = True
        while parent is not None:
            if parent.method == "arithmetic":
                total = sum(weight_in(k, cohort) for k in spec.children(parent.key))
                factor *= weight_in(item, cohort) / total if total else 0.0
            elif parent.method == "sum":
                factor *= weight_in(item, cohort)
            else:
                ok = False
                break
            item, parent = parent, by_key.get(parent.parent) if parent.parent else None
        if ok:
            shares[indicator.key] = factor
    return shares


# ---------------------------------------------------------------- input


def prepare(spec: IndexSpec, data: pl.DataFrame) -> pl.DataFrame:
    """The columns the spec reads, checked: ids present and unique, numbers numeric; by id."""
    columns = set(data.columns)
    needed = [spec.unit, *{i.source for i in spec.indicators}]
    for step in spec.pipeline:
        if isinstance(step, Denominate):
            needed.append(step.by)
        if (
            isinstance(step, Impute)
            and step.method in ("group_mean", "group_median")
            and step.group
        ):
            needed.append(step.group)
    if spec.cohort is not None:
        needed.append(spec.cohort.column)
    missing = [c for c in dict.fromkeys(needed) if c not in columns]
    if missing:
        raise InvalidInput(f"数据缺少这些列：{'、'.join(missing)}", field="data")
    ids = data[spec.unit]
    if ids.null_count():
        raise InvalidInput(f"“{spec.unit}”列有 {ids.null_count()} 个空值：每个单位都需要编号")
    if ids.n_unique() != ids.len():
        twice = ids.filter(ids.is_duplicated()).unique().sort().head(5).cast(pl.String).to_list()
        raise InvalidInput(f"“{spec.unit}”列有重复编号：{'、'.join(twice)}")
    numeric = spec.numeric_columns(data.columns)
    for column in numeric:
        dtype = data.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Null or dtype == pl.Boolean):
            raise InvalidInput(f"“{column}”列应为数字，实际为 {dtype}", field=column)
    return data.sort(spec.unit)


def _cohorts(spec: IndexSpec, data: pl.DataFrame) -> pl.Expr:
    cohort = spec.cohort
    if cohort is None:
        return pl.lit(None, dtype=pl.String)
    if cohort.bands is None:
        return pl.col(cohort.column).cast(pl.String).fill_null(cohort.missing_label)
    value = pl.col(cohort.column).cast(pl.Float64)
    expr: Any = pl.lit(cohort.missing_label)
    for band in reversed(cohort.bands):
        inside = pl.lit(True)
        if band.min is not None:
            inside = inside & (value >= band.min)
        if band.below is not None:
            inside = inside & (value < band.below)
        expr = pl.when(inside).then(pl.lit(band.label)).otherwise(expr)
    return expr  # type: ignore[no-any-return]


# ---------------------------------------------------------------- the run


def run(spec: IndexSpec, data: pl.DataFrame) -> Result:
    """Run every stage of spec on data (see the module docstring)."""
    data = prepare(spec, data)
    work, stages, imputed, treatments = until_aggregate(spec, data)
    raw = stages["raw"]
    normalised = work.select(spec.unit, *(i.key for i in spec.indicators))
    treated = stages.get("_treated", raw)
    stages.pop("_treated", None)
    scores, flags = _after_normalise(spec, work, stages)
    return Result(
        spec=spec,
        scores=scores,
        stages=stages,
        raw=raw,
        treated=treated,
        normalised=normalised,
        imputed=imputed,
        treatments=treatments,
        flags=flags,
    )


def until_aggregate(
    spec: IndexSpec, data: pl.DataFrame
) -> tuple[pl.DataFrame, dict[str, pl.DataFrame], pl.DataFrame, list[dict[str, Any]]]:
    keys = [i.key for i in spec.indicators]
    base: list[pl.Expr] = [pl.col(spec.unit)]
    if spec.cohort is not None:
        # categorical: windows over the cohort group by small integer codes
        base.append(_cohorts(spec, data).cast(pl.Categorical).alias(COHORT))
    work = data.select(
        *base, *(pl.col(i.source).cast(pl.Float64).alias(i.key) for i in spec.indicators)
    )
    stages: dict[str, pl.DataFrame] = {"raw": work.select(spec.unit, *keys)}
    was_missing = work.select(pl.col(k).is_null() for k in keys)
    treatments: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for step in spec.pipeline:
        if isinstance(step, Aggregation):
            break
        chosen: list[str] = getattr(step, "indicators", None) or keys
        if isinstance(step, Denominate):
            work = work.with_columns(_denominate(step, data, k) for k in chosen)
        elif isinstance(step, Impute):
            work = _impute(spec, step, data, work, chosen)
        elif isinstance(step, Treat):
            work, done = _treat(spec, step, work, chosen)
            treatments.extend(done)
        elif isinstance(step, Normalise):
            if "_treated" not in stages:  # the values as they go into the first normalisation
                stages["_treated"] = work.select(spec.unit, *keys)
            groups = _Groups(work) if step.within == "cohort" and spec.cohort is not None else None
            work = work.with_columns(_normalise(spec, step, k, work, groups) for k in chosen)
        elif isinstance(step, Round):
            work = work.with_columns(pl.col(k).round(step.digits) for k in (step.keys or chosen))
        counts[step.stage] += 1
        name = step.stage if counts[step.stage] == 1 else f"{step.stage}_{counts[step.stage]}"
        stages[name] = work.select(spec.unit, *keys)
    imputed = pl.concat(
        [
            work.select(spec.unit),
            pl.DataFrame([(was_missing[k] & work[k].is_not_null()).alias(k) for k in keys]),
        ],
        how="horizontal",
    )
    return work, stages, imputed, treatments


def _denominate(step: Denominate, data: pl.DataFrame, key: str) -> pl.Expr:
    by = pl.lit(data[step.by].cast(pl.Float64))
    return (
        pl.when(by.is_null() | (by == 0))
        .then(None)
        .otherwise(pl.col(key) / by * step.scale)
        .alias(key)
    )


def _group(spec: IndexSpec, name: str | None) -> pl.Expr | None:
    if name is None or name == "cohort":
        return pl.col(COHORT) if spec.cohort is not None else None
    return pl.col(f"__group_{name}")


def _impute(
    spec: IndexSpec, step: Impute, data: pl.DataFrame, work: pl.DataFrame, chosen: list[str]
) -> pl.DataFrame:
    if step.method == "none":
        return work
    if step.group and step.group != "cohort":
        work = work.with_columns(data[step.group].cast(pl.String).alias(f"__group_{step.group}"))
    group = _group(spec, step.group)
    source = {i.key: i.source for i in spec.indicators}
    fills: list[pl.Expr] = []
    for key in chosen:
        column = pl.col(key)
        if step.method == "mean":
            fill: pl.Expr = column.mean()
        elif step.method == "median":
            fill = column.median()
        elif step.method == "group_mean":
            fill = column.mean().over(group) if group is not None else column.mean()
        elif step.method == "group_median":
            fill = column.median().over(group) if group is not None else column.median()
        elif step.method == "zero":
            fill = pl.lit(0.0)
        elif step.method == "constant":
            fill = pl.lit(step.value)
        else:  # previous
            previous = step.previous.format(column=source[key])
            if previous not in data.columns:
                raise InvalidInput(f"按上期值补缺需要“{previous}”列", field=previous)
            fill = pl.lit(data[previous].cast(pl.Float64))
        fills.append(column.fill_null(fill).alias(key))
    work = work.with_columns(fills)
    return work.drop([c for c in work.columns if c.startswith("__group_")])


def _treat(
    spec: IndexSpec, step: Treat, work: pl.DataFrame, chosen: list[str]
) -> tuple[pl.DataFrame, list[dict[str, Any]]]:
    if step.method in ("log", "sqrt", "clip"):
        expressions = []
        for key in chosen:
            column = pl.col(key)
            if step.method == "log":
                expr = pl.when(column > 0).then(column.log()).otherwise(None)
            elif step.method == "sqrt":
                expr = pl.when(column >= 0).then(column.sqrt()).otherwise(None)
            else:
                expr = column.clip(step.min, step.max)
            expressions.append(expr.alias(key))
        return work.with_columns(expressions), [
            {"indicator": k, "applied": step.method, "changed": None} for k in chosen
        ]
    if step.within == "cohort" and spec.cohort is not None:
        cohort = work[COHORT]
        codes = cohort.to_physical().to_numpy()
        order = np.argsort(codes, kind="stable")
        labels_sorted = codes[order]
        starts = np.flatnonzero(np.r_[True, labels_sorted[1:] != labels_sorted[:-1]])
        ends = [*starts[1:], codes.size]
        bounds = [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]
        names = [str(cohort[int(order[a])]) for a, _ in bounds]
    else:
        order = None
        bounds, names = [(0, work.height)], ["全部"]
    done: list[dict[str, Any]] = []
    columns = []
    for key in chosen:
        values = work[key].cast(pl.Float64).fill_null(np.nan).to_numpy()
        ordered = values[order] if order is not None else values.copy()
        for (start, end), name in zip(bounds, names, strict=True):
            segment = ordered[start:end]
            present = ~np.isnan(segment)
            if step.method == "log_ct":
                if present.any():
                    segment[present] = treat_module.log_ct(segment[present])
                done.append({"indicator": key, "group": name, "applied": "log_ct"})
                continue
            treated, info = treat_module.winsorise(
                segment[present],
                skew=step.skew,
                kurtosis=step.kurtosis,
                winmax=step.winmax,
                fallback=step.fallback,
            )
            segment[present] = treated
            done.append({"indicator": key, "group": name, **info.__dict__})
        if order is not None:
            values = np.empty_like(ordered)
            values[order] = ordered
        else:
            values = ordered
        columns.append(pl.Series(key, values).fill_nan(None))
    return work.with_columns(columns), done


def _over(spec: IndexSpec, expr: pl.Expr, within: str) -> pl.Expr:
    if within == "cohort" and spec.cohort is not None:
        return expr.over(COHORT)
    return expr


class _Groups:
    """The cohorts of a frame's rows, for per-cohort extremes computed in one pass."""

    def __init__(self, work: pl.DataFrame) -> None:
        codes = work[COHORT].to_physical().to_numpy()
        _, self.inverse = np.unique(codes, return_inverse=True)
        self.order = np.argsort(self.inverse, kind="stable")
        ordered = self.inverse[self.order]
        self.starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])

    def extremes(self, values: np.ndarray) -> tuple[pl.Series, pl.Series]:
        """Each row's cohort minimum and maximum of values (NaN = missing, ignored)."""
        ordered = values[self.order]
        with np.errstate(invalid="ignore"):
            low = np.fmin.reduceat(ordered, self.starts)[self.inverse]
            high = np.fmax.reduceat(ordered, self.starts)[self.inverse]
        return pl.Series(low).fill_nan(None), pl.Series(high).fill_nan(None)


def _normalise(
    spec: IndexSpec, step: Normalise, key: str, work: pl.DataFrame, groups: _Groups | None
) -> pl.Expr:
    x = pl.col(key)
    direction = next(i.direction for i in spec.indicators if i.key == key)
    low, high = step.range
    span = high - low

    def over(expr: pl.Expr) -> pl.Expr:
        return _over(spec, expr, step.within)

    if step.method == "minmax":
        if groups is not None:
            values = work[key].cast(pl.Float64).fill_null(np.nan).to_numpy()
            low_s, high_s = groups.extremes(values)
            lo, hi = pl.lit(low_s), pl.lit(high_s)
        else:
            lo, hi = x.min(), x.max()
        share = (x - lo) / (hi - lo) if direction == 1 else (hi - x) / (hi - lo)
        # One value for everyone (zero variance, or a cohort of one): the middle of the range.
        expr = pl.when(hi == lo).then(pl.lit((low + high) / 2)).otherwise(low + share * span)
        return pl.when(x.is_null()).then(None).otherwise(expr).alias(key)
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
        if step.ratio_cap is not None:
            expr = expr.clip(upper_bound=step.ratio_cap)
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


# ---------------------------------------------------------------- aggregate and after


def aggregate_arrays(
    spec: IndexSpec,
    values: dict[str, np.ndarray],
    weights: dict[str, float] | None = None,
    methods: dict[str, str] | None = None,
    cohorts: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], list[tuple[str, np.ndarray, str]]]:
    """Scores of every aggregate from the normalised indicators (NaN = missing), children before
    parents. weights and methods override the spec's (sensitivity analysis; an overridden weight
    scales the node's cohort weights in proportion). cohorts (label → mask of units) is needed
    when weights differ by cohort. Also returns flags: (level, mask of units, note)."""
    weights = weights or {}
    methods = methods or {}
    flags: list[tuple[str, np.ndarray, str]] = []
    for aggregate in spec.order():
        kids = spec.children(aggregate.key)
        matrix = np.column_stack([values[k.key] for k in kids])
        w = _weights(kids, weights, cohorts, matrix.shape[0])
        method = methods.get(aggregate.key, aggregate.method)
        present = ~np.isnan(matrix)
        complete = present.all(axis=1)
        if aggregate.missing == "zero":
            incomplete = ~complete
            if incomplete.any():
                flags.append((aggregate.key, incomplete, f"“{aggregate.name}”有缺失项，按 0 计"))
            matrix = np.where(present, matrix, 0.0)
            present = np.ones_like(present)
        score = _combine(matrix, present, w, method)
        if aggregate.missing == "fail":
            score = np.where(complete, score, np.nan)
        values[aggregate.key] = score
    return values, flags


def _weights(
    kids: list[Indicator | Aggregate],
    overrides: dict[str, float],
    cohorts: dict[str, np.ndarray] | None,
    rows: int,
) -> np.ndarray:
    """The children's weights: a vector, or a units × children matrix where they differ by
    cohort."""
    w = np.array([overrides.get(k.key, k.weight) for k in kids], dtype=np.float64)
    if not any(k.cohort_weights for k in kids):
        return w
    if cohorts is None:
        raise ValueError("weights differ by cohort: the cohort of each unit is needed")
    matrix = np.tile(w, (rows, 1))
    for j, kid in enumerate(kids):
        scale = w[j] / kid.weight if kid.weight else 1.0
        for label, weight in (kid.cohort_weights or {}).items():
            mask = cohorts.get(label)
            if mask is not None:
                matrix[mask, j] = weight * scale
    return matrix


def _dot(matrix: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted sums, for one weight vector or one weight row per unit."""
    summed: np.ndarray = matrix @ w if w.ndim == 1 else np.einsum("ij,ij->i", matrix, w)
    return summed


def cohort_masks(spec: IndexSpec, work: pl.DataFrame) -> dict[str, np.ndarray] | None:
    """Cohort label → mask of units, when the spec's weights differ by cohort (else None)."""
    if not spec.cohort_weighted or COHORT not in work.columns:
        return None
    labels = work[COHORT].cast(pl.String)
    return {
        label: (labels == label).fill_null(False).to_numpy()
        for label in labels.unique().drop_nulls().to_list()
    }


def _combine(matrix: np.ndarray, present: np.ndarray, w: np.ndarray, method: str) -> np.ndarray:
    complete = bool(present.all())
    w_total = w.sum() if w.ndim == 1 else w.sum(axis=1)
    if complete:
        total = np.broadcast_to(w_total, (matrix.shape[0],)).astype(np.float64)
        filled = matrix
    else:
        filled = np.where(present, matrix, 0.0)
        total = _dot(present.astype(np.float64), w)  # the weights of the children present
    none = total == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "arithmetic":
            score = _dot(filled, w) / total
        elif method == "sum":
            # re-weighted: the present children stand for the missing ones
            score = _dot(filled, w) * (w_total / total)
        elif method == "geometric":
            positive = filled if complete else np.where(present, matrix, 1.0)
            zero = (present & (positive <= 0)).any(axis=1)
            logs = np.log(np.where(positive > 0, positive, 1.0))
            score = np.exp(_dot(logs, w) / total)
            score = np.where(zero, 0.0, score)
        elif method == "harmonic":
            safe = np.where(present & (matrix > 0), matrix, np.inf)
            zero = (present & (matrix <= 0)).any(axis=1)
            score = total / _dot(1.0 / safe, w)
            score = np.where(zero, 0.0, score)
        else:  # min
            score = np.where(present, matrix, np.inf).min(axis=1)
    return np.where(none, np.nan, score)


def _after_normalise(
    spec: IndexSpec, work: pl.DataFrame, stages: dict[str, pl.DataFrame]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    keys = [i.key for i in spec.indicators]
    values = {k: work[k].cast(pl.Float64).fill_null(np.nan).to_numpy() for k in keys}
    scored, flags = aggregate_arrays(spec, values, cohorts=cohort_masks(spec, work))
    levels = [a.key for a in spec.aggregates]
    head = [spec.unit] + ([COHORT] if spec.cohort is not None else [])
    scores = work.select(head).with_columns(pl.Series(k, scored[k]).fill_nan(None) for k in levels)
    flag_frame = pl.DataFrame(
        {
            spec.unit: pl.concat([work[spec.unit].filter(pl.Series(mask)) for _, mask, _ in flags])
            if flags
            else work[spec.unit].head(0),
            "level": [level for level, mask, _ in flags for _ in range(int(mask.sum()))],
            "note": [note for _, mask, note in flags for _ in range(int(mask.sum()))],
        }
    )
    started = False
    ranked_by: dict[tuple[str, str], str] = {}  # (level, within) → its min-rank column
    for step in spec.pipeline:
        if isinstance(step, Aggregation):
            started = True
            stages["aggregate"] = scores.select(spec.unit, *levels)
            continue
        if not started:
            continue
        if isinstance(step, Round):
            chosen = step.keys or levels
            scores = scores.with_columns(
                pl.col(k).round(step.digits) for k in chosen if k in levels
            )
        elif isinstance(step, Rank):
            level = step.level or spec.root
            if step.ties == "min":
                ranked_by[(level, step.within)] = f"rank_{level}"
            scores = scores.with_columns(
                _over(
                    spec,
                    pl.col(level).rank(step.ties, descending=True),
                    step.within,
                )
                .cast(pl.Int64)
                .alias(f"rank_{level}")
            )
        elif isinstance(step, Banding):
            level = step.level or spec.root
            ranked = ranked_by.get((level, step.within))
            scores = scores.with_columns(_band(spec, step, level, ranked).alias(f"band_{level}"))
    return scores, flag_frame


def _band(spec: IndexSpec, step: Banding, level: str, ranked: str | None) -> pl.Expr:
    score = pl.col(level)
    expr: Any = pl.lit(None, dtype=pl.String)
    if step.by == "share":
        rank = pl.col(ranked) if ranked else score.rank("min", descending=True)
        if not ranked:
            rank = _over(spec, rank, step.within)
        share = rank / _over(spec, score.count(), step.within)
        for band in reversed(step.bands):
            expr = pl.when(share <= band.top).then(pl.lit(band.label)).otherwise(expr)
    else:
        for band in reversed(step.bands):
            expr = pl.when(score >= band.min).then(pl.lit(band.label)).otherwise(expr)
    return pl.when(score.is_null()).then(None).otherwise(expr)
