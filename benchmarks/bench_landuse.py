"""亩均效益 for 100,000 firms (target: at most 5 s including building the input from facts).

Builds a SQLite zone of 100,000 manufacturing firms (60% 规上) with the year's facts, then times
`landuse.service.build_input` + `landuse.evaluate.evaluate` on the shipped Huangyan spec (best of
three), and once `create_run` (which also stores the 100,000 results). The reference is a plain
pandas evaluation of the same input frame (row-wise statuses, the same formula, ranks and
shares), measured in the same run; their scores must agree.

    python benchmarks/bench_landuse.py [--firms 100000] [--db PATH]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from bench_matrix import build as build_facts

from wulian.core import audit
from wulian.core.db import create_engine, session_factory
from wulian.core.permissions import Actor
from wulian.landuse import evaluate, service
from wulian.landuse.models import LanduseSpec

SYSTEM = Actor.system("基准测试")


def build(path: Path, firms: int, inputs: list[str]) -> None:
    build_facts(path, firms, inputs)
    rng = random.Random(11)
    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO industries (code, name, parent_code, level, notes) VALUES (?,?,?,?,'')",
        [("C", "制造业", None, 1), ("39", "电子", "C", 2), ("398", "电子元件", "39", 3),
         ("3983", "敏感元件", "398", 4)],
    )  # fmt: skip
    connection.executemany(
        "UPDATE enterprises SET industry_code = '3983', founded_on = ?, land_area = ? WHERE id = ?",
        ((f"{rng.randint(1995, 2023)}-06-01", round(rng.uniform(1, 200), 1), i)
         for i in range(1, firms + 1)),
    )  # fmt: skip
    connection.executemany(
        "INSERT INTO enterprise_tags (enterprise_id, tag) VALUES (?, 'guishang')",
        ((i,) for i in range(1, firms + 1) if rng.random() < 0.6),
    )
    connection.commit()
    connection.close()


def pandas_reference(spec, frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """The same evaluation, written plainly with pandas (row-wise statuses)."""
    df = frame.copy()
    df["group"] = np.where(df["guishang"], "above", "below")
    young = pd.Timestamp(dt.date(year - spec.scope.min_age_years, 12, 31))

    def status(row) -> str:
        if row["section"] not in spec.scope.sections:
            return "out"
        if row["section"] in spec.scope.exempt_sections:
            return "T"
        if pd.notna(row["founded_on"]) and pd.Timestamp(row["founded_on"]) > young:
            return "T"
        if row["building"]:
            return "T"
        if row["rented"]:
            return "rented"
        if row["group"] == "below" and not (row["land_area"] >= spec.scope.below_min_land):
            return "out"
        if not (row["land_area"] > 0):
            return "incomplete"
        return "rated"

    df["status"] = df.apply(status, axis=1)
    formulas = {"tax_per_mu": ("tax_paid", "land_area"),
                "value_added_per_mu": ("industrial_value_added", "land_area"),
                "value_added_per_energy": ("industrial_value_added", "energy_use"),
                "value_added_per_emission": ("industrial_value_added", "emissions"),
                "labour_productivity": ("industrial_value_added", "staff_average"),
                "rd_intensity": ("rd_expense", "revenue"),
                "tax_per_electricity": ("tax_paid", "electricity_use")}  # fmt: skip
    for key, (num, den) in formulas.items():
        df[key] = df[num] / df[den].where(df[den] != 0)
    out = []
    for group in spec.groups:
        part = df[(df["group"] == group.key) & (df["status"] == "rated")].copy()
        required = [i.key for i in group.items if i.missing != "average"]
        part = part[part[required].notna().all(axis=1)].copy()
        for item in group.items:
            if item.missing == "average":  # the mean over the firms scored
                part[item.key] = part[item.key].fillna(part[item.key].mean())
        part["score"] = sum(part[i.key] / float(i.benchmark) * i.weight for i in group.items)
        part["rank"] = part["score"].rank(method="min", ascending=False)
        share = part["rank"] / len(part)
        tops = [b.top for b in spec.classes.bands]
        part["grade"] = np.select([share <= t + 1e-12 for t in tops],
                                  [b.label for b in spec.classes.bands], None)  # fmt: skip
        out.append(part[["enterprise_id", "score", "rank", "grade"]])
    return pd.concat(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--firms", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    args = parser.parse_args()
    spec = service.parse(service.shipped_text("huangyan"))
    path = args.db or Path(tempfile.mkdtemp()) / "bench_landuse.db"
    if not path.exists():
        started = time.perf_counter()
        build(path, args.firms, spec.inputs())
        print(f"built {args.firms:,} firms in {time.perf_counter() - started:.1f} s")
    engine = create_engine(f"sqlite:///{path}")
    timings = []
    for _ in range(3):
        with session_factory(engine)() as session:
            started = time.perf_counter()
            frame = service.build_input(session, actor=SYSTEM, spec=spec, year=2024)
            built = time.perf_counter() - started
            result = evaluate.evaluate(spec, frame, year=2024)
            timings.append((time.perf_counter() - started, built))
    ours, built = min(timings)
    with session_factory(engine)() as session:
        audit.track(session, SYSTEM)
        service.install_shipped(session, actor=SYSTEM)
        spec_id = session.query(LanduseSpec.id).filter_by(code="huangyan").scalar()
        started = time.perf_counter()
        service.create_run(session, actor=SYSTEM, spec_id=spec_id, year=2024)
        session.commit()
        stored = time.perf_counter() - started
    engine.dispose()
    source = frame.to_pandas()
    started = time.perf_counter()
    reference = pandas_reference(spec, source, 2024)
    reference_time = time.perf_counter() - started
    rated = result.rows.filter(
        result.rows["grade"].is_not_null() & (result.rows["status"] == "rated")
    )
    merged = rated.to_pandas().merge(reference, on="enterprise_id", suffixes=("", "_ref"))
    assert len(merged) == len(reference) == rated.height
    assert np.allclose(merged["score"], merged["score_ref"], rtol=1e-9)
    assert (merged["grade"] == merged["grade_ref"]).all()
    counts = result.rows["status"].value_counts().sort("status").rows()
    print(
        f"landuse: {args.firms:,} firms: input from facts {built:.2f} s + evaluation "
        f"{ours - built:.2f} s = {ours:.2f} s (best of 3); create_run with 100,000 results "
        f"stored {stored:.1f} s; pandas reference (evaluation only) {reference_time:.1f} s "
        f"(same scores and classes); ratio {reference_time / (ours - built):.0f}×; {counts}"
    )


if __name__ == "__main__":
    main()
