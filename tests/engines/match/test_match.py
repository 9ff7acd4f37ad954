"""The match engine: the compiled top k equals the brute-force reference, scores and reasons per
criterion, unknowns, files and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.errors import InvalidFile
from wulian.core.tabular import read_table
from wulian.engines.match import files, inputs, kernel, reasons, scoring

SKILLS = ["Java", "Spring", "MySQL", "Redis", "焊接", "CAD"]
CODES = ["", "2-02-10-03", "2-02-10-04", "2-02-07-01", "6-18-02-04"]
EDUCATION = ["", "高中", "大专", "本科", "硕士"]
PLACES = ["", "浙江省杭州市滨江区", "杭州市西湖区", "浙江省宁波市", "江苏省苏州市", "330108"]


def _skills(draw: st.DrawFn) -> str:
    return "、".join(draw(st.lists(st.sampled_from(SKILLS), max_size=4, unique=True)))


@st.composite
def tables(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame]:
    n = draw(st.integers(1, 25))
    m = draw(st.integers(1, 8))
    people = pl.DataFrame(
        {
            # ids not in row order: the engine sorts by id, ties go to the smaller id
            "id": [f"p{i}" for i in draw(st.permutations(range(n)))],
            "skills": [_skills(draw) for _ in range(n)],
            "education": [draw(st.sampled_from(EDUCATION)) for _ in range(n)],
            "experience_years": [
                draw(st.sampled_from(["", "0", "1", "3", "10"])) for _ in range(n)
            ],
            "occupation": [draw(st.sampled_from(CODES)) for _ in range(n)],
            "expected_salary": [
                draw(st.sampled_from(["", "5000", "9000", "15000"])) for _ in range(n)
            ],
            "location": [draw(st.sampled_from(PLACES)) for _ in range(n)],
        }
    )
    low = [draw(st.sampled_from(["", "6000", "8000"])) for _ in range(m)]
    posts = pl.DataFrame(
        {
            "id": [f"j{i}" for i in range(m)],
            "skills": [_skills(draw) for _ in range(m)],
            "education": [draw(st.sampled_from([*EDUCATION, "不限"])) for _ in range(m)],
            "experience_years": [draw(st.sampled_from(["", "0", "2", "5"])) for _ in range(m)],
            "occupation": [draw(st.sampled_from(CODES)) for _ in range(m)],
            "salary_min": low,
            "salary_max": [draw(st.sampled_from(["", "12000"])) for _ in range(m)],
            "location": [draw(st.sampled_from(PLACES)) for _ in range(m)],
            "count": ["1"] * m,
        }
    )
    return people, posts


def _encode(
    people: pl.DataFrame, posts: pl.DataFrame
) -> tuple[inputs.Side, inputs.Side, inputs.Vocabulary]:
    vocabulary = inputs.Vocabulary.new()
    return (
        inputs.encode(people, "people", vocabulary),
        inputs.encode(posts, "posts", vocabulary),
        vocabulary,
    )


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(1, 6))
def test_the_compiled_top_k_is_the_brute_force_top_k(
    data: tuple[pl.DataFrame, pl.DataFrame], k: int
) -> None:
    people, posts, _ = _encode(*data)
    rows, keys = kernel.top(people, posts, k)
    reference = scoring.brute_top(people, posts, np.arange(len(posts)), min(k, len(people)))
    assert (rows == reference).all()
    # the keys are the totals of the pairs listed
    for j in range(len(posts)):
        scored = scoring.pairs(people, posts, rows[j], np.full(rows.shape[1], j))
        assert (scored.key == keys[j]).all()
    back, _ = kernel.top(people, posts, k, by_post=False)
    reference_back = scoring.brute_top_posts(
        people, posts, np.arange(len(people)), min(k, len(posts))
    )
    assert (back == reference_back).all()


PEOPLE = """id,skills,education,experience_years,occupation,expected_salary,location
p1,Java、Spring、MySQL,本科,5,2-02-10-03,15000,浙江省杭州市滨江区
p2,焊接、CAD,中专,8,6-18-02-04,8k,杭州市萧山区
p3,,,,,,
p4,Java,大专,1,2-02-10-04,2.5万,江苏省苏州市
"""
POSTS = """id,skills,education,experience_years,occupation,salary_min,salary_max,location,count
j1,Java、Redis,本科,3,2-02-10-03,12000,18000,杭州市滨江区,2
j2,焊接,不限,,6-18-02-04,6000,9000,浙江省杭州市萧山区,5
"""


def _write(tmp_path: Path, people: str = PEOPLE, posts: str = POSTS) -> tuple[Path, Path]:
    (tmp_path / "people.csv").write_text(people, "utf-8")
    (tmp_path / "posts.csv").write_text(posts, "utf-8")
    return tmp_path / "people.csv", tmp_path / "posts.csv"


def test_reasons_name_the_skills_met_and_missing_and_every_criterion(tmp_path: Path) -> None:
    people, posts, vocabulary = files.load(*_write(tmp_path))
    table = files.match(people, posts, vocabulary, 4)
    first = table.filter((pl.col("post_id") == "j1") & (pl.col("rank") == 1)).row(0, named=True)
    assert first["person_id"] == "p1"
    assert first["skills"] == 0.5
    assert first["occupation"] == 1.0
    text = first["reasons"]
    assert "具备 1 项（Java）" in text
    assert "缺 1 项（Redis）" in text
    for label in ("技能：", "职业：", "学历：", "经验：", "薪资：", "地点："):
        assert label in text
    assert "学历：本科，达到要求（本科）" in text
    assert "期望 15,000 元/月，在岗位薪资（12,000–18,000 元/月）之内" in text
    assert "地点：相同（杭州市滨江区）" in text  # with or without its province, one place
    # p4: one level below in education, short of experience, above the band, another province
    p4 = table.filter((pl.col("post_id") == "j1") & (pl.col("person_id") == "p4")).row(
        0, named=True
    )
    assert p4["education"] == 0.5
    assert "比要求（本科）低一级" in p4["reasons"]
    assert p4["experience"] == pytest.approx(1 / 3, abs=1e-3)
    assert "高于岗位上限 39%" in p4["reasons"]
    assert p4["location"] == 0.0
    assert "地点：不同" in p4["reasons"]
    assert p4["occupation"] == 0.6
    assert "同一小类" in p4["reasons"]
    assert p4["score"] < first["score"]


def test_unknown_is_not_zero(tmp_path: Path) -> None:
    people, posts, vocabulary = files.load(*_write(tmp_path))
    table = files.match(people, posts, vocabulary, 4)
    blank = table.filter((pl.col("post_id") == "j1") & (pl.col("person_id") == "p3")).row(
        0, named=True
    )
    for criterion in scoring.CRITERIA:
        assert blank[criterion] is None  # unknown, not 0
    assert blank["score"] == pytest.approx(scoring.UNKNOWN)
    assert blank["unknown"] == "技能、职业、学历、经验、薪资、地点"
    assert "技能：未知（人才未填技能）" in blank["reasons"]
    # a known miss scores below an unknown: p2 has none of j1's skills and another occupation
    p2 = table.filter((pl.col("post_id") == "j1") & (pl.col("person_id") == "p2")).row(
        0, named=True
    )
    assert p2["skills"] == 0.0
    assert (
        "经验：未知（岗位未填经验要求）"
        in table.filter((pl.col("post_id") == "j2") & (pl.col("person_id") == "p2"))["reasons"][0]
    )


def test_ties_go_to_the_smaller_id() -> None:
    frame = pl.DataFrame({c: [""] * 3 for c in inputs.PEOPLE_COLUMNS} | {"id": ["b", "c", "a"]})
    posts = pl.DataFrame({c: [""] for c in inputs.POST_COLUMNS} | {"id": ["j"]})
    people, post_side, _ = _encode(frame, posts)
    rows, _ = kernel.top(people, post_side, 2)
    assert [people.ids[r] for r in rows[0]] == ["a", "b"]


def test_match_on_files_both_ways(tmp_path: Path) -> None:
    people, posts = _write(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["talent", "match", "--people", str(people), "--posts", str(posts),
         "--top-k", "2", "--out", str(tmp_path / "out.csv")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "2 个岗位各自的前 2 名人才" in result.output
    out = pl.read_csv(tmp_path / "out.csv", infer_schema_length=0)
    assert out.columns[:3] == ["post_id", "rank", "person_id"]
    assert out.filter(pl.col("post_id") == "j2")["person_id"].to_list()[0] == "p2"
    result = runner.invoke(
        app,
        ["talent", "match", "--people", str(people), "--posts", str(posts), "--for-people",
         "--top-k", "1", "--out", str(tmp_path / "back.xlsx")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    back = read_table((tmp_path / "back.xlsx").read_bytes(), "back.xlsx").frame
    assert back.columns[:3] == ["person_id", "rank", "post_id"]
    assert back.height == 4


@pytest.mark.parametrize(
    ("row", "column", "value", "words"),
    [
        (
            "p5,Java,本科,3,2-02-10-03,1.5,杭州市",
            "expected_salary",
            "1.5",
            "是否把万元或年薪填成了月薪",
        ),
        ("p5,Java,小学毕业生,3,2-02-10-03,9000,杭州市", "education", "小学毕业生", "学历无法识别"),
        ("p5,Java,本科,三年,2-02-10-03,9000,杭州市", "experience_years", "三年", "工作年限"),
        ("p5,Java,本科,3,20210,9000,杭州市", "occupation", "20210", "职业编码"),
        ("p1,Java,本科,3,2-02-10-03,9000,杭州市", "id", "p1", "编号重复"),
    ],
)
def test_bad_input_is_refused_with_row_column_and_value(
    tmp_path: Path, row: str, column: str, value: str, words: str
) -> None:
    people, posts = _write(tmp_path, PEOPLE + row + "\n")
    result = CliRunner().invoke(
        app,
        ["talent", "match", "--people", str(people), "--posts", str(posts),
         "--out", str(tmp_path / "out.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "第 6 行" in result.output
    assert f"“{column}”列" in result.output
    assert value in result.output
    assert words in result.output
    assert not (tmp_path / "out.csv").exists()


def test_a_post_band_upside_down_and_a_missing_column_are_refused(tmp_path: Path) -> None:
    upside = POSTS + "j3,焊接,不限,,6-18-02-04,9000,6000,杭州市,1\n"
    with pytest.raises(InvalidFile) as error:
        files.load(*_write(tmp_path, posts=upside))
    assert "第 4 行" in error.value.message
    assert "薪资上限低于下限" in error.value.message
    with pytest.raises(InvalidFile) as error:
        files.load(*_write(tmp_path, people=PEOPLE.replace(",location", ",place")))
    assert "“location”列" in error.value.message
    assert "缺少这一列" in error.value.message


def test_chinese_headers_and_salary_forms_are_read(tmp_path: Path) -> None:
    people = (
        "编号,技能,学历,工作年限,职业编码,期望薪资,地点\nA,焊接,高中,2,6-18-02-04,1.2万,宁波市\n"
    )
    people_path, posts = _write(tmp_path, people=people)
    side, _, _ = files.load(people_path, posts)
    assert side.salary_low[0] == 12_000
    assert inputs.salary("8k") == 8_000
    assert inputs.salary("9,500元") == 9_500
    assert inputs.salary("面议") is None


def test_reasons_for_places_by_region_code() -> None:
    people = pl.DataFrame(
        {c: ["", ""] for c in inputs.PEOPLE_COLUMNS}
        | {"id": ["a", "b"], "location": ["330106", "320505"]}
    )
    posts = pl.DataFrame(
        {c: [""] for c in inputs.POST_COLUMNS} | {"id": ["j"], "location": ["330108"]}
    )
    p, q, vocabulary = _encode(people, posts)
    table = reasons.result(p, q, vocabulary, np.array([[0, 1]]))
    assert table["location"].to_list() == [0.6, 0.0]
    assert "同城（人才 330106，岗位 330108）" in table["reasons"][0]


@settings(max_examples=60, deadline=None)
@given(tables(), st.integers(1, 6))
def test_the_salary_reason_says_what_the_score_says(
    data: tuple[pl.DataFrame, pl.DataFrame], k: int
) -> None:
    """An expectation below the post's band is not above the offer (a fit, scored 1) and is
    never worded as within the band; within it is; above the top is scored lower."""
    people, posts, vocabulary = _encode(*data)
    rows, _ = kernel.top(people, posts, k)
    table = reasons.result(people, posts, vocabulary, rows)
    index = {pid: i for i, pid in enumerate(people.ids)}
    post_index = {pid: i for i, pid in enumerate(posts.ids)}
    for row in table.iter_rows(named=True):
        i, j = index[row["person_id"]], post_index[row["post_id"]]
        expected, low, top = people.salary_low[i], posts.salary_low[j], posts.salary_high[j]
        part = next(p for p in row["reasons"].split("；") if p.startswith("薪资："))
        if np.isnan(expected) or np.isnan(top):
            assert row["salary"] is None
            assert "未知" in part
        elif not np.isnan(low) and expected < low:
            assert row["salary"] == 1.0
            assert "不高于岗位薪资" in part
            assert "低于下限" in part
            assert "之内" not in part
        elif expected <= top:
            assert row["salary"] == 1.0
            assert "之内" in part
        else:
            assert row["salary"] < 1.0
            assert "高于岗位上限" in part


def test_an_expectation_below_the_band_is_not_called_within_it() -> None:
    people = pl.DataFrame(
        {c: [""] for c in inputs.PEOPLE_COLUMNS} | {"id": ["a"], "expected_salary": ["4167"]}
    )
    posts = pl.DataFrame(
        {c: [""] for c in inputs.POST_COLUMNS}
        | {"id": ["j"], "salary_min": ["8333"], "salary_max": ["16667"], "count": ["1"]}
    )
    p, q, vocabulary = _encode(people, posts)
    table = reasons.result(p, q, vocabulary, np.array([[0]]))
    assert table["salary"][0] == 1.0
    assert (
        "薪资：期望 4,167 元/月，不高于岗位薪资（8,333–16,667 元/月，低于下限）"
        in table["reasons"][0]
    )
