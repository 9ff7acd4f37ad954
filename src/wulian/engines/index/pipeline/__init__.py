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
from functools import partial
from typing import Any

import polars as pl

from wulian.engines.index.pipeline.aggregate import after_normalise, aggregate_arrays, cohort_masks
from wulian.engines.index.pipeline.frame import COHORT, Layout, Values, Work, each, prepare
from wulian.engines.index.pipeline.result import Explanation, IndicatorLine, Result
from wulian.engines.index.pipeline.stages import (
    denominate,
    impute,
    normalise,
    round_values,
    treat_indicators,
)
from wulian.engines.index.spec import (
    Aggregation,
    Denominate,
    Impute,
    IndexSpec,
    Normalise,
    Round,
    Treat,
)

__all__ = [
    "COHORT", "Explanation", "IndicatorLine", "Layout", "Result", "Work", "aggregate_arrays",
    "cohort_masks", "prepare", "run", "until_aggregate",
]  # fmt: skip


def run(spec: IndexSpec, data: pl.DataFrame) -> Result:
    """Run every stage of spec on data (see the module docstring)."""
    work = until_aggregate(spec, prepare(spec, data))
    scores, flags, aggregated = after_normalise(spec, work)
    return Result(spec, scores, work, aggregated, flags)


def until_aggregate(spec: IndexSpec, data: pl.DataFrame) -> Work:
    """The stages before aggregation, on checked data (see `prepare`). A stage makes new arrays
    for the indicators it changes and shares the others with the stage before."""
    keys = [i.key for i in spec.indicators]
    layout = Layout(spec, data)
    values = layout.take_all(data, [i.source for i in spec.indicators])
    snapshots = {"raw": values}
    treated: Values | None = None
    treatments: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for step in spec.pipeline:
        if isinstance(step, Aggregation):
            break
        chosen = [keys.index(k) for k in (getattr(step, "indicators", None) or keys)]
        if isinstance(step, Denominate):
            values = denominate(step, layout.take(data[step.by]), values, chosen)
        elif isinstance(step, Impute):
            values = impute(spec, step, data, layout, values, chosen)
        elif isinstance(step, Treat):
            values, done = treat_indicators(spec, step, layout, values, chosen)
            treatments.extend(done)
        elif isinstance(step, Normalise):
            treated = values if treated is None else treated
            values = normalise(spec, step, layout, values, chosen)
        elif isinstance(step, Round):
            rounded = [keys.index(k) for k in step.keys] if step.keys else chosen
            values = each(values, rounded, partial(round_values, digits=step.digits))
        counts[step.stage] += 1
        name = step.stage if counts[step.stage] == 1 else f"{step.stage}_{counts[step.stage]}"
        snapshots[name] = values
    treated = snapshots["raw"] if treated is None else treated
    return Work(spec, layout, values, snapshots, treated, treatments)
