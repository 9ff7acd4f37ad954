"""Target firms ranked for a need: fit beyond shared characters, points per criterion, unknowns,
the zone's own firms, reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidFile, InvalidInput
from wulian.engines.classify import semantic
from wulian.engines.targets import COLUMNS, CRITERIA, MAXIMUM, Settings, TargetIndex, from_frame

TAXONOMY = pl.DataFrame(
    {
        "code": ["C", "17", "175", "1751", "28", "282", "2822", "26", "265", "2651"],
        "name": [
            "制造业", "纺织业", "化纤织造及印染精加工", "化纤织造加工", "化学纤维制造业",
            "合成纤维制造", "涤纶纤维制造", "化学原料和化学制品制造业", "合成材料制造",
            "初级形态塑料及合成树脂制造",
        ],
        "notes": [
            None, None, None,
            "◇ 包括下列织物的织造加工：\n— 合成纤维长丝机织布：指经纬向均为合成纤维长丝"
            "（包括POY、FDY、DTY等）的机织布，包括涤纶长丝机织布",
            None, None,
            "◇ 包括对下列涤纶纤维的制造活动：\n— 涤纶短纤维\n— 涤纶长丝：涤纶高强力丝、其他涤纶长丝"
            "\n◆ 不包括：涤纶纤维织物",
            None, None,
            "— 氟塑料：聚四氟乙烯、聚偏氟乙烯",
        ],
    }
)  # fmt: skip

FIRMS = pl.DataFrame(
    {
        "id": ["a", "b", "c", "d", "e", "f"],
        "name": ["甲化纤", "乙纺织", "丙化工", "丁新材", "戊电池", "己化纤"],
        "products": [
            "涤纶长丝、涤纶短纤维", "涤纶长丝机织布;印染布", "PTA、乙二醇", "聚四氟乙烯、PVDF",
            "锂电池隔膜", "涤纶长丝",
        ],
        "industry": ["2822", None, "2653", "2651", None, "C2822"],
        "region": ["330800", "浙江省杭州市", None, "广东省深圳市", "330802", None],
        "revenue": ["35000", None, "800", "12000", "500", "2"],
    }
)  # fmt: skip


def _queries(*needs: str, **columns: Sequence[str | None]) -> pl.DataFrame:
    data: dict[str, Sequence[str | None]] = {
        "qid": [f"q{i}" for i in range(len(needs))],
        "query": list(needs),
    }
    data.update(columns)
    return pl.DataFrame(data)


@pytest.fixture(scope="module")
def index() -> TargetIndex:
    return TargetIndex.build(FIRMS, taxonomy=from_frame(TAXONOMY))


def test_a_maker_of_polyester_filament_fits_a_need_for_dty(index: TargetIndex) -> None:
    found = index.rank(_queries("DTY"))
    assert {"a", "b", "f"} <= set(found["id"].to_list())
    reasons = dict(zip(found["id"].to_list(), found["reasons"].to_list(), strict=True))
    assert "DTY" in reasons["a"]
    assert "1751" in reasons["a"]
    assert "c" not in set(found["id"].to_list())  # PTA and glycol are not DTY


def test_without_the_classification_dty_shares_no_character_with_the_filament() -> None:
    found = TargetIndex.build(FIRMS).rank(_queries("DTY"))
    assert found.height == 0


def test_columns_ranks_and_points(index: TargetIndex) -> None:
    found = index.rank(_queries("涤纶长丝", "聚四氟乙烯"), top_k=3)
    assert tuple(found.columns) == COLUMNS
    for _, part in found.group_by("qid"):
        assert part["rank"].to_list() == list(range(1, part.height + 1))
        assert part.height <= 3
        scores = part["score"].to_list()
        assert scores == sorted(scores, reverse=True)
    first = found.filter((pl.col("qid") == "q1") & (pl.col("rank") == 1)).row(0, named=True)
    assert first["id"] == "d"
    assert "聚四氟乙烯" in first["reasons"]


def test_the_exact_product_fits_fully_and_says_so(index: TargetIndex) -> None:
    found = index.rank(_queries("涤纶长丝"))
    top = found.row(0, named=True)
    assert top["points_fit"] == MAXIMUM["fit"]
    assert "即所需" in top["reasons"]


def test_unknown_revenue_gives_no_size_points_and_is_not_taken_as_tiny() -> None:
    firms = pl.DataFrame(
        {
            "id": ["big", "unknown", "tiny"],
            "name": ["大", "不详", "小"],
            "products": ["硅橡胶", "硅橡胶", "硅橡胶"],
            "revenue": ["500000", None, "10"],
        }
    )
    found = TargetIndex.build(firms).rank(_queries("硅橡胶"))
    assert found["id"].to_list() == ["big", "unknown", "tiny"]
    row = found.filter(pl.col("id") == "unknown").row(0, named=True)
    assert row["points_size"] is None
    assert "营收未知，不计分" in row["reasons"]
    assert found.filter(pl.col("id") == "tiny")["points_size"].item() == 0.0


def test_zone_firms_are_never_returned_and_ties_to_them_count(index: TargetIndex) -> None:
    firms = FIRMS.with_columns(ties=pl.Series([None, "a;x", None, None, None, "zz"]))
    tied = TargetIndex.build(firms)
    found = tied.rank(_queries("涤纶长丝", zone=["a;zz"]))
    ids = found["id"].to_list()
    assert "a" not in ids
    b = found.filter(pl.col("id") == "b").row(0, named=True)
    f = found.filter(pl.col("id") == "f").row(0, named=True)
    assert b["points_ties"] == MAXIMUM["ties"]
    assert "与园区企业 a 有购销往来" in b["reasons"]
    assert f["points_ties"] == MAXIMUM["ties"]
    c_less = tied.rank(_queries("涤纶长丝"))
    assert c_less.filter(pl.col("id") == "b")["points_ties"].item() == 0.0


def test_context_products_count_as_ties_to_the_chain(index: TargetIndex) -> None:
    found = index.rank(_queries("涤纶长丝", context=["印染布、纺织品"]))
    b = found.filter(pl.col("id") == "b").row(0, named=True)
    assert b["points_ties"] == MAXIMUM["ties"] / 2
    assert "相邻产品“印染布" in b["reasons"]


def test_region_points(index: TargetIndex) -> None:
    found = index.rank(_queries("涤纶长丝", region=["330800"]))
    points = dict(zip(found["id"].to_list(), found["points_region"].to_list(), strict=True))
    assert points["a"] == MAXIMUM["region"]  # the same city
    assert points["f"] is None  # unknown
    found = index.rank(_queries("聚四氟乙烯", region=["浙江省衢州市"]))
    d = found.filter(pl.col("id") == "d").row(0, named=True)
    assert d["points_region"] == 0.0
    assert "不在同一省份" in d["reasons"]


def test_growth_signals_and_contacts_are_named() -> None:
    firms = pl.DataFrame(
        {
            "id": ["a", "b"],
            "name": ["甲", "乙"],
            "products": ["PVDF粘结剂", "PVDF粘结剂"],
            "growth": ["25%", None],
            "financing": ["2025年B轮融资3亿元", None],
            "expansion": [None, None],
            "contacts": [None, "2025年6月展会接洽"],
        }
    )
    found = TargetIndex.build(firms).rank(_queries("PVDF粘结剂"))
    a = found.filter(pl.col("id") == "a").row(0, named=True)
    b = found.filter(pl.col("id") == "b").row(0, named=True)
    assert a["points_growth"] == pytest.approx(7.0)
    assert "营收增长 25.0%" in a["reasons"]
    assert a["points_signals"] == MAXIMUM["signals"] / 2
    assert "B轮融资" in a["reasons"]
    assert a["points_contacts"] is None
    assert "无接触记录" in a["reasons"]
    assert b["points_contacts"] == MAXIMUM["contacts"]
    assert "展会接洽" in b["reasons"]
    assert b["points_growth"] is None
    assert "增长率未知" in b["reasons"]


def test_co_listed_products_are_related() -> None:
    firms = pl.DataFrame(
        {
            "id": [f"m{i}" for i in range(6)] + ["target", "other"],
            "name": ["x"] * 8,
            "products": ["六氟磷酸锂、电解液"] * 6 + ["电解液", "锂电池隔膜"],
        }
    )
    found = TargetIndex.build(firms).rank(_queries("六氟磷酸锂"))
    row = found.filter(pl.col("id") == "target").row(0, named=True)
    assert "同列" in row["reasons"]
    assert "电解液" in row["reasons"]
    assert found["id"].to_list().index("target") < found.height


def test_a_semantic_embedder_finds_what_shares_no_character() -> None:
    class Toy:
        name = "toy-targets"
        table: ClassVar[dict[str, list[float]]] = {
            "ptfe": [1.0, 0.0],
            "聚四氟乙烯": [0.99, 0.1],
            "硅橡胶": [0.0, 1.0],
        }

        def _embed(self, texts: Sequence[str]) -> np.ndarray:
            return np.array([self.table.get(t, [0.5, 0.5]) for t in texts], np.float32)

        query = passage = _embed

    semantic.register(Toy())
    firms = pl.DataFrame(
        {"id": ["a", "b"], "name": ["甲", "乙"], "products": ["聚四氟乙烯", "硅橡胶"]}
    )
    found = TargetIndex.build(firms, semantic="toy-targets").rank(_queries("PTFE"))
    assert found["id"].to_list() == ["a"]
    assert "语义相近" in found["reasons"].item()


def test_bad_candidates_are_refused_with_row_column_and_value() -> None:
    bad = FIRMS.with_columns(
        pl.Series("revenue", ["35000", "abc", None, "-3", None, None]),
        pl.Series("id", ["a", "b", "c", "c", "e", None]),
    )
    with pytest.raises(InvalidFile) as caught:
        TargetIndex.build(bad)
    message = caught.value.message
    assert "第 3 行“revenue”列（值：abc）：不是数值" in message
    assert "第 5 行“id”列（值：c）：企业编号重复（第 4 行已有）" in message
    assert "第 5 行“revenue”列（值：-3）：不能为负数" in message
    assert "第 7 行“id”列：缺少企业编号" in message
    with pytest.raises(InvalidFile, match="“products”列：缺少这一列"):
        TargetIndex.build(FIRMS.drop("products"))


def test_bad_queries_are_refused(index: TargetIndex) -> None:
    with pytest.raises(InvalidFile, match="第 3 行“query”列：缺少需求"):
        index.rank(pl.DataFrame({"qid": ["1", "2"], "query": ["硅", None]}))
    with pytest.raises(InvalidInput, match="top_k"):
        index.rank(_queries("硅"), top_k=0)


PRODUCTS = ["涤纶长丝", "涤纶短纤维", "聚四氟乙烯", "PVDF", "硅橡胶", "甲基硅油", "锂电池隔膜",
            "电解液", "PTA", "印染布"]  # fmt: skip


@st.composite
def _firms(draw: st.DrawFn) -> pl.DataFrame:
    count = draw(st.integers(1, 25))
    products = [
        "、".join(draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3)))
        for _ in range(count)
    ]
    revenue = draw(
        st.lists(
            st.one_of(st.none(), st.floats(0, 1e7, allow_nan=False)),
            min_size=count,
            max_size=count,
        )
    )
    return pl.DataFrame(
        {
            "id": [f"F{i}" for i in range(count)],
            "name": [f"企业{i}" for i in range(count)],
            "products": products,
            "revenue": [None if r is None else f"{r:.1f}" for r in revenue],
        }
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    firms=_firms(),
    need=st.sampled_from(PRODUCTS),
    zone=st.sets(st.integers(0, 30)),
    top_k=st.integers(1, 30),
)
def test_ranking_properties(firms: pl.DataFrame, need: str, zone: set[int], top_k: int) -> None:
    index = TargetIndex.build(firms)
    zone_ids = {f"F{i}" for i in zone}
    found = index.rank(_queries(need, zone=[";".join(sorted(zone_ids))]), top_k=top_k)
    ids = found["id"].to_list()
    assert not set(ids) & zone_ids
    assert len(ids) == len(set(ids)) <= top_k
    assert found["rank"].to_list() == list(range(1, len(ids) + 1))
    assert found["score"].to_list() == sorted(found["score"].to_list(), reverse=True)
    makers = {
        key
        for key, products in zip(firms["id"], firms["products"], strict=True)
        if need in products.split("、") and key not in zone_ids
    }
    assert set(ids[: len(makers)]) == makers or len(ids) == top_k
    for row in found.iter_rows(named=True):
        assert row["reasons"].startswith("契合")
        assert need in row["reasons"]
        known = [c for c in CRITERIA if row[f"points_{c}"] is not None]
        attainable = sum(MAXIMUM[c] for c in known)
        earned = sum(row[f"points_{c}"] for c in known)
        assert row["score"] == pytest.approx(round(100 * earned / attainable, 1), abs=0.06)
        assert ("营收未知" in row["reasons"]) == (row["points_size"] is None)


def test_near_spellings_of_co_listed_products_are_related() -> None:
    firms = pl.DataFrame(
        {
            "id": [f"m{i}" for i in range(4)] + ["target", "other"],
            "name": ["x"] * 6,
            "products": ["MEMS加速度计、陀螺仪芯片"] * 4 + ["MEMS麦克风", "印染布"],
        }
    )
    found = TargetIndex.build(firms).rank(_queries("陀螺仪"))
    assert "other" not in found["id"].to_list()
    row = found.filter(pl.col("id") == "target").row(0, named=True)
    assert "MEMS加速度计" in row["reasons"]
    assert "同列" in row["reasons"]
    assert row["points_fit"] < found.filter(pl.col("id") == "m0")["points_fit"].item()


def test_a_coded_firms_class_name_counts_as_one_of_its_products() -> None:
    firms = pl.DataFrame(
        {"id": ["g", "h"], "name": ["庚材料", "辛贸易"], "products": ["PVDF粉料", "日用百货"],
         "industry": ["2651", None]}
    )  # fmt: skip
    taxonomy = from_frame(TAXONOMY)
    named = TargetIndex.build(firms, taxonomy=taxonomy).rank(_queries("合成树脂制造"))
    assert named["id"].to_list()[:1] == ["g"]
    assert "行业" in named["reasons"].to_list()[0]  # said to come from its industry
    off = Settings(code_name=0.0)
    plain = TargetIndex.build(firms, taxonomy=taxonomy, settings=off).rank(_queries("合成树脂制造"))
    fit_on = named.filter(pl.col("id") == "g")["points_fit"].item()
    fit_off = plain.filter(pl.col("id") == "g")["points_fit"].to_list()
    assert not fit_off or fit_off[0] < fit_on
