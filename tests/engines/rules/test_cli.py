"""`wulian policy evaluate` and `wulian policy test` on plain files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from wulian.cli import app

SHIPPED = Path(str(resources.files("wulian.policy").joinpath("policies")))


def test_the_shipped_policies_pass_their_cases() -> None:
    result = CliRunner().invoke(app, ["policy", "test", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert f"{len(list(SHIPPED.glob('*.yaml')))} 项政策" in result.output  # every shipped one
    assert "失败 0" in result.output


def test_a_failing_case_fails_the_command(tmp_path: Path) -> None:
    text = (SHIPPED / "rd_subsidy.yaml").read_text("utf-8")
    (tmp_path / "rd.yaml").write_text(text.replace("amount: 15}", "amount: 16}"), "utf-8")
    result = CliRunner().invoke(app, ["policy", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "rd.yaml 第" in result.output
    assert "金额应为 16，实际为 15" in result.output


def test_evaluate_writes_one_row_per_firm_and_policy_and_explains(tmp_path: Path) -> None:
    data = tmp_path / "firms.csv"
    data.write_text(
        "id,guishang,gaoxin,rd_expense,rd_expense_1\n"
        "A,是,否,500,400\n"
        "B,是,否,300,400\n"
        "C,是,否,300,\n",
        "utf-8",
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app,
        ["policy", "evaluate", "--policies", str(SHIPPED / "rd_subsidy.yaml"), "--data", str(data),
         "--period", "2024", "--out", str(out), "--explain", "B"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pl.read_csv(out)
    assert table["status"].to_list() == ["eligible", "ineligible", "unknown"]
    assert table["amount"].to_list() == [10.0, 0.0, None]
    assert table["missing_names"].to_list()[2] == "上年研发费用"
    assert "研发费用增量 -100 万元，未超过 0" in result.output  # failed: not "> 0"
    assert "示范区科〔2023〕12号 第三条" in result.output


def test_bad_cells_are_named_and_nothing_is_written(tmp_path: Path) -> None:
    data = tmp_path / "firms.csv"
    data.write_text("id,guishang,gaoxin,rd_expense,rd_expense_1\nA,也许,否,500,400\n", "utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(
        app,
        ["policy", "evaluate", "--policies", str(SHIPPED / "rd_subsidy.yaml"), "--data", str(data),
         "--period", "2024", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "第 2 行" in result.output
    assert "也许" in result.output
    assert not out.exists()
