"""The economic-complexity engine against py-ecomplexity 0.5.3 (the Harvard Growth Lab's reference
implementation), in the same run, on 3,000 regions × 1,400 industries.

The data: firms placed by a nested capability model (a region of capability c holds an industry
of complexity q with a rate falling as q exceeds c), counted per region × industry and weighted
by revenue; most pairs are empty. The reference runs in its own Python (it needs pandas and
scikit-learn, which the project does not ship): by default a venv made on first use at
.bench/ecomplexity, given ecomplexity==0.5.3 (benchmarks/ecomplexity_reference.py runs it).

Printed: the engine's time (best of --repeat, measures and proximity edge list; wall and CPU
time, the latter summed over threads, steadier on a shared machine), the reference's
time for ecomplexity() and proximity() (one run), the ratio, and for each output the largest
absolute difference between the two over every region × industry (and industry pair).

    python benchmarks/bench_complexity.py [--regions 3000] [--industries 1400] [--years 1]
        [--presence rca|rpop|manual] [--repeat 3] [--reference-python PATH | --skip-reference]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from reference_env import python_with

from wulian.engines.complexity import compute

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_SCRIPT = Path(__file__).resolve().parent / "ecomplexity_reference.py"
REFERENCE_VENV = ROOT / ".bench" / "ecomplexity"
REFERENCE_REQUIREMENT = "ecomplexity==0.5.3"
OUTPUTS = ["rca", "rpop", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]


def reference_python(given: str | None) -> str:
    """The Python that runs the reference: the one given, or the venv at .bench/ecomplexity,
    made and given ecomplexity on first use (apart from the project's own environment)."""
    return python_with(REFERENCE_VENV, "ecomplexity", REFERENCE_REQUIREMENT, "参考实现", given)


def firms(regions: int, industries: int, years: int = 1, seed: int = 11) -> pl.DataFrame:
    """Revenue of firms summed per year × region × industry (GB/T-like codes), zeros left out."""
    rng = np.random.default_rng(seed)
    capability = rng.uniform(0, 1, regions)
    complexity = rng.uniform(0, 1, industries)
    region_size = rng.lognormal(0, 1.0, regions)
    industry_size = rng.lognormal(0, 1.0, industries)
    loc_codes = np.array([f"{330000 + i:06d}" for i in range(regions)])
    prod_codes = np.array([f"C{1000 + j:04d}" for j in range(industries)])
    parts = []
    for y in range(years):
        gap = np.maximum(0.0, complexity[np.newaxis, :] - capability[:, np.newaxis])
        rate = 0.6 * np.outer(region_size, industry_size) * np.exp(-6.0 * gap)
        counts = rng.poisson(rate)
        li, pi = np.nonzero(counts)
        revenue = counts[li, pi] * np.round(rng.lognormal(6.0, 1.2, len(li)), 1)
        parts.append(
            pl.DataFrame(
                {
                    "time": str(2024 - years + 1 + y),
                    "loc": loc_codes[li],
                    "prod": prod_codes[pi],
                    "val": revenue,
                }
            )
        )
        capability = np.clip(capability + rng.normal(0.01, 0.02, regions), 0, 1)
    return pl.concat(parts)


def population(data: pl.DataFrame, seed: int = 5) -> pl.DataFrame:
    """A population per year × region, roughly in proportion to its total value."""
    rng = np.random.default_rng(seed)
    totals = data.group_by("time", "loc").agg(pl.col("val").sum()).sort("time", "loc")
    noise = rng.lognormal(0, 0.5, totals.height)
    return totals.select("time", "loc", (pl.col("val") * noise / 100).alias("pop"))


def run_reference(
    python: str, data: pl.DataFrame, pop: pl.DataFrame | None, presence: str
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        data.write_csv(path / "data.csv")
        command = [python, str(REFERENCE_SCRIPT), str(path / "data.csv"), str(path / "out.npz")]
        command += ["--presence", presence]
        if pop is not None:
            pop.write_csv(path / "pop.csv")
            command += ["--pop", str(path / "pop.csv")]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            sys.exit(f"参考实现运行失败：\n{done.stderr[-3000:]}")
        seconds = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(path / "out.npz") as out:
            return seconds, {k: out[k] for k in out.files}


def differences(
    result_cp: pl.DataFrame, result_prox: pl.DataFrame, ref: dict[str, np.ndarray]
) -> dict[str, str]:
    """For each output, the largest absolute difference, and where one side is empty and the
    other not, how often."""
    cp_ref = pl.DataFrame({k: ref[k] for k in ("time", "loc", "prod", *OUTPUTS) if k in ref})
    joined = cp_ref.join(result_cp, on=["time", "loc", "prod"], how="full", suffix="_engine")
    out: dict[str, str] = {}
    if joined.height != cp_ref.height or joined.height != result_cp.height:
        out["rows"] = (
            f"参考 {cp_ref.height} 行，引擎 {result_cp.height} 行，合并 {joined.height} 行"
        )
    for name in OUTPUTS:
        if name not in cp_ref.columns:
            continue
        out[name] = _gap(joined[name], joined[f"{name}_engine"])
    prox_ref = pl.DataFrame(
        {
            "time": ref["prox_time"],
            "prod_1": ref["prox_prod_1"],
            "prod_2": ref["prox_prod_2"],
            "reference": ref["prox_proximity"],
        }
    )
    joined = prox_ref.join(result_prox, on=["time", "prod_1", "prod_2"], how="full")
    out["proximity"] = _gap(joined["reference"], joined["proximity"])
    return out


def _gap(a: pl.Series, b: pl.Series) -> str:
    x = a.cast(pl.Float64).fill_null(np.nan).to_numpy()
    y = b.cast(pl.Float64).fill_null(np.nan).to_numpy()
    both = ~np.isnan(x) & ~np.isnan(y)
    worst = float(np.max(np.abs(x[both] - y[both]))) if both.any() else 0.0
    one_sided = int(np.sum(np.isnan(x) != np.isnan(y)))
    return f"{worst:.1e}" + (f"（{one_sided} 处仅一方为空）" if one_sided else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, default=3000)
    parser.add_argument("--industries", type=int, default=1400)
    parser.add_argument("--years", type=int, default=1)
    parser.add_argument("--presence", choices=["rca", "rpop"], default="rca")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reference-python")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()

    data = firms(args.regions, args.industries, args.years)
    pop = population(data) if args.presence == "rpop" else None
    cells = args.regions * args.industries * args.years
    print(
        f"数据：{args.years} 年 × {args.regions} 个地区 × {args.industries} 个行业，"
        f"非零 {data.height} 格（{data.height / cells:.1%}），存在性 {args.presence}；"
        f"负载 {os.getloadavg()[0]:.2f}"
    )
    best = cpu = float("inf")
    result = None
    for _ in range(args.repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = compute(data, presence=args.presence, pop=pop)
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    assert result is not None
    assert result.proximity is not None
    share = result.cp.select(pl.col("mcp").cast(pl.Float64).mean()).item()
    print(
        f"引擎（含邻近度边表）：{best:.2f} s（{args.repeat} 次中最快；CPU 时间 {cpu:.2f} s，"
        f"各线程合计），M=1 的比例 {share:.1%}"
    )
    if args.skip_reference:
        return
    python = reference_python(args.reference_python)
    seconds, ref = run_reference(python, data, pop, args.presence)
    reference_total = seconds["ecomplexity_seconds"] + seconds["proximity_seconds"]
    print(
        f"参考实现 py-ecomplexity 0.5.3：ecomplexity() {seconds['ecomplexity_seconds']:.2f} s，"
        f"proximity() {seconds['proximity_seconds']:.2f} s，合计 {reference_total:.2f} s"
    )
    print(f"加速比：{reference_total / best:.1f}×；负载 {os.getloadavg()[0]:.2f}")
    print("与参考实现的最大绝对差：")
    for name, gap in differences(result.cp, result.proximity, ref).items():
        print(f"  {name:<10} {gap}")


if __name__ == "__main__":
    main()
