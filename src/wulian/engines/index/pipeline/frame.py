"""The units and their places: the input checked and ordered, cohorts, the layout every stage
works on, and running a stage over the indicators (in threads on large inputs).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import kernels
from wulian.engines.index.spec import (
    CohortBand,
    Denominate,
    Impute,
    IndexSpec,
)

COHORT = "__cohort"

PARALLEL_FROM = 50_000  # units: below this, one thread does the stages faster

Values = list[np.ndarray]  # an array per indicator, the units at their places

_T = TypeVar("_T")


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
        return parallel(range(len(columns)), lambda j: self.take(data[columns[j]]), data.height)

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


def each(
    values: Values, chosen: list[int], change: Callable[[int, np.ndarray], np.ndarray]
) -> Values:
    """values with each chosen array j replaced by change(j, array), see `parallel`."""
    out = list(values)
    changed_all = parallel(chosen, lambda j: change(j, values[j]), units(values))
    for j, changed in zip(chosen, changed_all, strict=True):
        out[j] = changed
    return out


def parallel(chosen: Sequence[int], work: Callable[[int], _T], units: int) -> list[_T]:
    """work(j) for each j, on every core when there are many units: NumPy and the compiled
    kernels let go of the interpreter lock in their loops, and each indicator is independent of
    the others."""
    workers = min(len(chosen), os.cpu_count() or 1)
    if workers < 2 or units < PARALLEL_FROM:
        return [work(j) for j in chosen]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(work, chosen))


def units(values: Values) -> int:
    return values[0].size if values else 0


def segments_of(spec: IndexSpec, layout: Layout, within: str) -> list[tuple[int, int, str | None]]:
    if within == "cohort" and spec.cohort is not None:
        return layout.segments
    return [(0, layout.size, None)] if layout.size else []
