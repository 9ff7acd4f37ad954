"""The chain spec's two optional sections of the 招商图谱 (roadmap, applications): loaded when
present, refused in Chinese at the line of the mistake, and the six shipped chains have both."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from wulian.chains import service as chains
from wulian.chains import spec as chain_spec
from wulian.core.errors import InvalidFile

SMALL = """\
id: demo
name: 示例链
nodes:
  - {key: a, name: 原料, segment: 上游}
  - {key: b, name: 材料, segment: 中游}
edges:
  - {from: a, to: b}
"""


def load(extra: str) -> chain_spec.ChainSpec:
    return chain_spec.load(SMALL + extra, "demo.yaml")


def test_a_spec_without_the_sections_loads_with_them_empty() -> None:
    spec = load("")
    assert spec.roadmap == []
    assert spec.applications == []


def test_the_sections_load_and_order_a_nodes_technologies_by_year() -> None:
    spec = load(
        "roadmap:\n"
        "  - {node: b, name: 新工艺, generation: 下一代, maturity: 中试, start: 2026, end: 2030}\n"
        "  - {node: b, name: 老工艺, start: 2018, end: 2026}\n"
        "applications:\n"
        "  - {key: ev, name: 新能源汽车, nodes: [b], gbt: ['3612'], keywords: [整车]}\n"
    )
    assert [t.name for t in spec.technologies("b")] == ["老工艺", "新工艺"]
    assert spec.technologies("b")[0].maturity == "产业化"  # the default
    assert spec.application("ev").nodes == ["b"]


@pytest.mark.parametrize(
    ("extra", "line", "message"),
    [
        ("roadmap:\n  - {node: z, name: 新工艺, start: 2026, end: 2030}\n", 9,
         "技术路线图：没有编号为“z”的环节"),
        ("roadmap:\n  - {node: a, name: 新工艺, start: 2030, end: 2026}\n", 9,
         "结束年份 2026 早于开始年份 2030"),
        ("roadmap:\n  - {node: a, name: 甲, start: 2026, end: 2030}\n"
         "  - {node: a, name: 甲, start: 2027, end: 2030}\n", 10, "技术“甲”重复"),
        ("applications:\n  - {key: ev, name: 汽车, nodes: [a]}\n"
         "  - {key: ev, name: 储能, nodes: [a]}\n", 10, "应用领域编号“ev”重复"),
        ("applications:\n  - {key: a, name: 汽车, nodes: [a]}\n", 9,
         "不能与环节或其他应用领域同名"),
        ("applications:\n  - {key: ev, name: 汽车, nodes: [a, q]}\n", 9,
         "应用领域“汽车”：没有编号为“q”的环节"),
    ],
)  # fmt: skip
def test_mistakes_are_refused_in_chinese_at_their_line(extra: str, line: int, message: str) -> None:
    with pytest.raises(InvalidFile) as error:
        load(extra)
    assert f"第 {line} 行" in error.value.message
    assert message in error.value.message


def test_an_unknown_maturity_and_a_year_out_of_range_are_refused() -> None:
    with pytest.raises(InvalidFile, match="第 9 行"):
        load("roadmap:\n  - {node: a, name: 甲, maturity: 量产, start: 2026, end: 2030}\n")
    with pytest.raises(InvalidFile, match="第 9 行"):
        load("roadmap:\n  - {node: a, name: 甲, start: 1990, end: 2030}\n")
    with pytest.raises(InvalidFile, match="第 9 行"):
        load("applications:\n  - {key: ev, name: 汽车, nodes: []}\n")


def test_the_six_shipped_chains_have_a_roadmap_and_applications_on_real_codes(
    shared_data: Path,
) -> None:
    notes = pl.read_csv(shared_data / "gbt4754" / "gbt4754_2017_notes.csv", infer_schema_length=0)
    subclasses = set(notes.filter(pl.col("level") == "4")["code"])
    specs = [chains.parse(chains.shipped_text(c)) for c in chains.SHIPPED]
    assert len(specs) == 6
    for spec in specs:
        assert len(spec.roadmap) >= 5, spec.id
        assert len(spec.applications) >= 3, spec.id
        for domain in spec.applications:
            assert set(domain.gbt) <= subclasses, (spec.id, domain.key, domain.gbt)
