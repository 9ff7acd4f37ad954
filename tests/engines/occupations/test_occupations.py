"""Job titles to occupations: the table read as a taxonomy, titles cleaned, placed by the classify
engine with review flags, the CLI with its model cache, and bad input."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.errors import InvalidFile
from wulian.engines.occupations import engine, table, titles

# A small table in the classification's format (the real one is read from the user's copy).
# ruff: noqa: E501
TABLE = """level,code,name,parent_code,definition,tasks
1,2-00-00-00,专业技术人员,,,
2,2-02-00-00,工程技术人员,2-00-00-00,,
3,2-02-10-00,信息和通信工程技术人员,2-02-00-00,,
4,2-02-10-03,计算机软件工程技术人员S,2-02-10-00,从事计算机软件需求分析、设计、编码、测试和维护的工程技术人员。,1.分析软件需求 2.设计软件架构 3.编写和调试程序代码
4,2-02-10-04,计算机网络工程技术人员S,2-02-10-00,从事计算机网络规划、建设和管理的工程技术人员。,1.规划网络 2.配置路由交换设备
2,2-06-00-00,经济和金融专业人员,2-00-00-00,,
4,2-06-03-00,会计专业人员,2-06-00-00,从事会计核算、财务管理和资金收付的专业人员。,1.进行会计核算 2.编制财务报表 3.办理现金收付
1,6-00-00-00,生产制造及有关人员,,,
2,6-18-00-00,机械制造基础加工人员,6-00-00-00,,
3,6-18-01-00,机械冷加工人员,6-18-00-00,,
4,6-18-01-01,车工,6-18-01-00,操作车床，进行工件旋转表面切削加工的人员。,1.操作车床加工工件 2.检测工件尺寸
4,6-18-01-02,铣工,6-18-01-00,操作铣床，进行工件平面、沟槽切削加工的人员。,1.操作铣床加工工件
3,6-18-02-00,机械热加工人员,6-18-00-00,,
4,6-18-02-04,焊工,6-18-02-00,使用焊接设备，连接金属工件的人员。,1.操作电焊、气焊设备 2.检查焊缝质量
4,6-18-02-05,机械加工材料切割工L,6-18-02-00,使用切割设备，对金属材料进行切割下料的人员。,1.操作激光、等离子切割设备
"""


@pytest.fixture(scope="module")
def trained() -> engine.Occupations:
    frame = pl.read_csv(TABLE.encode(), infer_schema_length=0)
    return engine.train(table.classification(frame))


def test_titles_as_firms_write_them_are_placed(trained: engine.Occupations) -> None:
    names = ["高级Java开发工程师", "数控车床操作工", "出纳", "", "急聘电焊工2名（持证）"]
    placed = engine.place(trained, names, top_k=2)
    first = placed.filter(pl.col("rank") == 1).sort("row")
    assert first["code"].to_list() == ["2-02-10-03", "6-18-01-01", "2-06-03-00", "6-18-02-04"]
    assert first["row"].to_list() == [0, 1, 2, 4]
    # the marks are kept apart from the name
    software = first.row(0, named=True)
    assert software["name"] == "计算机软件工程技术人员"
    assert software["mark"] == "数字职业"
    assert 0 < software["score"] <= 1
    # an empty title is not placed, and is for review
    empty = placed.filter(pl.col("row") == 3).row(0, named=True)
    assert empty["code"] is None
    assert empty["review"] == "是"
    assert empty["terms"] == engine.EMPTY_TITLE
    # two candidates per placed title, best first
    assert placed.filter(pl.col("row") == 0)["rank"].to_list() == [1, 2]


def test_a_title_the_table_does_not_know_is_for_review(trained: engine.Occupations) -> None:
    placed = engine.place(trained, ["宠物美容师", "焊工"], top_k=1, threshold=0.5)
    review = dict(zip(placed["row"].to_list(), placed["review"].to_list(), strict=True))
    assert review == {0: "是", 1: "否"}


def test_marks_and_tasks() -> None:
    assert table.split_mark("地理信息系统工程技术人员L/S") == (
        "地理信息系统工程技术人员",
        "数字职业、绿色职业",
    )
    assert table.split_mark("车工") == ("车工", "")
    assert table.tasks_lines("1.操作车床 2.检测尺寸。") == ["操作车床", "检测尺寸"]


def test_titles_lose_hire_words_and_rank_and_keep_the_direction() -> None:
    assert titles.clean("急聘高级焊工3名").startswith("焊工")
    cleaned = titles.clean("电气工程师（PLC方向）")
    assert cleaned.startswith("电气工程师 plc")
    assert "工程技术人员" in cleaned
    assert titles.clean("招聘专员").startswith("招聘专员")  # an occupation, not a hire word
    assert titles.clean("") == ""


def test_the_aliases_name_codes_of_the_classification() -> None:
    aliases = table.aliases()
    assert len(aliases) > 100
    assert all(re.fullmatch(r"\d-\d{2}-\d{2}-\d{2}", code) for code in aliases)
    assert "出纳" in aliases["2-06-03-00"]


def test_occupations_on_files_with_the_model_kept(tmp_path: Path) -> None:
    (tmp_path / "table.csv").write_text(TABLE, "utf-8")
    (tmp_path / "titles.csv").write_text("id,title\nT1,数控车床操作工\nT2,\nT3,Java开发\n", "utf-8")
    model = tmp_path / "cache" / "occupations.npz"
    args = ["talent", "occupations", "--titles", str(tmp_path / "titles.csv"),
            "--table", str(tmp_path / "table.csv"), "--model", str(model), "--top-k", "3"]  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 0, result.output
    assert "已归类 3 个职位名称" in result.output
    out = pl.read_csv(tmp_path / "out.csv", infer_schema_length=0)
    assert out.columns[:5] == ["id", "rank", "code", "name", "score"]
    assert "review" in out.columns
    assert out.filter((pl.col("id") == "T1") & (pl.col("rank") == "1"))["code"].to_list() == [
        "6-18-01-01"
    ]
    assert out.filter(pl.col("id") == "T2")["review"].to_list() == ["是"]
    assert model.exists()
    stamp = model.stat().st_mtime_ns
    again = runner.invoke(app, [*args, "--out", str(tmp_path / "again.xlsx")])
    assert again.exit_code == 0, again.output
    assert model.stat().st_mtime_ns == stamp  # the same table: the kept model is used
    (tmp_path / "table.csv").write_text(TABLE.replace("车床", "普通车床"), "utf-8")
    third = runner.invoke(app, [*args, "--out", str(tmp_path / "third.csv")])
    assert third.exit_code == 0, third.output
    assert model.stat().st_mtime_ns != stamp  # another table: trained again


def test_a_malformed_code_in_the_table_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "table.csv"
    path.write_text(TABLE.replace("4,6-18-01-02,", "4,6-18-1-02,"), "utf-8")
    with pytest.raises(InvalidFile) as error:
        table.read(path)
    assert "第 13 行" in error.value.message
    assert "6-18-1-02" in error.value.message


def test_bad_titles_files_and_a_missing_table_get_a_chinese_message(tmp_path: Path) -> None:
    (tmp_path / "table.csv").write_text(TABLE, "utf-8")
    (tmp_path / "titles.csv").write_text("id,title\nT1,车工\nT1,焊工\n", "utf-8")
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["talent", "occupations", "--titles", str(tmp_path / "titles.csv"),
         "--table", str(tmp_path / "table.csv"), "--out", str(tmp_path / "out.csv")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "第 3 行" in result.output
    assert "编号重复" in result.output
    assert not (tmp_path / "out.csv").exists()
    missing = runner.invoke(
        app,
        ["talent", "occupations", "--titles", str(tmp_path / "titles.csv"),
         "--out", str(tmp_path / "out.csv")],
        env={"WULIAN_OCCUPATION_TABLE": ""},
    )  # fmt: skip
    assert missing.exit_code == 2
    assert "--table" in missing.output
