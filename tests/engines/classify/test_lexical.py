"""The compiled line scores are the sparse product's, number for number: for every text and leaf
the largest cosine of the leaf's lines, the same leaves listed, the same means and spreads; and a
text's first item, featurised from the text's own n-grams and words, is featurised as alone."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.engines.classify import lexical


def _random_csr(rng: np.random.Generator, rows: int, cols: int, density: float) -> sp.csr_matrix:
    matrix = sp.random(
        rows, cols, density=density, format="csr", dtype=np.float32, random_state=rng
    )
    matrix.data = (matrix.data + np.float32(0.01)).astype(np.float32)  # TF-IDF weights are > 0
    return matrix


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    texts=st.integers(0, 40),
    features=st.integers(1, 60),
    leaves=st.integers(1, 12),
    lines_per_leaf=st.integers(1, 5),
    density=st.floats(0.0, 0.5),
)
def test_the_compiled_scores_equal_the_sparse_products(
    seed: int, texts: int, features: int, leaves: int, lines_per_leaf: int, density: float
) -> None:
    rng = np.random.default_rng(seed)
    owners = np.sort(rng.integers(0, leaves, size=leaves * lines_per_leaf)).astype(np.int64)
    query = _random_csr(rng, texts, features, density)
    lines_t = _random_csr(rng, features, len(owners), density)
    expected = lexical._sparse(query @ lines_t, leaves, owners)
    got = lexical._scores(query, lines_t, owners, leaves)
    np.testing.assert_array_equal(got.keys, expected.keys)
    np.testing.assert_array_equal(got.values, expected.values)  # bit for bit
    np.testing.assert_array_equal(got.mean, expected.mean)
    np.testing.assert_array_equal(got.std, expected.std)
    identity = np.arange(leaves, dtype=np.int64)
    whole_t = _random_csr(rng, features, leaves, density)
    expected = lexical._sparse(query @ whole_t, leaves, None)
    got = lexical._scores(query, whole_t, identity, leaves)
    np.testing.assert_array_equal(got.keys, expected.keys)
    np.testing.assert_array_equal(got.values, expected.values)


def test_a_text_with_no_shared_feature_scores_nothing() -> None:
    query = sp.csr_matrix(np.array([[0, 0, 1], [0, 0, 0]], np.float32))
    lines_t = sp.csr_matrix(np.array([[1, 0], [0, 1], [0, 0]], np.float32))
    got = lexical._scores(query, lines_t, np.array([0, 1], np.int64), 2)
    assert len(got.keys) == 0
    np.testing.assert_array_equal(got.mean, [0.0, 0.0])


ITEMS = ["塑料制品", "pe-rt管材", "软件开发", "技术服务", "3d打印设备", "a+b", "食品销售",
         "家用电器", "生产设备", "汽车配件", "x", "《中国》杂志", "c.d材料", "锂电池"]  # fmt: skip
SEPARATORS = ["、", "，", "；", "：", " ", "（", "）", ";", "+", "-", "·", ""]
PREFIXES = ["", "一般项目：", "许可项目：", "经营范围:", "生产", "销售：", "主营产品"]


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from(PREFIXES),
    parts=st.lists(st.tuples(st.sampled_from(ITEMS), st.sampled_from(SEPARATORS)), max_size=5),
)
def test_a_head_taken_from_its_texts_features_is_the_head_featurised_alone(
    prefix: str, parts: list[tuple[str, str]]
) -> None:
    from wulian.engines.classify import model as engine
    from wulian.engines.classify import text as textmod

    text = textmod.normalise([prefix + "".join(item + sep for item, sep in parts)])[0]
    place = textmod.head_place(text)
    if place is None:
        return
    head = textmod.head(text)
    assert text[place[0] : place[1]] == head
    ngrams, words, _ = engine._vocabulary([text, head, "软件开发技术服务塑料"])
    _, placed = engine._counts_and_heads(ngrams, words, [text], [place])
    alone = engine._counts(ngrams, words, [head])
    assert (placed != alone).nnz == 0
