"""The classify engine: accuracy on GB/T 4754 小类, and speed, against scikit-learn.

1. Accuracy. The taxonomy is GB/T 4754-2017 (1,972 nodes, 1,382 小类) with each node's name and
   the ◇ sentences of its notes as description. The “—” item lines under each 小类 in the notes
   (15,464) are split by a hash of the line (MD5 mod 5 = 0: test, 3,155 lines; the rest: training,
   12,309 lines). Printed: top-1 and top-3 at 小类 level for wulian trained on the taxonomy and
   the training lines, for wulian zero-shot (taxonomy only), and for the reference pipeline
   (scikit-learn: character 1–3-gram TF-IDF + LinearSVC over the 小类 names and training lines).
2. Speed. Synthetic business-scope texts of about 40 characters, each made of items of one 小类
   joined with 、. Training on 100,000 of them and predicting 1,000,000 (top 3 with terms), on all
   cores of the machine. The reference pipeline is timed on a part (25,000 to train, 100,000 to
   predict) and scaled linearly to the full sizes; printed: the ratio of times and of accuracy.

    python benchmarks/bench_classify.py [--train 100000] [--predict 1000000] [--skip-speed]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import polars as pl

from wulian.engines.classify import model as engine
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify.taxonomy import Taxonomy

NOTES = Path(__file__).resolve().parents[1].parent / "shared/data/gbt4754/gbt4754_2017_notes.csv"
SEED = 20261121


def gbt_split(path: Path = NOTES) -> tuple[Taxonomy, list[tuple[str, str]], list[tuple[str, str]]]:
    """The GB/T taxonomy (names, ◇ descriptions), training and test (text, code) item lines."""
    notes = pl.read_csv(path, infer_schema_length=0)
    descriptions: list[str] = []
    train: list[tuple[str, str]] = []
    test: list[tuple[str, str]] = []
    for code, level, text in notes.select("code", "level", "description_notes").iter_rows():
        described = []
        for line in (text or "").splitlines():
            if line.startswith("◇"):
                described.append(line[1:].strip())
            elif line.startswith("—") and level == "4":
                item = line[1:].strip()
                digest = int(hashlib.md5(item.encode("utf-8")).hexdigest(), 16)  # noqa: S324
                (test if digest % 5 == 0 else train).append((item, code))
        descriptions.append("\n".join(described))
    frame = notes.select("code", "name", "parent_code").with_columns(
        pl.Series("description", descriptions)
    )
    return taxonomy_module.from_frame(frame, source=path.name), train, test


def accuracy(predicted: list[list[str]], truth: list[str]) -> tuple[float, float]:
    top1 = sum(p[:1] == [t] for p, t in zip(predicted, truth, strict=True)) / len(truth)
    top3 = sum(t in p[:3] for p, t in zip(predicted, truth, strict=True)) / len(truth)
    return top1, top3


def ours(model: engine.Model, texts: list[str], terms: bool = False) -> list[list[str]]:
    frame = engine.predict(model, texts, 3, terms=terms).frame
    grouped = frame.sort("row", "rank").group_by("row", maintain_order=True).agg("code")
    out: list[list[str]] = [[] for _ in texts]
    for row, codes in grouped.iter_rows():
        out[row] = codes
    return out


class Reference:
    """scikit-learn's pipeline: character 1–3-gram TF-IDF and a linear SVM, flat over the leaves."""

    def __init__(self, texts: list[str], codes: list[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        self.vectoriser = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.svm = LinearSVC().fit(self.vectoriser.fit_transform(texts), codes)

    def predict(self, texts: list[str]) -> list[list[str]]:
        scores = self.svm.decision_function(self.vectoriser.transform(texts))
        top = np.argsort(-scores, axis=1)[:, :3]
        return self.svm.classes_[top].tolist()  # type: ignore[no-any-return]


def leaf_names(taxonomy: Taxonomy) -> tuple[list[str], list[str]]:
    leaves = taxonomy.leaves()
    return [taxonomy.names[n] for n in leaves], [taxonomy.codes[n] for n in leaves]


def synthetic(
    taxonomy: Taxonomy, items: list[tuple[str, str]], count: int, rng: random.Random
) -> tuple[list[str], list[str]]:
    """count texts of about 40 characters, each from the items of one 小类."""
    parts: dict[str, list[str]] = {}
    for text, code in items:
        for part in re.split(r"[：:、，,；;]", text):
            if 2 <= len(part) <= 30:
                parts.setdefault(code, []).append(part)
    codes = sorted(parts)
    texts: list[str] = []
    labels: list[str] = []
    for _ in range(count):
        code = rng.choice(codes)
        pool = parts[code]
        text = rng.choice(pool)
        while len(text) < 36:
            text += "、" + rng.choice(pool)
        texts.append(text[:48])
        labels.append(code)
    return texts, labels


def seconds(start: float) -> float:
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--predict", type=int, default=1_000_000)
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()

    taxonomy, train, test = gbt_split()
    truth = [c for _, c in test]
    test_texts = [t for t, _ in test]
    print(f"GB/T 4754：{len(taxonomy)} 个节点，训练 {len(train)} 行，测试 {len(test)} 行")

    start = time.perf_counter()
    model = engine.train(taxonomy, train)
    fit = seconds(start)
    top1, top3 = accuracy(ours(model, test_texts), truth)
    print(
        f"wulian      top-1 {top1:.3f}  top-3 {top3:.3f}"
        f"  (训练 {fit:.1f} s，温度 {model.temperature})"
    )
    zero = engine.train(taxonomy, [])
    z1, z3 = accuracy(ours(zero, test_texts), truth)
    print(f"wulian 零样本 top-1 {z1:.3f}  top-3 {z3:.3f}")
    names, codes = leaf_names(taxonomy)
    start = time.perf_counter()
    reference = Reference(names + [t for t, _ in train], codes + [c for _, c in train])
    ref_fit = seconds(start)
    r1, r3 = accuracy(reference.predict(test_texts), truth)
    print(f"sklearn     top-1 {r1:.3f}  top-3 {r3:.3f}  (训练 {ref_fit:.1f} s)")
    print(f"准确率之比 top-1 {top1 / r1:.2f}×  top-3 {top3 / r3:.2f}×")
    if args.skip_speed:
        return

    rng = random.Random(SEED)
    train_texts, train_codes = synthetic(taxonomy, train, args.train, rng)
    predict_texts, predict_codes = synthetic(taxonomy, train, args.predict, rng)
    examples = list(zip(train_texts, train_codes, strict=True))
    start = time.perf_counter()
    big = engine.train(taxonomy, examples)
    ours_train = seconds(start)
    start = time.perf_counter()
    predicted = ours(big, predict_texts, terms=True)
    ours_predict = seconds(start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    o1, _ = accuracy(predicted, predict_codes)
    average = sum(map(len, predict_texts)) / len(predict_texts)
    print(
        f"wulian：训练 {len(examples):,} 条 {ours_train:.1f} s；"
        f"预测 {len(predict_texts):,} 条（平均 {average:.0f} 字）{ours_predict:.1f} s；"
        f"top-1 {o1:.3f}；峰值内存 {peak:.2f} GiB"
    )
    part_train = min(25_000, args.train)
    part_predict = min(100_000, args.predict)
    start = time.perf_counter()
    ref = Reference(train_texts[:part_train], train_codes[:part_train])
    ref_train = seconds(start) * args.train / part_train
    start = time.perf_counter()
    ref_predicted = ref.predict(predict_texts[:part_predict])
    ref_predict = seconds(start) * args.predict / part_predict
    p1, _ = accuracy(ref_predicted, predict_codes[:part_predict])
    print(
        f"sklearn：训练 {ref_train:.1f} s（{part_train:,} 条实测，按比例换算）；"
        f"预测 {ref_predict:.1f} s（{part_predict:,} 条实测，按比例换算）；top-1 {p1:.3f}"
    )
    print(
        f"时间之比：训练 {ref_train / ours_train:.1f}×，预测 {ref_predict / ours_predict:.1f}×；"
        f"准确率之比 {o1 / p1:.2f}×"
    )


if __name__ == "__main__":
    main()
