"""The shipped spec files and the pure parts of the module: credit tiers, marginal gains, and the
catalogue formulas that turn stored inputs into indicators."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidFile
from wulian.engines.index import pipeline
from wulian.innovation import credit, evaluate, service
from wulian.reference import catalogue


@pytest.mark.parametrize(
    ("code", "indicators", "categories", "stages"),
    [
        ("national", 18, ["技术创新", "成长经营", "辅助"], ["初创期", "成长期", "稳定期"]),
        (
            "binjiang",
            24,
            ["创新投入", "创新产出", "成长性", "辅助"],
            ["种子", "苗木", "成长", "壮大", "成熟"],
        ),
        (
            "longwan",
            18,
            ["技术创新", "成长经营", "辅助"],
            ["种子期", "初创期", "成长期", "扩张期", "成熟期"],
        ),
    ],
)
def test_shipped_specs_load_against_the_catalogue(code, indicators, categories, stages):
    model = service.parse("index", service.shipped_text(code), f"{code}.yaml")
    assert len(model.indicators) == indicators
    assert [a.name for a in model.aggregates if a.parent == model.root] == categories
    assert model.cohort_labels() == stages
    counts = [len(model.children(a.key)) for a in model.aggregates if a.parent == model.root]
    if code == "national":
        assert counts == [7, 6, 5]
        assert model.cohort_weighted  # weights differ by stage
        for stage in stages:
            assert sum(model.effective_weights(stage).values()) == pytest.approx(1.0)


def test_a_credit_spec_is_checked_and_lines_follow_points_and_rank():
    spec = credit.load(service.shipped_text("credit"))
    frame = pl.DataFrame(
        {"points": [10.0, 45.0, 95.0, None, 80.0], "top_share": [0.5, 0.08, 0.01, None, 0.3]}
    )
    assert credit.lines(spec, frame).to_list() == [50.0, 110.0, 575.0, None, 300.0]
    bad = service.shipped_text("credit").replace(
        "{top: 0.10, rate: 0.10}", "{top: 0.01, rate: 0.10}"
    )
    with pytest.raises(InvalidFile) as caught:
        credit.load(bad, "credit.yaml")
    assert caught.value.problems[0].row == next(
        i for i, t in enumerate(bad.splitlines(), 1) if "top: 0.01" in t
    )


SMALL = """
id: t
name: 测试
unit: enterprise_id
indicators:
  - {key: a, name: 甲, parent: x, weight: 2}
  - {key: b, name: 乙, parent: x}
  - {key: c, name: 丙, parent: y}
aggregates:
  - {key: x, name: 一, parent: p, weight: 3}
  - {key: y, name: 二, parent: p}
  - {key: p, name: 总}
pipeline:
  - {stage: normalise, method: minmax}
  - {stage: aggregate}
"""


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=3 * 8, max_size=3 * 8))
def test_marginal_gain_is_the_weight_share_times_the_rise(values):
    from wulian.engines.index import spec as index_spec

    model = index_spec.load(SMALL)
    frame = pl.DataFrame(
        {
            "enterprise_id": list(range(8)),
            "a": values[0:8],
            "b": values[8:16],
            "c": values[16:24],
        }
    )
    result = evaluate.evaluate(model, frame)
    detail, stats = result.details[0], result.stats
    shares = {"a": 0.75 * 2 / 3, "b": 0.75 / 3, "c": 0.25}
    for gain in evaluate.marginal_gains(model, detail, "全部", stats, top=3):
        expected = shares[gain.key] * (gain.target - detail["normalised"][gain.key])
        assert gain.gain == pytest.approx(expected, abs=1e-6)
    assert pipeline.COHORT not in result.rows.columns


def test_catalogue_formulas_leave_the_unknown_unknown():
    current = pl.DataFrame(
        {"enterprise_id": [1, 2, 3], "rd_expense": [10.0, 5.0, None], "revenue": [100.0, 0.0, 50.0]}
    )
    previous = pl.DataFrame({"enterprise_id": [1, 2], "rd_expense": [8.0, 0.0]})
    need = catalogue.needs(["rd_intensity", "rd_expense_growth", "revenue"])
    assert need.current == ("rd_expense", "revenue")
    assert need.previous == ("rd_expense",)
    out = catalogue.derive(current, previous, ["rd_intensity", "rd_expense_growth", "revenue"])
    assert out["rd_intensity"].to_list() == [0.1, None, None]  # ÷0 and unknown: unknown
    assert out["rd_expense_growth"].to_list() == [0.25, None, None]
    with pytest.raises(ValueError, match="无法识别"):
        catalogue.Formula.parse("rd_expense * 2")
