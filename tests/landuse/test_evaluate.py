"""The 亩均效益 evaluation on hand-made firms: the published formula to four decimals, class
shares with ties, T cases, missing emissions, zero land, the low-efficiency line, what moves a
firm up a class, and refused specs."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources

import polars as pl
import pytest

from wulian.core.errors import InvalidFile, InvalidInput
from wulian.landuse import evaluate as ev
from wulian.landuse import spec as landuse_spec

SHIPPED = resources.files("wulian.landuse").joinpath("specs/huangyan.yaml").read_text("utf-8")
# the published formula itself says nothing of caps: the shipped spec without its default limits
UNCAPPED, LIMITS = re.subn(r",\s*cap: 2,\s*floor: 0,\s*cap_basis: default", "", SHIPPED)
INPUTS = ("tax_paid", "land_area", "industrial_value_added", "energy_use", "emissions",
          "staff_average", "rd_expense", "revenue", "electricity_use")  # fmt: skip


def firm(eid, *, above=True, tax=482.0, land=10.0, va=2000.0, energy=500.0, emissions=0.5,
         staff=80.0, rd=150.0, revenue=5000.0, power=None, rented=False, building=False,
         section="C", founded=dt.date(2010, 1, 1)):  # fmt: skip
    return {
        "enterprise_id": eid, "name": f"企业{eid}", "guishang": above, "rented": rented,
        "building": building, "section": section, "founded_on": founded,
        "tax_paid": tax, "land_area": land, "industrial_value_added": va, "energy_use": energy,
        "emissions": emissions, "staff_average": staff, "rd_expense": rd, "revenue": revenue,
        "electricity_use": power,
    }  # fmt: skip


def frame(rows):
    schema = dict.fromkeys(INPUTS, pl.Float64) | {"founded_on": pl.Date}
    return pl.DataFrame(rows, schema_overrides=schema)


def run(rows, text=SHIPPED, year=2022, **kw):
    return ev.evaluate(landuse_spec.load(text), frame(rows), year=year, **kw)


def test_the_published_formula_to_four_decimals():
    rows = [firm(1), firm(2, tax=120.5, va=900.0, energy=300.0, emissions=0.2, staff=60.0,
                          rd=40.0, revenue=2000.0)]  # fmt: skip
    result = run(rows, UNCAPPED).rows.sort("enterprise_id")
    # Σ value / benchmark × weight with Huangyan's 2022 benchmarks, written out by hand
    first = (48.2 / 24.097 * 30 + 200 / 136.16 * 20 + 4 / 2.694 * 20 + 4000 / 4929.81 * 10
             + 25 / 18.14 * 10 + 0.03 / 0.0302 * 10)  # fmt: skip
    second = (12.05 / 24.097 * 30 + 90 / 136.16 * 20 + 3 / 2.694 * 20 + 4500 / 4929.81 * 10
              + 15 / 18.14 * 10 + 0.02 / 0.0302 * 10)  # fmt: skip
    assert round(first, 4) == 150.9097  # 60.0075 + 29.3772 + 29.6956 + 8.1139 + 13.7817 + 9.9338
    assert [round(s, 4) for s in result["score"]] == [round(first, 4), round(second, 4)]
    below = run([firm(3, above=False, tax=60.0, land=5.0, power=40.0)], UNCAPPED).rows
    # 规下: 亩均税收 12 and 单位电耗税收 1.5 against 11.5932 and 0.2352, 50 each
    assert round(below["score"][0], 4) == round(12 / 11.5932 * 50 + 1.5 / 0.2352 * 50, 4)
    assert below["group"][0] == "below"


def test_class_shares_and_ties_share_the_better_class():
    rows = [firm(i, tax=100.0 + 10 * i) for i in range(1, 21)]
    rows[15]["tax_paid"] = rows[16]["tax_paid"]  # firms 16 and 17 tie for 4th place
    result = run(rows).rows.sort("rank")
    assert result["rank"].to_list()[:5] == [1, 2, 3, 4, 4]
    counts = result.group_by("grade").len().sort("grade")
    # A: top 20% = 4 firms, and the tie at 4th place takes the better class (5); D: last 5% = 1
    assert dict(counts.iter_rows()) == {"A": 5, "B": 7, "C": 7, "D": 1}
    assert result.filter(pl.col("enterprise_id").is_in([16, 17]))["grade"].to_list() == ["A"] * 2


def test_t_cases_rented_land_and_scope():
    rows = [
        firm(1),
        firm(2, section="D"),  # a utility
        firm(3, founded=dt.date(2021, 6, 1)),  # under two years old at the end of 2022
        firm(4, building=True),  # a major project still building
        firm(5, rented=True),
        firm(6, above=False, land=2.0, power=10.0),  # 规下 with under 3 亩 of its own
        firm(7, above=False, land=3.0, power=10.0, tax=12.0),
    ]
    result = run(rows).rows.sort("enterprise_id")
    status = dict(zip(result["enterprise_id"], result["status"], strict=True))
    assert status == {1: "rated", 2: "T", 3: "T", 4: "T", 5: "rented", 6: "out", 7: "rated"}
    reasons = dict(zip(result["enterprise_id"], result["reason"], strict=True))
    assert "公用事业" in reasons[2]
    assert "成立不满 2 年" in reasons[3]
    assert "在建" in reasons[4]
    assert "不足 3 亩" in reasons[6]
    classes = dict(zip(result["enterprise_id"], result["grade"], strict=True))
    assert classes[2] == classes[3] == classes[4] == "T"
    assert classes[5] is None  # rented: scored against the same benchmarks, not classed
    assert result.filter(pl.col("enterprise_id") == 5)["score"][0] == pytest.approx(
        result.filter(pl.col("enterprise_id") == 1)["score"][0]
    )
    assert result.filter(pl.col("enterprise_id") == 7)["low"][0]  # 4 万元/亩 < 5


def test_missing_emissions_take_the_groups_average_and_other_gaps_are_named():
    rows = [firm(1, emissions=0.5), firm(2, emissions=0.25), firm(3, emissions=None)]
    evaluation = run(rows)
    third = evaluation.details[3]["value_added_per_emission"]
    assert third["value"] == pytest.approx((4000 + 8000) / 2)  # the 规上 mean of the item
    assert third["averaged"] == 1.0
    rows.append(firm(4, energy=None))
    gap = run(rows).rows.filter(pl.col("enterprise_id") == 4)
    assert gap["status"][0] == "incomplete"
    assert "综合能耗" in gap["reason"][0] or "能耗" in gap["reason"][0]
    assert gap["score"][0] is None


@pytest.mark.parametrize(("land", "words"), [(0.0, "用地面积为 0"), (None, "未填报")])
def test_zero_or_unknown_land_is_refused_with_the_reason_not_divided(land, words):
    result = run([firm(1), firm(2, land=land)]).rows.sort("enterprise_id")
    assert result["status"].to_list() == ["rated", "incomplete"]
    assert words in result["reason"][1]
    assert result["score"][1] is None
    assert result["grade"][1] is None


def test_what_moves_a_firm_up_a_class_does_move_it():
    rows = [firm(i, tax=100.0 + 10 * i) for i in range(1, 11)]
    text = SHIPPED
    evaluation = run(rows, text)
    model = landuse_spec.load(text)
    b_firm = evaluation.rows.filter(pl.col("grade") == "B").sort("score", descending=True)
    eid = int(b_firm["enterprise_id"][0])
    move = ev.to_next_class(model, evaluation, eid)
    assert move is not None
    assert move["grade"] == "A"
    assert move["gap"] > 0
    needed_tax_per_mu = move["routes"]["tax_per_mu"]
    rows[eid - 1]["tax_paid"] = needed_tax_per_mu * 10 + 1e-6  # land is 10 亩
    again = run(rows, text).rows.filter(pl.col("enterprise_id") == eid)
    assert again["grade"][0] == "A"
    top = evaluation.rows.filter(pl.col("grade") == "A")["enterprise_id"][0]
    assert ev.to_next_class(model, evaluation, int(top)) is None


def test_benchmarks_from_the_scope_and_from_last_year():
    pooled = SHIPPED.replace("benchmark: 24.097,", "benchmark: average,")
    evaluation = run([firm(1, tax=100.0), firm(2, tax=300.0, land=30.0)], pooled)
    # the group's total tax / total land, not the mean of the firms' ratios
    assert evaluation.benchmarks["above"]["tax_per_mu"] == pytest.approx(400 / 40)
    last = SHIPPED.replace("benchmark: 24.097,", "benchmark: {previous_average: 1.05},")
    with pytest.raises(InvalidInput, match="上年"):
        run([firm(1)], last)
    shifted = run([firm(1)], last, previous_averages={"above": {"tax_per_mu": 20.0}})
    assert shifted.benchmarks["above"]["tax_per_mu"] == pytest.approx(21.0)


def test_each_item_counts_between_its_floor_and_its_cap():
    # the demo's case: 亩均增加值 3,532.74 万元/亩, 26 times the benchmark
    rows = [firm(1), firm(2, va=35_327.4), firm(3, va=-300.0), firm(4, tax=-20.0)]
    uncapped = run(rows, UNCAPPED)
    assert uncapped.details[2]["value_added_per_mu"]["points"] == pytest.approx(518.91, abs=0.01)
    evaluation = run(rows)
    far, loss, refund = (evaluation.details[i] for i in (2, 3, 4))
    assert far["value_added_per_mu"]["points"] == pytest.approx(40.0)  # 2 × its weight of 20
    assert far["value_added_per_mu"]["limited"] == 1
    assert loss["value_added_per_mu"]["points"] == 0.0  # a loss gives 0, not minus points
    assert loss["value_added_per_mu"]["limited"] == -1
    assert refund["tax_per_mu"]["points"] == 0.0
    scores = evaluation.rows.sort("enterprise_id")["score"].to_list()
    assert max(scores) <= 200.0
    assert min(scores) >= 0.0
    assert LIMITS == 8  # every shipped item is capped and floored, said to be a default
    model = landuse_spec.load(SHIPPED)
    assert {(i.ratio_cap, i.floor, i.cap_basis) for g in model.groups for i in g.items} == {
        (2.0, 0.0, "default")
    }
    assert model.groups[0].items[0].limits == "上限 60 分（权重的 2 倍），下限 0 分；平台默认"
    # a cap written in points: 亩均税收 at most 45 points (1.5 × its weight), official
    points = SHIPPED.replace(
        "weight: 30, benchmark: 24.097, cap: 2, floor: 0, cap_basis: default",
        "weight: 30, benchmark: 24.097, max_points: 45, floor: 0, cap_basis: official",
    )
    rich = run([firm(1, tax=4_000.0)], points).details[1]["tax_per_mu"]
    assert rich["points"] == pytest.approx(45.0)
    assert landuse_spec.load(points).groups[0].items[0].limits.endswith("；官方口径")


def test_a_small_firm_with_unknown_land_is_incomplete_not_out_of_scope():
    rows = [firm(1, above=False, land=3.0, power=10.0, tax=12.0),
            firm(2, above=False, land=None, power=10.0, tax=12.0),
            firm(3, above=False, land=None, power=None, tax=12.0)]  # fmt: skip
    result = run(rows).rows.sort("enterprise_id")
    assert result["status"].to_list() == ["rated", "incomplete", "incomplete"]
    assert "用地面积未填报" in result["reason"][1]
    assert "不足" not in result["reason"][1]
    # everything that is missing is named
    assert "用地面积未填报" in result["reason"][2]
    assert "用电量" in result["reason"][2]
    assert result["score"][1] is None


BAD = [
    ("benchmark: 24.097,", "benchmark: 0,", "基准值应大于 0"),
    (
        "benchmark: 24.097, cap: 2,",
        "benchmark: 24.097, cap: 2, max_points: 60,",
        "只写一个",
    ),
    ("benchmark: 24.097, cap: 2, floor: 0,", "benchmark: 24.097, cap: 2, floor: 2,", "floor"),
    ("floor: 0, cap_basis: default}", "floor: 0, cap_basis: 官方}", "应为以下之一"),
    ("{key: tax_per_mu, weight: 30", "{key: tax_per_acre, weight: 30", "不是指标目录"),
    ("{label: D, top: 1.0}", "{label: D, top: 0.99}", "应为 1"),
    ("{label: D, top: 1.0}", "{label: T, top: 1.0}", "不能用 T"),
    ("weight: 20, benchmark: 136.16", "weight: 二十, benchmark: 136.16", "应为数字"),
]


@pytest.mark.parametrize(("old", "new", "words"), BAD)
def test_bad_specs_are_refused_at_their_line(old, new, words):
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    with pytest.raises(InvalidFile) as caught:
        landuse_spec.load(text, "bad.yaml")
    problem = caught.value.problems[0]
    assert words in problem.reason
    assert problem.row is not None


def test_bad_data_is_refused():
    with pytest.raises(InvalidInput, match="缺少这些列"):
        ev.evaluate(landuse_spec.load(SHIPPED), frame([firm(1)]).drop("emissions"), year=2022)
    with pytest.raises(InvalidInput, match="重复"):
        run([firm(1), firm(1)])
