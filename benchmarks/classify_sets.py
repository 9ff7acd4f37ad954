"""The classify benchmark's tasks: a taxonomy, labelled examples to train on, and a held-out set
of texts to place, each with the baselines the engine must beat.

Tasks (see docs/benchmarks.md for what each set is made of):
- notes: GB/T 4754 小类, the “—” item lines of the notes split by a hash of the line (1 in 5 for
  test); the taxonomy has names and ◇ sentences. The old benchmark, kept as one row.
- products / scopes: GB/T 4754 小类 with the whole official notes, no examples (zero-shot);
  product names as firms write them, and 经营范围 as registered, written by hand for the
  benchmark and held out by source (none is a line of the notes).
- requests: the demo desk's categories (names, descriptions, keywords); request texts as firms'
  staff type them.
- chains: the demo zone's six chains (nodes with descriptions, keywords, typical products); main
  product lines as they stand in a registry.

Each held-out set exists twice, written independently: dev_*.csv (looked at while designing the
engine) and test_*.csv (never looked at, never tuned on).

Baselines (scikit-learn, built on the same taxonomy and examples):
- whole: character 1–3-gram TF-IDF (char_wb, sublinear tf) cosine against each leaf's whole text
  (name, description, keywords, examples);
- line: the maximum cosine over the leaf's single lines (name, each line of the description,
  each keyword, each example);
- whole+line: the two summed after z-scoring each over the leaves;
- svm: LinearSVC (C = 2) on the single lines with character 1–3-gram and word (jieba) features.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data" / "classify"
NOTES = ROOT.parent / "shared" / "data" / "gbt4754" / "gbt4754_2017_notes.csv"


@dataclass
class Task:
    key: str
    title: str
    taxonomy: Taxonomy
    examples: list[tuple[str, str]]
    texts: list[str]
    truth: list[str]


def _held_out(name: str) -> tuple[list[str], list[str]]:
    frame = pl.read_csv(DATA / name, infer_schema_length=0)
    frame = frame.filter(pl.col("text").is_not_null() & pl.col("code").is_not_null())
    return frame["text"].str.strip_chars().to_list(), frame["code"].str.strip_chars().to_list()


def gbt(
    full_notes: bool, path: Path = NOTES
) -> tuple[Taxonomy, list[tuple[str, str]], list[tuple[str, str]]]:
    """GB/T 4754 and its item lines split 4:1 by a hash of the line. With full_notes, each
    node's description is its whole notes (◇, ◆ and — lines); else only the ◇ sentences."""
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
        descriptions.append((text or "").strip() if full_notes else "\n".join(described))
    frame = notes.select("code", "name", "parent_code").with_columns(
        pl.Series("description", descriptions)
    )
    return taxonomy_module.from_frame(frame, source=path.name), train, test


def desk_taxonomy() -> Taxonomy:
    from wulian.desk import config

    text = (ROOT / "src/wulian/desk/specs/desk.yaml").read_text("utf-8")
    return config.load(text).taxonomy()


def chain_taxonomy() -> Taxonomy:
    from wulian.chains import spec as chain_spec

    specs = [
        chain_spec.load(path.read_text("utf-8"), path.name)
        for path in sorted((ROOT / "src/wulian/chains/specs").glob("*.yaml"))
    ]
    return chain_spec.taxonomy(specs)


def tasks(which: str) -> list[Task]:
    """The tasks on the `which` ("dev" or "test") held-out sets, and the notes split."""
    out: list[Task] = []
    taxonomy, train, test = gbt(full_notes=False)
    out.append(
        Task(
            "notes",
            "GB/T 注释条目 80/20（旧基准）",
            taxonomy,
            train,
            [t for t, _ in test],
            [c for _, c in test],
        )
    )
    full, _, _ = gbt(full_notes=True)
    for key, title in (
        ("products", "产品名称 → 小类（零样本）"),
        ("scopes", "经营范围 → 小类（零样本）"),
    ):
        if (DATA / f"{which}_{key}.csv").exists():
            texts, truth = _held_out(f"{which}_{key}.csv")
            out.append(Task(key, title, full, [], texts, truth))
    for key, title, tax in (
        ("requests", "企业诉求 → 诉求类别", desk_taxonomy()),
        ("chains", "主营产品 → 产业链节点", chain_taxonomy()),
    ):
        if (DATA / f"{which}_{key}.csv").exists():
            texts, truth = _held_out(f"{which}_{key}.csv")
            out.append(Task(key, title, tax, [], texts, truth))
    for task in out:
        unknown = sorted(set(task.truth) - set(task.taxonomy.codes))
        if unknown:
            raise ValueError(f"{task.key}: codes not in the taxonomy: {unknown[:10]}")
    return out


# ----------------------------------------------------------------------------------- baselines

LINE_SPLIT = re.compile(r"[\n\r]+")


def leaf_lines(taxonomy: Taxonomy, examples: list[tuple[str, str]]) -> tuple[list[str], list[int]]:
    """(line, leaf position) of every leaf's single lines: its name, each line of its
    description but those a “◆ 不包括” line opens, each keyword, each example."""
    leaves = taxonomy.leaves()
    position = {node: i for i, node in enumerate(leaves)}
    lines: list[str] = []
    owners: list[int] = []

    def add(text: str, node: int) -> None:
        excluding = False  # the items after “◆ 不包括” are not the node's
        for line in LINE_SPLIT.split(text):
            excluding = (excluding or line.startswith("◆")) and not line.startswith("◇")
            line = line.strip().lstrip("◇◆—- ").strip()
            if line and not excluding:
                lines.append(line)
                owners.append(position[node])

    for node in leaves:
        add(taxonomy.names[node], node)
        add(taxonomy.descriptions[node], node)
        for keyword in taxonomy.keywords[node]:
            add(keyword, node)
    for text, code in examples:
        node = taxonomy.index[code]
        if node in position:
            add(text, node)
    return lines, owners


def _zscore(scores: np.ndarray) -> np.ndarray:
    std = scores.std(axis=1, keepdims=True)
    std[std == 0] = 1.0
    out: np.ndarray = (scores - scores.mean(axis=1, keepdims=True)) / std
    return out


def _words(text: str) -> list[str]:
    import rjieba

    return [w for w in rjieba.cut(text) if w.strip()]


class Baselines:
    """The four baselines of one task; scores() gives each one's leaf scores for texts."""

    def __init__(self, taxonomy: Taxonomy, examples: list[tuple[str, str]]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.pipeline import FeatureUnion
        from sklearn.svm import LinearSVC

        self.leaves = taxonomy.leaves()
        self.codes = np.array([taxonomy.codes[n] for n in self.leaves])
        lines, owners = leaf_lines(taxonomy, examples)
        self.owners = np.array(owners)
        grouped: list[list[str]] = [[] for _ in self.leaves]
        for line, owner in zip(lines, owners, strict=True):
            grouped[owner].append(line)
        whole = ["\n".join(group) for group in grouped]
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self.char.fit(lines + whole)
        self.whole = self.char.transform(whole)
        self.lines = self.char.transform(lines)
        self.union = FeatureUnion(
            [
                (
                    "char",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True),
                ),
                ("word", TfidfVectorizer(tokenizer=_words, token_pattern=None, lowercase=True)),
            ]
        )
        matrix = self.union.fit_transform(lines)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.svm = LinearSVC(C=2.0).fit(matrix, self.owners)

    def scores(self, texts: list[str]) -> dict[str, np.ndarray]:
        query = self.char.transform(texts)
        whole = (query @ self.whole.T).toarray()
        by_line = (query @ self.lines.T).tocsc()
        line = np.zeros((len(texts), len(self.leaves)))
        order = np.argsort(self.owners, kind="stable")
        for start in range(0, len(texts), 2000):
            block = by_line[start : start + 2000].toarray()[:, order]
            bounds = np.r_[0, np.flatnonzero(np.diff(self.owners[order])) + 1]
            line[start : start + 2000][:, self.owners[order][bounds]] = np.maximum.reduceat(
                block, bounds, axis=1
            )
        decision = self.svm.decision_function(self.union.transform(texts))
        svm = np.full((len(texts), len(self.leaves)), -np.inf)
        svm[:, self.svm.classes_] = decision if decision.ndim == 2 else np.c_[-decision, decision]
        return {
            "whole": whole,
            "line": line,
            "whole+line": _zscore(whole) + _zscore(line),
            "svm": svm,
        }

    def top(self, scores: np.ndarray, k: int = 3) -> list[list[str]]:
        best = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return self.codes[best].tolist()  # type: ignore[no-any-return]


def accuracy(predicted: list[list[str]], truth: list[str]) -> tuple[float, float]:
    top1 = sum(p[:1] == [t] for p, t in zip(predicted, truth, strict=True)) / len(truth)
    top3 = sum(t in p[:3] for p, t in zip(predicted, truth, strict=True)) / len(truth)
    return top1, top3
