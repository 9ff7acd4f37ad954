"""The classify engine's prediction alone, on a saved model, so that two versions of the source
can be timed and compared on the same model and the same input.

    # once: train and save the models (the speed benchmark's 100,000 synthetic texts; one model
    # per taxonomy of the accuracy sets; the tests' small taxonomy)
    PYTHONPATH=src python benchmarks/bench_classify_predict.py prepare --dir /tmp/cls
    # predict the first --count of the speed benchmark's texts (top 3, terms), print the time,
    # optionally save the predictions; --sets also predicts the accuracy sets' texts and the
    # tests' texts with their models
    PYTHONPATH=src python benchmarks/bench_classify_predict.py predict --dir /tmp/cls \
        --count 200000 [--out /tmp/new.parquet] [--sets]
    # the two saved predictions are the same, value for value
    python benchmarks/bench_classify_predict.py compare /tmp/old.parquet /tmp/new.parquet

Run `predict` alternately with PYTHONPATH pointing at the old and the new source: the machine is
shared, so only times taken in the same run, interleaved, compare.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import string
import sys
import time
from pathlib import Path

import polars as pl

from wulian.engines.classify import model as engine
from wulian.engines.classify import taxonomy as taxonomy_module

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from benchmarks import bench_classify as bench

TRAIN = 100_000
PREDICT = 1_000_000


def speed_texts(count: int) -> tuple[list[tuple[str, str]], list[str]]:
    """The speed benchmark's training examples and the first count of its texts to predict."""
    taxonomy, train, _ = bench.gbt_split()
    rng = random.Random(bench.SEED)
    texts, codes = bench.synthetic(taxonomy, train, TRAIN, rng)
    predict, _ = bench.synthetic(taxonomy, train, PREDICT, rng)
    return list(zip(texts, codes, strict=True)), predict[:count]


def fixture_taxonomy() -> taxonomy_module.Taxonomy:
    from tests.engines.classify.test_classify import TAXONOMY

    return taxonomy_module.from_frame(TAXONOMY)


def odd_texts(count: int) -> list[str]:
    """Texts of every kind: empty, Latin, digits, punctuation, traditional and full-width forms,
    repeated words, business-scope prefixes."""
    rng = random.Random(7)
    pieces = ["锂电池", "正极材料", "碳酸锂", "電解液", "ＰＥ管材", "3d打印", "a+b", "c.d", "x",
              "一般项目：", "许可项目：", "、", "，", "（", "）", " ", "列入3443（其他）", "石墨",
              "锂电池锂电池", "储能电池电芯", "Software开发", "😀", "\u3000", "½", "ǅ"]  # fmt: skip
    out = ["", " ", "、、", "锂", "石墨石墨石墨"]
    while len(out) < count:
        parts = [rng.choice(pieces) for _ in range(rng.randint(0, 8))]
        if rng.random() < 0.2:
            parts.append("".join(rng.choices(string.printable, k=rng.randint(0, 12))))
        out.append("".join(parts))
    return out


def set_models() -> list[tuple[str, taxonomy_module.Taxonomy, list[tuple[str, str]], list[str]]]:
    """(name, taxonomy, examples, texts to predict) for each taxonomy of the accuracy sets (their
    test and dev texts together) and for the tests' taxonomy."""
    from benchmarks import classify_sets as sets

    found: dict[str, tuple[taxonomy_module.Taxonomy, list[tuple[str, str]], list[str]]] = {}
    for which in ("test", "dev"):
        for task in sets.tasks(which):
            name = (
                "notes"
                if task.key == "notes"
                else ("gbt" if task.key in ("products", "scopes") else task.key)
            )
            if name not in found:
                found[name] = (task.taxonomy, task.examples, [])
            if not (name == "notes" and which == "dev"):
                found[name][2].extend(task.texts)
    out = [(name, tax, ex, texts) for name, (tax, ex, texts) in found.items()]
    out.append(("fixture", fixture_taxonomy(), [], odd_texts(3000)))
    return out


def frame_of(prediction: engine.Prediction, name: str) -> pl.DataFrame:
    return prediction.frame.with_columns(pl.lit(name).alias("set")).vstack(
        pl.DataFrame(
            {"row": prediction.empty, "rank": [0] * len(prediction.empty)},
            schema={"row": pl.Int64, "rank": pl.Int32},
        ).with_columns(
            pl.lit(None, pl.String).alias("code"),
            pl.lit(None, pl.String).alias("name"),
            pl.lit(None, pl.Float64).alias("score"),
            pl.lit(None, pl.String).alias("terms"),
            pl.lit(name).alias("set"),
        )
    )


def prepare(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    examples, _ = speed_texts(0)
    start = time.perf_counter()
    model = engine.train(bench.gbt_split()[0], examples)
    engine.save(model, folder / "speed.npz")
    print(f"speed model: {time.perf_counter() - start:.1f} s", flush=True)
    for name, taxonomy, examples, _ in set_models():
        engine.save(engine.train(taxonomy, examples), folder / f"set_{name}.npz")
        print(f"model {name}", flush=True)


def predict(folder: Path, count: int, out: Path | None, with_sets: bool) -> None:
    _, texts = speed_texts(count)
    model = engine.load(folder / "speed.npz")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - children.ru_utime - children.ru_stime
    start = time.perf_counter()
    prediction = engine.predict(model, texts, 3, terms=True)
    took = time.perf_counter() - start
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() + children.ru_utime + children.ru_stime - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    source = Path(engine.__file__).resolve().parents[3]
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{source}: predict {len(texts):,} texts {took:.2f} s (CPU {cpu:.2f} s, the forked"
        f" workers' included); peak {peak:.2f} GiB; load average {load}",
        flush=True,
    )
    if out is None:
        return
    frames = [frame_of(prediction, "speed")]
    if with_sets:
        for name, _, _, set_texts in set_models():
            found = engine.predict(engine.load(folder / f"set_{name}.npz"), set_texts, 3)
            frames.append(frame_of(found, name))
    pl.concat(frames).write_parquet(out)


def compare(old: Path, new: Path) -> None:
    a, b = pl.read_parquet(old), pl.read_parquet(new)
    keys = ["set", "row", "rank"]
    a, b = a.sort(keys), b.sort(keys)
    same = a.equals(b)
    print(f"{len(a):,} / {len(b):,} rows; identical: {same}")
    if not same:
        if a.shape == b.shape:
            for column in a.columns:
                differ = (a[column] != b[column]).fill_null(True) & ~(
                    a[column].is_null() & b[column].is_null()
                )
                if differ.any():
                    print(column, differ.sum(), "differ; first:")
                    print(pl.concat([a.filter(differ).head(3), b.filter(differ).head(3)]))
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("--dir", type=Path, required=True)
    p = sub.add_parser("predict")
    p.add_argument("--dir", type=Path, required=True)
    p.add_argument("--count", type=int, default=PREDICT)
    p.add_argument("--out", type=Path)
    p.add_argument("--sets", action="store_true")
    p = sub.add_parser("compare")
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    args = parser.parse_args()
    if args.command == "prepare":
        prepare(args.dir)
    elif args.command == "predict":
        predict(args.dir, args.count, args.out, args.sets)
    else:
        compare(args.old, args.new)


if __name__ == "__main__":
    main()
