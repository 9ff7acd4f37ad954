"""`wulian targets rank` on files: the result file, the taxonomy option, bad files refused with
a Chinese message naming row, column and value, nothing written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.tabular import read_table
from wulian.engines.targets import COLUMNS

runner = CliRunner()

CANDIDATES = """id,name,products,industry,region,revenue,growth,ties
a,甲化纤,涤纶长丝、涤纶短纤维,2822,330800,35000,12%,z1
b,乙纺织,涤纶长丝机织布;印染布,,浙江省杭州市,,,
c,丙化工,PTA、乙二醇,2653,,800,3,
d,丁新材,聚四氟乙烯、PVDF,2651,广东省深圳市,12000,,
"""
QUERIES = """qid,query,context,zone,region
q1,DTY,POY、FDY,z1,330800
q2,聚四氟乙烯,,d,
q3,PVDF粘结剂,,,
"""
TAXONOMY = (
    "code,name,parent_code,notes\n"
    '1751,化纤织造加工,175,"— 合成纤维长丝机织布：指经纬向均为合成纤维长丝（包括POY、FDY、DTY等）'
    '的机织布，包括涤纶长丝机织布"\n'
    '2822,涤纶纤维制造,282,"— 涤纶长丝：涤纶高强力丝、其他涤纶长丝"\n'
)


def _files(tmp_path: Path, candidates: str = CANDIDATES, queries: str = QUERIES) -> list[str]:
    (tmp_path / "firms.csv").write_text(candidates, encoding="utf-8")
    (tmp_path / "needs.csv").write_text(queries, encoding="utf-8")
    (tmp_path / "gbt.csv").write_text(TAXONOMY, encoding="utf-8")
    return [
        "targets", "rank", "--candidates", str(tmp_path / "firms.csv"),
        "--queries", str(tmp_path / "needs.csv"),
    ]  # fmt: skip


def test_rank_writes_every_need_with_points_and_reasons(tmp_path: Path) -> None:
    out = tmp_path / "out" / "targets.csv"
    args = [*_files(tmp_path), "--taxonomy", str(tmp_path / "gbt.csv"), "--out", str(out)]
    result = runner.invoke(app, [*args, "--top-k", "2"])
    assert result.exit_code == 0, result.output
    assert "4 家候选企业" in result.output
    frame = read_table(out.read_bytes(), out.name).frame
    assert tuple(frame.columns) == COLUMNS
    q1 = frame.filter(pl.col("qid") == "q1")
    assert q1.height == 2
    assert set(q1["id"].to_list()) == {"a", "b"}
    assert all("DTY" in r for r in q1["reasons"].to_list())
    assert "d" not in frame.filter(pl.col("qid") == "q2")["id"].to_list()  # in the zone
    q3 = frame.filter(pl.col("qid") == "q3").row(0, named=True)
    assert q3["id"] == "d"
    assert "PVDF" in q3["reasons"]


def test_rank_writes_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "targets.xlsx"
    result = runner.invoke(app, [*_files(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = read_table(out.read_bytes(), out.name).frame
    assert tuple(frame.columns) == COLUMNS
    assert frame.height >= 2


def test_a_bad_candidates_file_is_refused_with_row_column_and_value(tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    bad = CANDIDATES.replace("35000", "三万五").replace("\nc,", "\na,")
    result = runner.invoke(app, [*_files(tmp_path, candidates=bad), "--out", str(out)])
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "firms.csv有 2 处问题，未写入任何数据" in message
    assert "第 2 行“revenue”列（值：三万五）：不是数值" in message
    assert "第 4 行“id”列（值：a）：企业编号重复（第 2 行已有）" in message
    assert not out.exists()


def test_a_missing_column_or_need_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "targets.csv"
    no_products = CANDIDATES.replace("products", "goods")
    result = runner.invoke(app, [*_files(tmp_path, candidates=no_products), "--out", str(out)])
    assert result.exit_code == 2
    assert "“products”列：缺少这一列" in " ".join(result.output.split())
    no_need = QUERIES.replace("q3,PVDF粘结剂", "q3,")
    result = runner.invoke(app, [*_files(tmp_path, queries=no_need), "--out", str(out)])
    assert result.exit_code == 2
    assert "第 4 行“query”列：缺少需求" in " ".join(result.output.split())
    assert not out.exists()


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    args = _files(tmp_path)
    args[3] = str(tmp_path / "none.csv")
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 2
    assert "找不到文件" in result.output


TIES = """candidate_id,zone_id,direction,product,amount
b,z1,采购自,涤纶长丝机织布,800
"""


def test_rank_with_a_ties_file_names_the_zone_firm_and_product(tmp_path: Path) -> None:
    out = tmp_path / "with.csv"
    (tmp_path / "ties.csv").write_text(TIES, encoding="utf-8")
    args = [*_files(tmp_path), "--taxonomy", str(tmp_path / "gbt.csv")]
    result = runner.invoke(app, [*args, "--ties", str(tmp_path / "ties.csv"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = read_table(out.read_bytes(), out.name).frame
    b = frame.filter((pl.col("qid") == "q1") & (pl.col("id") == "b")).row(0, named=True)
    assert float(b["points_ties"]) == 6.0
    assert "向园区企业z1供货：涤纶长丝机织布（每年约800万元）" in b["reasons"]


def test_a_bad_ties_file_is_refused_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "with.csv"
    (tmp_path / "ties.csv").write_text(TIES.replace("\nb,", "\nx,"), encoding="utf-8")
    result = runner.invoke(
        app, [*_files(tmp_path), "--ties", str(tmp_path / "ties.csv"), "--out", str(out)]
    )
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "第 2 行“candidate_id”列（值：x）：候选企业表中没有编号为“x”的企业" in message
    assert not out.exists()


def test_the_generic_option_sets_how_little_a_common_word_earns(tmp_path: Path) -> None:
    firms = "id,name,products\n" + "".join(
        f"g{i},设备{i},{m}设备\n" for i, m in enumerate(["锂电", "医疗", "环保", "包装", "化工"])
    )
    firms += "m,模组,通信模组\n"
    fits = {}
    for power in ("0", "2"):
        out = tmp_path / f"out{power}.csv"
        args = _files(tmp_path, firms, "qid,query\nq1,通信设备\n")
        result = runner.invoke(app, [*args, "--out", str(out), "--generic", power])
        assert result.exit_code == 0, result.output
        frame = read_table(out.read_bytes(), out.name).frame
        fits[power] = dict(zip(frame["id"].to_list(), frame["points_fit"].to_list(), strict=True))
        assert fits[power]["m"] == max(fits[power].values(), key=float)
    # sharing only 设备 (common among the five): without the discount over a third of what 通信
    # earns, with it (the 招商图谱's setting) at most a third
    assert 3 * float(fits["0"]["g0"]) > float(fits["0"]["m"])
    assert 3 * float(fits["2"].get("g0", 0)) <= float(fits["2"]["m"])
    result = runner.invoke(
        app, [*_files(tmp_path), "--out", str(tmp_path / "x.csv"), "--generic", "-1"]
    )
    assert result.exit_code != 0
