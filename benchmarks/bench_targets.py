"""The targets engine: ranking quality on a held-out set against a character TF-IDF baseline in
the same run, and speed on a million candidates.

1. Quality. The firms are main-product lines as they stand in a registry, written by hand for the
   classify benchmark (benchmarks/data/classify/{dev,test}_chains.csv: each line a firm of one
   node of the six demo chains; {dev,test}_products.csv: firms of other industries, never
   relevant, there to be confused with). For each product item of a line (the need), the item
   is deleted from every firm's list where it stands, and the firms of the line's node (the
   firm itself, with its other products, and every other firm of that node) are to be ranked
   back from what is left. The needs of dev_chains.csv are the development split (the only
   one the settings were tuned on); those of test_chains.csv are the held-out split reported.
   Two settings: products only; products and the firm's GB/T 4754 code (the node's first code
   for chain firms, the line's own code for the others; the baseline gets the code's name as
   text). The engine is run with and without the GB/T 4754 notes (read in place from
   ../shared/data); the baseline is character 1–3-gram TF-IDF (char_wb, sublinear tf) cosine
   of the need and each firm's text, every firm ranked. recall@10: share of a need's firms in
   its first ten (out of at most ten); MAP: mean average precision over the whole ranking.
2. Speed. A million synthetic candidates whose products are drawn from the items of those lines,
   of the GB/T notes and variants of them; revenue, growth, region and ties filled in part.
   The index is built once (time printed), then needs are ranked one at a time (top 100):
   p50, p95 and the largest time per need.

    PYTHONPATH=src python benchmarks/bench_targets.py [--split test|dev] [--firms 1000000]
        [--queries 200] [--setting products|industry|both] [--skip-speed] [--skip-quality]
        [--ties 50000]  (the speed once more with a ties table of that many rows)
        [--code-name 0.5,0.9]  (rows with each coded firm's class name as one of its products)
        [--generic 0,2]  (rows with common shared words discounted at each power, Settings.generic)
        [--compare-generic]  (the speed once more: needs ranked with the discount 2 and without,
        alternately, on the same index)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from wulian.engines.classify import text as textmod
from wulian.engines.targets import Settings, TargetIndex, from_frame
from wulian.engines.targets.features import split_items

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "classify"
NOTES = ROOT.parent / "shared" / "data" / "gbt4754" / "gbt4754_2017_notes.csv"
SEED = 20261204
LIST_CUTS = re.compile(r"[、;；,，]+")


def _items(text: str) -> list[str]:
    return [part.strip() for part in LIST_CUTS.split(text) if len(part.strip()) >= 2]


def _chain_codes() -> dict[str, str]:
    from wulian.chains import spec as chain_spec

    out: dict[str, str] = {}
    for path in sorted((ROOT / "src/wulian/chains/specs").glob("*.yaml")):
        spec = chain_spec.load(path.read_text("utf-8"), path.name)
        for node in spec.nodes:
            out[f"{spec.id}.{node.key}"] = node.gbt[0]
    return out


def pool() -> tuple[pl.DataFrame, dict[str, list[str]]]:
    """The firms (id, products as 、-lists, node or code, industry code) and the needs of each
    split: split → ids of the source lines."""
    codes = _chain_codes()
    rows = []
    splits: dict[str, list[str]] = {"dev": [], "test": []}
    for name in ("dev_chains", "test_chains", "dev_products", "test_products"):
        frame = pl.read_csv(DATA / f"{name}.csv", infer_schema_length=0)
        for at, (text, label) in enumerate(frame.select("text", "code").iter_rows()):
            if not text or not label:
                continue
            key = f"{name}-{at}"
            chain = "chains" in name
            rows.append(
                {
                    "id": key,
                    "name": key,
                    "products": "、".join(_items(text)),
                    "group": label,
                    "industry": codes[label] if chain else label,
                }
            )
            if chain:
                splits[name.split("_")[0]].append(key)
    return pl.DataFrame(rows), splits


def needs(firms: pl.DataFrame, sources: list[str]) -> list[tuple[str, str]]:
    """(need, node) for every item of the source lines, each normalised need once."""
    by_id = {r["id"]: r for r in firms.iter_rows(named=True)}
    seen: set[str] = set()
    out = []
    for key in sources:
        for item in split_items(by_id[key]["products"]):
            norm = textmod.normalise([item])[0]
            if norm not in seen:
                seen.add(norm)
                out.append((item, by_id[key]["group"]))
    return out


class Lists:
    """Each firm's items and their normalised spellings, found once."""

    def __init__(self, firms: pl.DataFrame) -> None:
        self.firms = firms
        self.items = [split_items(p) for p in firms["products"].to_list()]
        self.normalised = [textmod.normalise(items) for items in self.items]

    def without(self, need: str) -> pl.DataFrame:
        """The firms with the need deleted from every list where it stands."""
        norm = textmod.normalise([need])[0]
        kept = [
            "、".join(i for i, n in zip(items, norms, strict=True) if n != norm)
            for items, norms in zip(self.items, self.normalised, strict=True)
        ]
        return self.firms.with_columns(pl.Series("products", kept))


def measures(ranked: list[list[int]], relevant: list[set[int]]) -> tuple[float, float]:
    recalls, precisions = [], []
    for order, truth in zip(ranked, relevant, strict=True):
        hits = [1 if f in truth else 0 for f in order]
        recalls.append(sum(hits[:10]) / min(len(truth), 10))
        found, total = 0, 0.0
        for rank, hit in enumerate(hits, start=1):
            if hit:
                found += 1
                total += found / rank
        precisions.append(total / len(truth))
    return float(np.mean(recalls)), float(np.mean(precisions))


def baseline_rank(documents: list[str], need: str) -> list[int]:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    matrix = vectorizer.fit_transform(documents)
    scores = (matrix @ vectorizer.transform([need]).T).toarray().ravel()
    return np.argsort(-scores, kind="stable").tolist()


def quality(
    split: str,
    settings: Settings,
    settings_wanted: str = "both",
    part: tuple[int, int] = (0, 1),
    name_weights: tuple[float, ...] = (),
    generic: tuple[float, ...] = (),
) -> None:
    firms, splits = pool()
    taxonomy = from_frame(pl.read_csv(NOTES, infer_schema_length=0))
    code_names = dict(zip(taxonomy.codes, taxonomy.names, strict=True))
    asked = needs(firms, splits[split])[part[0] :: part[1]]
    groups = firms["group"].to_list()
    position = {key: at for at, key in enumerate(firms["id"].to_list())}
    print(
        f"质量：{firms.height} 家企业，{split} 需求 {len(asked)} 个（隐藏该产品后找回同环节企业）"
    )
    plain = dataclasses.replace(settings, cooccurrence=0.0)
    lists = Lists(firms)
    wanted = {"products": (False,), "industry": (True,), "both": (False, True)}[settings_wanted]
    for with_industry in wanted:
        columns = ["id", "name", "products"] + (["industry"] if with_industry else [])
        truth_all: list[set[int]] = []
        ranked: dict[str, list[list[int]]] = {}

        def add(name: str, order: list[int], into: dict[str, list[list[int]]] = ranked) -> None:
            into.setdefault(name, []).append(order)

        def engine(index: TargetIndex, need: str) -> list[int]:
            found = index.rank(pl.DataFrame({"qid": ["q"], "query": [need]}), top_k=2000)
            return [position[i] for i in found["id"].to_list()]

        for done, (need, group) in enumerate(asked):
            left = lists.without(need)
            truth_all.append({at for at, g in enumerate(groups) if g == group})
            documents = [
                " ".join(split_items(p)) + (" " + code_names.get(c, "") if with_industry else "")
                for p, c in zip(left["products"].to_list(), left["industry"].to_list(), strict=True)
            ]
            add("基线：字符 TF-IDF", baseline_rank(documents, need))
            index = TargetIndex.build(left.select(columns), settings=settings)
            if not with_industry:
                add(
                    "wulian 字面（词与n元组）",
                    engine(dataclasses.replace(index, settings=plain), need),
                )
            add("wulian 字面+共现", engine(index, need))
            if not with_industry:
                for power in generic:  # the same index, common features counted otherwise
                    other = dataclasses.replace(settings, generic=power)
                    add(
                        f"wulian 字面+共现 泛词 {power:g}",
                        engine(dataclasses.replace(index, settings=other), need),
                    )
            if with_industry:
                before = dataclasses.replace(settings, code_name=0.0)
                noted = TargetIndex.build(left.select(columns), taxonomy=taxonomy, settings=before)
                add("wulian 字面+共现+国标注释（旧）", engine(noted, need))
                named = TargetIndex.build(
                    left.select(columns), taxonomy=taxonomy, settings=settings
                )
                add("wulian …+行业名称作产品", engine(named, need))
                for power in generic:
                    other = dataclasses.replace(settings, generic=power)
                    add(
                        f"wulian …+行业名称作产品 泛词 {power:g}",
                        engine(dataclasses.replace(named, settings=other), need),
                    )
                for weight in name_weights:  # each coded firm's class name as one of its products
                    named = TargetIndex.build(
                        left.select(columns),
                        taxonomy=taxonomy,
                        settings=dataclasses.replace(settings, code_name=weight),
                    )
                    add(f"wulian …+行业名称作产品 {weight:g}", engine(named, need))
            if done % 50 == 49:
                print(f"  …{done + 1}", file=sys.stderr, flush=True)
        title = "产品 + 行业代码" if with_industry else "仅产品"
        print(f"\n  {title}")
        print(f"  {'方法':<28}{'recall@10':>10}{'MAP':>8}")
        for name, orders in ranked.items():
            recall, mean_ap = measures(orders, truth_all)
            print(f"  {name:<28}{recall:>10.3f}{mean_ap:>8.3f}", flush=True)
            if part[1] > 1:  # sums, for adding the parts up
                print(
                    f"    部分和 n={len(orders)} {recall * len(orders):.4f} "
                    f"{mean_ap * len(orders):.4f}"
                )


def synthetic(count: int, rng: np.random.Generator) -> tuple[pl.DataFrame, list[str]]:
    firms, _ = pool()
    taxonomy = from_frame(pl.read_csv(NOTES, infer_schema_length=0))
    base = sorted({i for p in firms["products"].to_list() for i in split_items(p)})
    base += taxonomy.items
    prefixes = ["", "", "", "高纯", "电子级", "工业级", "特种", "新型", "改性", "精密"]
    suffixes = ["", "", "", "制品", "材料", "组件", "及配件", "加工", "系列产品"]
    vocabulary = [
        f"{rng.choice(prefixes)}{item}{rng.choice(suffixes)}"
        for item in rng.choice(base, size=120_000)
    ]
    vocabulary = list(dict.fromkeys(vocabulary))
    popularity = 1.0 / (np.arange(len(vocabulary)) + 20.0)  # a long tail, as real lists have
    popularity /= popularity.sum()
    sizes = rng.integers(1, 5, size=count)
    picks = rng.choice(len(vocabulary), size=int(sizes.sum()), p=popularity)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    words = np.array(vocabulary, dtype=object)
    products = ["、".join(words[picks[s : s + n]]) for s, n in zip(starts, sizes, strict=True)]
    cities = [f"{p}{c:02d}00" for p in ("33", "32", "31", "44", "37", "51") for c in range(1, 12)]
    revenue = np.round(rng.lognormal(9, 1.5, size=count), 1)
    growth = np.round(rng.normal(8, 15, size=count), 1)
    frame = pl.DataFrame(
        {
            "id": [f"F{i:07d}" for i in range(count)],
            "name": [f"企业{i}" for i in range(count)],
            "products": products,
            "industry": rng.choice(taxonomy.codes, size=count),
            "region": rng.choice(cities, size=count),
            "revenue": pl.Series(revenue).scatter(np.flatnonzero(rng.random(count) < 0.2), None),
            "growth": pl.Series(growth).scatter(np.flatnonzero(rng.random(count) < 0.4), None),
            "ties": [f"Z{rng.integers(0, 500)}" if r < 0.05 else None for r in rng.random(count)],
        }
    )
    asked = [str(i) for i in rng.choice(base[: len(base) - len(taxonomy.items)], size=400)]
    return frame, asked


def speed(count: int, queries: int, ties: int = 0, compare_generic: bool = False) -> None:
    rng = np.random.default_rng(SEED)
    frame, asked = synthetic(count, rng)
    taxonomy = from_frame(pl.read_csv(NOTES, infer_schema_length=0))
    started, started_cpu = time.perf_counter(), time.process_time()
    index = TargetIndex.build(frame, taxonomy=taxonomy)
    built, built_cpu = time.perf_counter() - started, time.process_time() - started_cpu
    print(
        f"\n速度：{count:,} 家候选企业，{len(index.items):,} 种产品；建索引 {built:.1f} 秒"
        f"（CPU {built_cpu:.1f} 秒，load average {os.getloadavg()[0]:.1f}）"
    )
    zone = ";".join(f"Z{i}" for i in range(50)) + ";F0000001;F0000002"
    index.rank(pl.DataFrame({"qid": ["warm"], "query": ["聚偏氟乙烯"]}))  # compile the kernels
    times = []
    cpu = []
    rows = []
    for at, need in enumerate(asked[:queries]):
        one = pl.DataFrame(
            {"qid": [str(at)], "query": [need], "zone": [zone], "region": ["330800"]}
        )
        started, started_cpu = time.perf_counter(), time.process_time()
        found = index.rank(one, top_k=100)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        rows.append(found.height)
    _report("每个需求（前 100 名，含理由）", times, cpu, rows)
    if compare_generic:  # the same needs on the same index, common words discounted (2) or not
        discounted = dataclasses.replace(
            index, settings=dataclasses.replace(index.settings, generic=2.0)
        )
        plain = dataclasses.replace(
            index, settings=dataclasses.replace(index.settings, generic=0.0)
        )
        pairs: dict[str, tuple[list[float], list[float], list[int]]] = {
            "new": ([], [], []),
            "old": ([], [], []),
        }
        for at, need in enumerate(asked[:queries]):
            one = pl.DataFrame(
                {"qid": [str(at)], "query": [need], "zone": [zone], "region": ["330800"]}
            )
            order = [("new", discounted), ("old", plain)]
            for name, which in order if at % 2 else order[::-1]:  # alternate who goes first
                started, started_cpu = time.perf_counter(), time.process_time()
                found = which.rank(one, top_k=100)
                pairs[name][0].append(time.perf_counter() - started)
                pairs[name][1].append(time.process_time() - started_cpu)
                pairs[name][2].append(found.height)
        _report("交替：泛词折扣 2", *pairs["new"])
        _report("交替：不折扣", *pairs["old"])
    if ties:
        table = synthetic_ties(frame, ties, rng)
        started, started_cpu = time.perf_counter(), time.process_time()
        checked = index.check_ties(table)
        wall, used = time.perf_counter() - started, time.process_time() - started_cpu
        print(
            f"往来表 {table.height:,} 行（园区企业 Z0–Z499），"
            f"检查 {wall:.1f} 秒（CPU {used:.1f} 秒）"
        )
        times, cpu, rows = [], [], []
        for at, need in enumerate(asked[:queries]):
            one = pl.DataFrame(
                {"qid": [str(at)], "query": [need], "zone": [zone], "region": ["330800"]}
            )
            started, started_cpu = time.perf_counter(), time.process_time()
            found = index.rank_file(one, top_k=100, ties=checked)
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            rows.append(found.height)
        _report("同上，另给往来表", times, cpu, rows)


def _report(what: str, times: list[float], cpu: list[float], rows: list[int]) -> None:
    ms, cpu_ms = np.array(times) * 1000, np.array(cpu) * 1000
    print(
        f"{what}，墙钟：p50 {np.percentile(ms, 50):.0f} ms，"
        f"p95 {np.percentile(ms, 95):.0f} ms，最慢 {ms.max():.0f} ms；CPU："
        f"p50 {np.percentile(cpu_ms, 50):.0f} ms，p95 {np.percentile(cpu_ms, 95):.0f} ms，"
        f"最慢 {cpu_ms.max():.0f} ms（{len(ms)} 个需求，平均返回 {np.mean(rows):.0f} 家；"
        f"load average {os.getloadavg()[0]:.1f}）"
    )


def synthetic_ties(frame: pl.DataFrame, count: int, rng: np.random.Generator) -> pl.DataFrame:
    """count ties of random candidates with the zone firms Z0–Z499, half with an amount."""
    firms = rng.choice(frame.height, size=count, replace=False)
    ids = frame["id"].gather(firms)
    products = [p.split("、")[0] for p in frame["products"].gather(firms).to_list()]
    amount = np.round(rng.lognormal(6, 1.2, size=count), 0)
    return pl.DataFrame(
        {
            "candidate_id": ids,
            "zone_id": [f"Z{z}" for z in rng.integers(0, 500, size=count)],
            "direction": rng.choice(["采购自", "供货给"], size=count),
            "product": products,
            "amount": pl.Series(amount).scatter(np.flatnonzero(rng.random(count) < 0.5), None),
            "zone_name": None,
        }
    ).with_columns(pl.col("zone_name").fill_null(pl.col("zone_id")).cast(pl.Utf8))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--split", choices=("test", "dev"), default="test")
    parser.add_argument("--firms", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--part", default="0/1", help="只评测第 i 份（共 n 份）的产品：i/n")
    parser.add_argument(
        "--setting",
        choices=("products", "industry", "both"),
        default="both",
        help="质量评测的设置：仅产品、产品 + 行业代码，或两者",
    )
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument(
        "--ties", type=int, default=0, help="速度另测一遍：给这么多行往来（园区企业 Z0–Z499）"
    )
    parser.add_argument(
        "--code-name",
        default="",
        help="另加几行：有行业代码的企业以其国标类别名称作一项产品，按这些权重（如 0.5,0.9）",
    )
    parser.add_argument(
        "--generic",
        default="",
        help="另加几行：共有的常见字词按这些幂折扣（Settings.generic，如 1,2；0 即不折扣）",
    )
    parser.add_argument(
        "--compare-generic",
        action="store_true",
        help="速度另测：同一索引上交替排序，泛词折扣 2（招商图谱所用）与不折扣各一遍",
    )
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if not NOTES.exists():
        sys.exit(f"找不到 {NOTES}")
    if not args.skip_quality:
        at, parts = (int(x) for x in args.part.split("/"))
        weights = tuple(float(w) for w in args.code_name.split(",") if w.strip())
        powers = tuple(float(w) for w in args.generic.split(",") if w.strip())
        quality(args.split, Settings(), args.setting, (at, parts), weights, powers)
    if not args.skip_speed:
        speed(args.firms, args.queries, args.ties, args.compare_generic)


if __name__ == "__main__":
    main()
