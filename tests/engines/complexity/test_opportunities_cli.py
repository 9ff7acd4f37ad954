"""Opportunity industries and the strategic approach; `wulian complexity` on files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from wulian.cli import app
from wulian.core.errors import InvalidInput
from wulian.engines.complexity import compute
from wulian.engines.complexity.opportunities import PRESETS, rank

from .test_measures import long

runner = CliRunner()
MATRIX = [
    [5, 3, 0, 2, 0, 1, 0],
    [4, 0, 2, 3, 1, 0, 0],
    [0, 2, 6, 0, 3, 2, 1],
    [3, 3, 1, 0, 0, 4, 2],
    [1, 0, 0, 5, 2, 0, 3],
    [0, 4, 3, 1, 0, 2, 0],
]


def cp() -> pl.DataFrame:
    return compute(long(MATRIX)).cp


def test_candidates_are_the_missing_industries_ranked_by_weighted_z_scores() -> None:
    frame = cp()
    found = rank(frame, "R0", preset="low-hanging")
    missing = frame.filter((pl.col("loc") == "R0") & (pl.col("mcp") == 0))["prod"].sort()
    assert found.table["prod"].sort().to_list() == missing.to_list()
    table = found.table
    for c in ("density", "pci", "cog"):
        assert table[f"z_{c}"].mean() == pytest.approx(0, abs=1e-12)
    w = PRESETS["low-hanging"]
    np.testing.assert_allclose(
        table["score"].to_numpy(),
        w.density * table["z_density"].to_numpy()
        + w.pci * table["z_pci"].to_numpy()
        + w.cog * table["z_cog"].to_numpy(),
    )
    assert table["score"].is_sorted(descending=True)
    assert table["rank"].to_list() == list(range(1, table.height + 1))
    np.testing.assert_allclose(table["part_density"], w.density * table["z_density"])


def test_presets_weigh_differently_and_chinese_names_are_accepted() -> None:
    frame = cp()
    near = rank(frame, "R2", preset="低垂果实")
    far = rank(frame, "R2", preset="long-jump")
    assert near.preset.key == "low-hanging"
    assert far.preset.label == "长跳"
    custom = rank(frame, "R2", weights=(1.0, 0.0, 0.0))
    assert (
        custom.table["prod"].to_list()
        == custom.table.sort("density", descending=True)["prod"].to_list()
    )
    with pytest.raises(InvalidInput, match="未知的权重方案"):
        rank(frame, "R2", preset="fast")
    with pytest.raises(InvalidInput, match="没有地区“R77”"):
        rank(frame, "R77")


@pytest.mark.parametrize(
    ("eci", "coi", "label"),
    [
        (0.5, 0.5, "平行发展"),
        (-0.5, 0.5, "精简产业政策"),
        (-0.5, -0.5, "战略押注"),
        (0.5, -0.5, "技术前沿"),
    ],
)
def test_strategic_approach_follows_the_atlas_quadrants(eci: float, coi: float, label: str) -> None:
    frame = pl.DataFrame(
        {
            "time": ["2024"] * 4,
            "loc": ["Z", "Z", "A", "B"],
            "prod": ["x", "y", "x", "x"],
            "mcp": [1, 0, 1, 1],
            "density": [0.5, 0.3, 0.5, 0.5],
            "pci": [0.1, 0.9, 0.1, 0.1],
            "cog": [0.0, 0.4, 0.0, 0.0],
            "eci": [eci, eci, -eci, 0.0],
            "coi": [coi, coi, -coi, 0.0],
        }
    )
    found = rank(frame, "Z")
    assert found.strategy.approach.label == label
    assert f"“{label}”" in found.strategy.statement
    assert found.preset.key == found.strategy.approach.preset
    assert "y" in found.strategy.statement


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_writes_the_reference_files_and_the_opportunities(tmp_path: Path) -> None:
    data = long(MATRIX).rename({"loc": "region", "prod": "industry", "val": "revenue"})
    source = tmp_path / "firms.csv"
    data.write_csv(source)
    out = tmp_path / "out"
    done = runner.invoke(
        app,
        ["complexity", "--data", str(source), "--out", str(out), "--loc", "region",
         "--prod", "industry", "--val", "revenue"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    written = pl.read_csv(out / "cp.csv", schema_overrides={"time": pl.String})
    assert written.columns == [
        "time", "region", "industry", "revenue", "rca", "mcp", "diversity", "ubiquity",
        "eci", "pci", "density", "coi", "cog",
    ]  # fmt: skip
    expected = compute(long(MATRIX)).cp
    np.testing.assert_allclose(written["eci"].to_numpy(), expected["eci"].to_numpy(), atol=1e-15)
    prox = pl.read_csv(out / "proximity.csv")
    assert prox.columns == ["time", "industry_1", "industry_2", "proximity"]
    assert prox.height == 7 * 7

    listing = tmp_path / "zone.csv"
    done = runner.invoke(
        app,
        ["complexity", "opportunities", "--cp", str(out / "cp.csv"), "--loc", "R0",
         "--loc-column", "region", "--prod", "industry", "--preset", "balanced",
         "--out", str(listing)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    ranked = pl.read_csv(listing)
    assert ranked["rank"][0] == 1
    assert set(ranked["preset"]) == {"平衡组合"}
    statement = listing.with_suffix(".txt").read_text("utf-8")
    assert "经济复杂度指数（ECI）" in statement
    assert "平衡组合" in statement


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("time,loc,prod\n2024,a,x\n", "“val”列"),
        ("time,loc,prod,val\n2024,a,x,12\n2024,b,x,abc\n", "第 3 行“val”列（值：abc）：不是数值"),
        ("time,loc,prod,val\n2024,a,x,12\n2024,b,x,-3\n", "第 3 行“val”列（值：-3）：不能为负数"),
        ("time,loc,prod,val\n2024,a,x,12\n2024,b,x,\n", "第 3 行“val”列：缺少数值"),
        ("time,loc,prod,val\n2024,a,x,12\n2024,a,x,5\n", "请先汇总"),
        ("time,loc,prod,val\n", "没有数据行"),
    ],
)
def test_cli_refuses_bad_files_and_writes_nothing(
    tmp_path: Path, content: str, message: str
) -> None:
    source = write(tmp_path / "bad.csv", content)
    out = tmp_path / "out"
    done = runner.invoke(app, ["complexity", "--data", str(source), "--out", str(out)])
    assert done.exit_code != 0
    # the message may be wrapped: compared without white space
    assert "".join(message.split()) in "".join(done.output.split())
    assert not out.exists() or not any(out.iterdir())


def test_cli_rpop_needs_a_population_file(tmp_path: Path) -> None:
    source = tmp_path / "firms.csv"
    long(MATRIX).write_csv(source)
    done = runner.invoke(
        app,
        ["complexity", "--data", str(source), "--out", str(tmp_path / "o"), "--presence", "rpop"],
    )
    assert done.exit_code != 0
    assert "--pop" in done.output
    pop = write(
        tmp_path / "pop.csv", "time,loc,pop\n" + "".join(f"2024,R{i},{10 + i}\n" for i in range(6))
    )
    done = runner.invoke(
        app,
        ["complexity", "--data", str(source), "--out", str(tmp_path / "o"), "--presence", "rpop",
         "--pop", str(pop)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "rpop" in pl.read_csv(tmp_path / "o" / "cp.csv").columns
