"""The match engine: the top 10 people for every post, 100,000 people × 10,000 posts, against
a brute-force reference on a sample of posts (every person scored with NumPy, sorted by total
and id) in the same run; and the other way (the top 10 posts of every person) on a sample too.

The data are synthetic, shaped as a zone's talent pool: 300 occupations in 60 小类; each 小类
has 25 skills of its own, and 40 general skills (办公软件, 英语 …) are held with falling
popularity (the most common by about a quarter of the people); people hold 3–8 skills of their
小类 and up to 2 general ones; education, experience, salary (元/月, log-normal) and 30 places in
5 cities of 2 provinces; each field unknown for 5–10% of the rows.

    python benchmarks/bench_match.py [--people 100000] [--posts 10000] [--top-k 10]
                                     [--sample 50] [--seed 20261204]

Prints the seconds of each stage (encoding, the top k, the reasons of every pair shown), the
reference's seconds per post and its projection to all the posts, and whether the sample's top
k are the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from wulian.engines.match import inputs, kernel, reasons, scoring

EDUCATION = ["初中", "高中", "中专", "大专", "本科", "硕士", "博士"]
EDUCATION_SHARE = [0.05, 0.1, 0.15, 0.3, 0.3, 0.08, 0.02]
GENERAL = [f"通用技能{i:02d}" for i in range(40)]


def _places() -> list[str]:
    out = []
    for province, cities in (
        ("浙江省", ("杭州市", "宁波市", "衢州市")),
        ("江苏省", ("苏州市", "无锡市")),
    ):
        for city in cities:
            out += [f"{province}{city}第{d}区" for d in range(1, 7)]
    return out


def _blank(rng: np.random.Generator, values: list[str], share: float) -> list[str]:
    gone = rng.random(len(values)) < share
    return ["" if g else v for v, g in zip(values, gone, strict=True)]


def synthetic(people: int, posts: int, seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    groups = [f"{1 + g // 20}-{g % 20 + 1:02d}-{g // 3 % 10 + 1:02d}" for g in range(60)]
    codes = [f"{groups[o // 5]}-{o % 5 + 1:02d}" for o in range(300)]
    pools = [[f"{g}技能{s:02d}" for s in range(25)] for g in range(60)]
    general_p = 1.0 / np.arange(1, 41) ** 1.1
    general_p /= general_p.sum()
    places = _places()

    def skills(occ: np.ndarray, low: int, high: int, extra: int) -> list[str]:
        out = []
        for o in occ.tolist():
            pool = pools[o // 5]
            count = int(rng.integers(low, high + 1))
            own = rng.choice(25, size=count, replace=False, p=_pool_p())
            chosen = [pool[s] for s in own.tolist()]
            general = rng.choice(40, size=int(rng.integers(0, extra + 1)), p=general_p)
            chosen += [GENERAL[g] for g in general.tolist()]
            out.append("、".join(dict.fromkeys(chosen)))
        return out

    occ = rng.integers(0, 300, people)
    salary = np.exp(rng.normal(np.log(9000), 0.45, people)).round(-2)
    people_frame = pl.DataFrame(
        {
            "id": [f"P{i:06d}" for i in range(people)],
            "skills": _blank(rng, skills(occ, 3, 8, 2), 0.05),
            "education": _blank(
                rng, list(rng.choice(EDUCATION, size=people, p=EDUCATION_SHARE)), 0.07
            ),
            "experience_years": _blank(rng, [str(x) for x in rng.integers(0, 26, people)], 0.08),
            "occupation": _blank(rng, [codes[o] for o in occ.tolist()], 0.1),
            "expected_salary": _blank(rng, [f"{x:.0f}" for x in salary], 0.1),
            "location": _blank(rng, [places[p] for p in rng.integers(0, 30, people)], 0.07),
        }
    )
    occ = rng.integers(0, 300, posts)
    low = np.exp(rng.normal(np.log(8000), 0.4, posts)).round(-2)
    post_frame = pl.DataFrame(
        {
            "id": [f"J{i:05d}" for i in range(posts)],
            "skills": _blank(rng, skills(occ, 2, 6, 1), 0.05),
            "education": _blank(
                rng,
                list(rng.choice(["不限", *EDUCATION[1:6]], size=posts)),
                0.05,
            ),
            "experience_years": _blank(rng, [str(x) for x in rng.integers(0, 9, posts)], 0.05),
            "occupation": _blank(rng, [codes[o] for o in occ.tolist()], 0.05),
            "salary_min": [f"{x:.0f}" for x in low],
            "salary_max": [f"{x:.0f}" for x in low * rng.uniform(1.2, 1.8, posts)],
            "location": _blank(rng, [places[p] for p in rng.integers(0, 30, posts)], 0.05),
            "count": [str(x) for x in rng.integers(1, 11, posts)],
        }
    )
    return people_frame, post_frame


def _pool_p() -> np.ndarray:
    p = 1.0 / np.arange(1, 26) ** 0.8
    out: np.ndarray = p / p.sum()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--top-k", type=int, default=10)
    parser.add_argument("--sample", type=int, default=50)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    people_frame, post_frame = synthetic(args.people, args.posts, args.seed)
    warm_people, warm_posts = synthetic(200, 20, args.seed + 1)  # compiles (or loads) the kernel
    vocabulary = inputs.Vocabulary.new()
    kernel.top(
        inputs.encode(warm_people, "people", vocabulary),
        inputs.encode(warm_posts, "posts", vocabulary),
        args.top_k,
    )

    start = time.perf_counter()
    vocabulary = inputs.Vocabulary.new()
    people = inputs.encode(people_frame, "people", vocabulary)
    posts = inputs.encode(post_frame, "posts", vocabulary)
    encoded = time.perf_counter() - start
    start = time.perf_counter()
    rows, _ = kernel.top(people, posts, args.top_k)
    topped = time.perf_counter() - start
    start = time.perf_counter()
    table = reasons.result(people, posts, vocabulary, rows)
    explained = time.perf_counter() - start

    rng = np.random.default_rng(args.seed)
    sample = np.sort(rng.choice(len(posts), size=min(args.sample, len(posts)), replace=False))
    start = time.perf_counter()
    reference = scoring.brute_top(people, posts, sample, args.top_k)
    brute = time.perf_counter() - start
    same = bool((reference == rows[sample]).all())

    start = time.perf_counter()
    back, _ = kernel.top(people, posts, args.top_k, by_post=False)
    backward = time.perf_counter() - start
    people_sample = np.sort(
        rng.choice(len(people), size=min(args.sample, len(people)), replace=False)
    )
    reference_back = scoring.brute_top_posts(people, posts, people_sample, args.top_k)
    same_back = bool((reference_back == back[people_sample]).all())

    total = encoded + topped + explained
    per_post = brute / len(sample)
    print(f"人才 {len(people):,} × 岗位 {len(posts):,}，每个岗位前 {args.top_k} 名")
    print("| 阶段 | 秒 |")
    print("|---|---|")
    print(f"| 读入并编码两张表 | {encoded:.2f} |")
    print(f"| 每个岗位的前 {args.top_k} 名（编译后的内核） | {topped:.2f} |")
    print(f"| 所示 {table.height:,} 对的各项得分和理由 | {explained:.2f} |")
    print(f"| 合计 | {total:.2f} |")
    print(
        f"| 暴力参照（NumPy 逐岗位全量打分排序）：{len(sample)} 个岗位 | {brute:.2f}"
        f"（每岗位 {per_post:.3f} 秒，推算全部 {per_post * len(posts):.0f} 秒） |"
    )
    print(f"| 反向：每位人才的前 {args.top_k} 个岗位 | {backward:.2f} |")
    print(f"抽样 {len(sample)} 个岗位的前 {args.top_k} 名与暴力参照相同：{'是' if same else '否'}")
    print(
        f"抽样 {len(people_sample)} 位人才的前 {args.top_k} 个岗位与暴力参照相同："
        f"{'是' if same_back else '否'}"
    )
    print(f"总分对暴力参照的加速（同一次运行）：{per_post * len(posts) / topped:.0f} 倍")
    if not (same and same_back):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
