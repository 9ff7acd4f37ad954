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

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any, TypeVar

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import kernels
from wulian.engines.index import treat as treat_module
from wulian.engines.index.spec import (
    Aggregate,
    Aggregation,
    Banding,
    CohortBand,
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
PARALLEL_FROM = 50_000  # units: below this, one thread does the stages faster
Values = list[np.ndarray]  # an array per indicator, the units at their places
_T = TypeVar("_T")


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


# ---------------------------------------------------------------- input


def prepare(spec: IndexSpec, data: pl.DataFrame) -> pl.DataFrame:
    """data, checked: the columns the spec reads are present, ids present and unique, numbers
    numeric."""
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
    return data


def _cohorts(spec: IndexSpec) -> pl.Expr:
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


def _band_codes(bands: list[CohortBand], value: pl.Series) -> np.ndarray:
    """Each value's band, by its index (len(bands): outside every band, or missing). The bands
    follow one another without gaps (the spec is checked for that), so a value's band is the
    number of inner bounds at or below it."""
    x = value.cast(pl.Float64).fill_null(np.nan).to_numpy()
    inner = [float(band.min) for band in bands[1:] if band.min is not None]
    if len(bands) < 16:  # a comparison per bound beats a binary search; a byte per code sorts
        codes = np.zeros(x.size, dtype=np.uint8)  # by radix in NumPy's stable sort
        for bound in inner:
            codes += x >= bound
    else:
        codes = np.searchsorted(np.array(inner), x, side="right").astype(np.uint32)
    outside = np.isnan(x)
    if bands[0].min is not None:
        outside |= x < bands[0].min
    if bands[-1].below is not None:
        outside |= x >= bands[-1].below
    codes[outside] = len(bands)
    return codes


class Layout:
    """Where the units sit while the stages run: by cohort, and by id within a cohort, so that
    each cohort is one contiguous slice of an indicator's array (statistics by cohort are then
    slices, not group-bys). Outputs are put back in the order of the ids."""

    def __init__(self, spec: IndexSpec, data: pl.DataFrame) -> None:
        ids = data[spec.unit]
        size = data.height
        by_id = None if ids.is_sorted() else ids.arg_sort().to_numpy()
        self.ids = ids if by_id is None else ids.gather(by_id)
        self.cohort: pl.Series | None = None  # each unit's cohort, in id order
        self.rows = by_id  # the data row at each place (None: the data's own order)
        self.places: np.ndarray | None = None  # each unit's place, in id order (None: same)
        self.units: np.ndarray | None = None  # the unit (in id order) at each place
        self.segments: list[tuple[int, int, str | None]] = [(0, size, None)] if size else []
        if spec.cohort is None or not size:
            return
        if spec.cohort.bands is not None:
            names = [*spec.cohort_labels(), spec.cohort.missing_label]
            value = data[spec.cohort.column]
            codes = _band_codes(spec.cohort.bands, value if by_id is None else value.gather(by_id))
            labels = pl.Series(COHORT, names, dtype=pl.Categorical).gather(codes)
        else:
            labels = data.select(_cohorts(spec).alias(COHORT)).to_series()
            if by_id is not None:
                labels = labels.gather(by_id)
            names = labels.unique().sort().to_list()
            codes = labels.cast(pl.Enum(names)).to_physical().to_numpy()
        self.units = within = np.argsort(codes, kind="stable")
        self.rows = within if by_id is None else by_id[within]
        self.places = np.empty(size, dtype=np.intp)
        self.places[within] = np.arange(size)
        ordered = codes[within]
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
        ends = [*starts[1:].tolist(), size]
        self.segments = [
            (int(a), int(b), names[int(ordered[a])]) for a, b in zip(starts, ends, strict=True)
        ]
        self.cohort = labels.cast(pl.Categorical).alias(COHORT)

    @property
    def size(self) -> int:
        return self.ids.len()

    def take(self, column: pl.Series) -> np.ndarray:
        """A data column as numbers at the units' places (NaN = missing), read from its Arrow
        buffers in one pass (values and nulls together)."""
        numbers = column.cast(pl.Float64).rechunk().to_arrow()
        valid, buffer = numbers.buffers()
        values = np.frombuffer(buffer, dtype=np.float64)
        start = numbers.offset
        if valid is None or not numbers.null_count:
            if self.rows is None:
                return values[start : start + len(numbers)]
            bits = np.empty(0, dtype=np.uint8)
        else:
            bits = np.frombuffer(valid, dtype=np.uint8)
        rows = np.arange(len(numbers)) if self.rows is None else self.rows
        return kernels.gather(values, bits, start, rows)

    def take_all(self, data: pl.DataFrame, columns: list[str]) -> Values:
        """Data columns as numbers at the units' places (NaN = missing), an array each."""
        return _parallel(range(len(columns)), lambda j: self.take(data[columns[j]]), data.height)

    def in_place_order(self, column: pl.Series) -> pl.Series:
        return column.gather(self.rows) if self.rows is not None else column

    def cohort_at_places(self) -> pl.Series | None:
        if self.cohort is None or self.units is None:
            return None
        return self.cohort.gather(self.units)

    def to_ids(self, values: np.ndarray) -> np.ndarray:
        """values at the units' places → in id order."""
        return values[self.places] if self.places is not None else values

    def frame(self, values: Values, keys: list[str], unit: str) -> pl.DataFrame:
        """unit + a column per array of values (missing as null), in id order."""
        return pl.DataFrame(
            [
                self.ids.alias(unit),
                *(pl.Series(k, self.to_ids(x)) for k, x in zip(keys, values, strict=True)),
            ]
        ).with_columns(pl.col(keys).fill_nan(None))

    def masks(self) -> dict[str, np.ndarray]:
        """cohort label → mask of the places of its units."""
        masks = {}
        for start, end, label in self.segments:
            if label is not None:
                mask = np.zeros(self.size, dtype=bool)
                mask[start:end] = True
                masks[label] = mask
        return masks


# ---------------------------------------------------------------- the run


@dataclass
class Work:
    """The indicators through the stages before aggregation, at the units' places."""

    spec: IndexSpec
    layout: Layout
    values: Values  # an array per indicator, NaN = missing
    snapshots: dict[str, Values]  # stage name → values after it
    treated: Values  # as they went into the first normalisation
    treatments: list[dict[str, Any]]

    def by_id(self) -> dict[str, np.ndarray]:
        return {
            i.key: self.layout.to_ids(x)
            for i, x in zip(self.spec.indicators, self.values, strict=True)
        }


def run(spec: IndexSpec, data: pl.DataFrame) -> Result:
    """Run every stage of spec on data (see the module docstring)."""
    work = until_aggregate(spec, prepare(spec, data))
    scores, flags, aggregated = _after_normalise(spec, work)
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
            values = _denominate(step, layout.take(data[step.by]), values, chosen)
        elif isinstance(step, Impute):
            values = _impute(spec, step, data, layout, values, chosen)
        elif isinstance(step, Treat):
            values, done = _treat(spec, step, layout, values, chosen)
            treatments.extend(done)
        elif isinstance(step, Normalise):
            treated = values if treated is None else treated
            values = _normalise(spec, step, layout, values, chosen)
        elif isinstance(step, Round):
            rounded = [keys.index(k) for k in step.keys] if step.keys else chosen
            values = _each(values, rounded, partial(_round, digits=step.digits))
        counts[step.stage] += 1
        name = step.stage if counts[step.stage] == 1 else f"{step.stage}_{counts[step.stage]}"
        snapshots[name] = values
    treated = snapshots["raw"] if treated is None else treated
    return Work(spec, layout, values, snapshots, treated, treatments)


def _each(
    values: Values, chosen: list[int], change: Callable[[int, np.ndarray], np.ndarray]
) -> Values:
    """values with each chosen array j replaced by change(j, array), see `_parallel`."""
    out = list(values)
    changed_all = _parallel(chosen, lambda j: change(j, values[j]), _units(values))
    for j, changed in zip(chosen, changed_all, strict=True):
        out[j] = changed
    return out


def _parallel(chosen: Sequence[int], work: Callable[[int], _T], units: int) -> list[_T]:
    """work(j) for each j, on every core when there are many units: NumPy and the compiled
    kernels let go of the interpreter lock in their loops, and each indicator is independent of
    the others."""
    workers = min(len(chosen), os.cpu_count() or 1)
    if workers < 2 or units < PARALLEL_FROM:
        return [work(j) for j in chosen]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, chosen))


def _units(values: Values) -> int:
    return values[0].size if values else 0


def _round(_: int, x: np.ndarray, digits: int) -> np.ndarray:
    rounded: np.ndarray = pl.Series(x).round(digits).to_numpy()
    return rounded


def _segments(spec: IndexSpec, layout: Layout, within: str) -> list[tuple[int, int, str | None]]:
    if within == "cohort" and spec.cohort is not None:
        return layout.segments
    return [(0, layout.size, None)] if layout.size else []


def _denominate(step: Denominate, by: np.ndarray, values: Values, chosen: list[int]) -> Values:
    usable = ~np.isnan(by) & (by != 0)
    safe = np.where(usable, by, 1.0)
    return _each(values, chosen, lambda _, x: np.where(usable, x / safe * step.scale, np.nan))


def _impute(
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

        return _each(values, chosen, by_group)
    if step.method == "previous":
        previous = {}
        for j in chosen:
            name = step.previous.format(column=spec.indicators[j].source)
            if name not in data.columns:
                raise InvalidInput(f"按上期值补缺需要“{name}”列", field=name)
            previous[j] = name
    within = "cohort" if step.method.startswith("group_") else "all"
    segments = _segments(spec, layout, within)

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
        if not _may_miss(x):
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

    return _each(values, chosen, fill)


def _may_miss(x: np.ndarray) -> bool:
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


def _treat(
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
        return _each(values, chosen, transform), done
    segments = _segments(spec, layout, step.within)

    def treat(j: int) -> tuple[np.ndarray, list[dict[str, Any]]]:
        x = values[j]
        changed = np.empty_like(x)  # filled segment by segment (no page is touched before)
        kept_as_is = []  # the segments left as they were, copied over at the end
        done = []
        for start, end, name in segments:
            segment = x[start:end]
            whole = not _may_miss(segment)
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
    for j, (x, done) in zip(chosen, _parallel(chosen, treat, _units(values)), strict=True):
        out[j] = x
        treatments.extend(done)
    return out, treatments


def _over(spec: IndexSpec, expr: pl.Expr, within: str) -> pl.Expr:
    if within == "cohort" and spec.cohort is not None:
        return expr.over(COHORT)
    return expr


def _normalise(
    spec: IndexSpec, step: Normalise, layout: Layout, values: Values, chosen: list[int]
) -> Values:
    directions = [i.direction for i in spec.indicators]
    if step.method == "minmax":
        low, high = step.range
        segments = _segments(spec, layout, step.within)

        def rescale(j: int, x: np.ndarray) -> np.ndarray:
            out = np.empty_like(x)
            for start, end, _ in segments:
                _minmax(x[start:end], out[start:end], low, high, directions[j])
            return out

        return _each(values, chosen, rescale)
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

    return out, sum(_parallel(range(parts), part, size))


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


def _after_normalise(
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
    missing = [k for k in levels if _may_miss(scored[k])]
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

    _parallel(range(len(slices)), rank, x.size)
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
    for start, end, _ in _segments(spec, layout, within):
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
