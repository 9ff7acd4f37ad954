"""Short product names to TF-IDF vectors: character 1–3-grams and jieba words.

The texts are normalised as the classify engine normalises them (OpenCC t2s, NFKC, lower case)
and cut into the same features (its integer n-gram keys and its words), and single characters
(but a single Latin letter or digit says nothing and is left out). Weights are (1 + log tf) ·
idf, each row at unit length, so the dot product of two rows is their cosine.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from wulian.engines.classify import text as textmod

TWO_CHARS = np.int64(1) << np.int64(21)  # n-gram keys of two characters or more are ≥ this
SEPARATORS = re.compile(r"[、;；]+")


def split_items(text: str | None) -> list[str]:
    """The products a cell names: separated by 、 or ;, stripped, empty ones left out."""
    if not text:
        return []
    return [item.strip() for item in SEPARATORS.split(text) if item.strip()]


@dataclass
class Raw:
    """The features found in texts, before weighing: (row, n-gram key) pairs and words."""

    rows: np.ndarray
    keys: np.ndarray
    words: list[list[str]]

    @property
    def height(self) -> int:
        return len(self.words)


def raw(texts: Sequence[str]) -> Raw:
    """The n-grams kept for each normalised text, and its words."""
    rows, keys = textmod.ngram_keys(texts)
    keep = keys >= 128  # a single Latin letter or digit says nothing
    return Raw(rows[keep], keys[keep], [textmod.words(t) for t in texts])


@dataclass
class Space:
    """The feature space of a set of texts: n-gram keys (sorted), words, and each one's idf."""

    keys: np.ndarray
    words: dict[str, int]  # word → feature number (after the n-grams)
    idf: np.ndarray
    unseen_idf: float

    @property
    def width(self) -> int:
        return int(self.idf.shape[0])

    def name(self, feature: int) -> str:
        """The text a feature stands for."""
        if feature < len(self.keys):
            return textmod.key_text(int(self.keys[feature]))
        for word, number in self.words.items():
            if number == feature:
                return word
        return ""

    def vectors(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The unit TF-IDF rows of normalised texts (features the space has not seen count in
        each row's length, with the largest idf, but have no column)."""
        found = raw(texts)
        rows, keys, words = found.rows, found.keys, found.words
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        known = self.keys[at] == keys if len(self.keys) else np.zeros(len(keys), dtype=bool)
        word_rows = [r for r, ws in enumerate(words) for _ in ws]
        word_ids = [self.words.get(w, -1) for ws in words for w in ws]
        all_rows = np.concatenate([rows, np.array(word_rows, np.int64)])
        all_cols = np.concatenate([np.where(known, at, -1), np.array(word_ids, np.int64)])
        vectors, _ = _weigh(all_rows, all_cols, len(texts), self.width, self.idf, self.unseen_idf)
        return vectors

    def profile(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The idf of each distinct feature of one normalised text and its squared TF-IDF
        weight (unseen features at the largest idf, as they count in `vectors`' lengths)."""
        found = raw([text])
        keys, counts = np.unique(found.keys, return_counts=True)
        idf = np.full(len(keys), self.unseen_idf, np.float64)
        if len(self.keys):
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            known = self.keys[at] == keys
            idf[known] = self.idf[at[known]]
        tally: dict[str, int] = {}
        for w in found.words[0]:
            tally[w] = tally.get(w, 0) + 1
        words = [
            float(self.idf[self.words[w]]) if w in self.words else self.unseen_idf for w in tally
        ]
        values = np.concatenate([idf, np.array(words, np.float64)])
        tf = np.concatenate([counts, np.array(list(tally.values()), np.int64)]).astype(np.float64)
        return values, ((1.0 + np.log(np.maximum(tf, 1.0))) * values) ** 2


def _weigh(
    rows: np.ndarray,
    cols: np.ndarray,
    height: int,
    width: int,
    idf: np.ndarray,
    unseen_idf: float,
) -> tuple[sp.csr_matrix, np.ndarray]:
    """Counts (row, column; column -1 for a feature not in the space) to unit TF-IDF rows, and
    each row's length before."""
    seen = cols >= 0
    counts = sp.csr_matrix(
        (np.ones(int(seen.sum()), np.float32), (rows[seen], cols[seen])),
        shape=(height, width),
        dtype=np.float32,
    )
    counts.sum_duplicates()
    counts.data = ((1.0 + np.log(counts.data)) * idf[counts.indices]).astype(np.float32)
    squares = np.bincount(
        np.repeat(np.arange(height), np.diff(counts.indptr)),
        weights=counts.data.astype(np.float64) ** 2,
        minlength=height,
    )
    if (~seen).any():  # each unseen feature as if seen once, at the largest idf
        squares = squares + np.bincount(rows[~seen], minlength=height) * unseen_idf**2
    norms = np.sqrt(squares)
    norms[norms == 0] = 1.0
    counts.data /= np.repeat(norms, np.diff(counts.indptr)).astype(np.float32)
    return counts, norms


def fit(texts: Sequence[str]) -> tuple[Space, sp.csr_matrix]:
    """The feature space of normalised texts and their unit TF-IDF rows."""
    space, vectors, _ = fit_raw([raw(texts)])
    return space, vectors


def fit_raw(parts: Sequence[Raw]) -> tuple[Space, sp.csr_matrix, np.ndarray]:
    """As fit, on the features of several sets of texts found beforehand (rows in order), with
    the length each row had before it was made unit."""
    offsets = np.cumsum([0, *(p.height for p in parts)])
    rows = np.concatenate([p.rows + o for p, o in zip(parts, offsets, strict=False)])
    keys = np.concatenate([p.keys for p in parts])
    words = [w for p in parts for w in p.words]
    height = int(offsets[-1])
    unique_keys, key_cols = np.unique(keys, return_inverse=True)
    vocabulary: dict[str, int] = {}
    word_rows: list[int] = []
    word_cols: list[int] = []
    base = len(unique_keys)
    for r, ws in enumerate(words):
        for w in ws:
            word_rows.append(r)
            word_cols.append(vocabulary.setdefault(w, base + len(vocabulary)))
    all_rows = np.concatenate([rows, np.array(word_rows, np.int64)])
    all_cols = np.concatenate([key_cols.astype(np.int64), np.array(word_cols, np.int64)])
    width = base + len(vocabulary)
    presence = sp.csr_matrix(
        (np.ones(len(all_rows), np.float32), (all_rows, all_cols)), shape=(height, width)
    )
    presence.sum_duplicates()
    df = np.bincount(presence.indices, minlength=width)
    count = max(height, 1)
    idf = (np.log((1.0 + count) / (1.0 + df)) + 1.0).astype(np.float32)
    space = Space(unique_keys, vocabulary, idf, float(np.log(1.0 + count) + 1.0))
    return (space, *_weigh(all_rows, all_cols, height, width, idf, space.unseen_idf))


def shared(space: Space, a: sp.csr_matrix, b: sp.csr_matrix, count: int = 3) -> list[str]:
    """The texts of the features two rows share, heaviest first (at most count, longest
    first among overlapping ones: a 3-gram hides the 2-grams inside it)."""
    weights = dict(zip(a.indices.tolist(), a.data.tolist(), strict=True))
    common = [
        (weights[f] * w, f)
        for f, w in zip(b.indices.tolist(), b.data.tolist(), strict=True)
        if f in weights
    ]
    names = [space.name(f) for _, f in sorted(common, reverse=True)]
    names.sort(key=len, reverse=True)
    out: list[str] = []
    for name in names:
        if not any(name in kept for kept in out):
            out.append(name)
    return out[:count]
