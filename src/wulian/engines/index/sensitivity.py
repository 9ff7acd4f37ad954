"""Uncertainty and sensitivity of ranks, as COINr's get_sensitivity does: Monte Carlo over the
weights and over alternative choices, each unit's median rank and 5–95% rank interval.

Weights are perturbed uniformly by ±noise around the spec's, or drawn from a Dirichlet
distribution centred on them (concentration × the normalised weights), node by node. Alternative
normalisers, aggregators and imputations are drawn with equal probability. The stages up to
normalisation are computed once per combination of alternatives; each draw then aggregates and
ranks. The same seed gives the same result.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import pipeline
from wulian.engines.index.spec import Impute, IndexSpec, Normalise

NORMALISERS = ("minmax", "zscore", "rank", "percentile")
AGGREGATORS = ("arithmetic", "geometric", "harmonic")
IMPUTATIONS = ("mean", "median", "group_mean", "group_median", "zero", "none")


@dataclass(frozen=True)
class Settings:
    draws: int = 1000
    seed: int = 0
    noise: float | None = 0.25  # ±25% uniform on each weight
    dirichlet: float | None = None  # concentration; replaces noise when given
    normalisers: tuple[str, ...] = ()  # alternatives to the spec's normalisation
    aggregators: tuple[str, ...] = ()  # alternatives to the spec's aggregation methods
    imputations: tuple[str, ...] = ()  # alternatives to the spec's imputation
    level: str | None = None  # the level ranked; the root when None


def _alternative(spec: IndexSpec, normaliser: str | None, imputation: str | None) -> IndexSpec:
    steps = []
    for step in spec.pipeline:
        if normaliser and isinstance(step, Normalise):
            step = step.model_copy(update={"method": normaliser})
        if imputation and isinstance(step, Impute):
            step = step.model_copy(update={"method": imputation})
        steps.append(step)
    return spec.model_copy(update={"pipeline": steps})


def run(spec: IndexSpec, data: pl.DataFrame, settings: Settings) -> pl.DataFrame:
    """unit, cohort, nominal rank, median rank, 5% and 95% rank, and the interval's width."""
    for name, allowed, chosen in (
        ("normalisers", NORMALISERS, settings.normalisers),
        ("aggregators", AGGREGATORS, settings.aggregators),
        ("imputations", IMPUTATIONS, settings.imputations),
    ):
        unknown = [c for c in chosen if c not in allowed]
        if unknown:
            raise InvalidInput(f"{name} 不支持：{'、'.join(unknown)}；可选：{'、'.join(allowed)}")
    if settings.draws < 1 or settings.draws > 100_000:
        raise InvalidInput("抽样次数应在 1 到 100,000 之间", field="draws")
    level = settings.level or spec.root
    rng = np.random.default_rng(settings.seed)
    nominal = pipeline.run(spec, data)
    prepared: dict[tuple[str | None, str | None], dict[str, np.ndarray]] = {}
    for normaliser, imputation in product(
        (None, *settings.normalisers), (None, *settings.imputations)
    ):
        alt = _alternative(spec, normaliser, imputation)
        work = pipeline.until_aggregate(alt, pipeline.prepare(alt, data))
        prepared[(normaliser, imputation)] = work.by_id()
    choices = list(prepared)
    cohorts = pipeline.cohort_masks(spec, nominal.scores)
    nodes = spec.nodes()
    base = {n.key: n.weight for n in nodes}
    scores = np.empty((nominal.scores.height, settings.draws))
    for draw in range(settings.draws):
        weights = _draw_weights(spec, base, settings, rng)
        methods = {}
        if settings.aggregators:
            options = (None, *settings.aggregators)
            for aggregate in spec.aggregates:
                pick = options[rng.integers(len(options))]
                if pick:
                    methods[aggregate.key] = pick
        values = dict(prepared[choices[rng.integers(len(choices))]])
        scored, _ = pipeline.aggregate_arrays(spec, values, weights, methods, cohorts)
        scores[:, draw] = scored[level]
    head = [spec.unit] + ([pipeline.COHORT] if spec.cohort is not None else [])
    frame = nominal.scores.select(head).with_columns(
        pl.Series(f"d{i}", scores[:, i]).fill_nan(None) for i in range(settings.draws)
    )
    rank = [pl.col(f"d{i}").rank("min", descending=True) for i in range(settings.draws)]
    if spec.cohort is not None:
        rank = [r.over(pipeline.COHORT) for r in rank]
    ranks = frame.select(rank).to_numpy().astype(np.float64)
    with np.errstate(all="ignore"):
        q05, median, q95 = np.nanquantile(ranks, [0.05, 0.5, 0.95], axis=1)
    nominal_rank = _nominal_rank(spec, nominal.scores, level)
    out = nominal.scores.select(head).with_columns(
        nominal_rank.alias("rank"),
        pl.Series("median_rank", median),
        pl.Series("rank_q05", q05),
        pl.Series("rank_q95", q95),
    )
    out = out.with_columns((pl.col("rank_q95") - pl.col("rank_q05")).alias("interval"))
    return out.rename({pipeline.COHORT: "cohort"}) if spec.cohort is not None else out


def _nominal_rank(spec: IndexSpec, scores: pl.DataFrame, level: str) -> pl.Series:
    rank = pl.col(level).rank("min", descending=True)
    if spec.cohort is not None:
        rank = rank.over(pipeline.COHORT)
    return scores.select(rank.cast(pl.Int64).alias("rank"))["rank"]


def _draw_weights(
    spec: IndexSpec, base: dict[str, float], settings: Settings, rng: np.random.Generator
) -> dict[str, float]:
    weights = dict(base)
    for aggregate in spec.aggregates:
        kids = [k.key for k in spec.children(aggregate.key)]
        w = np.array([base[k] for k in kids], dtype=np.float64)
        if settings.dirichlet is not None and w.sum() > 0 and (w > 0).all():
            drawn = rng.dirichlet(settings.dirichlet * w / w.sum()) * w.sum()
        elif settings.noise:
            drawn = w * rng.uniform(1 - settings.noise, 1 + settings.noise, size=w.size)
        else:
            drawn = w
        weights.update(zip(kids, drawn.tolist(), strict=True))
    return weights
