"""Rule sets that compose: a policy reads another's outputs as policy_id.output, each policy is
evaluated once after those it reads, and the result is what the same rules written in one file
give — status, amount and missing inputs, with blanks decided from bounds across policies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.errors import InvalidFile
from wulian.engines.rules import cases
from wulian.engines.rules.evaluate import evaluate, interpret_policy
from wulian.engines.rules.policy import load, load_set, parameter_values

LADDER = Path(__file__).parents[3] / "examples" / "ladder"

MEASURES = """\
id: measures
title: 公共指标
issuer: 示例
document: 无
effective: {from: 2020-01-01}
inputs:
  x: {name: 研发费用, unit: 万元}
  y: {name: 销售收入, unit: 万元}
tables:
  t:
    name: 比例得分
    bands: [{min: 0.05, value: 40}, {min: 0.03, value: 20}]
    else: 0
values:
  - {key: r, name: 研发费用占比, expr: x / y, percent: true}
score:
  - {key: p, name: 研发得分, expr: "band(t, r)"}
"""

READER = """\
id: reader
title: 引用公共指标的政策
issuer: 示例
document: 无
category: 奖补
effective: {from: 2020-01-01}
inputs:
  z: {name: 人数, unit: 人}
conditions:
  - {key: points, name: 研发得分达标, expr: measures.p >= 20}
  - {key: share, name: 人数不超过占比的1000倍, expr: z <= measures.r * 1000}
benefit: {expr: 2 * measures.r, cap: 0.1}
"""

INLINE = """\
id: inline
title: 写在一个文件里的同一条规则
issuer: 示例
document: 无
category: 奖补
effective: {from: 2020-01-01}
inputs:
  x: {name: 研发费用, unit: 万元}
  y: {name: 销售收入, unit: 万元}
  z: {name: 人数, unit: 人}
tables:
  t:
    name: 比例得分
    bands: [{min: 0.05, value: 40}, {min: 0.03, value: 20}]
    else: 0
values:
  - {key: r, name: 研发费用占比, expr: x / y, percent: true}
score:
  - {key: p, name: 研发得分, expr: "band(t, r)"}
conditions:
  - {key: points, name: 研发得分达标, expr: p >= 20}
  - {key: share, name: 人数不超过占比的1000倍, expr: z <= r * 1000}
benefit: {expr: 2 * r, cap: 0.1}
"""


def composed() -> list:
    return load_set([(READER, "reader.yaml"), (MEASURES, "measures.yaml")])


def test_every_case_of_the_composed_ladder_passes() -> None:
    ladder = load_set([(p.read_text("utf-8"), p.name) for p in sorted(LADDER.glob("*.yaml"))])
    assert {p.id for p in ladder} == {
        "firm",
        "kexing_points",
        "kexing",
        "gaoxin_basic",
        "rd_subsidy",
    }
    results = [r for p in ladder for r in cases.run_cases(p)]
    assert len(results) >= 12
    assert [r.problems for r in results if not r.passed] == []


def test_a_blank_another_policy_bounds_leaves_the_reader_decided() -> None:
    """科技人员 20 分、按销售收入研发至少 40 分：成本费用空缺时研发得分在 [40, 50]，总分至少 60，
    so 科小 is met — decided across two policies, not 待补充."""
    ladder = load_set([(p.read_text("utf-8"), p.name) for p in sorted(LADDER.glob("*.yaml"))])
    kexing = next(p for p in ladder if p.id == "kexing")
    row = {
        "staff_total": 100, "revenue": 1000, "total_assets": 3000, "tech_staff": 30,
        "rd_expense": 50, "ip_class1_count": 0, "ip_class2_count": 0, "gaoxin": False,
        "national_award": False, "provincial_platforms": 0, "standard_lead": False,
    }  # fmt: skip
    result = evaluate(
        [kexing], cases.frame_of(kexing, row), period=2024, outputs=["kexing_points.score"]
    )
    assert result.frames["kexing"]["status"].to_list() == ["eligible"]
    assert result.outputs(["kexing_points.score"])["kexing_points.score"].to_list() == [None]
    assert set(result.frames) == {"firm", "kexing_points", "kexing"}  # read, so evaluated


def test_the_same_rules_composed_or_in_one_file_give_the_same_results() -> None:
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "x": [5, 3, None, 1],
            "y": [100, 100, 100, None],
            "z": [40, 31, 10, 1],
        }
    )
    reader = outcome(evaluate(composed(), frame, period=2024).long(), "reader")
    inline = outcome(evaluate([load(INLINE, "inline.yaml")], frame, period=2024).long(), "inline")
    assert reader == inline
    assert [r["status"] for r in reader] == ["eligible", "ineligible", "unknown", "unknown"]
    assert [r["missing"] for r in reader] == ["", "", "x", "y"]


def outcome(long: pl.DataFrame, policy: str) -> list[dict]:
    """Each unit's status, amount, failed conditions and missing inputs (in name order)."""
    rows = long.filter(pl.col("policy") == policy).select(
        "id", "status", "amount", "failed", "missing"
    )
    return [
        r | {"missing": ";".join(sorted(filter(None, r["missing"].split(";"))))}
        for r in rows.to_dicts()
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 12)),
            st.one_of(st.none(), st.integers(0, 200)),
            st.one_of(st.none(), st.integers(0, 120)),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_composed_and_inline_agree_on_random_firms_with_blanks(rows: list) -> None:
    frame = pl.DataFrame(
        {
            "id": [str(i) for i in range(len(rows))],
            "x": [r[0] for r in rows],
            "y": [r[1] for r in rows],
            "z": [r[2] for r in rows],
        },
        schema={"id": pl.String, "x": pl.Int64, "y": pl.Int64, "z": pl.Int64},
    )
    policies = composed()
    reader = outcome(evaluate(policies, frame, period=2024).long(), "reader")
    inline = outcome(evaluate([load(INLINE, "inline.yaml")], frame, period=2024).long(), "inline")
    assert reader == inline
    policy = next(p for p in policies if p.id == "reader")
    params = parameter_values(policy, dt.date(2024, 12, 31))
    reference = [  # row by row in plain Python, the read outputs interpreted first
        interpret_policy(policy, row, params, 2024)[0] for row in frame.iter_rows(named=True)
    ]
    assert reference == [r["status"] for r in reader]


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        ([(READER, "reader.yaml")], "没有政策“measures”"),
        ([(READER.replace("measures.p >= 20", "measures.q >= 20"), "reader.yaml"),
          (MEASURES, "m.yaml")],
         "政策“measures”没有结果“q”（可引用：r、p、score、eligible）"),
        ([(MEASURES.replace("expr: x / y", "expr: measures.p / y"), "m.yaml")], "直接写名称"),
        ([(READER, "reader.yaml"), (MEASURES, "m.yaml"), (MEASURES, "copy.yaml")], "政策编号重复"),
    ],
)  # fmt: skip
def test_a_reference_that_cannot_be_read_is_refused_at_its_line(files: list, fragment: str) -> None:
    with pytest.raises(InvalidFile) as caught:
        load_set(files)
    assert fragment in caught.value.message


def test_a_cycle_is_refused_at_load_with_the_cycle_named() -> None:
    a = MEASURES.replace("expr: x / y", "expr: x / y + other.v * 0")
    b = READER.replace("id: reader", "id: other").replace(
        "benefit: {expr: 2 * measures.r, cap: 0.1}",
        "values:\n  - {key: v, name: 值, expr: measures.r}",
    )
    with pytest.raises(InvalidFile) as caught:
        load_set([(a, "measures.yaml"), (b, "other.yaml")])
    message = caught.value.message
    assert "循环引用" in message
    assert "measures → other → measures" in message or "other → measures → other" in message


def test_conditions_and_eligibility_are_read_as_true_false_or_unknown() -> None:
    award = READER.replace("id: reader", "id: award").replace(
        "benefit: {expr: 2 * measures.r, cap: 0.1}", "benefit: {expr: '5'}"
    )
    award = award.replace(
        "  - {key: points, name: 研发得分达标, expr: measures.p >= 20}\n"
        "  - {key: share, name: 人数不超过占比的1000倍, expr: z <= measures.r * 1000}",
        "  - {key: met, name: 已符合另一政策, expr: reader.eligible and reader.points}",
    )
    policies = load_set([(award, "award.yaml"), (READER, "reader.yaml"), (MEASURES, "m.yaml")])
    frame = pl.DataFrame(
        {"id": ["a", "b", "c"], "x": [5, 3, None], "y": [100, 100, 100], "z": [1, 40, 1]}
    )
    result = evaluate([p for p in policies if p.id == "award"], frame, period=2024)
    assert result.frames["reader"]["status"].to_list() == ["eligible", "ineligible", "unknown"]
    assert result.frames["award"]["status"].to_list() == ["eligible", "ineligible", "unknown"]
    assert result.frames["award"]["amount"].to_list() == [5.0, 0.0, None]
    assert result.long().filter(pl.col("policy") == "award")["missing"].to_list()[2] == "x"


def test_a_file_of_outputs_only_needs_no_conditions_and_no_category() -> None:
    measures = load(MEASURES, "measures.yaml")
    assert measures.conditions == []
    assert measures.category is None
    frame = pl.DataFrame({"id": ["a", "b"], "x": [5, None], "y": [100, 100]})
    result = evaluate([measures], frame, period=2024).long()
    # unknown while one of its values is, naming what is missing
    assert result["status"].to_list() == ["eligible", "unknown"]
    assert result["missing"].to_list() == ["", "x"]
    with pytest.raises(InvalidFile, match="须写明类别"):
        load(READER.replace("category: 奖补\n", ""), "reader.yaml")


def test_the_command_writes_named_outputs_and_refuses_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "measures.yaml").write_text(MEASURES, "utf-8")
    (tmp_path / "reader.yaml").write_text(READER, "utf-8")
    data = tmp_path / "firms.csv"
    data.write_text("id,x,y,z\nA,5,100,40\nB,,100,10\n", "utf-8")
    out = tmp_path / "out.csv"
    args = ["policy", "evaluate", "--policies", str(tmp_path), "--data", str(data),
            "--period", "2024", "--out", str(out)]  # fmt: skip
    result = CliRunner().invoke(
        app, [*args, "--outputs", "measures.r,measures.p,reader.eligible,reader.amount"]
    )
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table.columns == ["id", "measures.r", "measures.p", "reader.eligible", "reader.amount"]
    assert table.row(0) == ("A", 0.05, 40.0, True, 0.1)
    assert table.row(1)[1:] == (None, None, None, None)
    refused = CliRunner().invoke(app, [*args, "--outputs", "reader.nope"])
    assert refused.exit_code != 0
    assert "政策“reader”没有这项结果" in refused.output
    tested = CliRunner().invoke(app, ["policy", "test", str(LADDER)])
    assert tested.exit_code == 0, tested.output
    assert "5 项政策" in tested.output


def test_outputs_past_64_bits_pass_exactly_between_policies() -> None:
    """Known values fit 64 bits but an unknown one's declared range does not: the interval
    pass writes 128-bit ends over the point pass's results, and the reader decides exactly."""
    big = MEASURES.replace("expr: x / y", "expr: x * y").replace("percent: true", "unit: 万元")
    big = big.replace(
        "x: {name: 研发费用, unit: 万元}",
        "x: {name: 研发费用, unit: 万元, range: {min: 0, max: 1000000000000000000}}",
    )
    reader = READER.replace("measures.p >= 20", "measures.r <= 1000000000000000000000")
    reader = reader.replace("z <= measures.r * 1000", "z >= 0").replace(
        "benefit: {expr: 2 * measures.r, cap: 0.1}", ""
    )
    policies = load_set([(reader, "reader.yaml"), (big, "m.yaml")])
    frame = pl.DataFrame(
        {"id": ["a", "b", "c"], "x": [3, None, None], "y": [7, 1000, 10000], "z": [1, 1, 1]}
    )
    result = evaluate([p for p in policies if p.id == "reader"], frame, period=2024)
    # b: x·1000 ≤ 10²¹ for every x in its range; c: x·10⁴ may exceed it
    assert result.frames["reader"]["status"].to_list() == ["eligible", "eligible", "unknown"]


def test_plans_kept_between_runs_serve_only_the_same_set_data_and_day() -> None:
    """A policy's compiled plans are kept with it and used again for the same run; evaluated
    alone, then in a set that reads its outputs, then on data of other sizes (integers past 64
    bits) and blanks, then on another day, every result is what freshly loaded policies give."""
    small = pl.DataFrame(
        {"id": ["a", "b", "c"], "x": [5, 3, None], "y": [100, 100, 100], "z": [40, 31, 10]}
    )
    large = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "x": [3 * 10**17, 10**17, None, 1],
            "y": [10**19, 10**19, 10**19, None],
            "z": [40, 31, 10, 1],
        }
    )
    kept = composed()
    measures = next(p for p in kept if p.id == "measures")

    def same(policies: list, fresh: list, frame: pl.DataFrame, day: dt.date | None = None) -> None:
        ours = evaluate(policies, frame, period=2024, day=day)
        theirs = evaluate(fresh, frame, period=2024, day=day)
        assert ours.frames.keys() == theirs.frames.keys()
        for key, got in ours.frames.items():
            assert got.equals(theirs.frames[key], null_equal=True), key
        for key, got in ours.exported.items():
            assert got.equals(theirs.exported[key], null_equal=True), key

    def fresh_measures() -> list:
        return [load(MEASURES, "measures.yaml")]

    same([measures], fresh_measures(), small)  # alone: nothing exported
    plans = len(measures.plans)
    same([measures], fresh_measures(), small)
    assert len(measures.plans) == plans  # the same run again: its plans used again
    same(kept, composed(), small)  # read by another: exports r and p
    same([measures], fresh_measures(), small)
    same(kept, composed(), large)
    same(kept, composed(), small)
    same(kept, composed(), large, dt.date(2019, 12, 31))  # before both take effect
    reader = outcome(evaluate(kept, large, period=2024).long(), "reader")
    inline = outcome(evaluate([load(INLINE, "inline.yaml")], large, period=2024).long(), "inline")
    assert reader == inline


SHARING = """\
id: base
title: 同一组中间值与评分、门槛不同的政策
issuer: 示例
document: 无
category: 奖补
effective: {from: 2020-01-01}
inputs:
  x: {name: 研发费用, unit: 万元}
  y: {name: 销售收入, unit: 万元}
  w: {name: 资产, unit: 万元}
  flag: {name: 高新技术企业, type: bool}
parameters:
  need: {name: 得分要求, values: [{from: 2020-01-01, value: 20, reference: 示例}]}
tables:
  t:
    name: 比例得分
    bands: [{min: 0.05, value: 40}, {min: 0.03, value: 20}]
    else: 0
values:
  - {key: r, name: 研发费用占比, expr: x / y, percent: true}
  - {key: huge, name: 大数, expr: x * x * y * y * w}
  - {key: big_firm, name: 大企业, expr: y >= 1000}
  - {key: need_r, name: 门槛的一半, expr: need / 2}
score:
  - {key: p, name: 研发得分, expr: "band(t, r)"}
  - {key: q, name: 加分, expr: if big_firm then 5 else 0}
  - {key: s, name: 规模分, expr: if huge >= 1 then 10 else 0}
conditions:
  - {key: points, name: 得分达标, expr: score >= need or flag}
  - {key: half, name: 占比, expr: r * 100 >= need_r}
benefit: {expr: 2 * r, cap: 0.1}
"""


def test_variants_evaluated_together_give_what_each_gives_alone() -> None:
    """Policies that compute the same derived values and point items (variants with other
    thresholds) share them in the first pass: each still gives, column for column and with a
    trace, what it gives evaluated alone, overflows, blanks and a reader included."""
    texts = {
        "base": SHARING,
        "v1": SHARING.replace("id: base", "id: v1").replace("value: 20}", "value: 30}"),
        "v2": SHARING.replace("id: base", "id: v2").replace("min: 0.03", "min: 0.04"),
    }
    reader = READER.replace("measures.", "base.").replace("z <= base.r * 1000", "z <= base.huge")
    frame = pl.DataFrame(
        {
            "id": ["a", "b", "c", "d", "e", "f"],
            "x": [50.0, 3.0, None, 1e15, 0.0, 7.5],
            "y": [1000.0, 100.0, 100.0, 1e15, None, 150.0],
            "w": [2.0, None, 1.0, 1e15, 1.0, 3.0],
            "flag": [False, None, True, False, False, None],
            "z": [1, 2, 3, 4, 5, 6],
        }
    )

    def together() -> list:
        files = [(t, f"{k}.yaml") for k, t in texts.items()]
        return load_set([*files, (reader, "reader.yaml")])

    for trace in (False, True):
        both = evaluate(together(), frame, period=2024, trace=trace)
        for policy in together():
            # alone, but for what others read of it (base: with its reader, which needs it)
            wanted = "reader" if policy.id == "base" else policy.id
            mine = [p for p in together() if p.id == wanted]
            alone = evaluate(mine, frame, period=2024, trace=trace)
            got, want = both.frames[policy.id], alone.frames[policy.id]
            assert got.equals(want, null_equal=True), (policy.id, trace)
        alone = evaluate([load(texts["v1"], "v1.yaml")], frame, period=2024, trace=trace)
        assert both.frames["v1"].equals(alone.frames["v1"], null_equal=True)
    assert both.frames["base"]["overflow"].to_list() == [False, False, False, True, False, False]


def test_one_loaded_set_evaluated_by_several_threads_at_once_gives_one_result() -> None:
    """Requests evaluate the same loaded policies at the same time: the kept plans and shared
    items (caches of the process) serve them all, each thread getting the single-thread
    result."""
    from concurrent.futures import ThreadPoolExecutor

    texts = {
        "base": SHARING,
        "v1": SHARING.replace("id: base", "id: v1").replace("value: 20}", "value: 30}"),
        "v2": SHARING.replace("id: base", "id: v2").replace("min: 0.03", "min: 0.04"),
    }
    policies = load_set([(t, f"{k}.yaml") for k, t in texts.items()])
    frames = [
        pl.DataFrame(
            {
                "id": [f"{k}-{i}" for i in range(40)],
                "x": [float(i * k % 60) for i in range(40)],
                "y": [100.0 + i for i in range(40)],
                "w": [1.0 + (i % 3) for i in range(40)],
                "flag": [i % 2 == 0 for i in range(40)],
                "z": list(range(40)),
            }
        )
        for k in (1, 3, 7)
    ]
    expected = [evaluate(policies, f, period=2024).long() for f in frames]

    def run(i: int) -> pl.DataFrame:
        return evaluate(policies, frames[i % 3], period=2024, trace=i % 2 == 1).long()

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(run, range(24)))
    for i, got in enumerate(results):
        assert got.equals(expected[i % 3], null_equal=True), i
