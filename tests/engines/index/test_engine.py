"""The index engine's properties (hypothesis), its refusals of bad specs and data with the line
or row, and its defined behaviour at the edges: a cohort of one, zero variance, all missing."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.errors import InvalidFile, InvalidInput
from wulian.engines.index import pipeline, sensitivity, spec, treat
from wulian.engines.index.pipeline import aggregate

BASE = """
id: test
name: 测试指数
unit: id
cohort:
  column: revenue
  name: 阶段
  bands:
    - {label: 初创期, below: 500}
    - {label: 成长期, min: 500, below: 2000}
    - {label: 稳定期, min: 2000}
indicators:
  - {key: rd, name: 研发费用, parent: tech, weight: 2}
  - {key: staff, name: 科技人员, parent: tech}
  - {key: debt, name: 负债率, parent: health, direction: -1}
aggregates:
  - {key: tech, name: 技术创新, parent: total, weight: 3}
  - {key: health, name: 经营, parent: total}
  - {key: total, name: 总分}
pipeline:
  - {stage: normalise, method: minmax, range: [0, 100], within: cohort}
  - {stage: aggregate}
  - {stage: rank, ties: min, within: cohort}
  - stage: band
    within: cohort
    bands:
      - {label: 领跑, top: 0.05}
      - {label: 竞跑, top: 0.10}
      - {label: 进取, top: 0.20}
"""

values = st.floats(min_value=0, max_value=1e6, allow_nan=False)


def frame(rows):
    return pl.DataFrame(
        rows, schema=["id", "revenue", "rd", "staff", "debt"], orient="row"
    ).with_columns(pl.col("id").cast(pl.String))


row_lists = st.lists(st.tuples(values, values, values, values), min_size=3, max_size=30).map(
    lambda rows: [(f"F{i:03d}", *r) for i, r in enumerate(rows)]
)


@settings(max_examples=60, deadline=None)
@given(row_lists, st.randoms())
def test_row_order_does_not_matter(rows, rng):
    model = spec.load(BASE)
    first = pipeline.run(model, frame(rows)).scores
    rng.shuffle(rows)
    again = pipeline.run(model, frame(rows)).scores
    assert first.equals(again)


@settings(max_examples=60, deadline=None)
@given(row_lists, st.floats(min_value=0.001, max_value=1e5))
def test_a_better_value_never_lowers_the_score(rows, step):
    model = spec.load(BASE.split("cohort:")[0] + "indicators:" + BASE.split("indicators:")[1])
    before = pipeline.run(model, frame(rows)).scores["total"][0]
    better = list(rows)
    first = list(better[0])
    first[2] += step  # more R&D (a positive indicator)
    first[4] = max(0.0, first[4] - step)  # less debt (a negative one)
    better[0] = tuple(first)
    after = pipeline.run(model, frame(better)).scores["total"][0]
    assert after is None or before is None or after >= before - 1e-9


@settings(max_examples=40, deadline=None)
@given(row_lists, st.floats(min_value=0.01, max_value=100))
def test_weights_are_scale_free_among_siblings(rows, factor):
    model = spec.load(BASE)
    scaled = spec.load(
        BASE.replace("parent: tech, weight: 2}", f"parent: tech, weight: {2 * factor}}}").replace(
            "{key: staff, name: 科技人员, parent: tech}",
            f"{{key: staff, name: 科技人员, parent: tech, weight: {factor}}}",
        )
    )
    a = pipeline.run(model, frame(rows)).scores["total"].to_numpy()
    b = pipeline.run(scaled, frame(rows)).scores["total"].to_numpy()
    assert np.allclose(a, b, equal_nan=True)


# values of 1e-100 or less (but 0) have a spread whose powers underflow: the engine takes that as
# no spread and leaves the values as they are, the literal loop divides 0 by 0 and goes on
measurable = st.floats(min_value=-1e6, max_value=1e6).filter(lambda v: v == 0 or abs(v) > 1e-100)


@settings(max_examples=80, deadline=None)
@given(st.lists(measurable, min_size=4, max_size=60))
def test_fast_winsorisation_agrees_with_the_literal_loop(xs):
    from tests.engines.index.test_published import naive_winsorise

    x = np.array(xs)
    stats = treat.skew_kurtosis(x)
    # on a threshold, rounding alone decides: no implementation can agree with another there
    assume(stats is not None and abs(abs(stats[0]) - 2) > 1e-6 and abs(stats[1] - 3.5) > 1e-6)
    fast, _ = treat.winsorise(x, skew=2, kurtosis=3.5, winmax=5, fallback="log_ct")
    assert np.allclose(fast, naive_winsorise(x, 5), rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=13, max_size=200),
    st.lists(st.floats(min_value=50, max_value=1e4), max_size=8),
    st.integers(1, 6),
)
def test_winsorisation_with_ties_agrees_with_the_literal_loop(body, outliers, winmax):
    """Many ties, at the ends too: the next value inwards is often beyond the extremes read from
    one partition, and the pass over the data must take over without a difference."""
    from tests.engines.index.test_published import naive_winsorise

    x = np.array([float(v) for v in body] + outliers)
    stats = treat.skew_kurtosis(x)
    assume(stats is not None and abs(abs(stats[0]) - 2) > 1e-6 and abs(stats[1] - 3.5) > 1e-6)
    fast, info = treat.winsorise(x, skew=2, kurtosis=3.5, winmax=winmax, fallback="log_ct")
    expected = naive_winsorise(x, winmax)
    assert np.allclose(fast, expected, rtol=1e-9, atol=1e-9)
    if info.applied == "winsorise":  # no log: the values are the data's own, exactly
        assert fast.tolist() == expected.tolist()
        assert (fast != x).sum() <= info.changed


def _two_pass_stats(x):
    d = x - x.mean()
    n, m2, m3, m4 = x.size, (d**2).sum(), (d**3).sum(), (d**4).sum()
    skew = np.sqrt(n) * m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    kurt = ((n + 1) * (n * m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return skew, kurt


@settings(max_examples=15, deadline=None)
@given(st.integers(4, 3 * treat.BLOCK + 17), st.floats(0.1, 2.0), st.floats(-1e6, 1e6))
def test_statistics_taken_block_by_block_are_those_of_the_whole(size, sigma, offset):
    """Skewness and kurtosis come from power sums over blocks of the data about a sampled
    centre, and those of a log transform as it is written: the same as the textbook's."""
    x = np.random.default_rng(size).lognormal(0, sigma, size) + offset
    assert treat.skew_kurtosis(x) == pytest.approx(_two_pass_stats(x), rel=1e-7, abs=1e-9)
    # thresholds no data meets: winsorised, then log-transformed
    treated, info = treat.winsorise(x, skew=0.0, kurtosis=-1e9, winmax=1, fallback="log_ct")
    assert info.applied == "log_ct"
    lo, hi = x.min(), x.max()
    assert treated == pytest.approx(np.log(x - lo + 0.01 * (hi - lo)), rel=1e-12)
    after = _two_pass_stats(treated)
    assert (info.skew_after, info.kurtosis_after) == pytest.approx(after, rel=1e-7, abs=1e-9)


def test_winsorisation_of_a_large_skewed_indicator_changes_only_its_extremes():
    rng = np.random.default_rng(7)
    x = np.r_[rng.normal(100, 10, 20_000), [400.0, 500.0, 500.0, 900.0]]
    treated, info = treat.winsorise(x, skew=0.5, kurtosis=3.5, winmax=5, fallback="log_ct")
    # 900 → 500, then the three at 500 → 400, then the four at 400 → the largest of the rest
    expected = x.copy()
    expected[-4:] = x[:-4].max()
    assert info.applied == "winsorise"
    assert info.changed == 4
    assert treated.tolist() == expected.tolist()
    assert x.max() == 900.0  # the input is not changed


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.none(), st.floats(-100, 3000), st.sampled_from([0.0, 10.0, 500.0, 2000.0])),
        min_size=1,
        max_size=40,
    )
)
def test_cohort_bands_place_each_unit_as_the_bounds_say(revenues):
    """Bounds are inclusive below and exclusive above; a value outside every band, or missing,
    falls in the missing label's cohort."""
    bounded = spec.load(
        BASE.replace("{label: 初创期, below: 500}", "{label: 初创期, min: 10, below: 500}").replace(
            "{label: 稳定期, min: 2000}", "{label: 稳定期, min: 2000, below: 2500}"
        )
    )
    data = pl.DataFrame(
        {"id": [f"F{i:03d}" for i in range(len(revenues))], "revenue": revenues},
        schema_overrides={"revenue": pl.Float64},
    )
    layout = pipeline.Layout(bounded, data)
    assert layout.cohort is not None

    def expected(value: float | None) -> str:
        if value is None or not 10 <= value < 2500:
            return "未分组"
        return "初创期" if value < 500 else "成长期" if value < 2000 else "稳定期"

    assert layout.cohort.cast(pl.String).to_list() == [expected(v) for v in revenues]


def cohort_scores(top: int, max_size: int) -> st.SearchStrategy[list[tuple[float, int | None]]]:
    """(revenue, score) rows in three cohorts, with many ties and missing scores."""
    score = st.one_of(st.none(), st.integers(0, top))
    revenue = st.sampled_from([100.0, 1000.0, 5000.0])
    return st.lists(st.tuples(revenue, score), min_size=1, max_size=max_size)


def scored_units(rows, column):
    """The spec BASE, the units' layout and their scores (in id order, with the cohort column)
    from (revenue, score) rows; ids are not in row order."""
    model = spec.load(BASE)
    data = pl.DataFrame(
        {
            "id": [f"F{(i * 7) % 61:03d}" for i in range(len(rows))],
            "revenue": [r for r, _ in rows],
            column: [float(v) if v is not None else None for _, v in rows],
        },
        schema_overrides={column: pl.Float64},
    ).unique("id", keep="first")
    layout = pipeline.Layout(model, data)
    return model, layout, data.sort("id").with_columns(layout.cohort)


@settings(max_examples=60, deadline=None)
@given(
    cohort_scores(5, 40),
    st.sampled_from(["min", "dense", "ordinal"]),
    st.sampled_from(["cohort", "all"]),
)
def test_ranks_are_those_of_a_window_over_the_cohort(rows, ties, within):
    """Ranks with many ties and missing scores agree with Polars' rank over the cohort column,
    ordinal ties going by unit id."""
    model, layout, scores = scored_units(rows, "score")
    step = spec.Rank(stage="rank", ties=ties, within=within)
    ours = aggregate._ranks(model, layout, scores["score"], step)
    window = pl.col("score").rank(ties, descending=True)
    if within == "cohort":
        window = window.over(pipeline.COHORT)
    expected = scores.select(window.cast(pl.Int64)).to_series().to_list()
    assert ours.to_list() == expected
    by_id = scores["score"].fill_null(np.nan).to_numpy()
    at_places = by_id if layout.units is None else by_id[layout.units]
    assert aggregate._ranks(model, layout, scores["score"], step, at_places).to_list() == expected


def test_bands_ranks_and_explanations_within_cohorts():
    rows = [(f"F{i:03d}", 100.0, float(i), 5.0, 0.5) for i in range(40)]
    rows += [("B001", 5000.0, 1.0, 1.0, 0.5)]  # alone in its cohort
    result = pipeline.run(spec.load(BASE), frame(rows))
    scores = result.scores.filter(pl.col("__cohort") == "初创期").sort("rank_total")
    assert scores["band_total"].head(8).to_list() == ["领跑"] * 2 + ["竞跑"] * 2 + ["进取"] * 4
    assert scores["band_total"][8] is None
    alone = result.explain("B001")
    assert alone.cohort == "稳定期"
    assert alone.ranks == {"total": 1}
    # a cohort of one: every min-max score is the middle of the range (no spread to measure)
    assert {line.normalised for line in alone.indicators} == {50.0}
    top = result.explain("F039")
    assert sum(line.contribution for line in top.indicators) == pytest.approx(top.scores["total"])


def test_weights_can_differ_by_cohort_and_explanations_use_the_units_own():
    staged = spec.load(
        BASE.replace(
            "{key: tech, name: 技术创新, parent: total, weight: 3}",
            "{key: tech, name: 技术创新, parent: total, weight: 3, cohort_weights: {稳定期: 1}}",
        )
    )
    rows = [("S1", 100.0, 1.0, 2.0, 0.2), ("S2", 100.0, 3.0, 1.0, 0.6)]
    rows += [("L1", 5000.0, 1.0, 2.0, 0.2), ("L2", 5000.0, 3.0, 1.0, 0.6)]
    result = pipeline.run(staged, frame(rows))
    scores = dict(zip(result.scores["id"], result.scores["total"], strict=True))
    # S2: tech = (2×100 + 1×0)/3, health = 0 (more debt); 初创期 keeps tech 3 : health 1
    assert scores["S2"] == pytest.approx((200 / 3 * 3 + 0) / 4)
    # 稳定期 weighs them 1 : 1
    assert scores["L2"] == pytest.approx((200 / 3 + 0) / 2)
    for unit in ("S2", "L2"):
        told = result.explain(unit)
        assert sum(line.weight for line in told.indicators) == pytest.approx(1.0)
        assert sum(line.contribution for line in told.indicators) == pytest.approx(scores[unit])
    drawn = sensitivity.run(staged, frame(rows), sensitivity.Settings(draws=5, noise=0.0))
    assert drawn["median_rank"].to_list() == drawn["rank"].cast(pl.Float64).to_list()


def test_missing_stays_missing_unless_imputed_and_zero_variance_is_defined():
    rows = [
        ("A", 100.0, None, 5.0, 0.5),
        ("B", 100.0, None, 5.0, 0.4),
        ("C", 100.0, None, 5.0, 0.3),
    ]
    result = pipeline.run(spec.load(BASE), frame(rows))
    assert result.normalised["rd"].null_count() == 3  # all missing: not a number
    assert result.normalised["staff"].to_list() == [50.0] * 3  # zero variance: the middle
    assert result.scores["tech"].to_list() == [50.0] * 3  # re-weighted over what is there
    failing = spec.load(
        BASE.replace(
            "{key: tech, name: 技术创新, parent: total, weight: 3}",
            "{key: tech, name: 技术创新, parent: total, weight: 3, missing: fail}",
        )
    )
    failed = pipeline.run(failing, frame(rows)).scores
    assert failed["tech"].null_count() == 3  # a missing child fails its parent
    assert failed["total"].to_list() == failed["health"].to_list()  # the root re-weights
    zero = spec.load(
        BASE.replace(
            "{key: tech, name: 技术创新, parent: total, weight: 3}",
            "{key: tech, name: 技术创新, parent: total, weight: 3, missing: zero}",
        )
    )
    flagged = pipeline.run(zero, frame(rows))
    assert flagged.scores["tech"].to_list() == [50 / 3] * 3
    assert flagged.flags.height == 3
    assert "按 0 计" in flagged.explain("A").notes[0]


BAD_SPECS = [
    # (replace, with, the text on the line reported, words in the message)
    ("parent: tech, weight: 2}", "parent: tech, weight: 二}", "weight: 二", "应为数字"),
    (
        "- {stage: aggregate}",
        "- {stage: normalise, method: minmax, indicators: [patents]}\n  - {stage: aggregate}",
        "[patents]",
        "不是已定义的指标",
    ),
    (
        "parent: total, weight: 3}\n  - {key: health, name: 经营, parent: total}",
        "parent: health, weight: 3}\n  - {key: health, name: 经营, parent: tech}",
        "key: tech",
        "成环",
    ),
    ("{label: 进取, top: 0.20}", "{label: 进取, top: 1.2}", "top: 1.2", "超过 100%"),
    ("min: 500, below: 2000}", "min: 600, below: 2000}", "min: 600", "空缺"),
    ("min: 500, below: 2000}", "min: 400, below: 2000}", "min: 400", "重叠"),
    ("method: minmax", "method: maxmin", "maxmin", "应为以下之一"),
    (
        "parent: total, weight: 3}",
        "parent: total, weight: 3, cohort_weights: {成熟期: 2}}",
        "成熟期",
        "不是 cohort 的分档",
    ),
]


@pytest.mark.parametrize(("old", "new", "marker", "words"), BAD_SPECS)
def test_bad_specs_are_refused_at_their_line(old, new, marker, words):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    line = next(i for i, t in enumerate(text.splitlines(), start=1) if marker in t)
    with pytest.raises(InvalidFile) as caught:
        spec.load(text, "bad.yaml")
    problem = caught.value.problems[0]
    assert words in problem.reason
    assert problem.row == line
    assert "bad.yaml" in caught.value.message


def test_bad_data_is_refused_with_row_and_column(tmp_path):
    model = spec.load(BASE)
    duplicated = frame([("A", 1.0, 1.0, 1.0, 1.0), ("A", 2.0, 2.0, 2.0, 2.0)])
    with pytest.raises(InvalidInput, match="重复编号：A"):
        pipeline.run(model, duplicated)
    with pytest.raises(InvalidInput, match="缺少这些列：debt"):
        pipeline.run(model, frame([("A", 1.0, 1.0, 1.0, 1.0)]).drop("debt"))


def test_sensitivity_is_reproducible_and_collapses_without_uncertainty():
    rng = np.random.default_rng(3)
    rows = [(f"F{i:03d}", 100.0, *rng.uniform(0, 10, 3)) for i in range(50)]
    model = spec.load(BASE)
    still = sensitivity.run(model, frame(rows), sensitivity.Settings(draws=20, noise=0.0))
    assert (still["interval"] == 0).all()
    assert (still["median_rank"] == still["rank"].cast(pl.Float64)).all()
    shaken = sensitivity.Settings(draws=200, seed=5, noise=0.5, normalisers=("rank", "zscore"))
    a = sensitivity.run(model, frame(rows), shaken)
    b = sensitivity.run(model, frame(rows), shaken)
    assert a.equals(b)
    assert a["interval"].max() > 0
    with pytest.raises(InvalidInput, match="不支持"):
        sensitivity.run(model, frame(rows), sensitivity.Settings(normalisers=("magic",)))


def test_the_cli_on_plain_files(tmp_path, hdi_text):
    (tmp_path / "hdi.yaml").write_text(hdi_text, encoding="utf-8")
    data = "country,le,eys,mys,gni\n瑞士,84.3,16.6,13.9,69433\n中国,78.6,15.2,8.1,18025\n"
    (tmp_path / "hdi.csv").write_bytes(data.encode("gbk"))
    runner = CliRunner()
    args = [
        "index",
        "run",
        "--spec",
        str(tmp_path / "hdi.yaml"),
        "--data",
        str(tmp_path / "hdi.csv"),
    ]
    done = runner.invoke(
        app,
        [
            *args,
            "--out",
            str(tmp_path / "out.csv"),
            "--stages-dir",
            str(tmp_path / "stages"),
            "--explain",
            "中国",
        ],
    )
    assert done.exit_code == 0, done.output
    out = pl.read_csv(tmp_path / "out.csv")
    assert dict(out.select("country", "hdi").iter_rows()) == {"中国": 0.788, "瑞士": 0.967}
    assert (tmp_path / "stages" / "00_raw.csv").exists()
    assert "单位 中国（全部）" in done.output
    assert "hdi 0.788" in done.output
    (tmp_path / "bad.csv").write_text(
        "country,le,eys,mys,gni\n瑞士,84.3,很多,13.9,69433\n,1,1,1,1\n"
    )
    refused = runner.invoke(
        app, [*args[:-1], str(tmp_path / "bad.csv"), "--out", str(tmp_path / "x.csv")]
    )
    assert refused.exit_code == 2
    assert "第 2 行" in refused.output
    assert "很多" in refused.output
    assert "第 3 行" in refused.output


@settings(max_examples=20, deadline=None)
@given(st.integers(min_value=300, max_value=1500), st.integers(min_value=0, max_value=10_000))
def test_the_engine_agrees_with_the_plain_pandas_reference(rows, seed):
    """Cohorts by revenue band, group-median imputation, winsorisation with log fallback within
    cohorts, min-max within cohorts, a two-level mean, ranks and share bands: the benchmark's
    straightforward pandas version of the same spec gives the same scores, ranks and bands (on
    cohorts of a dozen firms or more: the plain loop has no answer for three equal values)."""
    from benchmarks import bench_index

    model = spec.load(bench_index.spec_text(), "bench.yaml")
    data = bench_index.make_data(rows, seed)
    ours = pipeline.run(model, data).scores.sort("id")
    theirs = bench_index.pandas_reference(model, data.to_pandas()).sort_values("id")
    assert np.allclose(ours["total"].to_numpy(), theirs["total"].to_numpy(), rtol=1e-9)
    assert ours["rank_total"].to_list() == theirs["rank"].astype(int).tolist()
    bands = [b if isinstance(b, str) else None for b in theirs["band"]]
    assert ours["band_total"].to_list() == bands


def test_no_units_give_no_scores():
    empty = frame([("A", 1.0, 1.0, 1.0, 1.0)]).head(0)
    result = pipeline.run(spec.load(BASE), empty)
    assert result.scores.height == 0
    assert result.normalised.height == 0


def test_a_ratio_counts_between_its_floor_and_its_cap():
    text = """
id: capped
name: 上下限
unit: id
indicators:
  - {key: tax, name: 税收, parent: total, weight: 30}
aggregates:
  - {key: total, name: 总分}
pipeline:
  - {stage: normalise, method: ratio, benchmark: 10, ratio_cap: 2, ratio_floor: 0}
  - {stage: aggregate}
"""
    data = pl.DataFrame({"id": ["far", "near", "loss"], "tax": [250.0, 15.0, -40.0]})
    result = pipeline.run(spec.load(text), data).normalised.sort("id")
    # 25× the benchmark counts as 2×; a loss counts as 0, not as −4× the weight
    assert dict(zip(result["id"], result["tax"], strict=True)) == {
        "far": 2.0,
        "loss": 0.0,
        "near": 1.5,
    }
    with pytest.raises(InvalidFile) as caught:
        spec.load(text.replace("ratio_floor: 0", "ratio_floor: 3"), "bad.yaml")
    assert "ratio_floor 应小于 ratio_cap" in caught.value.problems[0].reason
