"""The measures on small cases worked out by hand, and their properties on random matrices."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidInput
from wulian.engines.complexity import compute


def long(matrix: list[list[float]], time: str = "2024") -> pl.DataFrame:
    rows = [
        (time, f"R{i}", f"C{j}", float(v))
        for i, row in enumerate(matrix)
        for j, v in enumerate(row)
        if v != 0
    ]
    return pl.DataFrame(rows, schema=["time", "loc", "prod", "val"], orient="row")


HAND = [[2, 2, 0], [2, 0, 2], [0, 0, 4]]


def cell(cp: pl.DataFrame, loc: str, prod: str, column: str) -> float:
    return float(cp.filter((pl.col("loc") == loc) & (pl.col("prod") == prod))[column][0])


def test_rca_presence_diversity_ubiquity_by_hand() -> None:
    cp = compute(long(HAND)).cp
    # shares of the whole: C0 4/12, C1 2/12, C2 6/12; each region has 4
    assert cell(cp, "R0", "C0", "rca") == pytest.approx(1.5)
    assert cell(cp, "R0", "C1", "rca") == pytest.approx(3.0)
    assert cell(cp, "R1", "C2", "rca") == pytest.approx(1.0)  # exactly at the threshold: present
    assert cell(cp, "R2", "C2", "rca") == pytest.approx(2.0)
    mcp = cp.sort("loc", "prod")["mcp"].to_list()
    assert mcp == [1, 1, 0, 1, 0, 1, 0, 0, 1]
    assert cell(cp, "R2", "C0", "diversity") == 1
    assert cell(cp, "R0", "C0", "diversity") == 2
    assert cell(cp, "R0", "C1", "ubiquity") == 1
    assert cell(cp, "R0", "C2", "ubiquity") == 2


def test_proximity_and_density_by_hand() -> None:
    result = compute(long(HAND))
    prox = {(a, b): p for _, a, b, p in result.proximity.iter_rows()}  # type: ignore[union-attr]
    # C0 and C1 together in R0: P(C0|C1) = 1, P(C1|C0) = 1/2, the smaller is kept
    assert prox[("C0", "C1")] == pytest.approx(0.5)
    assert prox[("C1", "C0")] == pytest.approx(0.5)
    assert prox[("C0", "C2")] == pytest.approx(0.5)
    assert prox[("C1", "C2")] == 0
    assert prox[("C2", "C2")] == 1
    cp = result.cp
    # R2 has C2 only: density of C0 = φ(C0,C2) / Σ φ(C0,·) = 0.5 / 2
    assert cell(cp, "R2", "C0", "density") == pytest.approx(0.25)
    assert cell(cp, "R2", "C1", "density") == 0
    assert cell(cp, "R2", "C2", "density") == pytest.approx(1 / 1.5)


def test_eci_sign_follows_diversity_and_is_standardised() -> None:
    cp = compute(long(HAND)).cp
    eci = cp.group_by("loc").agg(pl.col("eci").first()).sort("loc")["eci"].to_numpy()
    assert eci.mean() == pytest.approx(0, abs=1e-12)
    assert eci.std() == pytest.approx(1)
    assert eci[2] == eci.min()  # the least diverse region is the least complex
    assert (cp.filter(pl.col("mcp") == 1)["cog"] == 0).all()


def test_a_network_in_pieces_has_no_eci() -> None:
    # R0 and R1 share nothing with R2 and R3: two separate pieces
    cp = compute(long([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])).cp
    assert cp["eci"].is_nan().all()
    assert cp["pci"].is_nan().all()
    assert not cp["density"].is_nan().any()


def test_regions_and_industries_of_total_zero_come_back_empty() -> None:
    data = pl.concat(
        [
            long(HAND),
            pl.DataFrame(
                {"time": ["2024"] * 2, "loc": ["R9", "R0"], "prod": ["C0", "C9"], "val": [0.0, 0.0]}
            ),
        ]
    )
    result = compute(data)
    assert result.cp.height == 9 + 2
    left = result.cp.filter(pl.col("loc").eq("R9") | pl.col("prod").eq("C9"))
    assert left["val"].to_list() == [0.0, 0.0]
    assert left["eci"].null_count() == 2
    assert left["rca"].null_count() == 2
    assert "C9" not in result.proximity["prod_1"].to_list()  # type: ignore[index]


def test_periods_are_computed_apart() -> None:
    both = pl.concat([long(HAND, "2023"), long([[1, 3, 0], [2, 0, 2], [1, 1, 4]], "2024")])
    together = compute(both).cp
    alone = compute(long(HAND, "2023")).cp
    first = together.filter(pl.col("time") == "2023")
    assert first.select(pl.exclude("time")).equals(alone.select(pl.exclude("time")))


def test_manual_presence_takes_the_values_as_m() -> None:
    cp = compute(long([[1, 1, 0], [1, 0, 1], [0, 0, 1]]), presence="manual").cp
    assert cp.sort("loc", "prod")["mcp"].to_list() == [1, 1, 0, 1, 0, 1, 0, 0, 1]
    assert (cp["rca"] == cp["val"]).all()


def test_rpop_needs_a_population_for_every_region() -> None:
    data = long(HAND)
    pop = pl.DataFrame({"time": ["2024", "2024"], "loc": ["R0", "R1"], "pop": [10.0, 20.0]})
    with pytest.raises(InvalidInput, match="人口数据缺少 1 个时期 × 地区"):
        compute(data, presence="rpop", pop=pop)
    with pytest.raises(InvalidInput, match="需要人口"):
        compute(data, presence="rpop")
    full = pop.vstack(pl.DataFrame({"time": ["2024"], "loc": ["R2"], "pop": [30.0]}))
    cp = compute(data, presence="rpop", pop=full).cp
    # RPOP of R0 in C1: (2 / 10) / (2 / 60)
    assert cell(cp, "R0", "C1", "rpop") == pytest.approx(6.0)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"time": ["1"], "loc": ["a"], "val": [1.0]}), "缺少列：prod"),
        (
            pl.DataFrame(
                schema={"time": pl.String, "loc": pl.String, "prod": pl.String, "val": pl.Float64}
            ),
            "数据为空",
        ),
        (pl.DataFrame({"time": ["1"], "loc": ["a"], "prod": ["x"], "val": [-1.0]}), "负值"),
        (
            pl.DataFrame(
                {"time": ["1"], "loc": ["a"], "prod": ["x"], "val": [None]},
                schema_overrides={"val": pl.Float64},
            ),
            "未知不当作 0",
        ),
        (
            pl.DataFrame(
                {"time": ["1", "1"], "loc": ["a", "a"], "prod": ["x", "x"], "val": [1.0, 2.0]}
            ),
            "重复",
        ),
        (pl.DataFrame({"time": ["1"], "loc": ["a"], "prod": ["x"], "val": [0.0]}), "全为 0"),
    ],
)
def test_bad_input_is_refused_in_chinese(frame: pl.DataFrame, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        compute(frame)


matrices = st.integers(2, 7).flatmap(
    lambda n: st.integers(2, 7).flatmap(
        lambda m: st.lists(
            st.lists(st.integers(0, 9), min_size=m, max_size=m), min_size=n, max_size=n
        )
    )
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices, st.sampled_from([0.5, 1.0, 1.5]))
def test_properties(matrix: list[list[int]], threshold: float) -> None:
    if sum(map(sum, matrix)) == 0:
        return
    result = compute(long(matrix), threshold=threshold)
    cp = result.cp.drop_nulls("rca")
    x = np.array(matrix, dtype=float)
    x = x[x.sum(axis=1) > 0][:, x.sum(axis=0) > 0]
    n_locs, n_prods = x.shape
    assert cp.height == n_locs * n_prods
    rca = cp["rca"].to_numpy().reshape(n_locs, n_prods)
    share = x.sum(axis=0) / x.sum()
    # every region's RCA, weighted by the industries' shares of the whole, sums to 1
    np.testing.assert_allclose(rca @ share, 1.0)
    mcp = cp["mcp"].to_numpy().reshape(n_locs, n_prods)
    np.testing.assert_array_equal(mcp, (rca >= threshold).astype(int))
    np.testing.assert_array_equal(
        cp["diversity"].to_numpy().reshape(n_locs, n_prods)[:, 0], mcp.sum(axis=1)
    )
    np.testing.assert_array_equal(cp["ubiquity"].to_numpy()[:n_prods], mcp.sum(axis=0))
    prox = result.proximity["proximity"].to_numpy().reshape(n_prods, n_prods)  # type: ignore[index]
    present = mcp.sum(axis=0) > 0
    if present.all():
        np.testing.assert_array_equal(prox, prox.T)
        assert ((prox >= 0) & (prox <= 1)).all()
        np.testing.assert_array_equal(np.diag(prox), 1.0)
        density = cp["density"].to_numpy()
        assert ((density >= -1e-12) & (density <= 1 + 1e-12)).all()
    eci = cp.group_by("loc").agg(pl.col("eci").first())["eci"].to_numpy()
    if not np.isnan(eci).any():
        assert eci.mean() == pytest.approx(0, abs=1e-9)
        assert eci.std() == pytest.approx(1)
        assert (cp.filter(pl.col("mcp") == 1)["cog"].abs() < 1e-12).all()
