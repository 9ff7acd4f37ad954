"""The classify engine: placement from the taxonomy alone and with examples, confidence, terms,
bad text, bad taxonomies, model files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidFile
from wulian.engines.classify import model as engine
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify import text as textmod

TAXONOMY = pl.DataFrame(
    {
        "code": ["up", "li", "mid", "cat", "ano", "ele", "down", "cell"],
        "name": ["上游", "锂资源与锂盐", "中游", "正极材料", "负极材料", "电解液", "下游", "电芯"],
        "parent_code": [None, "up", None, "mid", "mid", "mid", None, "down"],
        "description": [
            "原材料",
            "锂矿采选、卤水提锂、碳酸锂、氢氧化锂",
            "电池材料",
            "磷酸铁锂、三元正极材料",
            "人造石墨、硅碳负极",
            "六氟磷酸锂、电解液溶剂",
            "电池",
            "锂离子电池电芯、动力电池、储能电池",
        ],
        "keywords": [
            "",
            "锂辉石、碳酸锂",
            "",
            "正极、磷酸铁锂",
            "负极、石墨",
            "电解液",
            "",
            "电芯",
        ],
    }
)


@pytest.fixture(scope="module")
def taxonomy() -> taxonomy_module.Taxonomy:
    return taxonomy_module.from_frame(TAXONOMY)


@pytest.fixture(scope="module")
def zero_shot(taxonomy: taxonomy_module.Taxonomy) -> engine.Model:
    return engine.train(taxonomy)


def best(model: engine.Model, texts: list[str]) -> list[str | None]:
    frame = engine.predict(model, texts, 1).frame
    found = dict(zip(frame["row"].to_list(), frame["code"].to_list(), strict=True))
    return [found.get(i) for i in range(len(texts))]


def test_zero_shot_places_texts_by_names_descriptions_and_keywords(
    zero_shot: engine.Model,
) -> None:
    texts = [
        "年产2万吨磷酸铁锂正极材料项目",
        "人造石墨负极材料的生产与销售",
        "碳酸锂提纯",
        "储能电池电芯",
    ]
    assert best(zero_shot, texts) == ["cat", "ano", "li", "cell"]


def test_traditional_characters_and_full_width_forms_are_read_as_simplified(
    zero_shot: engine.Model,
) -> None:
    plain = engine.predict(zero_shot, ["磷酸铁锂正极材料，年产2万吨"], 3).frame
    variant = engine.predict(zero_shot, ["磷酸鐵鋰正極材料，年產２萬噸"], 3).frame
    assert plain.select("code", "score").equals(variant.select("code", "score"))


def test_examples_teach_what_the_taxonomy_does_not_say(taxonomy: taxonomy_module.Taxonomy) -> None:
    text = "NCM811 高镍产品"
    before = best(engine.train(taxonomy), [text])[0]
    examples = [("NCM523 产品", "cat"), ("NCM811 产品的研发", "cat"), ("高镍 NCM 产品", "cat")]
    after = best(engine.train(taxonomy, examples), [text])[0]
    assert before != "cat"
    assert after == "cat"


def test_top_k_are_ranked_leaves_with_scores_between_zero_and_one(zero_shot: engine.Model) -> None:
    frame = engine.predict(zero_shot, ["磷酸铁锂正极材料", "六氟磷酸锂电解液"], 3).frame
    assert frame.height == 6
    assert frame["rank"].to_list() == [1, 2, 3, 1, 2, 3]
    leaves = {"li", "cat", "ano", "ele", "cell"}
    assert set(frame["code"]) <= leaves
    for _, group in frame.group_by("row"):
        scores = group.sort("rank")["score"].to_list()
        assert scores == sorted(scores, reverse=True)
        assert 0 < sum(scores) <= 1.0001


def test_terms_name_what_decided(zero_shot: engine.Model) -> None:
    text = "人造石墨负极材料的生产与销售"
    frame = engine.predict(zero_shot, [text], 1).frame
    terms = frame["terms"][0].split("、")
    assert any("石墨" in t or "负极" in t for t in terms)
    assert all(t in text for t in terms)  # words and phrases of the text, not fragments


def test_decisive_fragments_are_shown_as_the_phrases_that_hold_them() -> None:
    text = "锂离子电池正极材料的研发、生产和销售；人造石墨负极材料"
    assert (
        engine.phrases(text, "正极、石墨、极材、研发")
        == "锂离子电池正极材料的研发、人造石墨负极材料"
    )
    assert engine.phrases("技术服务", "技术") == "技术服务"
    long = "一般项目：新型膜材料及高性能纤维与复合材料的技术开发技术转让"
    shown = engine.phrases(long, "复合")
    assert "复合" in shown
    assert len(shown) <= 12


def test_empty_texts_are_reported_not_placed(zero_shot: engine.Model) -> None:
    prediction = engine.predict(zero_shot, ["", None, "  ，。 ", "碳酸锂"], 2)
    assert prediction.empty == [0, 1, 2]
    assert set(prediction.frame["row"]) == {3}


def test_very_long_texts_are_cut_not_refused(zero_shot: engine.Model) -> None:
    text = "正极材料" + "的" * 100_000
    frame = engine.predict(zero_shot, [text], 1).frame
    assert frame["code"].to_list() == ["cat"]


def test_a_text_that_says_it_belongs_elsewhere_never_gets_that_code(
    zero_shot: engine.Model,
) -> None:
    frame = engine.predict(zero_shot, ["正极材料的回收，列入cat（正极材料）"], 5).frame
    assert "cat" not in frame["code"].to_list()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(max_size=60), min_size=1, max_size=8))
def test_any_text_gets_a_ranking_or_is_reported_empty(texts: list[str]) -> None:
    model = _MODEL
    prediction = engine.predict(model, texts, 2)
    placed = set(prediction.frame["row"].to_list())
    assert placed.isdisjoint(prediction.empty)
    assert placed | set(prediction.empty) == set(range(len(texts)))
    assert prediction.frame.filter(pl.col("rank") == 1).height == len(placed)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_ngram_keys_turn_back_into_their_text(text: str) -> None:
    normalised = textmod.normalise([text])
    rows, keys = textmod.ngram_keys(normalised)
    assert (rows == 0).all()
    for key in keys.tolist():
        gram = textmod.key_text(key)
        assert gram in normalised[0]
        assert 1 <= len(gram) <= 3


_MODEL = engine.train(taxonomy_module.from_frame(TAXONOMY))


def test_a_saved_model_predicts_the_same(tmp_path: Path, zero_shot: engine.Model) -> None:
    path = tmp_path / "m.npz"
    engine.save(zero_shot, path)
    loaded = engine.load(path)
    texts = ["磷酸铁锂正极材料", "动力电池电芯", "碳酸锂"]
    a = engine.predict(zero_shot, texts, 3).frame
    b = engine.predict(loaded, texts, 3).frame
    assert a.equals(b)
    with np.load(path, allow_pickle=False) as archive:  # plain arrays only
        assert "header" in archive.files


def test_a_file_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.npz"
    path.write_bytes(b"not a model")
    with pytest.raises(InvalidFile, match="不是分类模型文件"):
        engine.load(path)


def test_a_model_of_another_format_version_is_refused(
    tmp_path: Path, zero_shot: engine.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "m.npz"
    monkeypatch.setattr(engine, "VERSION", 99)
    engine.save(zero_shot, path)
    monkeypatch.setattr(engine, "VERSION", 1)
    with pytest.raises(InvalidFile, match="版本 99 不受支持"):
        engine.load(path)


def bad(**changes: list[str | None]) -> pl.DataFrame:
    return TAXONOMY.with_columns(*(pl.Series(k, v) for k, v in changes.items()))


def test_duplicate_codes_are_refused_with_their_rows() -> None:
    codes = ["up", "li", "mid", "cat", "ano", "cat", "down", "cell"]
    with pytest.raises(InvalidFile) as error:
        taxonomy_module.from_frame(bad(code=codes))
    assert "第 7 行" in error.value.message
    assert "编码重复（第 5 行已有）" in error.value.message


def test_a_missing_parent_is_refused() -> None:
    parents = [None, "up", None, "mid", "mid", "middle", None, "down"]
    with pytest.raises(InvalidFile) as error:
        taxonomy_module.from_frame(bad(parent_code=parents))
    assert "第 7 行" in error.value.message
    assert "middle" in error.value.message
    assert "上级编码不在表中" in error.value.message


def test_a_cycle_of_parents_is_refused() -> None:
    parents = ["cell", "up", None, "mid", "mid", "mid", "up", "down"]
    with pytest.raises(InvalidFile, match="成环"):
        taxonomy_module.from_frame(bad(parent_code=parents))
