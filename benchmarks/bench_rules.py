"""The rules engine on 1,000,000 synthetic firms.

1. Against OpenFisca, in the same run: the composed rule set of examples/ladder (firm ratios, the
   科技型中小企业 point tables and conditions, the 高企 R&D and basic conditions, an R&D subsidy
   with a cap; 15 inputs) and its nine outputs, on the same firms (no blanks: OpenFisca has no
   unknown). OpenFisca runs benchmarks/openfisca_ladder.py, the same rules written as an OpenFisca
   model, in its own Python (openfisca-core 46.0.1 pins its own numpy): by default a venv made on
   first use at .bench/openfisca. Printed: wulian's time without and with traces (every
   comparison's two sides kept) and OpenFisca's, best of three each, their ratios, and for each
   output the number of firms on which the two differ (OpenFisca computes in float32: a firm whose
   ratio is exactly at a band's lower bound may land in the band below). Then the same rules on
   firms with 3% of each number blank: how many firms wulian leaves unknown, per output.
2. 1,000,000 firms × 50 policies (the 11 shipped policies and variants of them with other
   thresholds: conditions, point tables and formulas), target ≤ 3 s and ≤ 4 GiB. The reference is
   a row-by-row Python evaluation of the same rules (`evaluate.interpret_policy`), timed on a
   sample in the same run and scaled to the full size; on that sample both must agree on every
   status and amount.

    python benchmarks/bench_rules.py [--firms 1000000] [--policies 50] [--sample 2000]
        [--openfisca-python PATH | --skip-openfisca] [--skip-policies | --skip-ladder]

--skip-ladder --sample 0 runs part 2 alone without the reference (to compare two versions of the
engine in one session: PYTHONPATH=<old src> and PYTHONPATH=src in turn); it also prints the
process CPU time of each evaluation (every thread's), steadier than the wall time on a loaded
machine.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import yaml
from reference_env import python_with

from wulian.engines.rules import evaluate as engine
from wulian.engines.rules.policy import Policy, load, load_set

SHIPPED = Path(str(resources.files("wulian.policy").joinpath("policies")))
ROOT = Path(__file__).resolve().parent.parent
LADDER = ROOT / "examples" / "ladder"
OPENFISCA_SCRIPT = Path(__file__).resolve().parent / "openfisca_ladder.py"
OPENFISCA_VENV = ROOT / ".bench" / "openfisca"
OPENFISCA_REQUIREMENT = "openfisca-core==46.0.1"

OUTPUTS = [
    "firm.rd_increase",
    "kexing_points.tech_score",
    "kexing_points.rd_score",
    "kexing_points.ip_score",
    "kexing_points.score",
    "kexing.eligible",
    "gaoxin_basic.eligible",
    "rd_subsidy.eligible",
    "rd_subsidy.amount",
]
# the lower bounds of kexing_points' bands and gaoxin_basic's thresholds, for the ratios
BOUNDS = {
    "tech_share": [0.10, 0.15, 0.20, 0.25, 0.30],
    "rd_revenue_ratio": [0.02, 0.03, 0.04, 0.05, 0.06],
    "rd_cost_ratio": [0.10, 0.15, 0.20, 0.25, 0.30],
}


def shipped() -> list[Policy]:
    """The shipped policies, loaded together (some read others' outputs)."""
    return load_set([(p.read_text("utf-8"), p.name) for p in sorted(SHIPPED.glob("*.yaml"))])


def variants(count: int) -> list[Policy]:
    """The shipped policies, then copies with every numeric parameter moved by a few percent."""
    texts = {p.name: yaml.safe_load(p.read_text("utf-8")) for p in sorted(SHIPPED.glob("*.yaml"))}
    out = shipped()
    originals = list(out)
    k = 0
    while len(out) < count:
        k += 1
        for name, data in texts.items():
            if len(out) >= count:
                break
            variant = copy.deepcopy(data)
            variant["id"] = f"{data['id']}_v{k}"
            variant.pop("tests", None)
            for parameter in variant.get("parameters", {}).values():
                for value in parameter["values"]:
                    if isinstance(value["value"], int | float) and not isinstance(
                        value["value"], bool
                    ):
                        value["value"] = value["value"] * (1 + 0.03 * k)
            text = yaml.safe_dump(variant, allow_unicode=True)
            out.append(load(text, name, originals))  # reading the originals' outputs
    return out


def firms(n: int, policies: list[Policy], seed: int = 7, blanks: float = 0.03) -> pl.DataFrame:
    """n firms with every input the policies read: plausible sizes and ratios, a share (blanks)
    of each number unknown."""
    rng = np.random.default_rng(seed)
    revenue = np.round(rng.lognormal(7.5, 1.3, n), 1)
    staff = np.maximum(5, np.round(revenue / rng.uniform(20, 80, n)))
    columns: dict[str, object] = {"id": np.arange(n)}
    kinds = engine.required_columns(policies)
    for key, kind in kinds.items():
        if kind == "bool":
            columns[key] = rng.random(n) < 0.2
        elif kind == "code":
            columns[key] = rng.choice(["A", "B", "C", "D"], n)
        elif key.startswith("revenue") or key.startswith("main_business_revenue"):
            columns[key] = np.round(revenue * rng.uniform(0.8, 1.1, n), 1)
        elif key.startswith("rd_expense"):
            columns[key] = np.round(revenue * rng.uniform(0.0, 0.08, n), 1)
        elif key in ("staff_total",):
            columns[key] = staff
        elif key == "tech_staff":
            columns[key] = np.round(staff * rng.uniform(0, 0.4, n))
        elif key in ("debt_ratio", "niche_share"):
            columns[key] = np.round(rng.uniform(0, 1, n), 3)
        elif key in ("age_years",):
            columns[key] = rng.integers(0, 30, n).astype(float)
        elif key == "gaoxin_since":
            columns[key] = rng.integers(2015, 2025, n).astype(float)
        elif key.endswith("_count") or key in ("provincial_platforms", "provincial_awards"):
            columns[key] = rng.poisson(1.0, n).astype(float)
        elif key.endswith("score"):
            columns[key] = np.round(rng.uniform(40, 100, n))
        else:
            columns[key] = np.round(revenue * rng.uniform(0, 0.3, n), 1)
    frame = pl.DataFrame(columns)
    numbers = [k for k, kind in kinds.items() if kind == "number"]
    return blank(frame, numbers, blanks, rng) if blanks else frame


def blank(
    frame: pl.DataFrame, numbers: list[str], share: float, rng: np.random.Generator
) -> pl.DataFrame:
    """frame with a share of each number column unknown (null), drawn column by column."""
    n = frame.height
    return frame.with_columns(
        pl.when(pl.lit(rng.random(n) < share)).then(None).otherwise(pl.col(k)).alias(k)
        for k in numbers
    )


def ladder_firms(n: int, ladder: list[Policy], blanks: float = 0.0, seed: int = 7) -> pl.DataFrame:
    """n firms with the ladder's 15 inputs: firms() with plausible costs, assets and direct
    confirmations, and 1% of firms whose R&D ratios (to revenue and to total cost) are exactly
    at a band's lower bound; then a share (blanks) of each number unknown."""
    rng = np.random.default_rng(seed + 1)
    frame = firms(n, ladder, seed, blanks=0)
    revenue = frame.get_column("revenue").to_numpy()
    columns = {
        "total_cost": np.round(revenue * rng.uniform(0.5, 1.0, n), 1),
        "total_assets": np.round(revenue * rng.uniform(0.3, 3.0, n), 1),
        "provincial_platforms": rng.poisson(0.1, n).astype(float),
        "ip_class1_count": rng.poisson(0.3, n).astype(float),
        "national_award": rng.random(n) < 0.02,
        "standard_lead": rng.random(n) < 0.05,
    }
    # at a bound, in tenths of 万元: R&D 6·j, revenue R&D·100/P (P% of revenue), total cost
    # R&D·100/Q: integers, so both ratios are exactly P% and Q%
    at = rng.choice(n, n // 100, replace=False)
    tenths = 6 * rng.integers(1, 200, at.size)
    rd = frame.get_column("rd_expense").to_numpy().copy()
    rd[at] = tenths / 10
    columns["revenue"] = revenue.copy()
    columns["revenue"][at] = tenths * 100 // rng.choice([2, 3, 4, 5, 6], at.size) / 10
    columns["total_cost"][at] = tenths * 100 // rng.choice([10, 15, 20, 25, 30], at.size) / 10
    columns["rd_expense"] = rd
    frame = frame.with_columns(pl.Series(k, v) for k, v in columns.items())
    if not blanks:
        return frame
    kinds = engine.required_columns(ladder)
    return blank(frame, [k for k, kind in kinds.items() if kind == "number"], blanks, rng)


def best(fn, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def reference(
    policies: list[Policy], frame: pl.DataFrame, period: int
) -> dict[tuple[str, int], tuple[str, float | None]]:
    day = engine.period_end(period)
    params = {p.id: engine.parameter_values(p, day) for p in policies if p.in_effect(day)}
    out = {}
    for row in frame.iter_rows(named=True):
        for policy in policies:
            if policy.id in params:
                out[(policy.id, row["id"])] = engine.interpret_policy(
                    policy, row, params[policy.id], period
                )
    return out


def ladder() -> list[Policy]:
    return load_set((p.read_text("utf-8"), p.name) for p in sorted(LADDER.glob("*.yaml")))


def openfisca_python(given: str | None) -> str:
    """The Python that runs OpenFisca: the one given, or the venv at .bench/openfisca, made and
    given openfisca-core on first use (apart from the project's own environment)."""
    return python_with(
        OPENFISCA_VENV, "openfisca_core", OPENFISCA_REQUIREMENT, " OpenFisca ", given
    )


def run_openfisca(
    python: str, data: pl.DataFrame, kinds: dict[str, str], repeat: int = 3
) -> tuple[dict[str, object], dict[str, np.ndarray]]:
    """benchmarks/openfisca_ladder.py on data, in its own process: its report and its outputs."""
    with tempfile.TemporaryDirectory(prefix="openfisca-") as folder:
        given, out = Path(folder) / "firms.npz", Path(folder) / "outputs.npz"
        arrays = {
            key: data.get_column(key).to_numpy().astype(bool if kind == "bool" else np.float64)
            for key, kind in kinds.items()
        }
        np.savez(given, **arrays)  # type: ignore[arg-type]
        command = [python, str(OPENFISCA_SCRIPT), str(given), str(out), "--repeat", str(repeat)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode:
            sys.exit(f"OpenFisca 运行失败：\n{done.stderr}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        with np.load(out) as saved:
            outputs = {name: saved[name] for name in saved.files}
    return report, outputs


def at_bound(data: pl.DataFrame) -> np.ndarray:
    """Firms one of whose ratios is a band's lower bound or a threshold (to 1e-12), or whose
    revenue is at gaoxin_basic's 5,000 or 20,000 万元."""
    ratios = {
        "tech_share": data["tech_staff"] / data["staff_total"],
        "rd_revenue_ratio": data["rd_expense"] / data["revenue"],
        "rd_cost_ratio": data["rd_expense"] / data["total_cost"],
    }
    out = np.zeros(data.height, dtype=bool)
    for key, values in ratios.items():
        array = values.to_numpy()
        for bound in BOUNDS[key]:
            out |= np.abs(array - bound) <= 1e-12 * bound
    revenue = data["revenue"].to_numpy()
    return out | (revenue == 5000) | (revenue == 20000)


def disagreements(
    ours: pl.DataFrame, theirs: dict[str, np.ndarray], data: pl.DataFrame
) -> dict[str, tuple[int, int]]:
    """Per output: firms on which wulian (where it knows) and OpenFisca differ, and how many of
    those are at a bound. Scores and yes/no exactly; the R&D increase and the amount within
    float32's rounding of the two R&D inputs (OpenFisca stores them in float32)."""
    bound = at_bound(data)
    eps = float(np.finfo(np.float32).eps)
    scale = np.abs(data["rd_expense"].to_numpy()) + np.abs(data["rd_expense_1"].to_numpy())
    out = {}
    for name in OUTPUTS:
        column = ours.get_column(name)
        known = column.is_not_null().to_numpy()
        other = theirs[name]
        if column.dtype == pl.Boolean:
            differ = column.fill_null(False).to_numpy() != other.astype(bool)
        else:
            mine = column.fill_null(np.nan).to_numpy()
            tolerance = 0.0
            if name in ("firm.rd_increase", "rd_subsidy.amount"):
                tolerance = 4 * eps * (scale + np.abs(mine))  # type: ignore[assignment]
            differ = np.abs(mine - other.astype(np.float64)) > tolerance
        differ &= known
        out[name] = (int(differ.sum()), int((differ & bound).sum()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--policies", type=int, default=50)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument(
        "--openfisca-python", help="a Python with openfisca-core (default: .bench/openfisca)"
    )
    parser.add_argument("--skip-openfisca", action="store_true")
    parser.add_argument("--skip-policies", action="store_true", help="part 1 only")
    parser.add_argument("--skip-ladder", action="store_true", help="part 2 only")
    args = parser.parse_args()
    if not args.skip_ladder:
        run_ladder(args)
    if not args.skip_policies:
        run_policies(args)


def run_ladder(args: argparse.Namespace) -> None:
    """Part 1: against OpenFisca, examples/ladder and its nine outputs."""
    rules = ladder()
    kinds = engine.required_columns(rules)
    data = ladder_firms(args.firms, rules)

    cpu: dict[bool, list[float]] = {False: [], True: []}

    def ours(trace: bool) -> pl.DataFrame:
        start = time.process_time()
        result = engine.evaluate(rules, data, period=2024, outputs=OUTPUTS, trace=trace)
        cpu[trace].append(time.process_time() - start)
        return result.outputs(OUTPUTS)

    mine = ours(False)  # the first run also warms the allocator
    cpu[False].clear()
    plain = best(lambda: ours(False))
    traced = best(lambda: ours(True))
    print(
        f"examples/ladder（{len(rules)} 个文件，{len(kinds)} 项输入，{len(OUTPUTS)} 项输出），"
        f"{args.firms:,} 家企业（无空缺；load average {os.getloadavg()[0]:.1f}）："
    )
    print(f"  wulian 无追踪 {plain:.3f} s，含追踪 {traced:.3f} s（三次取最快）")
    print(
        "  每次 evaluate() 的 CPU 时间：无追踪 "
        + " / ".join(f"{c:.3f}" for c in cpu[False])
        + " s，含追踪 "
        + " / ".join(f"{c:.3f}" for c in cpu[True])
        + " s"
    )
    if not args.skip_openfisca:
        python = openfisca_python(args.openfisca_python)
        report, theirs = run_openfisca(python, data, kinds)
        seconds = float(report["seconds"])  # type: ignore[arg-type]
        print(
            f"  OpenFisca {seconds:.3f} s（openfisca-core {report['openfisca_core']}，"
            f"numpy {report['numpy']}，每次新建模拟、设输入、算九项输出，三次取最快）"
        )
        print(f"  ratio (OpenFisca / wulian, without traces): {seconds / plain:.2f}x")
        print(f"  ratio (OpenFisca / wulian, with traces): {seconds / traced:.2f}x")
        print("  与 OpenFisca 不一致的企业（括号内：其中比例恰在分档下限或门槛上的）：")
        for name, (differ, bound) in disagreements(mine, theirs, data).items():
            print(f"    {name}: {differ:,}（{bound:,}）")
        score = mine.get_column("kexing_points.rd_score").to_numpy()
        differ = np.flatnonzero(score != theirs["kexing_points.rd_score"])
        if differ.size:
            row = data.row(int(differ[0]), named=True)
            rd = np.float32(row["rd_expense"])
            to_revenue = rd / np.float32(row["revenue"])
            to_cost = rd / np.float32(row["total_cost"])
            print(
                f"  例：研发费用 {row['rd_expense']} 万元、销售收入 {row['revenue']} 万元、"
                f"成本费用 {row['total_cost']} 万元：研发得分 wulian {score[differ[0]]:g}，"
                f"OpenFisca {theirs['kexing_points.rd_score'][differ[0]]:g}；float32 算得"
                f"占收入比 {to_revenue:.10g}、占成本比 {to_cost:.10g}"
            )
    blanks = ladder_firms(args.firms, rules, blanks=0.03)
    start = time.perf_counter()
    unknown = engine.evaluate(rules, blanks, period=2024, outputs=OUTPUTS).outputs(OUTPUTS)
    once = time.perf_counter() - start
    print(f"  每项数值输入空缺 3% 时（wulian {once:.3f} s，一次）仍为未知的企业：")
    for name in OUTPUTS:
        print(f"    {name}: {unknown.get_column(name).null_count():,}")


def run_policies(args: argparse.Namespace) -> None:
    """Part 2: 50 policies, and the row-by-row reference on a sample."""
    policies = variants(args.policies)
    data = firms(args.firms, policies)
    size = data.estimated_size() / 2**20
    # the first run also warms the allocator; each result is dropped before the next run, so
    # the peak is that of one evaluation (with the input and part 1's leftovers)
    engine.evaluate(policies, data, period=2024)
    cpu: list[float] = []

    def once() -> None:
        start = time.process_time()
        engine.evaluate(policies, data, period=2024)
        cpu.append(time.process_time() - start)

    seconds = best(once)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB → GiB
    source = Path(engine.__file__).resolve().parents[3]
    print(
        f"{args.firms:,} 家企业 × {len(policies)} 项政策（{source}；load average "
        f"{os.getloadavg()[0]:.1f}）：{seconds:.2f} s（三次取最快），每次 CPU 时间 "
        + " / ".join(f"{c:.2f}" for c in cpu)
        + f" s，峰值内存 {peak:.2f} GiB"
    )
    if not args.sample:
        return
    result = engine.evaluate(policies, data, period=2024)  # kept, for the reference below
    sample = data.head(args.sample)
    start = time.perf_counter()
    wanted = reference(policies, sample, 2024)
    ref_seconds = (time.perf_counter() - start) * args.firms / sample.height
    disagree = 0
    for key, frame in result.frames.items():
        head = frame.head(sample.height)
        for unit, status, amount in head.select("id", "status", "amount").iter_rows():
            ref_status, ref_amount = wanted[(key, unit)]
            if (
                ref_status != status
                or (
                    ref_amount is not None
                    and amount is not None
                    and abs(ref_amount - amount) > 1e-9
                )
                or ((ref_amount is None) != (amount is None))
            ):
                disagree += 1
    counts = (
        pl.concat([f.select("status") for f in result.frames.values()]).group_by("status").len()
    )
    print(
        f"{args.firms:,} 家企业 × {len(policies)} 项政策（输入 {size:.0f} MiB）："
        f"{seconds:.2f} s（三次取最快），峰值内存 {peak:.2f} GiB"
    )
    print("  结论：" + "，".join(f"{s} {n:,}" for s, n in sorted(counts.iter_rows())))
    print(
        f"  逐行 Python 参照（{sample.height:,} 家实测后按比例推算）：{ref_seconds:.0f} s；"
        f"与引擎不一致 {disagree} 处"
    )
    print(f"  ratio (row-by-row Python / wulian): {ref_seconds / seconds:.0f}x")


if __name__ == "__main__":
    main()
