"""The chart model: one object gives the data a page draws, the table beside it and the
workbook's sheet, in the same figures and units; percentages are percentages."""

from __future__ import annotations

import pytest

from wulian.core import charts, xlsx


def test_a_chart_gives_the_same_figures_to_the_script_the_table_and_the_workbook():
    chart = charts.Chart(
        "payouts", "政策兑现（按年度）", "年度", ["2024", "2025"],
        [charts.Series("兑现笔数", [10, 1234], "笔"),
         charts.Series("兑现金额", [613.4712, None], "万元", kind="line", axis=1),
         charts.Series("免申即享占比", [charts.percent(0.807), charts.percent(1.0)],
                       charts.PERCENT, kind="line", drawn=False)],
        axes=["笔数（笔）", "金额（万元）"],
    )  # fmt: skip
    assert chart.headers() == ["年度", "兑现笔数（笔）", "兑现金额（万元）", "免申即享占比（%）"]
    assert chart.rows() == [["2024", 10, 613.4712, 80.7], ["2025", 1234, None, 100.0]]
    assert chart.cells() == [
        ["2024", "10", "613.47", "80.7%"],
        ["2025", "1,234", "—", "100.0%"],
    ]
    data = chart.data()
    assert data["kind"] == "bars"
    assert data["categories"] == ["2024", "2025"]
    assert data["axes"] == [
        {"name": "笔数（笔）", "percent": False},
        {"name": "金额（万元）", "percent": False},
    ]
    # the third unit is in the table and the workbook, not drawn
    assert [s["name"] for s in data["series"]] == ["兑现笔数", "兑现金额"]
    assert data["series"][1] == {
        "name": "兑现金额", "unit": "万元", "kind": "line", "axis": 1,
        "values": [613.4712, None],
    }  # fmt: skip
    assert chart.sheet == "图·政策兑现"


def test_units_and_percentages():
    assert charts.percent(0.2456) == 24.6
    assert charts.percent(0.2456, 2) == 24.56
    assert charts.percent(None) is None
    assert charts.yi(4_719_512.0) == 471.95
    assert charts.cell(24.56, charts.PERCENT) == "24.6%"
    assert charts.cell(4690, "人") == "4,690"
    assert charts.cell(4690.0, "家") == "4,690"
    assert charts.cell(471.951, "亿元") == "471.95"
    assert charts.cell(None, "家") == "—"
    chart = charts.Chart("r", "比率", "年度", ["2025"],
                         [charts.Series("研发强度", [4.3], charts.PERCENT)])  # fmt: skip
    assert chart.data()["axes"] == [{"name": "研发强度（%）", "percent": True}]


def test_a_series_must_have_a_value_per_category():
    with pytest.raises(ValueError, match="数值个数"):
        charts.Chart("x", "x", "年度", ["2024", "2025"], [charts.Series("a", [1], "家")])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], []),
        ([7.0, 7.0], [("7", 2)]),
        ([0.0, 5.0, 12.5, 19.9, 20.0, 37.0],
         [("0–5", 1), ("5–10", 1), ("10–15", 1), ("15–20", 1), ("20–25", 1), ("25–30", 0),
          ("30–35", 0), ("35–40", 1)]),
        ([3.0, 98.0, 100.0], [(f"{i}–{i + 10}", n) for i, n in zip(
            range(0, 100, 10), [1, 0, 0, 0, 0, 0, 0, 0, 0, 2], strict=True)]),
    ],
)  # fmt: skip
def test_a_histogram_has_round_ranges_and_counts_every_value(values, expected):
    bins = charts.histogram(values)
    assert bins == expected
    assert sum(n for _, n in bins) == len(values)


def test_a_graph_chart_lists_nodes_with_their_supplies_and_marks_gaps():
    graph = charts.GraphChart(
        "chain-map", "锂电新材料产业链图谱",
        [charts.Node("resource", "锂资源", "上游", 0, 0.0, 70, 12_000.0, "强", "/n/resource"),
         charts.Node("separator", "隔膜", "中游", 1, 0.5, 0, None, "缺", "/n/separator"),
         charts.Node("cell", "电芯", "下游", 2, 0.5, 8, 5_000.0, "弱", "/n/cell")],
        [charts.Link("resource", "cell", 0.35), charts.Link("separator", "cell", None)],
    )  # fmt: skip
    assert [n.gap for n in graph.nodes] == [False, True, True]
    assert graph.headers()[3:5] == ["企业（家）", "营收（万元）"]
    assert graph.cells()[0] == ["锂资源", "上游", "强", "70", "12,000.00", "电芯（35%）"]
    assert graph.cells()[1][3:] == ["0", "—", "电芯"]
    assert graph.rows()[1] == ["隔膜", "中游", "缺", 0, None, "电芯"]
    data = graph.data()
    assert data["links"][0] == {"source": "resource", "target": "cell", "share": 35.0}
    assert data["nodes"][1]["gap"] is True
    book = xlsx.ListWorkbook()
    graph.sheet_into(book)
    assert book.close()[:2] == b"PK"
