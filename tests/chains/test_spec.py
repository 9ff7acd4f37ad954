"""Chain specs: the six shipped chains, and what a wrong spec gets."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from wulian.chains import spec as chain_spec
from wulian.core.errors import InvalidFile

SHIPPED = Path(str(resources.files("wulian.chains").joinpath("specs")))


def shipped() -> list[chain_spec.ChainSpec]:
    return [chain_spec.load(p.read_text("utf-8"), p.name) for p in sorted(SHIPPED.glob("*.yaml"))]


def test_the_six_demo_chains_load_with_all_three_segments() -> None:
    specs = shipped()
    assert {s.name for s in specs} == {
        "氟硅新材料",
        "锂电新材料",
        "电子化学材料",
        "特种纸与特色轻工",
        "芯片及传感器",
        "生物医药与大健康",
    }
    for spec in specs:
        assert {n.segment for n in spec.nodes} == {"上游", "中游", "下游"}, spec.id
        assert len(spec.nodes) >= 10
        assert spec.items


def test_lithium_has_the_nodes_of_the_battery_materials_chain() -> None:
    lithium = next(s for s in shipped() if s.id == "lithium")
    names = {n.name for n in lithium.nodes}
    for expected in ("锂资源与锂盐", "正极前驱体", "正极材料", "负极材料", "电解液与锂盐添加剂",
                     "隔膜", "铜箔与铝箔", "电芯制造", "电池包与电池管理系统", "锂电装备",
                     "回收与梯次利用", "终端应用"):  # fmt: skip
        assert expected in names
    layers = lithium.layers()
    assert layers["resource"] < layers["precursor"] < layers["cathode"] < layers["cell"]


def test_every_gbt_code_of_the_shipped_chains_is_a_gbt_4754_subclass(shared_data: Path) -> None:
    notes = pl.read_csv(shared_data / "gbt4754" / "gbt4754_2017_notes.csv", infer_schema_length=0)
    subclasses = set(notes.filter(pl.col("level") == "4")["code"])
    for spec in shipped():
        for node in spec.nodes:
            assert set(node.gbt) <= subclasses, (spec.id, node.key, node.gbt)


SMALL = """\
id: demo
name: 示例链
nodes:
  - {key: a, name: 原料, segment: 上游}
  - {key: b, name: 材料, segment: 中游}
  - {key: c, name: 产品, segment: 下游}
edges:
  - {from: a, to: b, share: 0.5}
  - {from: b, to: c}
"""


def test_a_supply_cycle_is_refused_at_the_edge_that_closes_it() -> None:
    with pytest.raises(InvalidFile) as error:
        chain_spec.load(SMALL + "  - {from: c, to: a}\n", "demo.yaml")
    assert "第 10 行" in error.value.message
    assert "成环" in error.value.message


def test_an_edge_to_an_unknown_node_is_refused_at_its_line() -> None:
    with pytest.raises(InvalidFile) as error:
        chain_spec.load(SMALL + "  - {from: c, to: z}\n", "demo.yaml")
    assert "第 10 行" in error.value.message
    assert "没有编号为“z”的环节" in error.value.message


def test_a_duplicate_node_and_an_unknown_segment_are_refused() -> None:
    with pytest.raises(InvalidFile, match="重复"):
        chain_spec.load(SMALL.replace("key: b", "key: a"), "demo.yaml")
    with pytest.raises(InvalidFile, match="第 4 行"):
        chain_spec.load(SMALL.replace("segment: 上游", "segment: 源头"), "demo.yaml")


def test_the_chains_form_one_taxonomy_for_the_classifier() -> None:
    tree = chain_spec.taxonomy(shipped())
    assert "lithium.cathode" in tree.index
    cathode = tree.index["lithium.cathode"]
    assert tree.codes[tree.parents[cathode]] == "lithium"
    assert "磷酸铁锂" in tree.keywords[cathode]
