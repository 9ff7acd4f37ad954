"""The compiled loops give what the plain NumPy and Polars they stand for give: to the last bit,
except the power sums (added in another order); and the bands they serve are those of the
Polars expressions they replaced."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from wulian.engines.index import kernels, pipeline, spec
from wulian.engines.index.pipeline import aggregate

from .test_engine import BASE, cohort_scores, scored_units

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_subnormal=False)
maybe = st.one_of(st.none(), finite)
cells = st.one_of(finite, st.just(np.nan))
arrays = hnp.arrays(np.float64, st.integers(0, 300), elements=cells)


@settings(max_examples=80, deadline=None)
@given(st.lists(maybe, max_size=200), st.integers(0, 20), st.randoms(use_true_random=False))
def test_a_column_is_taken_with_nulls_as_nan_at_each_unit_s_place(cells, skip, rng):
    """From Arrow's buffers, for a slice (an offset into them) too, in data order or permuted."""
    column = pl.Series("x", cells, dtype=pl.Float64).slice(min(skip, len(cells)))
    model = spec.load(BASE.split("cohort:")[0] + "indicators:" + BASE.split("indicators:")[1])
    ids = list(range(column.len()))
    rng.shuffle(ids)
    for unit in (pl.Series("id", sorted(ids)), pl.Series("id", ids)):
        layout = pipeline.Layout(model, pl.DataFrame([unit.cast(pl.String).str.zfill(4)]))
        expected = column.fill_null(np.nan).to_numpy()
        if layout.rows is not None:
            expected = expected[layout.rows]
        np.testing.assert_array_equal(layout.take(column), expected)


def test_columns_of_other_types_are_taken_as_numbers():
    model = spec.load(BASE.split("cohort:")[0] + "indicators:" + BASE.split("indicators:")[1])
    data = pl.DataFrame({"id": ["b", "a", "c"]})
    layout = pipeline.Layout(model, data)
    for column, expected in [
        (pl.Series([3, None, 1], dtype=pl.Int32), [np.nan, 3.0, 1.0]),
        (pl.Series([True, False, None]), [0.0, 1.0, np.nan]),
        (pl.Series([None, None, None]), [np.nan] * 3),
        (pl.Series([1.5, 2.5, np.nan]), [2.5, 1.5, np.nan]),
    ]:
        np.testing.assert_array_equal(layout.take(column), expected)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda k: st.tuples(
            st.lists(hnp.arrays(np.float64, 40, elements=cells), min_size=k, max_size=k),
            st.lists(st.floats(0, 100), min_size=k, max_size=k),
        )
    ),
    st.sampled_from([1.0, 3.0, 7.5]),
)
def test_a_weighted_sum_is_numpy_s_and_counts_what_it_left_missing(columns_weights, divisor):
    columns, weights = columns_weights
    expected = np.zeros(40)
    for column, weight in zip(columns, weights, strict=True):
        expected += column * weight
    expected /= divisor
    got = np.empty(40)
    missing = kernels.weighted_sum(columns, weights, divisor, got)
    np.testing.assert_array_equal(got, expected)
    assert missing == np.count_nonzero(np.isnan(expected))


@settings(max_examples=80, deadline=None)
@given(arrays, finite, st.booleans(), st.floats(0.001, 1e6), st.floats(0.1, 1000), finite)
def test_rescaling_is_the_numpy_formula(x, origin, rising, span, scale, low):
    got = np.empty_like(x)
    kernels.rescale(x, got, origin, rising, span, scale, low)
    expected = ((x - origin) if rising else (origin - x)) / span * scale + low
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=80, deadline=None)
@given(arrays, finite)
def test_present_values_and_filling_the_missing_ones(x, value):
    out = np.full_like(x, -1.0)
    count = kernels.present(x, out)
    np.testing.assert_array_equal(out[:count], x[~np.isnan(x)])
    kernels.fill_missing(x, out, value)
    np.testing.assert_array_equal(out, np.where(np.isnan(x), value, x))


@settings(max_examples=80, deadline=None)
@given(hnp.arrays(np.float64, st.integers(0, 300), elements=finite), finite)
def test_power_sums_are_numpy_s_up_to_the_order_of_addition(x, centre):
    d = x - centre
    got = kernels.power_sums(x, centre)
    for p, total in enumerate(got, start=1):
        scale = float(np.sum(np.abs(d) ** p)) or 1.0
        assert total == pytest.approx(float(np.sum(d**p)), abs=1e-12 * scale)


@settings(max_examples=60, deadline=None)
@given(
    cohort_scores(9, 60),
    st.sampled_from(["share", "score"]),
    st.sampled_from(["cohort", "all"]),
    st.booleans(),
)
def test_bands_are_those_of_the_polars_expressions(rows, by, within, ranked_first):
    """By share of the units ranked (with a rank stage before it, or without) or by score, in
    the cohort or among all; missing scores get no band."""
    model, layout, scores = scored_units(rows, "total")
    by_id = scores["total"].fill_null(np.nan).to_numpy()
    at_places = by_id if layout.units is None else by_id[layout.units]
    if by == "share":
        bands = [spec.Band(label=a, top=t) for a, t in (("甲", 0.05), ("乙", 0.3), ("丙", 0.5))]
    else:
        bands = [spec.Band(label=a, min=m) for a, m in (("甲", 8.0), ("乙", 5.0), ("丙", 2.0))]
    step = spec.Banding(stage="band", by=by, within=within, bands=bands)
    ranked = None
    if ranked_first:
        rank = spec.Rank(stage="rank", within=within)
        scores = scores.with_columns(
            aggregate._ranks(model, layout, scores["total"], rank).alias("rank_total")
        )
        ranked = "rank_total"

    def over(expr: pl.Expr) -> pl.Expr:
        return expr.over(pipeline.COHORT) if within == "cohort" else expr

    score = pl.col("total")
    expected = pl.lit(None, dtype=pl.String)
    if by == "share":
        rank = pl.col(ranked) if ranked else over(score.rank("min", descending=True))
        share = rank / over(score.count())
        for band in reversed(bands):
            expected = (
                pl.when(share <= band.top + 1e-12).then(pl.lit(band.label)).otherwise(expected)
            )
    else:
        for band in reversed(bands):
            expected = pl.when(score >= band.min).then(pl.lit(band.label)).otherwise(expected)
    expected = pl.when(score.is_null()).then(None).otherwise(expected)
    got = aggregate._band(model, step, scores, "total", ranked, layout, at_places)
    assert got.to_list() == scores.select(expected).to_series().to_list()


def test_a_weighted_sum_shared_out_among_the_cores_is_the_same():
    rng = np.random.default_rng(4)
    columns = [rng.normal(size=120_001) for _ in range(3)]
    columns[1][::7] = np.nan
    whole = np.empty(120_001)
    missing = kernels.weighted_sum(columns, [1.0, 2.5, 0.5], 4.0, whole)
    shared, missing_shared = aggregate._weighted_sum(columns, [1.0, 2.5, 0.5], 4.0)
    np.testing.assert_array_equal(shared, whole)
    assert missing_shared == missing == np.count_nonzero(np.isnan(columns[1]))
