"""Policy files: refused on load with file, line and reason; evaluated with unknowns, traces,
near misses and exact thresholds; the shipped rule sets pass their own test cases."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import polars as pl
import pytest

from wulian.core.errors import InvalidFile
from wulian.engines.rules import cases, files
from wulian.engines.rules.evaluate import Near, evaluate
from wulian.engines.rules.policy import Policy, load, load_set

SHIPPED = Path(str(resources.files("wulian.policy").joinpath("policies")))

BASE = """\
id: demo
title: 研发补助
issuer: 示范区科技局
document: 示范区科〔2024〕1号
category: 奖补
effective: {from: 2023-01-01}
inputs:
  rd: {name: 研发费用, unit: 万元}
  revenue: {name: 营业收入, unit: 万元}
  region: {name: 所在区域, type: code}
parameters:
  rate:
    name: 补助比例
    percent: true
    values:
      - {from: 2023-01-01, to: 2024-12-31, value: 0.1, reference: 第三条}
      - {from: 2025-01-01, value: 0.2, reference: 2025年修订 第三条}
values:
  - {key: ratio, name: 研发费用占比, percent: true, expr: rd / revenue}
conditions:
  - {key: intensity, name: 研发费用占比不低于3%, expr: ratio >= 3%}
  - {key: local, name: 在本区, expr: "region in ['A', 'B']"}
benefit: {expr: rate * rd, cap: 50}
"""


def refused(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(InvalidFile) as caught:
        load(text, "demo.yaml")
    return [(p.row, p.reason) for p in caught.value.problems]


def test_an_expression_error_names_its_line_and_column() -> None:
    problems = refused(BASE.replace("expr: ratio >= 3%}", "expr: ratio >= = 3%}"))
    assert problems[0][0] == 21
    assert "第 10 列" in problems[0][1]


def test_an_unknown_input_is_refused() -> None:
    problems = refused(BASE.replace("expr: rd / revenue", "expr: rd / sales"))
    assert problems == [(19, "表达式第 6 列：未声明的名称“sales”（输入、参数、表或中间值）")]


def test_comparing_a_code_with_a_number_is_refused() -> None:
    problems = refused(BASE.replace("region in ['A', 'B']", "region >= 3"))
    assert problems[0][0] == 22
    assert "不能比较代码和数值" in problems[0][1]


def test_overlapping_dated_values_are_refused() -> None:
    problems = refused(
        BASE.replace("{from: 2025-01-01, value: 0.2", "{from: 2024-06-01, value: 0.2")
    )
    assert problems[0][0] == 17
    assert "取值期间重叠" in problems[0][1]


def test_a_parameter_without_a_value_on_the_date_is_refused_at_evaluation() -> None:
    policy = load(BASE.replace("effective: {from: 2023", "effective: {from: 2022"), "demo.yaml")
    frame = pl.DataFrame({"id": ["1"], "rd": [10.0], "revenue": [100.0], "region": ["A"]})
    with pytest.raises(InvalidFile) as caught:
        evaluate([policy], frame, period=2023, day=dt.date(2022, 12, 31))
    problem = caught.value.problems[0]
    assert problem.row == 13
    assert "在 2022-12-31 没有取值" in problem.reason


def test_a_failing_test_case_is_reported_at_its_line() -> None:
    text = BASE + (
        "tests:\n"
        "  - name: 比例10%\n"
        "    period: 2024\n"
        "    input: {rd: 30, revenue: 100, region: A}\n"
        "    expect: {status: eligible, amount: 4}\n"
    )
    policy = load(text, "demo.yaml")
    with pytest.raises(InvalidFile) as caught:
        cases.check_cases(policy)
    problem = caught.value.problems[0]
    assert problem.row == 25
    assert problem.reason == "金额应为 4，实际为 3"


def test_names_must_be_unique_and_not_reserved() -> None:
    assert "与 inputs 中的重复" in refused(BASE.replace("key: ratio,", "key: rd,"))[0][1]
    assert "保留名称" in refused(BASE.replace("key: ratio,", "key: score,"))[0][1]


def frame(**columns: list[object]) -> pl.DataFrame:
    ids = [str(i) for i in range(len(next(iter(columns.values()))))]
    return pl.DataFrame(
        {"id": ids, **columns},
        schema={"id": pl.String, "rd": pl.Float64, "revenue": pl.Float64, "region": pl.String},
    )


def test_outcomes_amounts_missing_and_dated_parameters() -> None:
    policy = load(BASE, "demo.yaml")
    data = frame(
        rd=[30.0, 30.0, 2.0, None, 900.0, 30.0],
        revenue=[1000.0, 1000.0, 100.0, 1000.0, 1000.0, 1000.0],
        region=["A", "C", "A", "A", "B", None],
    )
    out = evaluate([policy], data, period=2024).long()
    assert out["status"].to_list() == [
        "eligible", "ineligible", "ineligible", "unknown", "eligible", "unknown"
    ]  # fmt: skip
    assert out["amount"].to_list() == [3.0, 0.0, 0.0, None, 50.0, None]  # capped at 50
    assert out["missing"].to_list() == ["", "", "", "rd", "", "region"]
    assert out["missing_names"].to_list()[3] == "研发费用"
    assert out["failed"].to_list()[1:3] == ["local", "intensity"]
    later = evaluate([policy], data, period=2025).long()
    assert later["amount"].to_list()[0] == 6.0  # the 2025 rate


def test_a_missing_input_that_cannot_change_the_outcome_does_not_make_it_unknown() -> None:
    policy = load(BASE, "demo.yaml")
    out = evaluate([policy], frame(rd=[None], revenue=[100.0], region=["Z"]), period=2024).long()
    assert out.row(0, named=True)["status"] == "ineligible"


def test_near_misses_and_the_reasons_in_chinese() -> None:
    policy = load(BASE, "demo.yaml")
    data = frame(rd=[26.0, 10.0], revenue=[1000.0, 1000.0], region=["A", "A"])
    result = evaluate([policy], data, period=2024, trace=True, near=Near(max_failed=1, margin=0.2))
    assert result.frames["demo"]["near"].to_list() == [True, False]  # 2.6% of 3%; 1% is far
    line = result.explain("0")[0].conditions[0]
    assert line.holds is False
    assert line.reason() == "研发费用占比 2.6%，需 ≥ 3%"
    assert result.explain("0")[0].parameters[0] == ("补助比例", "10%", "第三条")


def test_a_policy_out_of_effect_is_skipped_and_said() -> None:
    policy = load(BASE, "demo.yaml")
    result = evaluate([policy], frame(rd=[1.0], revenue=[1.0], region=["A"]), period=2022)
    assert result.frames == {}
    assert "不在有效期内" in result.skipped["demo"]


def test_absent_columns_are_all_named() -> None:
    policy = load(BASE, "demo.yaml")
    with pytest.raises(InvalidFile) as caught:
        evaluate([policy], pl.DataFrame({"id": ["1"], "rd": [1.0]}), period=2024)
    assert [p.column for p in caught.value.problems] == ["revenue", "region"]


# ---------------------------------------------------------------- the shipped rule sets


def shipped() -> list[Path]:
    return sorted(SHIPPED.glob("*.yaml"))


def shipped_set() -> dict[str, Policy]:
    """The shipped policies, loaded together (some read others' outputs), by file stem."""
    paths = shipped()
    loaded = load_set([(p.read_text("utf-8"), p.name) for p in paths])
    return {p.stem: policy for p, policy in zip(paths, loaded, strict=True)}


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_every_shipped_policy_passes_its_cases(path: Path) -> None:
    policy = shipped_set()[path.stem]
    assert policy.tests, "每项政策都要有测试用例"
    failing = [(r.name, r.problems) for r in cases.run_cases(policy) if not r.passed]
    assert failing == []


@pytest.mark.parametrize("path", shipped(), ids=lambda p: p.stem)
def test_every_shipped_parameter_declares_its_range_and_every_benefit_its_floor(
    path: Path,
) -> None:
    policy = shipped_set()[path.stem]
    assert [k for k, p in policy.parameters.items() if not p.declared] == []
    assert policy.benefit is None or policy.benefit.min == 0


def test_a_dated_value_outside_its_declared_range_is_refused_at_its_line() -> None:
    text = BASE.replace(
        "    percent: true\n    values:",
        "    percent: true\n    min: 0\n    max: 0.25\n    values:",
    )
    assert load(text, "demo.yaml").parameters["rate"].declared
    problems = refused(text.replace("value: 0.2, reference", "value: 2, reference"))
    assert problems == [(19, "“补助比例”应在 0% 至 25% 之间（给出的是 200%）")]
    problems = refused(text.replace("min: 0\n    max: 0.25", "min: 1\n    max: 0.25"))
    assert problems[0][1] == "min 大于 max"


def test_a_benefit_with_a_floor_is_never_below_it() -> None:
    negative = BASE.replace("rate * rd, cap: 50}", "rate * (rd - 100), cap: 50, min: 0}")
    data = frame(rd=[30.0, 900.0], revenue=[1000.0, 1000.0], region=["A", "A"])
    assert evaluate([load(negative, "demo.yaml")], data, period=2024).long()[
        "amount"
    ].to_list() == [
        0.0,
        50.0,
    ]
    unfloored = BASE.replace("rate * rd, cap: 50}", "rate * (rd - 100), cap: 50}")
    amounts = evaluate([load(unfloored, "demo.yaml")], data, period=2024).long()["amount"]
    assert amounts.to_list() == [-7.0, 50.0]  # the policy did not say
    case = negative + (
        "tests:\n"
        "  - name: 负数保底为0\n"
        "    period: 2024\n"
        "    input: {rd: 30, revenue: 1000, region: A}\n"
        "    expect: {status: eligible, amount: 0}\n"
    )
    assert all(r.passed for r in cases.run_cases(load(case, "demo.yaml")))  # row by row too


def test_the_ladder_is_complete() -> None:
    ladder = shipped_set()
    rungs = {key: p.rung for key, p in ladder.items() if p.category == "资质"}
    assert set(rungs) == {"kexing", "chuangxin", "gaoxin", "zhuanjing", "xiaojuren"}
    assert {p.category for p in ladder.values()} == {"减免", "奖补", "权益", "资质"}
    for policy in ladder.values():
        for parameter in policy.parameters.values():
            assert all(v.reference for v in parameter.values)


LADDER_THRESHOLDS = [
    # policy, inputs that put the firm exactly on a threshold, the condition that must hold
    ("kexing", {"staff_total": 500.0}, "staff"),
    ("kexing", {"revenue": 20000.0}, "size_revenue"),
    ("kexing", {"total_assets": 20000.0}, "size_assets"),
    ("gaoxin", {"tech_staff": 10.0, "staff_total": 100.0}, "tech"),
    ("gaoxin", {"age_years": 1.0}, "age"),
    ("gaoxin", {"innovation_score": 71.0}, "innovation"),
    ("gaoxin", {"hightech_product_revenue": 4800.0, "revenue": 8000.0}, "hightech"),
    ("zhuanjing", {"rd_expense": 150.0, "revenue": 5000.0}, "rd"),
    ("zhuanjing", {"age_years": 2.0}, "years"),
    ("zhuanjing", {"revenue": 1000.0, "rd_expense": 100.0}, "scale"),
    ("xiaojuren", {"debt_ratio": 0.7}, "debt"),
    ("xiaojuren", {"niche_share": 0.1}, "niche"),
    ("xiaojuren", {"ip_class1_count": 2.0}, "ip"),
    ("xiaojuren", {"main_business_revenue": 8400.0, "revenue": 12000.0}, "main"),
]


@pytest.mark.parametrize(("key", "inputs", "condition"), LADDER_THRESHOLDS)
def test_a_firm_exactly_on_a_ladder_threshold_meets_it(
    key: str, inputs: dict[str, float], condition: str
) -> None:
    policy = shipped_set()[key]
    base = dict(policy.tests[0].input)
    result = evaluate(
        [policy], cases.frame_of(policy, base | inputs), period=2024, trace=True
    ).frames[key]
    assert result[f"c.{condition}"].to_list() == [True]


def test_band_boundaries_of_the_kexing_points_are_inclusive() -> None:
    policy = load((SHIPPED / "kexing.yaml").read_text("utf-8"), "kexing.yaml")
    base = dict(policy.tests[0].input)
    # each share is read as the decimal it prints as, so every lower bound is in its band
    shares = {0.30: 20, 0.25: 16, 0.20: 12, 0.15: 8, 0.10: 4, 0.0999: 0}
    rows = [base | {"tech_staff": s * 1_000_000, "staff_total": 1_000_000.0} for s in shares]
    ratios = {0.06: 50, 0.05: 40, 0.04: 30, 0.03: 20, 0.02: 10, 0.0199: 0}
    rows += [
        base | {"rd_expense": r * 18_500_000, "revenue": 18_500_000.0, "total_cost": 1e12}
        for r in ratios
    ]
    data = pl.concat([cases.frame_of(policy, r) for r in rows])
    result = evaluate([policy], data, period=2024).frames["kexing"]
    traced = evaluate([policy], data, period=2024, trace=True).frames["kexing"]
    assert traced["tech_score"].to_list()[:6] == list(shares.values())
    assert traced["rd_score"].to_list()[6:] == list(ratios.values())
    assert result.height == 12


def test_policy_files_from_a_folder_and_data_with_bad_cells(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(BASE, "utf-8")
    policies = files.read_policies(tmp_path)
    data = tmp_path / "data.csv"
    data.write_text("id,rd,revenue,region\n1,30,1000,A\n2,三十,1000,A\n3,,1000,B\n", "utf-8")
    with pytest.raises(InvalidFile) as caught:
        files.read_data(data, policies)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [(3, "rd", "三十")]
    data.write_text("id,rd,revenue,region\n1,30,1000,A\n3,,1000,B\n", "utf-8")
    frame = files.read_data(data, policies)
    assert frame["rd"].to_list() == [30.0, None]
