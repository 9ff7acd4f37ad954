"""Text classifier: several scorers propose candidate leaves of the taxonomy, and a fitted
logistic regression fuses their features into one score (fusion.py).

- Training texts: the taxonomy as single lines (lines.py: names, description lines read as the
  official notes mean them, keywords) and the labelled examples.
- Features: TF-IDF (sublinear term frequency, smoothed idf, unit length) over character 1–3-grams
  and jieba words of the normalised text (see text.py). The vocabulary is what the lines contain.
- The tree model: a linear model at every node of the taxonomy that has children, choosing among
  them; a text goes down the tree by beam search. A line labelled with a node trains every node
  above it to choose the branch that leads to it. Each node's model is a linear support vector
  machine (scikit-learn's LinearSVC, one against the rest among its children), trained only on
  the lines below it. A node's scores become probabilities by a softmax at temperature τ, fitted
  on a tenth of the lines held out by a trial model trained on the rest.
- The other scorers: line and whole-text cosines and keywords (lexical.py), the first item of the
  text, and optionally a semantic score (semantic.py).
- Fusion: weights fitted on held-out examples when there are enough, else the defaults fitted on
  the benchmark's dev sets (benchmarks/fit_fusion.py); the confidence is a softmax of the fused
  scores of a text's candidates.
- A text that names a code as where it belongs instead (“列入3443（…）”, the way the GB/T 4754
  notes refer elsewhere) never gets that code or anything under it.
- Terms: the features that added most to the best leaf's path in the tree model.

Saved as one .npz file of plain arrays (loaded with allow_pickle=False) holding a versioned JSON
header; nothing in it is executed on load.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import multiprocessing
import os
import re
import threading
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numba
import numpy as np
import polars as pl
import scipy.sparse as sp

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.classify import fusion, lexical
from wulian.engines.classify import lines as linesmod
from wulian.engines.classify import semantic as semanticmod
from wulian.engines.classify import text as textmod
from wulian.engines.classify.taxonomy import Taxonomy

FORMAT = "wulian-classify"
VERSION = 2
C = 2.0
TEMPERATURES = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0)
DEFAULT_TEMPERATURE = 0.3
HOLDOUT_SHARE = 10  # one example in ten, by a hash of its text, to fit the temperature
TRIAL_EXAMPLES = 30_000  # at most this many (every n-th) train the trial model
CHUNK = 125_000
PRUNE = 9.0
DENSE_SHARE = 0.3
DENSE_ROWS = 32  # texts per 32 features or more: scored against the weights as an array
TERMS = 5
SUB = 32_768  # texts scored against every leaf at a time
BEAM = 6  # leaves the tree model offers as candidates per text
# After “列入”, each code followed by its name in brackets (on normalised text).
CITATION = re.compile(r"(?<![0-9a-z_.\-])([0-9a-z][0-9a-z_.\-]*)\s*\(")


@dataclass
class NodeModel:
    node: int  # -1: the top of the tree
    children: np.ndarray  # node indices
    weights: sp.csr_matrix  # features × children
    intercepts: np.ndarray
    dense: np.ndarray | None = None  # the weights as an array where most are not zero
    _columns: sp.csr_matrix | None = field(default=None, repr=False, compare=False)

    def column(self, child: int) -> sp.csr_matrix:
        """The weights of one child as a 1 × features row."""
        columns = self._columns
        if columns is None:
            columns = self._columns = self.weights.T.tocsr()
        return columns[_col(self, child)]

    def densify(self) -> None:
        rows, columns = self.weights.shape
        if self.weights.nnz > DENSE_SHARE * rows * columns:
            self.dense = self.weights.toarray()


@dataclass
class Model:
    taxonomy: Taxonomy
    ngrams: np.ndarray  # sorted n-gram keys; feature i < len(ngrams) is ngrams[i]
    words: dict[str, int]  # word → feature
    idf: np.ndarray
    nodes: dict[int, NodeModel]
    temperature: float
    info: dict[str, object]
    lexical: lexical.Index
    weights: np.ndarray = field(default_factory=lambda: fusion.DEFAULT_WEIGHTS.copy())
    bias: float = fusion.DEFAULT_BIAS
    fused_temperature: float = 1.0
    semantic: semanticmod.Index | None = None

    @property
    def features(self) -> int:
        return int(self.idf.shape[0])

    def feature_text(self, feature: int) -> str:
        if feature < len(self.ngrams):
            return textmod.key_text(int(self.ngrams[feature]))
        return self._word_of[feature]

    def __post_init__(self) -> None:
        self._word_of = {i: w for w, i in self.words.items()}
        self._paths: np.ndarray | None = None
        self._step_columns: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self._feature_texts: tuple[np.ndarray, list[str], np.ndarray] | None = None
        self._feature_points: tuple[np.ndarray, np.ndarray] | None = None
        self.leaf_of_node = np.full(len(self.taxonomy), -1, np.int64)
        self.leaf_of_node[self.lexical.leaves] = np.arange(len(self.lexical.leaves))

    def feature_texts(self) -> tuple[np.ndarray, list[str], np.ndarray]:
        """Each feature's text as an id (features with the same text, such as a word that is
        also an n-gram, share one), the texts, and whether each is longer than one character."""
        if self._feature_texts is None:
            keys = self.ngrams.astype(np.int64)
            shifts = (2 * textmod._SHIFT, textmod._SHIFT, np.int64(0))
            # Each key's code points, high to low, with a row end after each (key_text's way:
            # a character for every shift with something left above it).
            points = np.zeros((len(keys), len(shifts) + 1), np.uint32)
            for at, shift in enumerate(shifts):
                high = keys >> shift
                points[:, at] = np.where(high != 0, high & 0x1FFFFF, 0)
            points[:, -1] = ord(textmod._ROW_END)
            flat = points.ravel()
            joined = flat[flat != 0].tobytes().decode("utf-32-le")
            texts_of_features = joined.split(textmod._ROW_END)[: len(keys)]
            texts_of_features += [""] * (self.features - len(keys))
            for word, feature in self.words.items():
                texts_of_features[feature] = word
            ids: dict[str, int] = {}
            text_of = np.fromiter(
                (ids.setdefault(t, len(ids)) for t in texts_of_features),
                np.int64,
                len(texts_of_features),
            )
            texts = list(ids)
            longer = np.fromiter((len(t) > 1 for t in texts), bool, len(texts))
            self._feature_texts = (text_of, texts, longer)
        return self._feature_texts

    def feature_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The code points of the texts of feature_texts, one after another, and where each
        starts (and the last ends)."""
        if self._feature_points is None:
            _, texts, _ = self.feature_texts()
            lengths = np.fromiter(map(len, texts), np.int64, len(texts))
            offsets = np.zeros(len(texts) + 1, np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat = np.frombuffer("".join(texts).encode("utf-32-le"), np.uint32).astype(np.int32)
            self._feature_points = (flat, offsets)
        return self._feature_points

    def step_columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The weights of every step of the tree (a node with a model to one of its children)
        as CSR rows, one per child: (row of each node, -1 where its parent has no model;
        indptr, indices (sorted features), data)."""
        if self._step_columns is None:
            step_of = np.full(len(self.taxonomy), -1, np.int64)
            columns: list[sp.csr_matrix] = []
            for node_model in self.nodes.values():
                by_child = sp.csr_matrix(node_model.weights.T.tocsr(), dtype=np.float32)
                by_child.sort_indices()
                for at, child in enumerate(node_model.children.tolist()):
                    step_of[child] = len(columns)
                    columns.append(by_child[at])
            joined = (
                sp.vstack(columns, "csr")
                if columns
                else sp.csr_matrix((0, self.features), dtype=np.float32)
            )
            joined.sort_indices()
            self._step_columns = (
                step_of,
                joined.indptr.astype(np.int64),
                joined.indices.astype(np.int64),
                joined.data.astype(np.float32, copy=False),
            )
        return self._step_columns

    def paths(self) -> np.ndarray:
        """Each node's path from the top as a row of node indices, padded with -2."""
        if self._paths is None:
            all_paths = [self.taxonomy.path(n) for n in range(len(self.taxonomy))]
            out = np.full((len(all_paths), max(map(len, all_paths), default=1)), -2, np.int64)
            for node, path in enumerate(all_paths):
                out[node, : len(path)] = path
            self._paths = out
        return self._paths


# ------------------------------------------------------------------------------------ features


INDEX_LIMIT = 2**31 - 1  # entries a sparse matrix with 32-bit indices holds


def _counts(model_ngrams: np.ndarray, words: dict[str, int], texts: Sequence[str]) -> sp.csr_matrix:
    """Term counts of normalised texts over a vocabulary (unknown terms dropped)."""
    return _counts_and_heads(model_ngrams, words, texts, [None] * len(texts))[0]


def _counts_and_heads(
    model_ngrams: np.ndarray,
    words: dict[str, int],
    texts: Sequence[str],
    places: Sequence[tuple[int, int] | None],
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Term counts of normalised texts over a vocabulary (unknown terms dropped), and of the
    part of each text at its place (text[start:end], see textmod.head_place; an empty row where
    there is none), taken from the text's own n-grams and words."""
    low = np.full(len(texts), -1, np.int64)  # the places; -1: none
    high = np.full(len(texts), -1, np.int64)
    at = [row for row, place in enumerate(places) if place is not None]
    if at:
        low[at], high[at] = np.array([places[row] for row in at], np.int64).T
    return _counts_within(model_ngrams, words, texts, low, high)


def _counts_within(
    model_ngrams: np.ndarray,
    words: dict[str, int],
    texts: Sequence[str],
    low: np.ndarray,
    high: np.ndarray,
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """_counts_and_heads with the places as arrays of starts and ends (-1: none). The compiled
    pass writes 32-bit indices: texts with more than about 2³¹ terms in all are counted in
    halves."""
    if len(texts) > 1 and 4 * (sum(map(len, texts)) + len(texts)) >= INDEX_LIMIT:
        half = len(texts) // 2
        top = _counts_within(model_ngrams, words, texts[:half], low[:half], high[:half])
        bottom = _counts_within(model_ngrams, words, texts[half:], low[half:], high[half:])
        return sp.vstack([top[0], bottom[0]], "csr"), sp.vstack([top[1], bottom[1]], "csr")
    # Every word of every text to its feature (-1: not in the vocabulary), looked up in one
    # call, with no Python code run per word.
    word_rows, word_text, word_starts, word_ends = textmod.word_spans(texts)
    word_ids = np.fromiter(
        map(words.get, word_text, itertools.repeat(-1)), np.int64, len(word_text)
    )
    known = word_ids >= 0
    points, boundary = textmod.code_points(texts)
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    first = np.cumsum(lengths + 1) - (lengths + 1)  # where each text starts in points
    size = (len(texts), len(model_ngrams) + len(words))
    widest = int(lengths.max()) if len(texts) else 0
    most_words = int(np.bincount(word_rows[known]).max()) if known.any() else 0
    slots, places_of, closed = _key_table(model_ngrams.astype(np.int64, copy=False))
    found = _count_rows(
        points, boundary, first, lengths, slots, places_of, closed,
        word_rows[known], word_ids[known], word_starts[known], word_ends[known],
        low, high, len(textmod.NGRAMS) * widest + most_words,
    )  # fmt: skip
    counts = sp.csr_matrix((found[2], found[1], found[0]), shape=size)
    heads = sp.csr_matrix((found[5], found[4], found[3]), shape=size)
    return counts, heads


_HASH = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing


@numba.njit(nogil=True, cache=True)
def _key_table(ngrams: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """An open-addressing hash table of the sorted n-gram keys (keys, -1 where free, and each
    key's position), of a power-of-two size at least twice theirs; and whether the keys are
    closed under taking prefixes (an n-gram's first n - 1 characters are a key too, as in any
    vocabulary of the n-grams of some texts), so that a miss ends the longer n-grams there."""
    bits = 4
    while (1 << bits) < 2 * ngrams.shape[0]:
        bits += 1
    shift = np.uint64(64 - bits)
    mask = (1 << bits) - 1
    slots = np.full(1 << bits, -1, np.int64)
    places = np.zeros(1 << bits, np.int64)
    for at in range(ngrams.shape[0]):
        key = ngrams[at]
        slot = np.int64((np.uint64(key) * _HASH) >> shift)
        while slots[slot] != -1:
            slot = (slot + 1) & mask
        slots[slot] = key
        places[slot] = at
    closed = True
    for at in range(ngrams.shape[0]):
        prefix = ngrams[at] >> 21
        if prefix != 0 and _lookup(slots, places, shift, prefix) < 0:
            closed = False
            break
    return slots, places, closed


@numba.njit(nogil=True, cache=True, inline="always")
def _lookup(slots: np.ndarray, places: np.ndarray, shift: np.uint64, key: np.int64) -> int:
    """The position of key among the n-grams (see _key_table; shift: 64 - log2 of its size);
    -1 if it is not one."""
    mask = slots.shape[0] - 1
    slot = np.int64((np.uint64(key) * _HASH) >> shift)
    while True:
        found = slots[slot]
        if found == key:
            return int(places[slot])
        if found == -1:
            return -1
        slot = (slot + 1) & mask


@numba.njit(nogil=True, cache=True)
def _table_shift(slots: np.ndarray) -> np.uint64:
    bits = 0
    while (1 << bits) < slots.shape[0]:
        bits += 1
    return np.uint64(64 - bits)


@numba.njit(nogil=True, cache=True)
def _count_rows(
    points: np.ndarray, boundary: np.ndarray, first: np.ndarray, lengths: np.ndarray,
    slots: np.ndarray, places: np.ndarray, closed: bool,
    word_rows: np.ndarray, word_ids: np.ndarray,
    word_starts: np.ndarray, word_ends: np.ndarray, low: np.ndarray, high: np.ndarray,
    room: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Row by row, the CSR arrays (indptr, indices, data) of the counts of the n-grams (keys
    looked up in the table of the sorted n-grams: feature = position) and the words (rows
    ascending) of each text, and of those within its place [low, high): features in order,
    counts as float32."""
    rows = first.shape[0]
    capacity = 3 * points.shape[0] + word_ids.shape[0]
    indptr = np.zeros(rows + 1, np.int32)
    indices = np.empty(capacity, np.int32)
    data = np.empty(capacity, np.float32)
    head_indptr = np.zeros(rows + 1, np.int32)
    head_indices = np.empty(capacity, np.int32)
    head_data = np.empty(capacity, np.float32)
    found = np.empty(max(room, 1), np.int64)
    inside = np.empty(max(room, 1), np.int64)
    shift = _table_shift(slots)
    w = 0
    n = 0
    n_head = 0
    for row in range(rows):
        start = first[row]
        end = start + lengths[row]
        m = 0
        h = 0
        for i in range(start, end):
            key = np.int64(0)
            for j in range(i, min(i + 3, end)):  # the 1-, 2- and 3-grams from i
                if boundary[j]:
                    break
                key = (key << 21) | points[j]
                at = _lookup(slots, places, shift, key)
                if at >= 0:
                    found[m] = at
                    m += 1
                    if i - start >= low[row] and j + 1 - start <= high[row]:
                        inside[h] = at
                        h += 1
                elif closed:  # nor is any longer n-gram from i
                    break
        while w < word_rows.shape[0] and word_rows[w] == row:
            found[m] = word_ids[w]
            m += 1
            if word_starts[w] >= low[row] and word_ends[w] <= high[row]:
                inside[h] = word_ids[w]
                h += 1
            w += 1
        n = _runs(np.sort(found[:m]), indices, data, n)
        indptr[row + 1] = n
        n_head = _runs(np.sort(inside[:h]), head_indices, head_data, n_head)
        head_indptr[row + 1] = n_head
    return (
        indptr, indices[:n].copy(), data[:n].copy(),
        head_indptr, head_indices[:n_head].copy(), head_data[:n_head].copy(),
    )  # fmt: skip


@numba.njit(nogil=True, cache=True)
def _runs(values: np.ndarray, indices: np.ndarray, data: np.ndarray, n: int) -> int:
    """Each run of equal sorted values as (value, length) from position n on; the new end."""
    for k in range(values.shape[0]):
        if k and values[k] == values[k - 1]:
            data[n - 1] += np.float32(1)
        else:
            indices[n] = values[k]
            data[n] = np.float32(1)
            n += 1
    return n


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    out = counts.copy()
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    norms = np.sqrt(np.asarray(out.multiply(out).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    out.data /= np.repeat(norms, np.diff(out.indptr)).astype(np.float32)
    return out


def vectorise(model: Model, texts: Sequence[str]) -> sp.csr_matrix:
    """TF-IDF rows of already normalised texts."""
    return _tfidf(_counts(model.ngrams, model.words, texts), model.idf)


def _vocabulary(texts: Sequence[str]) -> tuple[np.ndarray, dict[str, int], np.ndarray]:
    rows, keys = textmod.ngram_keys(texts)
    # Document counts: each (key, text) pair once, then counted per key.
    counted = pl.DataFrame({"key": keys, "row": rows}).unique().group_by("key").len().sort("key")
    ngrams = counted["key"].to_numpy()
    df_ngrams = counted["len"].to_numpy().astype(np.int64)
    df_words: dict[str, int] = {}
    for text in texts:
        for w in set(textmod.words(text)):
            df_words[w] = df_words.get(w, 0) + 1
    word_list = sorted(df_words)
    words = {w: len(ngrams) + i for i, w in enumerate(word_list)}
    df = np.concatenate([df_ngrams, np.array([df_words[w] for w in word_list], np.int64)])
    idf = (np.log((1 + len(texts)) / (1 + df)) + 1).astype(np.float32)
    return ngrams, words, idf


# ------------------------------------------------------------------------------------ training


def train(
    taxonomy: Taxonomy,
    examples: Sequence[tuple[str, str]] = (),
    *,
    calibrate: bool = True,
    semantic: str | None = None,
) -> Model:
    """A model of the taxonomy from its own lines and labelled (text, code) examples; with
    semantic (an embedder's name, see semantic.py), the semantic score too."""
    labelled = [(t, taxonomy.index[c]) for t, c in examples]
    every = linesmod.with_examples(linesmod.of_taxonomy(taxonomy), labelled)
    if semantic:
        every = _embedded(taxonomy, every, semantic)
    temperature = DEFAULT_TEMPERATURE
    weights, bias = fusion.defaults(semantic is not None)
    fused_t = fusion.DEFAULT_TEMPERATURE
    leaf = np.array([taxonomy.is_leaf(n) for n in range(len(taxonomy))], dtype=bool)
    held_out = np.array(
        [
            calibrate and kind != linesmod.NAME and leaf[node] and _hash_share(text) == 0
            for text, node, kind in zip(every.texts, every.nodes, every.kinds, strict=True)
        ],
        dtype=bool,
    )
    fit_info: dict[str, float] = {}
    if held_out.sum() >= fusion.MIN_FIT_ROWS:
        kept = np.flatnonzero(~held_out)
        examples_kept = kept[np.array(every.kinds)[kept] == linesmod.EXAMPLE]
        if len(examples_kept) > TRIAL_EXAMPLES:  # the trial model needs no more than a sample
            drop = np.setdiff1d(
                examples_kept, examples_kept[:: math.ceil(len(examples_kept) / TRIAL_EXAMPLES)]
            )
            kept = np.setdiff1d(kept, drop)
        trial = _fit(taxonomy, _subset(every, kept), DEFAULT_TEMPERATURE, semantic)
        held = [(every.texts[i], every.nodes[i]) for i in np.flatnonzero(held_out)]
        temperature = _fit_temperature(trial, held)
        # The fusion is refitted only on examples: the taxonomy's own lines are list items,
        # unlike the texts people write.
        written = [
            (every.texts[i], every.nodes[i])
            for i in np.flatnonzero(held_out)
            if every.kinds[i] == linesmod.EXAMPLE
        ]
        if len(written) >= fusion.MIN_FIT_ROWS:
            trial.temperature = temperature
            found = _candidates(trial, textmod.normalise([t for t, _ in written]))[0]
            truth = trial.leaf_of_node[np.array([n for _, n in written], np.int64)]
            weights, bias, fused_t, fit_info = fusion.fit(found, truth)
    model = _fit(taxonomy, every, temperature, semantic)
    model.weights, model.bias, model.fused_temperature = weights, bias, fused_t
    model.info.update(
        {
            "examples": len(labelled),
            "taxonomy_lines": len(every.texts) - len(labelled),
            "held_out_lines": int(held_out.sum()),
            "fusion": dict(
                zip(
                    (*fusion.FEATURES, fusion.SEMANTIC_FEATURE),
                    map(float, weights),
                    strict=False,
                )
            ),
            "semantic": semantic or "",
            **fit_info,
        }
    )
    return model


def _subset(every: linesmod.Lines, at: np.ndarray) -> linesmod.Lines:
    picked = at.tolist()
    return linesmod.Lines(
        [every.texts[i] for i in picked],
        [every.nodes[i] for i in picked],
        [every.kinds[i] for i in picked],
        None if every.vectors is None else every.vectors[at],
    )


def _embedded(taxonomy: Taxonomy, every: linesmod.Lines, name: str) -> linesmod.Lines:
    """The lines with the embeddings of those the semantic score compares: the leaves' lines,
    at most LINE_EXAMPLES examples of each leaf (NaN for the rest)."""
    taken: dict[int, int] = {}
    chosen: list[int] = []
    for i, (node, kind) in enumerate(zip(every.nodes, every.kinds, strict=True)):
        if not taxonomy.is_leaf(node):
            continue
        if kind == linesmod.EXAMPLE:
            taken[node] = taken.get(node, 0) + 1
            if taken[node] > lexical.LINE_EXAMPLES:
                continue
        chosen.append(i)
    found = semanticmod.embedder(name).passage([every.texts[i] for i in chosen])
    vectors = np.full((len(every.texts), found.shape[1] if len(found) else 1), np.nan, np.float16)
    vectors[chosen] = found.astype(np.float16)
    return linesmod.Lines(every.texts, every.nodes, every.kinds, vectors)


def _hash_share(text: str) -> int:
    return int(hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest(), 16) % HOLDOUT_SHARE


def _fit(
    taxonomy: Taxonomy, labelled: linesmod.Lines, temperature: float, semantic: str | None = None
) -> Model:
    texts = textmod.normalise(labelled.texts)
    targets = np.array(labelled.nodes, np.int64)
    ngrams, words, idf = _vocabulary(texts)
    counts = _counts(ngrams, words, texts)
    matrix = _tfidf(counts, idf)
    leaves = np.array(taxonomy.leaves(), np.int64)
    leaf_of_node = np.full(len(taxonomy), -1, np.int64)
    leaf_of_node[leaves] = np.arange(len(leaves))
    on_leaf = np.flatnonzero(leaf_of_node[targets] >= 0)
    keywords = [
        (word, int(leaf_of_node[node]))
        for node in leaves.tolist()
        for word in textmod.normalise(taxonomy.keywords[node])
        if word.strip()
    ]
    index = lexical.build(
        leaves,
        counts[on_leaf],
        leaf_of_node[targets[on_leaf]],
        np.array(labelled.kinds, np.int64)[on_leaf] == linesmod.EXAMPLE,
        idf,
        lexical.lexical_features(ngrams, len(words)),
        keywords,
    )
    model = Model(taxonomy, ngrams, words, idf, {}, temperature, {"format": FORMAT}, index)
    if semantic and labelled.vectors is not None:
        on = np.flatnonzero(~np.isnan(labelled.vectors[:, 0]) & (leaf_of_node[targets] >= 0))
        order = on[np.argsort(leaf_of_node[targets[on]], kind="stable")]
        model.semantic = semanticmod.Index(
            semantic, labelled.vectors[order], leaf_of_node[targets[order]], len(leaves)
        )
    # For each node with children: the examples below it and the child they go to.
    below: dict[int, list[tuple[int, int]]] = {}
    for example, node in enumerate(targets.tolist()):
        parent = -1
        for step in taxonomy.path(node):
            below.setdefault(parent, []).append((example, step))
            parent = step
    # One binary problem per (node, child), largest first, on every core: liblinear releases
    # the interpreter lock, and this is exactly what LinearSVC does one class after another.
    jobs: list[tuple[int, int, sp.csr_matrix, np.ndarray]] = []
    against: dict[int, int] = {}  # a node with two children → the child scored negatively
    for parent, children in taxonomy.children.items():
        if len(children) < 2:
            continue
        pairs = np.array(below.get(parent, []), np.int64).reshape(-1, 2)
        rows, labels = pairs[:, 0], pairs[:, 1]
        present = np.unique(labels)
        model.nodes[parent] = NodeModel(
            parent,
            np.array(children, np.int64),
            sp.csr_matrix((matrix.shape[1], len(children)), dtype=np.float32),
            np.full(len(children), -1.0, np.float32),  # a child with no text is never likely
        )
        if len(present) == 1:
            model.nodes[parent].intercepts[children.index(int(present[0]))] = 1.0
            continue
        sub = matrix[rows]
        if len(present) == 2:  # one problem: the second child against the first
            against[parent] = int(present[0])
            present = present[1:]
        jobs += [(parent, int(child), sub, labels == child) for child in present]
    jobs.sort(key=lambda job: -job[2].nnz)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        fitted = list(pool.map(_fit_binary, jobs))
    columns: dict[int, dict[int, tuple[np.ndarray, float]]] = {}
    for (parent, child, _, _), result in zip(jobs, fitted, strict=True):
        columns.setdefault(parent, {})[child] = result
    for parent, by_child in columns.items():
        node_model = model.nodes[parent]
        kids = node_model.children.tolist()
        if parent in against:
            child, (coef, bias) = next(iter(by_child.items()))
            by_child = {child: (coef / 2, bias / 2), against[parent]: (-coef / 2, -bias / 2)}
        weights = np.zeros((matrix.shape[1], len(kids)), np.float32)
        for child, (coef, bias) in by_child.items():
            weights[:, kids.index(child)] = coef
            node_model.intercepts[kids.index(child)] = bias
        node_model.weights = sp.csr_matrix(weights)
        node_model.weights.eliminate_zeros()
        node_model.densify()
    return model


def _fit_binary(job: tuple[int, int, sp.csr_matrix, np.ndarray]) -> tuple[np.ndarray, float]:
    # scikit-learn (and the SciPy statistics it loads) costs two seconds to import; only
    # training needs it, so a server or a prediction run does not pay for it.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    _, _, matrix, positive = job
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm = LinearSVC(C=C).fit(matrix, positive)
    return svm.coef_[0].astype(np.float32), float(svm.intercept_[0])


def _fit_temperature(model: Model, held: Sequence[tuple[str, int]]) -> float:
    """The temperature under which the held-out texts' right leaves are most probable."""
    matrix = vectorise(model, textmod.normalise([t for t, _ in held]))
    # Each node's scores for the held-out texts that pass through it, and the child they take.
    steps: dict[int, tuple[list[int], list[int]]] = {}
    for example, (_, node) in enumerate(held):
        parent = -1
        for step in model.taxonomy.path(node):
            node_model = model.nodes.get(parent)
            if node_model is not None:
                entry = steps.setdefault(parent, ([], []))
                entry[0].append(example)
                entry[1].append(_col(node_model, step))
            parent = step
    scored = []
    for parent, (examples, chosen) in steps.items():
        node_model = model.nodes[parent]
        rows = np.array(examples, np.int64)
        scores = (matrix[rows] @ node_model.weights).toarray() + node_model.intercepts
        scored.append((rows, np.array(chosen, np.int64), scores))
    best, best_loss = DEFAULT_TEMPERATURE, math.inf
    for temperature in TEMPERATURES:
        logp = np.zeros(len(held))
        for at, taken, scores in scored:
            picked = _log_softmax(scores / temperature)[np.arange(len(at)), taken]
            np.add.at(logp, at, picked)
        loss = float(-np.maximum(logp, -50.0).sum())
        if loss < best_loss:
            best, best_loss = temperature, loss
    return best


def _col(node_model: NodeModel, child: int) -> int:
    return int(np.flatnonzero(node_model.children == child)[0])


def _log_softmax(scores: np.ndarray) -> np.ndarray:
    shifted: np.ndarray = scores - scores.max(axis=1, keepdims=True)
    out: np.ndarray = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return out


# ---------------------------------------------------------------------------------- prediction


@dataclass(frozen=True)
class Prediction:
    """Top-k leaves per text: frame with row (position of the text), rank, code, name, score
    (confidence 0–1), terms; empty texts get no rows and are listed in `empty`."""

    frame: pl.DataFrame
    empty: list[int]


def predict(
    model: Model, texts: Sequence[str | None], top_k: int = 3, *, terms: bool = True
) -> Prediction:
    """The top_k leaves of each text. A text given more than once is predicted once (a text's
    prediction depends on nothing else) and its rows repeated."""
    if top_k < 1:
        raise ValueError("top_k ≥ 1")
    distinct: dict[str | None, int] = {}
    inverse = np.fromiter(
        (distinct.setdefault(t, len(distinct)) for t in texts), np.int64, len(texts)
    )
    if len(distinct) == len(texts):
        return _predict_distinct(model, texts, top_k, terms)
    found = _predict_distinct(model, list(distinct), top_k, terms)
    del distinct
    # Each text's rows are its distinct text's, which stand together (rows in order).
    per = np.bincount(found.frame["row"].to_numpy(), minlength=int(inverse.max()) + 1)
    starts = np.cumsum(per) - per
    many = per[inverse]
    rows = np.repeat(np.arange(len(texts), dtype=np.int64), many)
    at = np.repeat(starts[inverse], many) + lexical.rank_within(rows)
    frame = found.frame.gather(at).with_columns(pl.Series("row", rows, pl.Int64))
    is_empty = np.zeros(len(per), dtype=bool)
    is_empty[found.empty] = True
    return Prediction(frame, np.flatnonzero(is_empty[inverse]).tolist())


def chunk_size(n: int, workers: int) -> int:
    """Texts per chunk: at most CHUNK, and as many chunks as a multiple of the workers, so that
    no worker is left with one more chunk than the others at the end (7 chunks on 2 workers
    take 4 chunks' time; 8 smaller ones take 4 smaller ones')."""
    chunks = max(1, -(-n // CHUNK))
    if workers > 1 and chunks > 1:
        chunks = -(-chunks // workers) * workers
    return max(1, -(-n // chunks))


def _predict_distinct(
    model: Model, texts: Sequence[str | None], top_k: int, terms: bool
) -> Prediction:
    size = chunk_size(len(texts), os.cpu_count() or 1)
    jobs = [
        (start, list(texts[start : start + size]), top_k, terms)
        for start in range(0, len(texts), size)
    ]
    workers = min(os.cpu_count() or 1, len(jobs))
    if jobs:  # a table normalisation takes, made once, before any fork
        textmod.nfkc_table()
    if terms and jobs:  # the tables the terms take, made once, before any fork
        model.feature_texts()
        model.feature_points()
        model.step_columns()
        model.paths()
    if workers > 1:  # chunks in forked processes, which share the model's memory
        global _SHARED
        with _FORKING:
            _SHARED = model
            try:
                context = multiprocessing.get_context("fork")
                with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                    done = list(pool.map(_chunk_job, jobs))
            finally:
                _SHARED = None
    else:  # in this thread; threads may predict at the same time
        done = [_chunk_job(job, model) for job in jobs]
    if not done:
        return Prediction(_empty_frame(), [])
    codes = pl.Series(model.taxonomy.codes, dtype=pl.String)
    names = pl.Series(model.taxonomy.names, dtype=pl.String)
    nodes = np.concatenate([columns["node"] for columns, _ in done])
    frame = pl.DataFrame(
        {
            "row": np.concatenate([columns["row"] for columns, _ in done]),
            "rank": np.concatenate([columns["rank"] for columns, _ in done]),
            "code": codes.gather(nodes),
            "name": names.gather(nodes),
            "score": np.concatenate([columns["score"] for columns, _ in done]),
            "terms": [t for columns, _ in done for t in columns["terms"]],
        },
        schema=_SCHEMA,
    )
    return Prediction(frame, [i for _, empty in done for i in empty])


_SHARED: Model | None = None  # the model a chunk job reads (inherited by forked workers)
_FORKING = threading.Lock()  # one forked prediction at a time (they share _SHARED)
_SCHEMA = {
    "row": pl.Int64,
    "rank": pl.Int32,
    "code": pl.String,
    "name": pl.String,
    "score": pl.Float64,
    "terms": pl.String,
}


def _chunk_job(
    job: tuple[int, list[str | None], int, bool], model: Model | None = None
) -> tuple[dict[str, Any], list[int]]:
    """One chunk of texts: plain lists back (no Polars in the workers)."""
    start, texts, top_k, terms = job
    model = model or _SHARED
    if model is None:  # pragma: no cover - set by predict
        raise RuntimeError("no model")
    chunk = textmod.normalise(texts)
    empty = np.array([textmod.is_empty(t) for t in chunk], dtype=bool)
    found = _predict_chunk(model, chunk, empty, start, top_k, terms)
    return found, (np.flatnonzero(empty) + start).tolist()


def _empty_frame() -> pl.DataFrame:
    return pl.DataFrame(schema=_SCHEMA)


def _excluded(model: Model, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(row, node) pairs ruled out because the text says the thing belongs under that code."""
    rows: list[int] = []
    nodes: list[int] = []
    lower = {c.lower(): i for i, c in enumerate(model.taxonomy.codes)}
    for row, text in enumerate(texts):
        if "列入" not in text:
            continue
        for code in CITATION.findall(text[text.index("列入") :]):
            node = lower.get(code)
            if node is not None:
                rows.append(row)
                nodes.append(node)
    return np.array(rows, np.int64), np.array(nodes, np.int64)


def _candidates(
    model: Model, texts: list[str], beam: int = 0
) -> tuple[fusion.Candidates, sp.csr_matrix]:
    """The fused scorers' candidates of normalised texts (cited codes ruled out), and the
    texts' TF-IDF rows. Scored SUB texts at a time (the lexical scores are texts × leaves)."""
    head_start, head_end, low, high = textmod.head_places(texts)
    counts, head_counts = _counts_within(model.ngrams, model.words, texts, low, high)
    matrix, head_matrix = _tfidf(counts, model.idf), _tfidf(head_counts, model.idf)
    ex_rows, ex_nodes = _excluded(model, texts)
    beam_nodes, beam_logp = _beam(model, matrix, ex_rows, ex_nodes, beam or BEAM)
    parts: list[fusion.Candidates] = []
    for start in range(0, len(texts), SUB):
        end = min(start + SUB, len(texts))
        line, whole = lexical.score(model.lexical, matrix[start:end])
        hits = lexical.keyword_hits(model.lexical, texts[start:end])
        head = _head_scores(
            model,
            texts[start:end],
            (head_start[start:end], head_end[start:end], low[start:end]),
            head_matrix[start:end],
            line,
        )
        meaning = semanticmod.scores(model.semantic, texts[start:end]) if model.semantic else None
        found = fusion.candidates(
            model.leaf_of_node,
            beam_nodes[start:end],
            beam_logp[start:end],
            line,
            whole,
            hits,
            head,
            meaning,
        )
        parts.append(fusion.Candidates(found.rows + start, found.leaves, found.features))
    found = fusion.Candidates(
        np.concatenate([p.rows for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p.leaves for p in parts]) if parts else np.zeros(0, np.int64),
        np.concatenate([p.features for p in parts])
        if parts
        else np.zeros((0, len(fusion.FEATURES))),
    )
    if len(ex_rows):  # a leaf under a code the text cites is not a candidate either
        size = len(model.taxonomy) + 2
        keep = np.ones(len(found.rows), dtype=bool)
        at = np.flatnonzero(lexical.member(np.unique(ex_rows), found.rows))  # citing texts'
        paths = model.paths()[model.lexical.leaves[found.leaves[at]]] + 2  # padding -2 is 0
        on_path = (found.rows[at, None] * size + paths).ravel()
        cited = lexical.member(np.unique(ex_rows * size + ex_nodes + 2), on_path)
        keep[at] = ~cited.reshape(paths.shape).any(axis=1)
        found = fusion.Candidates(found.rows[keep], found.leaves[keep], found.features[keep])
    return found, matrix


def _head_scores(
    model: Model,
    texts: list[str],
    heads: tuple[np.ndarray, np.ndarray, np.ndarray],
    placed: sp.csr_matrix,
    line: lexical.Scores,
) -> lexical.Scores:
    """The line scores of each text's first item (textmod.head; heads: its start and end in
    the text and where it stands apart, -1 where it does not, see textmod.head_places): from
    placed (the TF-IDF rows of the items that stand apart in their texts, taken from the texts'
    own features), else vectorised on their own; a text that is one item already has them."""
    head_start, head_end, place_start = heads
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    # The heads that do not stand apart and are not the whole text.
    apart = (place_start < 0) & (head_end - head_start < lengths)
    alone = np.flatnonzero(apart).tolist()
    starts, ends = head_start.tolist(), head_end.tolist()
    heads_alone = [texts[i][starts[i] : ends[i]] for i in alone]
    if alone:  # the heads that do not stand apart, featurised on their own into their rows
        own = vectorise(model, heads_alone)
        into = sp.csr_matrix(
            (np.ones(len(alone), np.float32), (alone, np.arange(len(alone)))),
            shape=(len(texts), len(alone)),
        )
        placed = sp.csr_matrix(placed + into @ own)  # those rows of placed are empty
    at = np.flatnonzero((place_start >= 0) | apart)
    if not len(at):
        return line
    scored = lexical.line_scores(model.lexical, placed[at])
    size = model.lexical.size
    mine = ~lexical.member(at, line.keys // size)
    # Two sorted runs of keys of different texts, merged.
    kept, added = line.keys[mine], at[scored.keys // size] * size + scored.keys % size
    into = np.searchsorted(kept, added) + np.arange(len(added))
    keys = np.empty(len(kept) + len(added), np.int64)
    values = np.empty(len(keys), np.float32)
    put = np.ones(len(keys), dtype=bool)
    put[into] = False
    keys[into], values[into] = added, scored.values
    keys[put], values[put] = kept, line.values[mine]
    mean, std = line.mean.copy(), line.std.copy()
    mean[at], std[at] = scored.mean, scored.std
    return lexical.Scores(keys, values, mean, std)


def _predict_chunk(
    model: Model,
    texts: list[str],
    empty: np.ndarray,
    offset: int,
    top_k: int,
    terms: bool,
) -> dict[str, Any]:
    found, matrix = _candidates(model, texts, max(top_k, BEAM))
    fused = fusion.logits(found, model.weights, model.bias)
    probability = fusion.softmax_by_row(found.rows, fused, model.fused_temperature)
    order = np.lexsort((-fused, found.rows))
    rows, leaves, probability = found.rows[order], found.leaves[order], probability[order]
    rank = lexical.rank_within(rows)
    keep = (rank < top_k) & ~empty[rows]
    rows, rank, probability = rows[keep], rank[keep], probability[keep]
    nodes = model.lexical.leaves[leaves[keep]]
    term_text = [""] * len(rows)
    if terms:  # for the best leaf of each text
        first = np.flatnonzero(rank == 0)
        cand, term = _term_ids(model, matrix, rows[first], nodes[first])
        shown = _phrases_at(
            [texts[r] for r in rows[first].tolist()],
            *_term_points(model, cand, term, len(first)),
        )
        for position, text in zip(first.tolist(), shown, strict=True):
            term_text[position] = text
    return {
        "row": rows + offset,
        "rank": (rank + 1).astype(np.int32),
        "node": nodes,
        "score": np.round(probability, 4),
        "terms": term_text,
    }


def _beam(
    model: Model, matrix: sp.csr_matrix, ex_rows: np.ndarray, ex_nodes: np.ndarray, beam: int
) -> tuple[np.ndarray, np.ndarray]:
    """Down the tree by beam search: for each text (row of matrix) the beam most likely leaves
    as rows of nodes and of log-probabilities, best first (-inf where there are fewer).

    Each level, every candidate in the beam offers its likeliest children (no other child can
    be among the beam best), so the next beam is chosen from a small array per text."""
    n, size = matrix.shape[0], len(model.taxonomy)
    has_children = np.zeros(size + 1, dtype=bool)  # index -1 (the top) is the last
    has_children[list(model.taxonomy.children)] = True
    excluded = np.unique(ex_rows * size + ex_nodes)
    citing = np.unique(ex_rows)  # the texts that rule codes out
    width = beam + (int(np.bincount(ex_rows).max()) if len(ex_rows) else 0)
    nodes = np.full((n, 1), -1, np.int64)
    logp = np.zeros((n, 1))
    while True:
        active = np.isfinite(logp) & has_children[nodes]
        if not active.any():
            return nodes, logp
        offered_logp = np.full((n, nodes.shape[1], width), -np.inf)
        offered_nodes = np.full((n, nodes.shape[1], width), -2, np.int64)
        stay = np.isfinite(logp) & ~active  # leaves reached already
        offered_logp[stay, 0], offered_nodes[stay, 0] = logp[stay], nodes[stay]
        at, slot = np.nonzero(active)
        parents = nodes[at, slot]
        order = np.argsort(parents, kind="stable")
        at, slot, parents = at[order], slot[order], parents[order]
        for group in np.split(np.arange(len(at)), np.flatnonzero(np.diff(parents)) + 1):
            parent = int(parents[group[0]])
            node_model = model.nodes.get(parent)
            if node_model is None:  # a single child: passed through
                kids = np.array(model.taxonomy.children[parent], np.int64)
                child_logp = np.zeros((len(group), 1))
            else:
                scores = _scores(node_model, matrix[at[group]])
                child_logp = _log_softmax((scores + node_model.intercepts) / model.temperature)
                kids = node_model.children
            take = min(width, len(kids))
            likeliest = _best_first(child_logp, take)
            chosen = np.take_along_axis(child_logp, likeliest, axis=1)
            # Children less than e⁻⁹ as likely as the best one cannot reach the top k.
            chosen[chosen < chosen[:, :1] - PRUNE] = -np.inf
            where = at[group], slot[group]
            offered_logp[where[0], where[1], :take] = logp[where][:, None] + chosen
            offered_nodes[where[0], where[1], :take] = kids[likeliest]
        offered_logp = offered_logp.reshape(n, -1)
        offered_nodes = offered_nodes.reshape(n, -1)
        if len(excluded):
            keys = citing[:, None] * size + offered_nodes[citing]
            ruled_out = lexical.member(excluded, keys.ravel()).reshape(keys.shape)
            offered_logp[citing] = np.where(ruled_out, -np.inf, offered_logp[citing])
        best = _best_first(offered_logp, beam)
        logp = np.take_along_axis(offered_logp, best, axis=1)
        nodes = np.take_along_axis(offered_nodes, best, axis=1)


@numba.njit(nogil=True, cache=True)
def _best_first(values: np.ndarray, count: int) -> np.ndarray:
    """Row by row, the positions of the count largest values, largest first, ties in position
    order: `np.argsort(-values, axis=1, kind="stable")[:, :count]` without sorting each row."""
    rows, width = values.shape
    count = min(count, width)
    out = np.empty((rows, count), np.int64)
    if count <= 0:
        return out
    best = np.empty(max(count, 1), values.dtype)
    for row in range(rows):
        filled = 0
        for j in range(width):
            value = values[row, j]
            if filled == count:
                if not value > best[count - 1]:
                    continue
                at = count - 1
            else:
                at = filled
                filled += 1
            while at > 0 and best[at - 1] < value:  # after every one at least as large
                best[at] = best[at - 1]
                out[row, at] = out[row, at - 1]
                at -= 1
            best[at] = value
            out[row, at] = j
    return out


def _scores(node_model: NodeModel, rows: sp.csr_matrix) -> np.ndarray:
    if node_model.dense is not None:
        out: np.ndarray = rows @ node_model.dense
        return out
    if rows.shape[0] * DENSE_ROWS > node_model.weights.shape[0]:
        # Many texts: faster with the weights as an array for the while.
        dense: np.ndarray = rows @ node_model.weights.toarray()
        return dense
    result: np.ndarray = (rows @ node_model.weights).toarray()
    return result


def _term_ids(
    model: Model, matrix: sp.csr_matrix, rows: np.ndarray, nodes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each (row, leaf): the features that added most to the scores along the leaf's path,
    as (candidate, id of the feature's text; see Model.feature_texts), candidates ascending."""
    picked = matrix[rows]  # one row per candidate
    picked.sort_indices()
    # Each feature's contributions over the path, step by step from the top.
    step_of, step_indptr, step_indices, step_data = model.step_columns()
    paths = model.paths()[nodes]
    steps = np.where(paths >= 0, step_of[np.maximum(paths, 0)], -1)
    indptr, indices = picked.indptr.astype(np.int64), picked.indices.astype(np.int64)
    total = _path_totals(
        indptr, indices, picked.data.astype(np.float32, copy=False), steps, step_indptr,
        step_indices, step_data, model.features,
    )  # fmt: skip
    text_of, _, is_longer = model.feature_texts()
    cand, term = _decisive(indptr, indices, total, text_of, is_longer, 3 * TERMS, TERMS)
    return cand, term


@numba.njit(nogil=True, cache=True)
def _decisive(
    indptr: np.ndarray, indices: np.ndarray, total: np.ndarray, text_of: np.ndarray,
    is_longer: np.ndarray, most: int, shown: int,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Row by row (features in order): of the features with a positive total, the most largest
    (of equal totals the first), then each text once (its first), then only texts longer than
    one character if there are any, then the first shown of them; as (row, text) pairs."""
    rows = indptr.shape[0] - 1
    out_rows = np.empty(rows * shown, np.int64)
    out_terms = np.empty(rows * shown, np.int64)
    best = np.empty(max(most, 1), np.float32)
    chosen = np.empty(max(most, 1), np.int64)
    texts = np.empty(max(most, 1), np.int64)
    n = 0
    for row in range(rows):
        filled = 0
        for e in range(indptr[row], indptr[row + 1]):
            value = total[e]
            if not value > 0:
                continue
            if filled == most:
                if not value > best[most - 1]:
                    continue
                at = most - 1
            else:
                at = filled
                filled += 1
            while at > 0 and best[at - 1] < value:
                best[at] = best[at - 1]
                chosen[at] = chosen[at - 1]
                at -= 1
            best[at] = value
            chosen[at] = e
        distinct = 0
        any_longer = False
        for k in range(filled):
            text = text_of[indices[chosen[k]]]
            seen = False
            for m in range(distinct):
                if texts[m] == text:
                    seen = True
                    break
            if not seen:
                texts[distinct] = text
                distinct += 1
                if is_longer[text]:
                    any_longer = True
        taken = 0
        for k in range(distinct):
            if taken == shown:
                break
            if any_longer and not is_longer[texts[k]]:
                continue
            out_rows[n] = row
            out_terms[n] = texts[k]
            n += 1
            taken += 1
    return out_rows[:n].copy(), out_terms[:n].copy()


def _terms(model: Model, matrix: sp.csr_matrix, rows: np.ndarray, nodes: np.ndarray) -> list[str]:
    """For each (row, leaf): the features that added most to the scores along the leaf's path,
    as text joined by 、."""
    cand, term = _term_ids(model, matrix, rows, nodes)
    _, texts, _ = model.feature_texts()
    out = [""] * len(nodes)
    if not len(cand):
        return out
    starts = np.r_[0, np.flatnonzero(np.diff(cand)) + 1]
    ends = np.r_[starts[1:], len(cand)]
    words = [texts[t] for t in term.tolist()]
    for c, start, end in zip(cand[starts].tolist(), starts.tolist(), ends.tolist(), strict=True):
        out[c] = "、".join(words[start:end])
    return out


def _term_points(
    model: Model, cand: np.ndarray, term: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """What `_points(_terms(…))` gives, from (candidate, text) pairs of count candidates: the
    code points of each candidate's texts joined by 、, one candidate after another, and
    where each starts."""
    flat, offsets = model.feature_points()
    return _join_terms(flat, offsets, cand, term, count, np.int32(_TERM_BREAK))


@numba.njit(nogil=True, cache=True)
def _join_terms(
    flat: np.ndarray, offsets: np.ndarray, cand: np.ndarray, term: np.ndarray, count: int,
    sep: np.int32,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    size = 0
    for e in range(cand.shape[0]):
        size += offsets[term[e] + 1] - offsets[term[e]] + 1
    out = np.empty(size, np.int32)
    at = np.zeros(count + 1, np.int64)
    n = 0
    e = 0
    for c in range(count):
        at[c] = n
        first = True
        while e < cand.shape[0] and cand[e] == c:
            if not first:
                out[n] = sep
                n += 1
            first = False
            for p in range(offsets[term[e]], offsets[term[e] + 1]):
                out[n] = flat[p]
                n += 1
            e += 1
    at[count] = n
    return out[:n].copy(), at


PHRASE_BREAKS = re.compile(r"[\s,，、;；。:：()（）\[\]【】/|]+")
PHRASE_WIDTH = 12  # a longer phrase is shown around its decisive part


def phrases(text: str, terms: str) -> str:
    """The decisive terms ("、"-joined features, often character fragments such as 锂电 or
    极材) as the phrases of the text that hold them (锂电池正极材料), each once, in order; a
    phrase wider than PHRASE_WIDTH is cut around its term."""
    parts = [p for p in PHRASE_BREAKS.split(text) if p]
    out: list[str] = []
    for term in filter(None, terms.split("、")):
        phrase = next((p for p in parts if term in p), term)
        if len(phrase) > PHRASE_WIDTH:
            at = phrase.index(term) if term in phrase else 0
            room = max(0, PHRASE_WIDTH - len(term)) // 2
            start = max(0, min(at - room, len(phrase) - PHRASE_WIDTH))
            phrase = phrase[start : start + max(PHRASE_WIDTH, len(term))]
        if not any(phrase in seen for seen in out):
            out = [seen for seen in out if seen not in phrase] + [phrase]
    return "、".join(out)


_TERM_BREAK = ord("、")


@lru_cache(maxsize=1)
def _phrase_break_table() -> np.ndarray:
    """True for the code points (of the Basic Multilingual Plane) PHRASE_BREAKS matches; none
    beyond it does."""
    return np.array([PHRASE_BREAKS.match(chr(c)) is not None for c in range(0x10000)], bool)


def _points(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The code points of the texts one after another, and where each text starts."""
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    starts = np.cumsum(lengths) - lengths
    points = np.frombuffer("".join(texts).encode("utf-32-le"), np.uint32).astype(np.int32)
    return points, np.r_[starts, lengths.sum()].astype(np.int64)


def phrases_of(texts: Sequence[str], terms: Sequence[str]) -> list[str]:
    """`phrases(text, terms)` of each pair, in one compiled pass (no Python code per text;
    with no texts the pass runs too, so a warm-up on an empty text loads it)."""
    return _phrases_at(texts, *_points(terms))


def _phrases_at(texts: Sequence[str], term_points: np.ndarray, term_at: np.ndarray) -> list[str]:
    """phrases_of with the terms as code points and where each text's start (see _points)."""
    text_points, text_at = _points(texts)
    table = _phrase_break_table()
    low = text_points < 0x10000
    breaks = np.zeros(text_points.shape, dtype=bool)
    breaks[low] = table[text_points[low]]
    out, out_at = _phrase_rows(
        text_points, breaks, text_at, term_points, term_at, np.int64(PHRASE_WIDTH),
        np.int32(_TERM_BREAK),
    )  # fmt: skip
    joined = out.tobytes().decode("utf-32-le")
    bounds = out_at.tolist()
    return [joined[bounds[i] : bounds[i + 1]] for i in range(len(texts))]


@numba.njit(nogil=True, cache=True)
def _phrase_rows(
    points: np.ndarray, breaks: np.ndarray, text_at: np.ndarray,
    term_points: np.ndarray, term_at: np.ndarray, width: np.int64, sep: np.int32,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Row by row what `phrases` returns, as code points one row after another and where each
    row starts. A phrase is held as (source, start, length): source 0 is the text's points, 1
    the terms' points."""
    rows = text_at.shape[0] - 1
    out = np.empty(points.shape[0] + term_points.shape[0] + 16, np.int32)
    out_at = np.zeros(rows + 1, np.int64)
    part_start = np.empty(points.shape[0] + 1, np.int64)
    part_end = np.empty(points.shape[0] + 1, np.int64)
    most = term_points.shape[0] + 1
    kept_source = np.empty(most, np.int64)
    kept_start = np.empty(most, np.int64)
    kept_length = np.empty(most, np.int64)
    spare_source = np.empty(most, np.int64)
    spare_start = np.empty(most, np.int64)
    spare_length = np.empty(most, np.int64)
    n = 0
    for row in range(rows):
        start, end = text_at[row], text_at[row + 1]
        parts = 0  # the runs between breaks
        i = start
        while i < end:
            if breaks[i]:
                i += 1
                continue
            j = i
            while j < end and not breaks[j]:
                j += 1
            part_start[parts], part_end[parts] = i, j
            parts += 1
            i = j
        kept = 0
        t_end = term_at[row + 1]
        t = term_at[row]
        while t <= t_end:
            u = t  # the term is term_points[t:u], up to the next 、 or the row's end
            while u < t_end and term_points[u] != sep:
                u += 1
            size = u - t
            if size:
                # The first part that holds the term, else the term itself (never cut: a
                # term wider than width is cut from 0 to its own width).
                source, at_start, length = 1, t, size
                for p in range(parts):
                    at = _find(points, part_start[p], part_end[p], term_points, t, size)
                    if at >= 0:
                        source, at_start = 0, part_start[p]
                        length = part_end[p] - part_start[p]
                        if length > width:
                            room = max(0, width - size) // 2
                            cut = max(0, min(at - room, length - width))
                            at_start += cut
                            length = min(max(width, size), length - cut)
                        break
                seen = False
                for k in range(kept):
                    if _holds(points, term_points, kept_source[k], kept_start[k],
                              kept_length[k], source, at_start, length):  # fmt: skip
                        seen = True
                        break
                if not seen:
                    left = 0
                    for k in range(kept):
                        if not _holds(points, term_points, source, at_start, length,
                                      kept_source[k], kept_start[k], kept_length[k]):  # fmt: skip
                            spare_source[left] = kept_source[k]
                            spare_start[left] = kept_start[k]
                            spare_length[left] = kept_length[k]
                            left += 1
                    kept_source[:left] = spare_source[:left]
                    kept_start[:left] = spare_start[:left]
                    kept_length[:left] = spare_length[:left]
                    kept_source[left], kept_start[left], kept_length[left] = (
                        source,
                        at_start,
                        length,
                    )
                    kept = left + 1
            t = u + 1
        needed = n + kept
        for k in range(kept):
            needed += kept_length[k]
        if needed > out.shape[0]:
            grown = np.empty(2 * needed, np.int32)
            grown[:n] = out[:n]
            out = grown
        for k in range(kept):
            if k:
                out[n] = sep
                n += 1
            from_points = kept_source[k] == 0
            for c in range(kept_start[k], kept_start[k] + kept_length[k]):
                out[n] = points[c] if from_points else term_points[c]
                n += 1
        out_at[row + 1] = n
    return out[:n].copy(), out_at


@numba.njit(nogil=True, cache=True)
def _find(
    points: np.ndarray, start: int, end: int, term: np.ndarray, t: int, size: int,
) -> int:  # fmt: skip
    """Where term[t:t + size] first occurs in points[start:end], from start; -1 if nowhere."""
    for i in range(start, end - size + 1):
        j = 0
        while j < size and points[i + j] == term[t + j]:
            j += 1
        if j == size:
            return i - start
    return -1


@numba.njit(nogil=True, cache=True)
def _holds(
    points: np.ndarray, term_points: np.ndarray,
    source: int, start: int, length: int, inner_source: int, inner_start: int, inner_length: int,
) -> bool:  # fmt: skip
    """Whether the phrase (source, start, length) holds the phrase (inner_…) as `in` does."""
    outer = points if source == 0 else term_points
    inner = points if inner_source == 0 else term_points
    for i in range(start, start + length - inner_length + 1):
        j = 0
        while j < inner_length and outer[i + j] == inner[inner_start + j]:
            j += 1
        if j == inner_length:
            return True
    return bool(inner_length == 0)


@numba.njit(nogil=True, cache=True)
def _path_totals(
    indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, steps: np.ndarray,
    step_indptr: np.ndarray, step_indices: np.ndarray, step_data: np.ndarray, features: int,
) -> np.ndarray:  # fmt: skip
    """For each entry of each row: the sum, over the steps of the row's path (steps: row ×
    depth, the step's column, -1 where none), of its value times the weight the step gives
    the feature, in float32, added depth after depth. Each depth, the rows are grouped by step
    and each step's weights are spread into an array once."""
    rows, steps_count = steps.shape[0], step_indptr.shape[0] - 1
    total = np.zeros(data.shape[0], np.float32)
    weights = np.zeros(features, np.float32)
    start = np.zeros(steps_count + 1, np.int64)
    order = np.empty(rows, np.int64)
    for depth in range(steps.shape[1]):
        start[:] = 0
        for row in range(rows):
            if steps[row, depth] >= 0:
                start[steps[row, depth] + 1] += 1
        for step in range(steps_count):
            start[step + 1] += start[step]
        placed = start[:-1].copy()
        for row in range(rows):
            step = steps[row, depth]
            if step >= 0:
                order[placed[step]] = row
                placed[step] += 1
        for step in range(steps_count):
            if start[step] == start[step + 1]:
                continue
            for b in range(step_indptr[step], step_indptr[step + 1]):
                weights[step_indices[b]] = step_data[b]
            for k in range(start[step], start[step + 1]):
                row = order[k]
                for e in range(indptr[row], indptr[row + 1]):
                    total[e] += data[e] * weights[indices[e]]
            for b in range(step_indptr[step], step_indptr[step + 1]):
                weights[step_indices[b]] = 0
    return total


# ------------------------------------------------------------------------------- save and load


def save(model: Model, path: Path) -> None:
    header = {
        "format": FORMAT,
        "version": VERSION,
        "temperature": model.temperature,
        "info": model.info,
        "taxonomy": {
            "codes": model.taxonomy.codes,
            "names": model.taxonomy.names,
            "parents": model.taxonomy.parents,
            "descriptions": model.taxonomy.descriptions,
            "keywords": model.taxonomy.keywords,
        },
        "words": sorted(model.words, key=model.words.__getitem__),
        "nodes": [int(n) for n in model.nodes],
        "fusion": {
            "weights": [float(w) for w in model.weights],
            "bias": model.bias,
            "temperature": model.fused_temperature,
        },
        "long_keywords": model.lexical.long_keywords,
        "semantic": model.semantic.name if model.semantic else None,
    }
    arrays: dict[str, np.ndarray] = {
        "header": np.frombuffer(json.dumps(header, ensure_ascii=False).encode(), np.uint8),
        "ngrams": model.ngrams,
        "idf": model.idf,
        "x_leaves": model.lexical.leaves,
        "x_keep": model.lexical.keep,
        "x_owners": model.lexical.owners,
        "x_keyword_keys": model.lexical.keyword_keys,
        "x_keyword_leaves": model.lexical.keyword_leaves,
        "x_long_keys": model.lexical.long_keys,
    }
    if model.semantic:
        arrays["s_vectors"] = model.semantic.vectors
        arrays["s_owners"] = model.semantic.owners
    for name, matrix in (("lines", model.lexical.lines), ("whole", model.lexical.whole)):
        arrays[f"x_{name}_data"] = matrix.data
        arrays[f"x_{name}_indices"] = matrix.indices
        arrays[f"x_{name}_indptr"] = matrix.indptr
        arrays[f"x_{name}_shape"] = np.array(matrix.shape, np.int64)
    for i, node_model in enumerate(model.nodes.values()):
        w = node_model.weights.tocsr()
        arrays[f"n{i}_children"] = node_model.children
        arrays[f"n{i}_data"] = w.data
        arrays[f"n{i}_indices"] = w.indices
        arrays[f"n{i}_indptr"] = w.indptr
        arrays[f"n{i}_intercepts"] = node_model.intercepts
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    path.write_bytes(buffer.getvalue())


def load(path: Path) -> Model:
    def refuse(reason: str) -> InvalidFile:
        return InvalidFile([RowProblem(None, None, None, reason)], path.name)

    try:
        archive = np.load(path, allow_pickle=False)
        header = json.loads(bytes(archive["header"]).decode())
    except (OSError, ValueError, KeyError) as error:
        raise refuse(f"不是分类模型文件：{error}") from None
    if header.get("format") != FORMAT:
        raise refuse("不是分类模型文件")
    if header.get("version") != VERSION:
        raise refuse(f"模型格式版本 {header.get('version')} 不受支持（本程序读版本 {VERSION}）")
    tax = header["taxonomy"]
    taxonomy = Taxonomy(
        tax["codes"], tax["names"], tax["parents"], tax["descriptions"], tax["keywords"]
    )
    ngrams = archive["ngrams"]
    words = {w: len(ngrams) + i for i, w in enumerate(header["words"])}
    idf = archive["idf"]
    nodes: dict[int, NodeModel] = {}
    for i, node in enumerate(header["nodes"]):
        children = archive[f"n{i}_children"]
        weights = sp.csr_matrix(
            (archive[f"n{i}_data"], archive[f"n{i}_indices"], archive[f"n{i}_indptr"]),
            shape=(len(idf), len(children)),
        )
        nodes[node] = NodeModel(node, children, weights, archive[f"n{i}_intercepts"])
        nodes[node].densify()

    def csr(name: str) -> sp.csr_matrix:
        shape = archive[f"x_{name}_shape"]
        return sp.csr_matrix(
            (archive[f"x_{name}_data"], archive[f"x_{name}_indices"], archive[f"x_{name}_indptr"]),
            shape=(int(shape[0]), int(shape[1])),
        )

    index = lexical.Index(
        leaves=archive["x_leaves"],
        keep=archive["x_keep"],
        lines=csr("lines"),
        owners=archive["x_owners"],
        whole=csr("whole"),
        keyword_keys=archive["x_keyword_keys"],
        keyword_leaves=archive["x_keyword_leaves"],
        long_keys=archive["x_long_keys"],
        long_keywords=[(str(k), int(leaf)) for k, leaf in header["long_keywords"]],
    )
    fused = header["fusion"]
    meaning = None
    if header.get("semantic"):
        meaning = semanticmod.Index(
            str(header["semantic"]), archive["s_vectors"], archive["s_owners"], len(index.leaves)
        )
    return Model(
        taxonomy,
        ngrams,
        words,
        idf,
        nodes,
        float(header["temperature"]),
        header["info"],
        index,
        np.array(fused["weights"], np.float64),
        float(fused["bias"]),
        float(fused["temperature"]),
        meaning,
    )
