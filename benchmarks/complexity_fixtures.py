"""Writes tests/engines/complexity/data/reference.npz: py-ecomplexity 0.5.3's outputs on a few
seeded datasets, with their inputs and options, so that the tests compare the engine with the
reference without it. The cases: several years; a region and an industry of total 0;
thresholds that leave one or several regions without any industry, and industries without any
region; RPOP with a population; manual presence, binary and continuous; continuous and
asymmetric proximity; sizes on either side of the direct eigensolver.

    python benchmarks/complexity_fixtures.py [--reference-python PATH]

The reference runs as in bench_complexity.py (its venv at .bench/ecomplexity, made on first use).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_complexity import REFERENCE_SCRIPT, reference_python

OUT = Path(__file__).resolve().parent.parent / "tests/engines/complexity/data/reference.npz"


def dataset(
    seed: int, regions: int, industries: int, years: int, fill: float = 0.4
) -> pl.DataFrame:
    """Nested presence with lognormal values; codes as text."""
    rng = np.random.default_rng(seed)
    capability = rng.uniform(0, 1, regions)
    complexity = rng.uniform(0, 1, industries)
    rows = []
    for y in range(years):
        gap = np.maximum(0, complexity[np.newaxis, :] - capability[:, np.newaxis])
        present = rng.random((regions, industries)) < fill * np.exp(-3 * gap) * 1.5
        li, pi = np.nonzero(present)
        values = np.round(rng.lognormal(2, 1.5, len(li)), 3)
        rows.append(
            pl.DataFrame(
                {
                    "time": str(2020 + y),
                    "loc": [f"R{i:03d}" for i in li],
                    "prod": [f"C{j:03d}" for j in pi],
                    "val": values,
                }
            )
        )
        capability = np.clip(capability + rng.normal(0.02, 0.03, regions), 0, 1)
    return pl.concat(rows)


def population(data: pl.DataFrame, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    keys = data.select("time", "loc").unique().sort("time", "loc")
    return keys.with_columns(pop=pl.Series(np.round(rng.uniform(5, 500, keys.height), 2)))


def cases() -> dict[str, tuple[pl.DataFrame, pl.DataFrame | None, dict[str, object]]]:
    base = dataset(1, 40, 25, 2)
    zeros = pl.DataFrame(
        {
            "time": ["2021", "2021", "2021"],
            "loc": ["R999", "R999", "R001"],
            "prod": ["C001", "C999", "C999"],
            "val": [0.0, 0.0, 0.0],
        }
    )
    small = dataset(2, 30, 20, 2)
    first = small.filter(pl.col("time") == "2020")
    # three regions so populous that no industry reaches RPOP 1 there
    crowded = population(first, 5).with_columns(
        pop=pl.when(pl.col("loc").is_in(["R003", "R007", "R011"]))
        .then(pl.col("pop") * 1000)
        .otherwise(pl.col("pop"))
    )
    binary = small.with_columns(val=(pl.col("val") > 6).cast(pl.Float64))
    share = small.with_columns(val=(pl.col("val") / 60).clip(0, 1).round(4))
    return {
        "rca_years_zeros": (pl.concat([base, zeros]), None, {}),
        "rca_threshold": (dataset(3, 35, 22, 1), None, {"threshold": 1.7}),
        "rca_one_empty_region": (dataset(4, 30, 20, 1), None, {"threshold": 4}),
        "rca_empty_regions_industries": (dataset(4, 30, 20, 1), None, {"threshold": 6}),
        "rpop": (small, population(small, 5), {"presence": "rpop"}),
        "rpop_threshold": (small, population(small, 6), {"presence": "rpop", "threshold": 0.6}),
        "rpop_empty_regions": (first, crowded, {"presence": "rpop"}),
        "manual_binary": (binary, None, {"presence": "manual"}),
        "manual_continuous": (share, None, {"presence": "manual"}),
        "continuous": (small, None, {"continuous": True}),
        "continuous_rpop": (small, population(small, 5), {"presence": "rpop", "continuous": True}),
        "asymmetric": (small, None, {"asymmetric": True}),
        "tall": (dataset(7, 130, 80, 1, fill=0.3), None, {}),
        "wide": (dataset(8, 90, 150, 1, fill=0.3), None, {}),
    }


def run(
    python: str, data: pl.DataFrame, pop: pl.DataFrame | None, options: dict[str, object]
) -> dict[str, np.ndarray]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        data.write_csv(path / "data.csv")
        command = [python, str(REFERENCE_SCRIPT), str(path / "data.csv"), str(path / "out.npz")]
        if pop is not None:
            pop.write_csv(path / "pop.csv")
            command += ["--pop", str(path / "pop.csv")]
        for key, value in options.items():
            flag = f"--{key}"
            command += [flag] if value is True else [flag, str(value)]
        subprocess.run(command, check=True, capture_output=True)  # noqa: S603
        with np.load(path / "out.npz") as out:
            return {k: out[k] for k in out.files}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reference-python")
    args = parser.parse_args()
    python = reference_python(args.reference_python)
    versions = subprocess.run(  # noqa: S603
        [
            python,
            "-c",
            "import ecomplexity, numpy, pandas; print(numpy.__version__, pandas.__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    arrays: dict[str, np.ndarray] = {}
    meta: dict[str, object] = {
        "reference": "ecomplexity 0.5.3",
        "numpy": versions[0],
        "pandas": versions[1],
    }
    names = []
    for name, (data, pop, options) in cases().items():
        names.append(name)
        arrays[f"{name}__in_time"] = data["time"].to_numpy().astype(str)
        arrays[f"{name}__in_loc"] = data["loc"].to_numpy().astype(str)
        arrays[f"{name}__in_prod"] = data["prod"].to_numpy().astype(str)
        arrays[f"{name}__in_val"] = data["val"].to_numpy()
        if pop is not None:
            arrays[f"{name}__pop_time"] = pop["time"].to_numpy().astype(str)
            arrays[f"{name}__pop_loc"] = pop["loc"].to_numpy().astype(str)
            arrays[f"{name}__pop_pop"] = pop["pop"].to_numpy()
        arrays[f"{name}__options"] = np.array(json.dumps(options))
        for key, value in run(python, data, pop, options).items():
            arrays[f"{name}__ref_{key}"] = value
        print(name, data.height, "行", file=sys.stderr)
    meta["cases"] = names
    arrays["meta"] = np.array(json.dumps(meta))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **arrays)
    print(f"写入 {OUT}（{OUT.stat().st_size / 1024:.0f} KiB）")


if __name__ == "__main__":
    main()
