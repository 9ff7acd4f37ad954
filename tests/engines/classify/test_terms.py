"""The decisive terms (依据) computed for all texts at once are those of the plain way: the
phrases of each text found one text at a time (`phrases`), and each feature's contributions
summed step by step down each candidate's path with one child's weights at a time; on any text
(empty, breaks only, terms not in the text, terms longer than a phrase, characters beyond the
Basic Multilingual Plane) and any tree."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.engines.classify import model as engine

CHARACTERS = "锂电池正极材料石墨研发技术服务复合膜abc12"
BREAKS = " ,，、;；。:：()（）[]【】/|\t\u3000\n"
OTHER = "😀𠀀½-+."
TEXT = st.text(alphabet=CHARACTERS + BREAKS + OTHER, max_size=40)
TERM = st.text(alphabet=CHARACTERS + OTHER + " ", max_size=15)


@st.composite
def _text_and_terms(draw: st.DrawFn) -> tuple[str, str]:
    text = draw(TEXT)
    terms = draw(st.lists(TERM, max_size=6))
    # Mostly pieces of the text itself, as the model's features are.
    for start, size in draw(st.lists(st.tuples(st.integers(0, 40), st.integers(1, 16)))):
        terms.append(text[start : start + size])
    order = draw(st.permutations(range(len(terms))))
    return text, "、".join(terms[i] for i in order)


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(_text_and_terms(), max_size=12))
def test_the_phrases_of_all_texts_at_once_are_each_texts_phrases(
    pairs: list[tuple[str, str]],
) -> None:
    texts = [t for t, _ in pairs]
    terms = [k for _, k in pairs]
    assert engine.phrases_of(texts, terms) == [engine.phrases(t, k) for t, k in pairs]


def test_phrases_at_once_on_the_examples_a_reader_sees() -> None:
    text = "锂离子电池正极材料的研发、生产和销售；人造石墨负极材料"
    long = "一般项目：新型膜材料及高性能纤维与复合材料的技术开发技术转让"
    got = engine.phrases_of(
        [text, "技术服务", long, "", "、、"], ["正极、石墨、极材、研发", "技术", "复合", "", "锂"]
    )
    assert got[0] == "锂离子电池正极材料的研发、人造石墨负极材料"
    assert got[1] == "技术服务"
    assert "复合" in got[2]
    assert len(got[2]) <= engine.PHRASE_WIDTH
    assert got[3:] == ["", "锂"]


def _reference_totals(
    matrix: sp.csr_matrix, steps: np.ndarray, columns: list[np.ndarray]
) -> np.ndarray:
    """Row by row, depth by depth: each entry's value times the step's weight, in float32."""
    total = np.zeros(matrix.nnz, np.float32)
    for row in range(matrix.shape[0]):
        for depth in range(steps.shape[1]):
            step = steps[row, depth]
            if step < 0:
                continue
            for e in range(matrix.indptr[row], matrix.indptr[row + 1]):
                total[e] = np.float32(
                    total[e] + np.float32(matrix.data[e] * columns[step][matrix.indices[e]])
                )
    return total


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(0, 30),
    features=st.integers(1, 40),
    step_count=st.integers(1, 12),
    depth=st.integers(1, 5),
    density=st.floats(0.0, 0.6),
)
def test_the_compiled_path_totals_equal_the_plain_sums(
    seed: int, rows: int, features: int, step_count: int, depth: int, density: float
) -> None:
    rng = np.random.default_rng(seed)
    matrix = sp.random(
        rows, features, density=density, format="csr", dtype=np.float32, random_state=rng
    )
    matrix.sort_indices()
    weights = sp.random(
        step_count, features, density=density, format="csr", dtype=np.float32, random_state=rng
    )
    weights.data = (weights.data - np.float32(0.5)).astype(np.float32)  # signed, as SVM weights
    weights.sort_indices()
    steps = rng.integers(-1, step_count, size=(rows, depth)).astype(np.int64)
    got = engine._path_totals(
        matrix.indptr.astype(np.int64), matrix.indices.astype(np.int64), matrix.data, steps,
        weights.indptr.astype(np.int64), weights.indices.astype(np.int64), weights.data,
        features,
    )  # fmt: skip
    expected = _reference_totals(matrix, steps, list(weights.toarray()))
    np.testing.assert_array_equal(got, expected)  # bit for bit
