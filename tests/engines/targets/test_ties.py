"""The optional ties input: candidates that buy from or sell to the query's zone firms get the
ties points, with the zone firm and the product named; without ties nothing changes."""

from __future__ import annotations

import polars as pl
import pytest

from tests.engines.targets.test_rank import FIRMS, TAXONOMY
from wulian.core.errors import InvalidFile
from wulian.engines.targets import MAXIMUM, TargetIndex, from_frame

QUERIES = pl.DataFrame(
    {
        "qid": ["q1", "q2", "q3"],
        "query": ["DTY", "涤纶长丝", "PVDF"],
        "zone": ["z1;z2", "z1", None],
        "region": ["330800", None, "330800"],
        "context": [None, "PTA", None],
    }
)
TIES = pl.DataFrame(
    {
        "candidate_id": ["a", "a", "f", "b"],
        "zone_id": ["z1", "z9", "z2", "z9"],
        "direction": ["采购自", "供货给", "供货给", "采购自"],
        "product": ["DTY", "PTA", "POY", "涤纶长丝机织布"],
        "amount": ["1200", None, "35000", "10"],
        "zone_name": ["园区织造甲", None, "园区化纤乙", None],
    }
)


@pytest.fixture(scope="module")
def index() -> TargetIndex:
    return TargetIndex.build(FIRMS, taxonomy=from_frame(TAXONOMY))


def test_without_ties_the_ranking_is_identical(index: TargetIndex) -> None:
    before = index.rank(QUERIES, top_k=10)
    assert index.rank(QUERIES, top_k=10, ties=None).equals(before)
    with_columns = FIRMS.with_columns(ties=pl.Series([None, "z1", None, None, None, None]))
    other = TargetIndex.build(with_columns, taxonomy=from_frame(TAXONOMY))
    assert other.rank(QUERIES, top_k=10).equals(other.rank(QUERIES, top_k=10, ties=None))


def test_a_tie_to_a_zone_firm_gets_the_points_and_names_firm_and_product(
    index: TargetIndex,
) -> None:
    found = index.rank(QUERIES, top_k=10, ties=TIES).filter(pl.col("qid") == "q1")
    rows = {r["id"]: r for r in found.iter_rows(named=True)}
    assert rows["a"]["points_ties"] == MAXIMUM["ties"]
    assert "向园区企业园区织造甲供货：DTY（每年约1,200万元）" in rows["a"]["reasons"]
    assert "PTA" not in rows["a"]["reasons"].split("链上往来")[1]  # z9 is not on this node
    assert rows["f"]["points_ties"] == MAXIMUM["ties"]
    assert "从园区企业园区化纤乙采购：POY（每年约3.50亿元）" in rows["f"]["reasons"]
    # listed, but its zone firm is not one of the query's: 0, said so (not unknown)
    assert rows["b"]["points_ties"] == 0.0
    assert "不在本需求的园区企业之列" in rows["b"]["reasons"]
    # not listed at all: unknown, not zero
    without = index.rank(QUERIES, top_k=10).filter(pl.col("qid") == "q1")
    assert without.filter(pl.col("id") == "a")["points_ties"].item() is None
    assert rows["a"]["score"] > without.filter(pl.col("id") == "a")["score"].item()


def test_the_zone_firm_is_named_by_id_without_a_name(index: TargetIndex) -> None:
    ties = TIES.drop("zone_name").with_columns(amount=pl.lit(None, pl.Utf8))
    found = index.rank(QUERIES, top_k=10, ties=ties).filter(pl.col("qid") == "q2")
    a = found.filter(pl.col("id") == "a")["reasons"].item()
    assert "向园区企业z1供货：DTY" in a
    assert "每年约" not in a


def test_bad_ties_are_refused_with_row_column_and_value(index: TargetIndex) -> None:
    bad = pl.DataFrame(
        {
            "candidate_id": ["a", "nobody", "a", "a"],
            "zone_id": ["z1", "z1", None, "z1"],
            "direction": ["采购自", "卖给", "采购自", "采购自"],
            "product": ["DTY", "DTY", "POY", "DTY"],
            "amount": ["1", "2", "-3", "abc"],
        }
    )
    with pytest.raises(InvalidFile) as caught:
        index.rank(QUERIES, ties=bad)
    said = [(p.row, p.column, p.value) for p in caught.value.problems]
    assert (3, "candidate_id", "nobody") in said
    assert (3, "direction", "卖给") in said
    assert (4, "zone_id", None) in said
    assert (4, "amount", "-3") in said
    assert (5, "amount", "abc") in said
    assert (5, "product", "DTY") in said  # the same tie as row 2
    with pytest.raises(InvalidFile) as missing:
        index.rank(QUERIES, ties=bad.drop("product"))
    assert [p.column for p in missing.value.problems] == ["product"]
