"""The explanation's wording of each comparison: as written when it holds, what went wrong when
it fails (a failed ≥ never reads as if it held), what is needed when a value is missing."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from wulian.engines.rules.evaluate import evaluate
from wulian.engines.rules.policy import load

POLICY = """\
id: wording
title: 措辞
issuer: 示范区人才办
document: 示范区人〔2024〕1号
category: 资质
effective: {from: 2023-01-01}
inputs:
  revenue: {name: 营业收入, unit: 元}
  revenue_1: {name: 上年营业收入, unit: 元}
  staff: {name: 职工总数, unit: 人}
values:
  - {key: growth, name: 营业收入增长率, expr: revenue / revenue_1 - 1, percent: true}
conditions:
  - {key: growth_ok, name: 营业收入增长不低于5%, expr: growth >= 5%}
  - {key: small, name: 职工不超过500人, expr: staff <= 500}
  - {key: some, name: 职工多于10人, expr: staff > 10}
  - {key: few, name: 职工少于1000人, expr: staff < 1000}
"""


def lines(**row: Any) -> list[str]:
    policy = load(POLICY, "wording.yaml")
    frame = pl.DataFrame({"id": ["x"], **{k: [v] for k, v in row.items()}})
    return evaluate([policy], frame, period=2024, trace=True).explain("x")[0].lines()


def line_of(found: list[str], name: str) -> str:
    return next(line for line in found if name in line)


def test_a_failed_threshold_says_the_value_is_below_it() -> None:
    found = lines(revenue=102.63, revenue_1=100.0, staff=600.0)
    growth = line_of(found, "营业收入增长不低于5%")
    assert growth.startswith("  ✗")
    assert "2.63%，低于 5%" in growth
    assert "≥" not in growth
    small = line_of(found, "职工不超过500人")
    assert "600 人，高于 500" in small


def test_failed_strict_comparisons_read_right() -> None:
    found = lines(revenue=110.0, revenue_1=100.0, staff=5.0)
    assert "5 人，未超过 10" in line_of(found, "职工多于10人")
    found = lines(revenue=110.0, revenue_1=100.0, staff=1000.0)
    assert "1,000 人，不低于 1,000" in line_of(found, "职工少于1000人")


def test_a_holding_threshold_reads_as_written() -> None:
    found = lines(revenue=110.0, revenue_1=100.0, staff=50.0)
    growth = line_of(found, "营业收入增长不低于5%")
    assert growth.startswith("  ✓")
    assert "10% ≥ 5%" in growth


@pytest.mark.parametrize("staff", [None])
def test_a_missing_value_says_what_is_needed(staff: float | None) -> None:
    policy = load(POLICY, "wording.yaml")
    frame = pl.DataFrame(
        {"id": ["x"], "revenue": [110.0], "revenue_1": [100.0], "staff": [staff]},
        schema_overrides={"staff": pl.Float64},
    )
    found = evaluate([policy], frame, period=2024, trace=True).explain("x")[0].lines()
    small = line_of(found, "职工不超过500人")
    assert small.startswith("  ?")
    assert "缺失，需 ≤ 500" in small
