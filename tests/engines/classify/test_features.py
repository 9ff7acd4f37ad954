"""Texts to feature counts with array operations are the same counts as the plain way: each text
on its own, each n-gram and each jieba word looked up one at a time; on any text (empty texts,
unknown and repeated words, letters, digits, symbols, characters beyond the Basic Multilingual
Plane, texts that were never normalised)."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.engines.classify import model as engine
from wulian.engines.classify import text as textmod

WORDS = ["锂电池", "正极材料", "碳酸锂", "软件开发", "技术服务", "电池", "锂", "储能", "石墨",
         "塑料制品", "pe-rt管材", "3d打印", "a+b", "c.d", "abc123", "x", "电芯电芯"]  # fmt: skip
CHARACTERS = "锂电池正极材料碳酸软件开发技术服务储能石墨塑制品管打印abcdxyz0123456789"
ODD = " 、，；：（）()+-._#&%\u3000½²ǅ😀𠀀ＡＢ１電極\t"
PIECES = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet=CHARACTERS + ODD, max_size=6),
    st.sampled_from(["一般项目：", "许可项目：", "、", "，", " ", "列入3443（其他）"]),
)
TEXTS = st.lists(st.lists(PIECES, max_size=8).map("".join), max_size=12)


def _reference_words(texts: list[str]) -> list[tuple[int, str, int, int]]:
    return [(row, *found) for row, text in enumerate(texts) for found in textmod.word_places(text)]


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS)
def test_the_words_of_all_texts_at_once_are_each_texts_words(texts: list[str]) -> None:
    normalised = textmod.normalise(texts)
    rows, words, starts, ends = textmod.word_spans(normalised)
    got = list(zip(rows.tolist(), words, starts.tolist(), ends.tolist(), strict=True))
    assert got == _reference_words(normalised)
    for row, word, start, end in got:
        assert normalised[row][start:end] == word


@settings(max_examples=80, deadline=None)
@given(texts=TEXTS, breaks=st.lists(st.sampled_from(["\n", "\r", "\r\n", "a\nb", "锂\r电池"])))
def test_texts_with_line_breaks_in_them_are_cut_each_on_its_own(
    texts: list[str], breaks: list[str]
) -> None:
    mixed = texts + breaks
    rows, words, starts, ends = textmod.word_spans(mixed)
    got = list(zip(rows.tolist(), words, starts.tolist(), ends.tolist(), strict=True))
    assert got == _reference_words(mixed)


def _is_boundary(ch: str) -> bool:
    return ord(ch) < 0x10000 and not ch.isalnum()


def _reference_counts(
    ngrams: np.ndarray,
    words: dict[str, int],
    texts: list[str],
    places: list[tuple[int, int] | None],
) -> tuple[Counter[tuple[int, int]], Counter[tuple[int, int]]]:
    """(row, feature) counts of the texts and of their parts at the places, term by term."""
    feature_of = {textmod.key_text(int(k)): i for i, k in enumerate(ngrams)}
    counts: Counter[tuple[int, int]] = Counter()
    heads: Counter[tuple[int, int]] = Counter()
    for row, text in enumerate(texts):
        terms = [
            (text[start : start + n], start, start + n)
            for n in textmod.NGRAMS
            for start in range(len(text) - n + 1)
            if not any(_is_boundary(ch) for ch in text[start : start + n])
        ]
        found = [(feature_of.get(t), s, e) for t, s, e in terms]
        found += [(words.get(w), s, e) for w, s, e in textmod.word_places(text)]
        for feature, start, end in found:
            if feature is None:
                continue
            counts[(row, feature)] += 1
            place = places[row]
            if place is not None and place[0] <= start and end <= place[1]:
                heads[(row, feature)] += 1
    return counts, heads


def _as_counter(matrix) -> Counter[tuple[int, int]]:  # type: ignore[no-untyped-def]
    coo = matrix.tocoo()
    return Counter(
        {(int(r), int(c)): int(v) for r, c, v in zip(coo.row, coo.col, coo.data, strict=True)}
    )


@settings(max_examples=150, deadline=None)
@given(
    texts=TEXTS,
    known=st.integers(0, 12),
    spans=st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(0, 60)))),
)
def test_feature_counts_are_those_of_each_term_looked_up_alone(
    texts: list[str], known: int, spans: list[tuple[int, int] | None]
) -> None:
    normalised = textmod.normalise(texts)
    # The vocabulary of some of the texts (and fixed words): other texts' terms are unknown.
    ngrams, words, _ = engine._vocabulary([*normalised[:known], "锂电池正极材料", "软件开发"])
    places: list[tuple[int, int] | None] = []
    for i in range(len(normalised)):
        span = spans[i] if i < len(spans) else None
        places.append(None if span is None else (min(span), max(span)))
    counts, heads = engine._counts_and_heads(ngrams, words, normalised, places)
    want_counts, want_heads = _reference_counts(ngrams, words, normalised, places)
    assert _as_counter(counts) == want_counts
    assert _as_counter(heads) == want_heads
    assert counts.shape == heads.shape == (len(normalised), len(ngrams) + len(words))
    assert counts.has_sorted_indices
    assert heads.has_sorted_indices
    alone = engine._counts(ngrams, words, normalised)
    assert (alone != counts).nnz == 0


def test_texts_too_many_for_32_bit_indices_are_counted_in_halves(monkeypatch) -> None:
    texts = textmod.normalise(["锂电池正极材料", "软件开发服务", "", "涤纶长丝 DTY", "锂电池隔膜"])
    ngrams, words, _ = engine._vocabulary(texts[:3])
    places: list[tuple[int, int] | None] = [(0, 3), None, None, (1, 4), (0, 2)]
    whole = engine._counts_and_heads(ngrams, words, texts, places)
    monkeypatch.setattr(engine, "INDEX_LIMIT", 30)  # forces a split down to single texts
    halves = engine._counts_and_heads(ngrams, words, texts, places)
    assert (halves[0] != whole[0]).nnz == 0
    assert (halves[1] != whole[1]).nnz == 0
    assert halves[0].shape == whole[0].shape


def test_an_empty_list_of_texts_has_no_words_and_no_counts() -> None:
    rows, words, starts, ends = textmod.word_spans([])
    assert (len(rows), words, len(starts), len(ends)) == (0, [], 0, 0)
    ngrams, vocabulary, _ = engine._vocabulary(["锂电池"])
    assert engine._counts(ngrams, vocabulary, []).shape == (0, len(ngrams) + len(vocabulary))
    assert engine._counts(ngrams, vocabulary, ["", " "]).nnz == 0
