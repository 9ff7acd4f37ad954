"""Lexical similarity of texts to the leaves of a taxonomy, and the leaves' keywords in a text.

Two scores per (text, leaf), both cosines of TF-IDF vectors over the features of two characters
or more (character 2- and 3-grams and words: single characters are in nearly every line and say
little, and leaving them out keeps the products sparse):
- line: the largest cosine between the text and one single line of the leaf (its name, a line of
  its description, a keyword, an example; at most LINE_EXAMPLES examples per leaf);
- whole: the cosine between the text and everything the leaf says, as one text.
Each chunk of texts is one sparse product with the lines and one with the leaves; the line
cosines are reduced to their maximum per leaf in one pass, as the lines are stored leaf by leaf.

Keywords: a leaf's keyword found in the text (after normalisation) is a hit. Keywords of up to
three characters are matched as n-gram keys; longer ones are looked for in the texts that hold
their first three characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numba
import numpy as np
import scipy.sparse as sp

from wulian.engines.classify import text as textmod

COMMON_SHARE = 0.005
COMMON_LINES = 20
LINE_EXAMPLES = 30  # examples per leaf among the lines compared one by one
_TWO_CHARS = np.int64(1) << np.int64(21)  # n-gram keys of two characters or more are ≥ this


@dataclass
class Index:
    leaves: np.ndarray  # node of each leaf position
    keep: np.ndarray  # feature → its position among the lexical features, or -1
    lines: sp.csr_matrix  # lexical features × lines, as CSR of the transpose (lines × features)
    owners: np.ndarray  # leaf position of each line (non-decreasing)
    whole: sp.csr_matrix  # leaves × lexical features
    keyword_keys: np.ndarray  # n-gram key of each short keyword (sorted)
    keyword_leaves: np.ndarray  # leaf position of each short keyword
    long_keys: np.ndarray  # the n-gram key of the first three characters of each longer one
    long_keywords: list[tuple[str, int]]  # (keyword, leaf position) of longer keywords, by key

    @property
    def size(self) -> int:
        return int(self.leaves.shape[0])

    def __post_init__(self) -> None:
        # The transposes the products take, kept once.
        self.lines_t = self.lines.T.tocsr()
        self.whole_t = self.whole.T.tocsr()


def lexical_features(ngrams: np.ndarray, words: int) -> np.ndarray:
    """Which features count for the lexical scores: n-grams of two characters or more, words."""
    return np.concatenate([ngrams >= _TWO_CHARS, np.ones(words, dtype=bool)])


def _restrict(matrix: sp.csr_matrix, keep: np.ndarray, width: int) -> sp.csr_matrix:
    """The columns kept (renumbered), each row at unit length again."""
    out = matrix.tocoo()
    mask = keep[out.col] >= 0
    restricted = sp.csr_matrix(
        (out.data[mask], (out.row[mask], keep[out.col[mask]])),
        shape=(matrix.shape[0], width),
        dtype=np.float32,
    )
    norms = np.sqrt(np.asarray(restricted.multiply(restricted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    restricted.data /= np.repeat(norms, np.diff(restricted.indptr)).astype(np.float32)
    return restricted


def build(
    leaves: np.ndarray,
    line_counts: sp.csr_matrix,
    line_leaf: np.ndarray,
    is_example: np.ndarray,
    idf: np.ndarray,
    selected: np.ndarray,
    keywords: list[tuple[str, int]],
) -> Index:
    """The index of the lines of the leaves (counts over all features, leaf position of each
    line, whether it is an example), with the model's idf and its lexical features selected."""
    # Features in more than COMMON_SHARE of the lines (制造, 产品, 其他 …) are left out: they
    # say little, and they would make nearly every line a match of nearly every text.
    present = np.bincount(line_counts.indices, minlength=len(selected))
    selected = selected & (present <= max(COMMON_LINES, COMMON_SHARE * line_counts.shape[0]))
    keep = np.full(len(selected), -1, np.int64)
    keep[selected] = np.arange(int(selected.sum()))
    width = int(selected.sum())
    order = np.argsort(line_leaf, kind="stable")
    line_leaf, is_example = line_leaf[order], is_example[order]
    counts = line_counts[order]
    # At most LINE_EXAMPLES examples of a leaf are compared line by line; all make its whole.
    compared = np.ones(len(order), dtype=bool)
    example_rank = rank_within(np.where(is_example, line_leaf, -1))
    compared[is_example & (example_rank >= LINE_EXAMPLES)] = False
    lines = _restrict(_tfidf(counts[compared], idf), keep, width)
    owners = line_leaf[compared]
    members = sp.csr_matrix(
        (np.ones(len(line_leaf), np.float32), (line_leaf, np.arange(len(line_leaf)))),
        shape=(len(leaves), len(line_leaf)),
    )
    whole = _restrict(_tfidf(sp.csr_matrix(members @ counts), idf), keep, width)
    short = [(k, leaf) for k, leaf in keywords if 1 <= len(k) <= 3]
    keys = np.array([_key(k) for k, _ in short], np.int64)
    order = np.argsort(keys, kind="stable")
    long = sorted(((k, leaf) for k, leaf in keywords if len(k) > 3), key=lambda kl: _key(kl[0][:3]))
    return Index(
        leaves=leaves,
        keep=keep,
        lines=lines,
        owners=owners,
        whole=whole,
        keyword_keys=keys[order],
        keyword_leaves=np.array([leaf for _, leaf in short], np.int64)[order],
        long_keys=np.array([_key(k[:3]) for k, _ in long], np.int64),
        long_keywords=long,
    )


def _key(text: str) -> int:
    key = 0
    for ch in text:
        key = (key << 21) | ord(ch)
    return key


def _tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    out = sp.csr_matrix(counts, dtype=np.float32, copy=True)
    out.data = (1.0 + np.log(out.data)) * idf[out.indices]
    return out


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2 … within each run of equal values (the array is grouped)."""
    if not len(groups):
        return np.zeros(0, np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(groups)) + 1]
    lengths = np.diff(np.r_[starts, len(groups)])
    out: np.ndarray = np.arange(len(groups)) - np.repeat(starts, lengths)
    return out


@dataclass
class Scores:
    """Sparse scores of texts × leaves: keys (text × leaves + leaf, sorted) and values; a leaf
    not listed scores 0. mean and std are each text's over all the leaves, zeros included."""

    keys: np.ndarray
    values: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        if not len(self.keys):
            return np.zeros(len(keys), np.float32)
        at = np.searchsorted(self.keys, keys)
        at[at == len(self.keys)] = 0
        out: np.ndarray = np.where(self.keys[at] == keys, self.values[at], np.float32(0))
        return out

    def top(self, size: int, count: int) -> np.ndarray:
        """The keys of each text's count best leaves (fewer where it has fewer; of equal
        scores the first leaves, so that a text's candidates depend on nothing else), sorted."""
        if not len(self.keys):
            return self.keys
        out: np.ndarray = _top(self.keys, self.values, np.int64(size), count)
        return out


@numba.njit(nogil=True, cache=True)
def _top(keys: np.ndarray, values: np.ndarray, size: np.int64, count: int) -> np.ndarray:
    """Within each run of keys of one row (keys sorted), the keys of the count largest values
    (of equal values the first), in key order."""
    out = np.empty(keys.shape[0], np.int64)
    best = np.empty(max(count, 1), values.dtype)
    chosen = np.empty(max(count, 1), np.int64)
    n = 0
    start = 0
    while start < keys.shape[0] and count > 0:
        row = keys[start] // size
        end = start
        filled = 0
        while end < keys.shape[0] and keys[end] // size == row:
            value = values[end]
            if filled == count:
                if not value > best[count - 1]:
                    end += 1
                    continue
                at = count - 1
            else:
                at = filled
                filled += 1
            while at > 0 and best[at - 1] < value:  # after every one at least as large
                best[at] = best[at - 1]
                chosen[at] = chosen[at - 1]
                at -= 1
            best[at] = value
            chosen[at] = end
            end += 1
        taken = np.sort(chosen[:filled])
        for k in range(filled):
            out[n] = keys[taken[k]]
            n += 1
        start = end
    return out[:n].copy()


def member(sorted_keys: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """Whether each of keys is among sorted_keys (as np.isin, by binary search)."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=bool)
    at = np.searchsorted(sorted_keys, keys)
    at[at == len(sorted_keys)] = 0
    out: np.ndarray = sorted_keys[at] == keys
    return out


def _sparse(product: sp.csr_matrix, size: int, owners: np.ndarray | None) -> Scores:
    """The scores in a product of texts × lines (owners: the leaf of each line, non-decreasing;
    a leaf's score is the largest of its lines') or of texts × leaves (owners None). The
    reference for `_scores`, which computes the same without forming the product."""
    product.sort_indices()
    texts = product.shape[0]
    rows = np.repeat(np.arange(texts, dtype=np.int64), np.diff(product.indptr))
    leaf = product.indices.astype(np.int64) if owners is None else owners[product.indices]
    keys = rows * size + leaf
    values = product.data.astype(np.float32)
    if owners is not None and len(keys):
        starts = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
        keys, values = keys[starts], np.maximum.reduceat(values, starts)
        rows = keys // size
    return _with_moments(keys, values, rows, texts, size)


def _with_moments(
    keys: np.ndarray, values: np.ndarray, rows: np.ndarray, texts: int, size: int
) -> Scores:
    total = np.bincount(rows, weights=values, minlength=texts)
    squares = np.bincount(rows, weights=values.astype(np.float64) ** 2, minlength=texts)
    mean = total / size
    std = np.sqrt(np.maximum(squares / size - mean**2, 0.0))
    return Scores(keys, values, mean, std)


def _scores(query: sp.csr_matrix, other_t: sp.csr_matrix, owners: np.ndarray, size: int) -> Scores:
    """The scores of the texts (rows of query) against the columns of other_t (features ×
    lines, or × leaves with owners the identity): for each text and leaf, the largest of the
    leaf's lines' cosines. The same numbers as `_sparse(query @ other_t, ...)`, from one
    compiled pass per text that keeps only the lines it touches."""
    texts = query.shape[0]
    keys, values = _line_max(  # the arrays as they are stored: no copy per call
        query.indptr, query.indices, query.data.astype(np.float32, copy=False),
        other_t.indptr, other_t.indices, other_t.data.astype(np.float32, copy=False),
        owners, np.int64(size),
    )  # fmt: skip
    return _with_moments(keys, values, keys // size, texts, size)


@numba.njit(nogil=True, cache=True)
def _line_max(
    q_indptr: np.ndarray, q_indices: np.ndarray, q_data: np.ndarray,
    o_indptr: np.ndarray, o_indices: np.ndarray, o_data: np.ndarray,
    owners: np.ndarray, size: np.int64,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Row by row: the dot products with every column the row's features reach (summed in
    the order a sparse product sums them), then the largest per owner, owners in order."""
    columns = owners.shape[0]
    sums = np.zeros(columns, np.float32)
    seen = np.full(columns, -1, np.int32)  # 32 bits: less memory to move about
    touched = np.empty(columns, np.int32)
    owner_count = size if columns == 0 else max(size, owners.max() + 1)
    owner_seen = np.full(owner_count, -1, np.int64)
    best = np.zeros(owner_count, np.float32)
    met = np.empty(owner_count, np.int64)
    capacity = max(1024, 64 * (q_indptr.shape[0] - 1))
    out_keys = np.empty(capacity, np.int64)
    out_values = np.empty(capacity, np.float32)
    n = 0
    for row in range(q_indptr.shape[0] - 1):
        count = 0
        for a in range(q_indptr[row], q_indptr[row + 1]):
            feature, weight = q_indices[a], q_data[a]
            for b in range(o_indptr[feature], o_indptr[feature + 1]):
                column = o_indices[b]
                if seen[column] != row:
                    seen[column] = row
                    sums[column] = weight * o_data[b]
                    touched[count] = column
                    count += 1
                else:
                    sums[column] += weight * o_data[b]
        if count == 0:
            continue
        # The largest per owner, in the order the columns were met (the maximum does not
        # depend on it), then the owners in order: fewer to sort than the columns.
        reached = 0
        for j in range(count):
            column = touched[j]
            owner = owners[column]
            if owner_seen[owner] != row:
                owner_seen[owner] = row
                best[owner] = sums[column]
                met[reached] = owner
                reached += 1
            elif sums[column] > best[owner]:
                best[owner] = sums[column]
        if n + reached > capacity:
            while n + reached > capacity:
                capacity *= 2
            grown_keys = np.empty(capacity, np.int64)
            grown_keys[:n] = out_keys[:n]
            out_keys = grown_keys
            grown_values = np.empty(capacity, np.float32)
            grown_values[:n] = out_values[:n]
            out_values = grown_values
        if reached * 16 < owner_count:  # few: sorted
            for owner in np.sort(met[:reached]):
                if best[owner] != 0:  # as the sparse product, which keeps no zero
                    out_keys[n] = row * size + owner
                    out_values[n] = best[owner]
                    n += 1
        else:  # many: a scan of all the owners is cheaper than sorting them
            for owner in range(owner_count):
                if owner_seen[owner] == row and best[owner] != 0:
                    out_keys[n] = row * size + owner
                    out_values[n] = best[owner]
                    n += 1
    return out_keys[:n].copy(), out_values[:n].copy()


def score(index: Index, matrix: sp.csr_matrix) -> tuple[Scores, Scores]:
    """(line, whole) scores of the TF-IDF rows of texts (over all the model's features)."""
    query = _restrict(matrix, index.keep, index.whole.shape[1])
    whole = _scores(query, index.whole_t, np.arange(index.size, dtype=np.int64), index.size)
    return _lines(index, query), whole


def line_scores(index: Index, matrix: sp.csr_matrix) -> Scores:
    """The line scores alone."""
    return _lines(index, _restrict(matrix, index.keep, index.whole.shape[1]))


def _lines(index: Index, query: sp.csr_matrix) -> Scores:
    return _scores(query, index.lines_t, index.owners, index.size)


def keyword_hits(index: Index, texts: Sequence[str]) -> np.ndarray:
    """Sorted unique keys row × leaves + leaf of the leaves whose keywords the texts hold."""
    rows, keys = textmod.ngram_keys(texts)
    found: list[np.ndarray] = []
    row, at = _join(index.keyword_keys, rows, keys)
    found.append(row * index.size + index.keyword_leaves[at])
    row, at = _join(index.long_keys, rows, keys)
    held = [
        r * index.size + index.long_keywords[a][1]
        for r, a in zip(row.tolist(), at.tolist(), strict=True)
        if index.long_keywords[a][0] in texts[r]
    ]
    found.append(np.array(held, np.int64))
    return np.unique(np.concatenate(found))


def _join(
    sorted_keys: np.ndarray, rows: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(row, position in sorted_keys) of every text n-gram equal to one of sorted_keys."""
    if not len(sorted_keys) or not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    lo = np.searchsorted(sorted_keys, keys, side="left")
    many = np.searchsorted(sorted_keys, keys, side="right") - lo
    hit = np.flatnonzero(many)
    positions = np.repeat(lo[hit], many[hit]) + rank_within(np.repeat(hit, many[hit]))
    return np.repeat(rows[hit], many[hit]), positions
