"""What a run gives: the scores, every stage kept, and each unit explained."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index.pipeline.frame import COHORT, Values, Work
from wulian.engines.index.spec import (
    Aggregate,
    IndexSpec,
    Indicator,
    weight_in,
)


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


class Result:
    """A run's scores, flags and treatments; the indicators after each stage are made into frames
    (in id order) when first asked for."""

    def __init__(
        self,
        spec: IndexSpec,
        scores: pl.DataFrame,
        work: Work,
        aggregated: pl.DataFrame | None,
        flags: pl.DataFrame,
    ) -> None:
        self.spec = spec
        self.scores = scores  # unit, cohort, aggregates, rank_*, band_*
        self.flags = flags  # unit, level, note
        self.treatments = work.treatments
        self._work = work
        self._aggregated = aggregated

    def _frame(self, values: Values) -> pl.DataFrame:
        keys = [i.key for i in self.spec.indicators]
        return self._work.layout.frame(values, keys, self.spec.unit)

    @cached_property
    def stages(self) -> dict[str, pl.DataFrame]:
        """stage name → unit + indicator columns after it; "aggregate": the scores as aggregated."""
        frames = {name: self._frame(values) for name, values in self._work.snapshots.items()}
        if self._aggregated is not None:
            frames["aggregate"] = self._aggregated
        return frames

    @property
    def raw(self) -> pl.DataFrame:
        return self.stages["raw"]

    @cached_property
    def treated(self) -> pl.DataFrame:
        """The indicators as they went into normalisation."""
        return self._frame(self._work.treated)

    @cached_property
    def normalised(self) -> pl.DataFrame:
        """The indicators as they went into aggregation."""
        return self._frame(self._work.values)

    @cached_property
    def imputed(self) -> pl.DataFrame:
        """unit + a boolean per indicator: missing in the data, filled by the run."""
        work = self._work
        pairs = zip(self.spec.indicators, work.snapshots["raw"], work.values, strict=True)
        return pl.DataFrame(
            [
                work.layout.ids.alias(self.spec.unit),
                *(
                    pl.Series(i.key, work.layout.to_ids(np.isnan(raw) & ~np.isnan(now)))
                    for i, raw, now in pairs
                ),
            ]
        )

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
