"""Runs py-ecomplexity 0.5.3 (the reference) on a long CSV, in the reference's own environment
(.bench/ecomplexity, made by bench_complexity.py), and writes its outputs as one .npz.

    python ecomplexity_reference.py DATA.csv OUT.npz [--pop POP.csv] [--presence rca|rpop|manual]
        [--threshold 1] [--continuous] [--asymmetric] [--no-proximity]

Keys are read as text. Printed on the last line: the seconds ecomplexity() and proximity() took.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import pandas as pd
from ecomplexity import ecomplexity, proximity

COLUMNS = {"time": "time", "loc": "loc", "prod": "prod", "val": "val"}
OUTPUTS = ["rca", "rpop", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("out")
    parser.add_argument("--pop")
    parser.add_argument("--presence", default="rca")
    parser.add_argument("--threshold", type=float, default=1.0)
    parser.add_argument("--continuous", action="store_true")
    parser.add_argument("--asymmetric", action="store_true")
    parser.add_argument("--no-proximity", action="store_true")
    args = parser.parse_args()
    keys = {"time": str, "loc": str, "prod": str}
    data = pd.read_csv(args.data, dtype={**keys, "val": float}, keep_default_na=False)
    pop = None
    if args.pop:
        pop = pd.read_csv(
            args.pop, dtype={"time": str, "loc": str, "pop": float}, keep_default_na=False
        )
        pop = pop[["time", "loc", "pop"]]
    options = {
        "presence_test": args.presence,
        "rca_mcp_threshold": args.threshold,
        "rpop_mcp_threshold": args.threshold,
        "pop": pop,
        "continuous": args.continuous,
        "asymmetric": args.asymmetric,
        "check_logsupermodularity": False,
        "verbose": False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        cp = ecomplexity(data, COLUMNS, **options)
        cp_seconds = time.perf_counter() - start
        prox_seconds = 0.0
        prox = None
        if not args.no_proximity:
            start = time.perf_counter()
            prox = proximity(
                data,
                COLUMNS,
                presence_test=args.presence,
                rca_mcp_threshold=args.threshold,
                rpop_mcp_threshold=args.threshold,
                pop=pop,
                continuous=args.continuous,
                asymmetric=args.asymmetric,
            )
            prox_seconds = time.perf_counter() - start
    arrays: dict[str, np.ndarray] = {
        "time": cp["time"].astype(str).to_numpy().astype(str),
        "loc": cp["loc"].astype(str).to_numpy().astype(str),
        "prod": cp["prod"].astype(str).to_numpy().astype(str),
        "val": cp["val"].to_numpy(dtype=float),
    }
    for name in OUTPUTS:
        if name in cp.columns:
            arrays[name] = cp[name].to_numpy(dtype=float)
    if prox is not None:
        arrays["prox_time"] = prox["time"].astype(str).to_numpy().astype(str)
        arrays["prox_prod_1"] = prox["prod_1"].astype(str).to_numpy().astype(str)
        arrays["prox_prod_2"] = prox["prod_2"].astype(str).to_numpy().astype(str)
        arrays["prox_proximity"] = prox["proximity"].to_numpy(dtype=float)
    np.savez_compressed(args.out, **arrays)
    print(json.dumps({"ecomplexity_seconds": cp_seconds, "proximity_seconds": prox_seconds}))


if __name__ == "__main__":
    main()
