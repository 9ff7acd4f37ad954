"""The compiled passes of prediction give what the plain code gives: the n-gram hash table (also
for a vocabulary that is not closed under prefixes), the heads and their places, NFKC of plain
texts, the beam's selection, the decisive terms, the best leaves per text (of equal scores the
first, whatever other texts are scored with it), and a text given twice is predicted once."""

from __future__ import annotations

import unicodedata

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.engines.classify.test_features import TEXTS, _as_counter, _reference_counts
from wulian.engines.classify import lexical
from wulian.engines.classify import model as engine
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify import text as textmod


@pytest.fixture(scope="module")
def zero_shot() -> engine.Model:
    from tests.engines.classify.test_classify import TAXONOMY

    return engine.train(taxonomy_module.from_frame(TAXONOMY))


@settings(max_examples=100, deadline=None)
@given(texts=TEXTS, dropped=st.lists(st.integers(0, 10_000), max_size=30))
def test_counts_from_a_vocabulary_not_closed_under_prefixes_are_the_plain_counts(
    texts: list[str], dropped: list[int]
) -> None:
    """The hash table ends the longer n-grams at a miss only where the vocabulary allows it."""
    normalised = textmod.normalise(texts)
    ngrams, words, _ = engine._vocabulary([*normalised, "锂电池正极材料", "软件开发"])
    # Drop some n-grams (among them short ones whose longer n-grams stay).
    keep = np.ones(len(ngrams), dtype=bool)
    keep[[d % len(ngrams) for d in dropped]] = False
    ngrams = ngrams[keep]
    words = {w: len(ngrams) + i for i, w in enumerate(words)}
    places = [None] * len(normalised)
    counts, _ = engine._counts_and_heads(ngrams, words, normalised, places)
    assert _as_counter(counts) == _reference_counts(ngrams, words, normalised, places)[0]


def test_the_hash_table_finds_every_key_and_nothing_else() -> None:
    rng = np.random.default_rng(3)
    keys = np.unique(rng.integers(1, 2**62, 5000))
    slots, places, closed = engine._key_table(keys)
    shift = engine._table_shift(slots)
    assert not closed
    assert [engine._lookup(slots, places, shift, k) for k in keys[:500]] == list(range(500))
    others = rng.integers(1, 2**62, 500)
    others = others[~np.isin(others, keys)]
    assert all(engine._lookup(slots, places, shift, k) == -1 for k in others)
    short = np.array([1, 2, (1 << 21) | 2, (((1 << 21) | 2) << 21) | 5], np.int64)
    assert engine._key_table(short)[2]  # closed under prefixes


HEAD_PIECES = st.sampled_from(
    ["一般项目", "许可项目", "经营范围", "主营产品", "主营业务", "主要产品", "生产", "销售",
     ":", "：", "、", "，", ";", "；", "(", "（", "）", "。", " ", "\u3000", "\x1c", "塑料",
     "制品", "a", "b+", "x.y", "锂", "电池", "生", "销", "😀", "一般", "-", "产", "#", "%"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.lists(HEAD_PIECES, max_size=9).map("".join), max_size=8))
def test_heads_and_places_at_once_are_each_texts(texts: list[str]) -> None:
    for group in (texts, textmod.normalise(texts)):
        start, end, place_start, place_end = textmod.head_places(group)
        for i, text in enumerate(group):
            assert text[start[i] : end[i]] == textmod.head(text)
            place = textmod.head_place(text)
            got = None if place_start[i] < 0 else (int(place_start[i]), int(place_end[i]))
            assert got == place


NFKC_ALPHABET = st.one_of(
    st.characters(max_codepoint=0x3000),
    st.sampled_from(list("ＡＢ（）ｶﾞﾞ가각\u1100\u1161\u11a8e\u0301Åﬁ㈱①Ⅻℌ\u2028\u0085😀電極½²ǅ")),
)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text(alphabet=NFKC_ALPHABET, max_size=8), max_size=10))
def test_nfkc_of_plain_texts_code_point_by_code_point_is_unicodedatas(texts: list[str]) -> None:
    cleaned = [t.replace("\n", " ").replace("\r", " ") for t in texts]
    assert textmod._nfkc(cleaned) == unicodedata.normalize("NFKC", "\n".join(cleaned))


def test_nfkc_table_forms_are_those_of_unicodedata() -> None:
    table = textmod.nfkc_table()
    formed = np.flatnonzero(table >= 0)
    assert len(formed) > 50_000
    for c in formed[::97].tolist():
        assert unicodedata.normalize("NFKC", chr(c)) == chr(table[c])
    assert table[0x0301] == -1  # a combining mark
    assert table[0x1161] == -1  # a Hangul vowel (composes with what stands before it)
    assert table[ord("（")] == ord("(")


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 6),
    width=st.integers(1, 40),
    count=st.integers(0, 45),
)
def test_best_first_is_the_stable_sort(seed: int, rows: int, width: int, count: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.integers(-3, 3, size=(rows, width)).astype(np.float64)
    values[rng.random(values.shape) < 0.2] = -np.inf
    values[rng.random(values.shape) < 0.1] = -0.0
    expected = np.argsort(-values, axis=1, kind="stable")[:, :count]
    np.testing.assert_array_equal(engine._best_first(values, count), expected)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    texts=st.integers(1, 8),
    size=st.integers(1, 9),
    count=st.integers(1, 6),
)
def test_the_best_leaves_of_a_text_are_the_first_of_equal_scores_whatever_else_is_scored(
    seed: int, texts: int, size: int, count: int
) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(1, 4, size=(texts, size)).astype(np.float32) / np.float32(4)
    scores[rng.random(scores.shape) < 0.3] = 0
    product = sp.csr_matrix(scores)
    whole = lexical._sparse(product, size, None)
    top = whole.top(size, count)
    assert (np.diff(top) > 0).all()
    for row in range(texts):
        # By score, then by leaf: the stable sort's first count.
        order = np.argsort(-scores[row], kind="stable")
        expected = sorted(row * size + leaf for leaf in order[:count] if scores[row, leaf] > 0)
        assert top[top // size == row].tolist() == expected
        alone = lexical._sparse(sp.csr_matrix(scores[row : row + 1]), size, None)
        assert (alone.top(size, count) + row * size).tolist() == expected


def _reference_terms(
    model: engine.Model, matrix: sp.csr_matrix, rows: np.ndarray, nodes: np.ndarray
) -> list[str]:
    """The decisive terms the way they were found before the compiled pass: sorts and masks."""
    picked = matrix[rows]
    picked.sort_indices()
    counts = np.diff(picked.indptr)
    step_of, step_indptr, step_indices, step_data = model.step_columns()
    paths = model.paths()[nodes]
    steps = np.where(paths >= 0, step_of[np.maximum(paths, 0)], -1)
    total = engine._path_totals(
        picked.indptr.astype(np.int64), picked.indices.astype(np.int64),
        picked.data.astype(np.float32), steps, step_indptr, step_indices, step_data,
        model.features,
    )  # fmt: skip
    positive = total > 0
    cand = np.repeat(np.arange(len(nodes), dtype=np.int64), counts)[positive]
    feat, value = picked.indices[positive], total[positive]
    key = (cand << 32) | (np.int64(0x7FFFFFFF) - value.view(np.int32).astype(np.int64))
    order = np.argsort(key, kind="stable")
    cand, feat = cand[order], feat[order]
    keep = lexical.rank_within(cand) < 3 * engine.TERMS
    cand, feat = cand[keep], feat[keep]
    text_of, texts, is_longer = model.feature_texts()
    term = text_of[feat]
    first = np.zeros(len(term), dtype=bool)
    first[np.unique(cand * len(texts) + term, return_index=True)[1]] = True
    cand, term = cand[first], term[first]
    longer = is_longer[term]
    has_longer = np.zeros(len(nodes), dtype=bool)
    has_longer[cand[longer]] = True
    keep = longer | ~has_longer[cand]
    cand, term = cand[keep], term[keep]
    keep = lexical.rank_within(cand) < engine.TERMS
    out = [""] * len(nodes)
    for c, t in zip(cand[keep].tolist(), term[keep].tolist(), strict=True):
        out[c] = f"{out[c]}、{texts[t]}" if out[c] else texts[t]
    return out


def test_the_decisive_terms_and_their_code_points_are_the_plain_ones(
    zero_shot: engine.Model,
) -> None:
    from benchmarks.bench_classify_predict import odd_texts

    texts = textmod.normalise(odd_texts(400))
    found, matrix = engine._candidates(zero_shot, texts)
    rows = np.unique(found.rows)
    nodes = zero_shot.lexical.leaves[found.leaves[np.searchsorted(found.rows, rows)]]
    terms = engine._terms(zero_shot, matrix, rows, nodes)
    assert terms == _reference_terms(zero_shot, matrix, rows, nodes)
    assert any(terms)
    cand, term = engine._term_ids(zero_shot, matrix, rows, nodes)
    points, at = engine._term_points(zero_shot, cand, term, len(rows))
    expected_points, expected_at = engine._points(terms)
    np.testing.assert_array_equal(points, expected_points)
    np.testing.assert_array_equal(at, expected_at)


def test_a_text_given_twice_is_predicted_once_with_the_same_rows(zero_shot: engine.Model) -> None:
    texts = ["磷酸铁锂正极材料", None, "六氟磷酸锂电解液", "磷酸铁锂正极材料", "", None, "碳酸锂"]
    prediction = engine.predict(zero_shot, texts, 2)
    distinct = engine.predict(zero_shot, ["磷酸铁锂正极材料", "六氟磷酸锂电解液", "碳酸锂"], 2)
    frame = prediction.frame
    assert prediction.empty == [1, 4, 5]
    assert frame["row"].to_list() == [0, 0, 2, 2, 3, 3, 6, 6]
    by_row = {0: 0, 2: 1, 3: 0, 6: 2}
    for row, source in by_row.items():
        mine = frame.filter(pl.col("row") == row).drop("row")
        theirs = distinct.frame.filter(pl.col("row") == source).drop("row")
        assert mine.equals(theirs)
