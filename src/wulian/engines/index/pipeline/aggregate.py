"""Aggregation and after: weights, the combination of each level, ranks and bands."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import numpy as np
import polars as pl

from wulian.engines.index import kernels
from wulian.engines.index.pipeline.frame import (
    COHORT,
    PARALLEL_FROM,
    Layout,
    Work,
    parallel,
    segments_of,
)
from wulian.engines.index.pipeline.stages import may_miss
from wulian.engines.index.spec import (
    Aggregate,
    Aggregation,
    Banding,
    IndexSpec,
    Indicator,
    Rank,
    Round,
)


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
    # one thread: each step is a pass over memory, which a second thread slows down
    for aggregate in spec.order():
        kids = spec.children(aggregate.key)
        columns = [values[k.key] for k in kids]
        w = _weights(kids, weights, cohorts, columns[0].size)
        method = methods.get(aggregate.key, aggregate.method)
        if method in ("arithmetic", "sum") and all(isinstance(x, float) for x in w) and sum(w):
            # the usual case first, in one pass: every child known to every unit
            divisor = sum(w) if method == "arithmetic" else 1.0
            score, missing = _weighted_sum(columns, w, divisor)
            if not missing:
                values[aggregate.key] = score
                continue
        present: list[np.ndarray | None] = []  # None: every unit has the child
        for column in columns:
            absent = np.isnan(column)
            present.append(np.logical_not(absent, out=absent) if absent.any() else None)
        gaps = [p for p in present if p is not None]
        complete = np.logical_and.reduce(gaps) if gaps else None
        if aggregate.missing == "zero":
            if complete is not None:
                flags.append((aggregate.key, ~complete, f"“{aggregate.name}”有缺失项，按 0 计"))
            columns = [
                c if p is None else np.where(p, c, 0.0)
                for c, p in zip(columns, present, strict=True)
            ]
            present = [None] * len(columns)
        score = _combine(columns, present, w, method)
        if aggregate.missing == "fail" and complete is not None:
            score = np.where(complete, score, np.nan)
        values[aggregate.key] = score
    return values, flags


def _weights(
    kids: list[Indicator | Aggregate],
    overrides: dict[str, float],
    cohorts: dict[str, np.ndarray] | None,
    size: int,
) -> list[Any]:
    """Each child's weight: a number, or an array (a weight per unit) where it differs by
    cohort."""
    weights: list[Any] = []
    for kid in kids:
        w = float(overrides.get(kid.key, kid.weight))
        if not kid.cohort_weights:
            weights.append(w)
            continue
        if cohorts is None:
            raise ValueError("weights differ by cohort: the cohort of each unit is needed")
        scale = w / kid.weight if kid.weight else 1.0
        per_unit = np.full(size, w)
        for label, weight in kid.cohort_weights.items():
            mask = cohorts.get(label)
            if mask is not None:
                per_unit[mask] = weight * scale
        weights.append(per_unit)
    return weights


def _weighted_sum(
    columns: list[np.ndarray], weights: list[float], divisor: float
) -> tuple[np.ndarray, int]:
    """kernels.weighted_sum, the units shared out among the cores in contiguous parts; with how
    many units it left NaN."""
    size = columns[0].size
    out = np.empty(size)
    parts = min(os.cpu_count() or 1, max(1, size // PARALLEL_FROM))
    bounds = [size * i // parts for i in range(parts + 1)]

    def part(i: int) -> int:
        a, b = bounds[i], bounds[i + 1]
        return kernels.weighted_sum([c[a:b] for c in columns], weights, divisor, out[a:b])

    return out, sum(parallel(range(parts), part, size))


def cohort_masks(spec: IndexSpec, work: pl.DataFrame) -> dict[str, np.ndarray] | None:
    """Cohort label → mask of units, when the spec's weights differ by cohort (else None)."""
    if not spec.cohort_weighted or COHORT not in work.columns:
        return None
    labels = work[COHORT].cast(pl.String)
    return {
        label: (labels == label).fill_null(False).to_numpy()
        for label in labels.unique().drop_nulls().to_list()
    }


def _combine(
    columns: list[np.ndarray], present: list[np.ndarray | None], w: list[Any], method: str
) -> np.ndarray:
    """The children's scores combined unit by unit over the children each unit has, one child
    at a time (no units × children matrix)."""

    size = columns[0].size
    scratch = np.empty(size)

    def weighted_sum(terms: Iterator[np.ndarray]) -> np.ndarray:
        total = np.zeros(size)
        for weight, term in zip(w, terms, strict=True):
            total += np.multiply(term, weight, out=scratch)
        return total

    def where(known: np.ndarray | None, x: np.ndarray, fill: float) -> np.ndarray:
        return x if known is None else np.where(known, x, fill)

    w_total = sum(w)
    every_child = all(p is None for p in present)
    if every_child and method in ("arithmetic", "sum") and all(isinstance(x, float) for x in w):
        if w_total == 0:  # one weight each, every child known: nothing to re-weight
            return np.full(size, np.nan)
        score = weighted_sum(iter(columns))
        if method == "arithmetic":
            score /= w_total
        return score
    if every_child:
        total = np.broadcast_to(w_total, size)
    else:  # the weights of the children each unit has
        ones = np.ones(size)
        total = weighted_sum(ones if p is None else p for p in present)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method in ("arithmetic", "sum"):
            score = weighted_sum(where(p, x, 0.0) for x, p in zip(columns, present, strict=True))
            # a sum is re-weighted: the present children stand for the missing ones
            score = score / total if method == "arithmetic" else score * (w_total / total)
        elif method in ("geometric", "harmonic"):
            zero = np.zeros(columns[0].size, dtype=bool)
            for x, p in zip(columns, present, strict=True):
                zero |= x <= 0 if p is None else p & (x <= 0)
            if method == "geometric":
                logs = (np.log(where(p, x, 1.0)) for x, p in zip(columns, present, strict=True))
                score = np.exp(weighted_sum(logs) / total)
            else:
                inverse = (1.0 / where(p, x, np.inf) for x, p in zip(columns, present, strict=True))
                score = total / weighted_sum(inverse)
            score = np.where(zero, 0.0, score)
        else:  # min
            score = np.minimum.reduce(
                [where(p, x, np.inf) for x, p in zip(columns, present, strict=True)]
            )
    return np.where(total == 0, np.nan, score)


def after_normalise(
    spec: IndexSpec, work: Work
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """Scores (in id order) with ranks and bands, flags, and the scores as aggregated."""
    layout = work.layout
    values = {i.key: x for i, x in zip(spec.indicators, work.values, strict=True)}
    masks = layout.masks() if spec.cohort_weighted else None
    scored, flags = aggregate_arrays(spec, values, cohorts=masks)
    levels = [a.key for a in spec.aggregates]
    head = [layout.ids.alias(spec.unit)]
    if spec.cohort is not None:
        head.append(
            layout.cohort
            if layout.cohort is not None
            else pl.Series(COHORT, [], dtype=pl.Categorical)
        )
    at_places = pl.DataFrame([pl.Series(k, scored[k]) for k in levels])
    if layout.places is not None:  # one gather of every level, the columns side by side
        at_places = at_places.gather(layout.places)
    missing = [k for k in levels if may_miss(scored[k])]
    scores = pl.DataFrame(head).hstack(at_places.with_columns(pl.col(missing).fill_nan(None)))
    units = [layout.ids.filter(pl.Series(layout.to_ids(mask))) for _, mask, _ in flags]
    flag_frame = pl.DataFrame(
        {
            spec.unit: pl.concat(units) if units else layout.ids.head(0),
            "level": [level for (level, _, _), u in zip(flags, units, strict=True) for _ in u],
            "note": [note for (_, _, note), u in zip(flags, units, strict=True) for _ in u],
        }
    )
    aggregated: pl.DataFrame | None = None
    started = False
    ranked_by: dict[tuple[str, str], str] = {}  # (level, within) → its min-rank column
    rounded: set[str] = set()  # levels no longer as aggregated (at the units' places)
    for step in spec.pipeline:
        if isinstance(step, Aggregation):
            started = True
            aggregated = scores.select(spec.unit, *levels)
            continue
        if not started:
            continue
        if isinstance(step, Round):
            chosen = step.keys or levels
            rounded.update(chosen)
            scores = scores.with_columns(
                pl.col(k).round(step.digits) for k in chosen if k in levels
            )
        elif isinstance(step, Rank):
            level = step.level or spec.root
            if step.ties == "min":
                ranked_by[(level, step.within)] = f"rank_{level}"
            unchanged = None if level in rounded else scored[level]
            scores = scores.with_columns(
                _ranks(spec, layout, scores[level], step, unchanged).alias(f"rank_{level}")
            )
        elif isinstance(step, Banding):
            level = step.level or spec.root
            ranked = ranked_by.get((level, step.within))
            banded = _band(spec, step, scores, level, ranked, layout, scored[level])
            scores = scores.with_columns(banded.alias(f"band_{level}"))
    return scores, flag_frame, aggregated


def _ranks(
    spec: IndexSpec,
    layout: Layout,
    score: pl.Series,
    step: Rank,
    at_places: np.ndarray | None = None,
) -> pl.Series:
    """Each unit's rank (1 = the highest score; missing scores have none), in id order, within
    its cohort or among all; at_places: the same scores at the units' places, where known.
    Ranked on the cohorts' slices, with NumPy's vectorised sort: twice as fast as a window over
    the cohort column. Ties in `ordinal` go by id."""
    by_cohort = step.within == "cohort" and spec.cohort is not None and layout.units is not None
    if by_cohort and at_places is not None:
        x = at_places  # each cohort a slice, by id within it
    else:
        x = score.cast(pl.Float64).fill_null(np.nan).to_numpy()
        if by_cohort and layout.units is not None:
            x = x[layout.units]
    ranks = np.zeros(x.size, dtype=np.int64)  # 0: no score
    slices = [(a, b) for a, b, _ in layout.segments] if by_cohort else [(0, x.size)]

    def rank(i: int) -> None:  # the cohorts side by side: NumPy's sort lets go of the lock
        start, end = slices[i]
        ranks[start:end] = _rank_slice(x[start:end], step.ties)

    parallel(range(len(slices)), rank, x.size)
    if by_cohort:
        ranks = layout.to_ids(ranks)
    if np.count_nonzero(ranks) == ranks.size:  # every unit ranked
        return pl.Series("rank", ranks)
    column = pl.col("rank")
    return pl.DataFrame({"rank": ranks}).select(pl.when(column > 0).then(column)).to_series()


def _rank_slice(x: np.ndarray, ties: str) -> np.ndarray:
    """Ranks of x, highest first (0 for NaN)."""
    out = np.zeros(x.size, dtype=np.int64)
    # highest first, NaN last; an ordinal rank needs equal values in their order, the others
    # do not see the order of ties
    order = np.argsort(np.negative(x), kind="stable" if ties == "ordinal" else "quicksort")
    kernels.ranks(x, order, ties, out)
    return out


def _counted(spec: IndexSpec, layout: Layout, score: np.ndarray, within: str) -> np.ndarray:
    """For each unit (in id order), how many units of its cohort (or of all) have a score: what a
    rank is a share of. Counted on the cohorts' slices, where a window over the cohort column
    would group the units first."""
    known = ~np.isnan(score)
    counts = np.empty(score.size)
    for start, end, _ in segments_of(spec, layout, within):
        counts[start:end] = np.count_nonzero(known[start:end])
    return layout.to_ids(counts)


def _band(
    spec: IndexSpec,
    step: Banding,
    scores: pl.DataFrame,
    level: str,
    ranked: str | None,
    layout: Layout,
    at_places: np.ndarray,
) -> pl.Series:
    """The band of each unit's score, in id order (at_places: the level's scores at the units'
    places, as aggregated); none where the score is missing."""
    codes = np.full(layout.size, len(step.bands), dtype=np.uint32)  # the last: no band
    if step.by == "share":
        if ranked is None:
            rank_step = Rank(stage="rank", level=level, within=step.within, ties="min")
            rank = _ranks(spec, layout, scores[level], rank_step)
        else:
            rank = scores[ranked]
        with np.errstate(invalid="ignore"):  # 0 / 0 in a cohort without scores: no band
            share = rank.fill_null(0).to_numpy() / _counted(spec, layout, at_places, step.within)
        for i, band in reversed(list(enumerate(step.bands))):
            # a share on the boundary (19 of 20 against 95%) is inside the band, even where
            # the division was done as a multiplication by the reciprocal and rounded up
            codes[(share > 0) & (share <= (band.top or 0.0) + 1e-12)] = i
    else:
        score = scores[level].cast(pl.Float64).fill_null(np.nan).to_numpy()
        for i, band in reversed(list(enumerate(step.bands))):
            codes[score >= (band.min or 0.0)] = i
    labels = pl.Series([band.label for band in step.bands] + [None], dtype=pl.String)
    return labels.gather(codes)
