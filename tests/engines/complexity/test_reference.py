"""The engine against py-ecomplexity 0.5.3, the reference implementation.

1. Always: its outputs stored in data/reference.npz (written by benchmarks/complexity_fixtures.py
   from the reference on seeded datasets: several years, left-out regions and industries, RPOP,
   manual presence, continuous and asymmetric proximity, a threshold that leaves regions
   without industries, both sides of the eigensolver), compared to 1e-9 on every output.
2. Live, on other data (the benchmark's generator, smaller), when the reference's environment
   (.bench/ecomplexity) exists; with CI=true it is made (as the benchmark makes it) rather than
   skipped.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from wulian.engines.complexity import compute

DATA = Path(__file__).parent / "data" / "reference.npz"
ROOT = Path(__file__).resolve().parents[3]
OUTPUTS = [
    "val",
    "rca",
    "rpop",
    "mcp",
    "diversity",
    "ubiquity",
    "eci",
    "pci",
    "density",
    "coi",
    "cog",
]
TOLERANCE = 1e-9
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

with np.load(DATA) as stored:
    FIXTURE = {k: stored[k] for k in stored.files}
CASES = json.loads(str(FIXTURE["meta"]))["cases"]


def _case(name: str) -> tuple[pl.DataFrame, pl.DataFrame | None, dict[str, object]]:
    data = pl.DataFrame({k: FIXTURE[f"{name}__in_{k}"] for k in ("time", "loc", "prod", "val")})
    pop = None
    if f"{name}__pop_pop" in FIXTURE:
        pop = pl.DataFrame({k: FIXTURE[f"{name}__pop_{k}"] for k in ("time", "loc", "pop")})
    return data, pop, json.loads(str(FIXTURE[f"{name}__options"]))


def assert_same(
    result_cp: pl.DataFrame, result_prox: pl.DataFrame | None, ref: dict[str, np.ndarray]
) -> None:
    reference = pl.DataFrame({k: ref[k] for k in ("time", "loc", "prod", *OUTPUTS) if k in ref})
    assert result_cp.height == reference.height
    joined = reference.join(result_cp, on=["time", "loc", "prod"], how="inner", suffix="_engine")
    assert joined.height == reference.height, "the same period × region × industry rows"
    for name in OUTPUTS:
        if name not in reference.columns:
            assert name not in result_cp.columns
            continue
        expected = joined[name].cast(pl.Float64).fill_null(np.nan).to_numpy()
        got = joined[f"{name}_engine"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        np.testing.assert_array_equal(
            np.isnan(got), np.isnan(expected), err_msg=f"{name}: empty cells"
        )
        both = ~np.isnan(expected)
        np.testing.assert_allclose(got[both], expected[both], rtol=0, atol=TOLERANCE, err_msg=name)
    assert result_prox is not None
    prox = pl.DataFrame(
        {
            "time": ref["prox_time"],
            "prod_1": ref["prox_prod_1"],
            "prod_2": ref["prox_prod_2"],
            "expected": ref["prox_proximity"],
        }
    )
    joined_prox = prox.join(result_prox, on=["time", "prod_1", "prod_2"], how="inner")
    assert joined_prox.height == prox.height == result_prox.height
    expected = joined_prox["expected"].to_numpy()
    got = joined_prox["proximity"].fill_null(np.nan).to_numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    both = ~np.isnan(expected)
    np.testing.assert_allclose(got[both], expected[both], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("name", CASES)
def test_equal_to_the_reference_outputs(name: str) -> None:
    data, pop, options = _case(name)
    result = compute(data, pop=pop, **options)  # type: ignore[arg-type]
    ref = {k.split("__ref_", 1)[1]: v for k, v in FIXTURE.items() if k.startswith(f"{name}__ref_")}
    assert_same(result.cp, result.proximity, ref)


def test_the_stored_cases_cover_the_conventions() -> None:
    """What the stored cases are there for, checked on the reference's own outputs."""
    ref = FIXTURE
    # a region and an industry of total 0 come back with every measure empty
    loc = ref["rca_years_zeros__ref_loc"]
    assert np.isnan(ref["rca_years_zeros__ref_eci"][loc == "R999"]).all()
    # one region without any industry: every ECI and PCI of the period is empty
    assert np.isnan(ref["rpop__ref_eci"]).all()
    assert np.isnan(ref["rca_one_empty_region__ref_pci"]).all()
    # several regions without any industry: ECI, PCI and COG empty, COI not
    assert np.isnan(ref["rpop_empty_regions__ref_eci"]).all()
    assert np.isnan(ref["rpop_empty_regions__ref_cog"]).all()
    assert not np.isnan(ref["rpop_empty_regions__ref_coi"]).any()
    # industries without any region too: proximity, density, COI empty
    assert np.isnan(ref["rca_empty_regions_industries__ref_density"]).all()
    assert np.isnan(ref["rca_empty_regions_industries__ref_prox_proximity"]).any()
    # the other cases have an ECI everywhere
    assert not np.isnan(ref["tall__ref_eci"]).any()
    assert not np.isnan(ref["wide__ref_eci"]).any()


def _reference_python() -> str | None:
    python = ROOT / ".bench" / "ecomplexity" / "bin" / "python"
    if python.exists() and not IN_CI:
        return str(python)
    if not IN_CI:
        return None
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_complexity import reference_python
    finally:
        sys.path.pop(0)
    return reference_python(None)


def test_equal_to_the_reference_live(tmp_path: Path) -> None:
    python = _reference_python()
    if python is None:
        pytest.skip(
            "参考实现的环境 .bench/ecomplexity 不存在"
            "（python benchmarks/bench_complexity.py 会创建它）"
        )
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from bench_complexity import firms, population, run_reference
    finally:
        sys.path.pop(0)
    data = firms(60, 45, years=2, seed=17)  # data the stored cases do not have, every run the same
    for presence, pop in (("rca", None), ("rpop", population(data))):
        _, ref = run_reference(python, data, pop, presence)
        result = compute(data, presence=presence, pop=pop)  # type: ignore[arg-type]
        assert_same(result.cp, result.proximity, ref)
