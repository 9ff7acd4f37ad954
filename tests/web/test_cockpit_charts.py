"""The cockpit's charts from the figures the cockpit holds: each chart's categories, series,
units and values, percentages as percentages, money in 亿元 or 万元 as its axis says, and every
chart's sheet in the cockpit's workbook."""

from __future__ import annotations

import io
from types import SimpleNamespace

import openpyxl

from wulian.chains.gaps import Trends, TrendYear
from wulian.policy.payouts import PayoutYear
from wulian.web import cockpit


def _figures() -> cockpit.Cockpit:
    chain = SimpleNamespace(spec=SimpleNamespace(id="lithium", name="锂电新材料"))
    trends = Trends(
        years=[2024, 2025],
        chains={"lithium": [TrendYear(2024, 30, 28, 400_000.0, None, 0.04),
                            TrendYear(2025, 30, 29, 471_951.2, 0.0803, 0.043)]},
        zone=[TrendYear(2024, 30, 28, 400_000.0, None, 0.04),
              TrendYear(2025, 30, 29, 471_951.2, 0.0803, 0.043)],
    )  # fmt: skip
    desk = SimpleNamespace(
        months=[SimpleNamespace(month=f"2025-{m:02d}", submitted=m, closed=m - 1,
                                on_time=None if m == 1 else 0.8)
                for m in range(1, 13)],
    )  # fmt: skip
    innovation = SimpleNamespace(
        run=SimpleNamespace(period="2024"), points=[12.0, 18.0, 25.5, 31.0, 33.0, 70.0]
    )
    return cockpit.Cockpit(
        chains=[SimpleNamespace(chain=chain)],  # type: ignore[list-item]
        innovation=innovation,  # type: ignore[arg-type]
        landuse=(SimpleNamespace(period="2024"), {"A": 262, "B": 524, "C": 459, "low": 798}),
        payouts=[PayoutYear("2025", 8, 12, 613.4712, 10), PayoutYear("2024", 5, 6, 100.0, 3)],
        desk=desk,  # type: ignore[arg-type]
        trends=trends,
    )


def test_each_chart_carries_the_cockpit_figures_in_their_units():
    found = {c.key: c for c in cockpit.cockpit_charts(_figures())}
    assert list(found) == ["chains-trend", "chains-revenue", "payouts", "desk",
                           "innovation-points", "landuse"]  # fmt: skip

    trend = found["chains-trend"]
    assert trend.headers() == ["年度", "报送营收的企业（家）", "营收合计（亿元）", "营收增长（%）"]
    assert trend.rows() == [["2024", 28, 40.0, None], ["2025", 29, 47.2, 8.0]]
    assert trend.cells()[1] == ["2025", "29", "47.20", "8.0%"]
    assert [a["name"] for a in trend.data()["axes"]] == ["企业（家）", "营收（亿元）"]
    assert found["chains-revenue"].rows() == [["2024", 40.0], ["2025", 47.2]]
    assert found["chains-revenue"].headers() == ["年度", "锂电新材料（亿元）"]

    payouts = found["payouts"]
    assert payouts.categories == ["2024", "2025"]  # oldest first
    assert payouts.headers() == ["年度", "兑现笔数（笔）", "其中免申即享（笔）", "兑现金额（万元）",
                                 "免申即享占比（%）"]  # fmt: skip
    assert payouts.rows()[1] == ["2025", 12, 10, 613.47, 83.3]

    desk = found["desk"]
    assert len(desk.categories) == 12
    assert desk.rows()[0] == ["2025-01", 1, 0, None]
    assert desk.rows()[-1] == ["2025-12", 12, 11, 80.0]
    assert desk.data()["axes"][1] == {"name": "按时办结率（%）", "percent": True}

    points = found["innovation-points"]
    assert points.title == "创新积分分布（2024 年度，6 家）"
    assert points.headers() == ["积分区间", "企业（家）"]
    assert sum(n for _, n in points.rows()) == 6
    assert points.rows()[0] == ["10–20", 2]

    assert found["landuse"].rows() == [["A 类", 262], ["B 类", 524], ["C 类", 459], ["D 类", 0]]


def test_a_section_the_reader_may_not_see_has_no_chart():
    figures = _figures()
    hidden = cockpit.Cockpit(chains=None, innovation=None, landuse=None, payouts=None,
                             desk=None, trends=None)  # fmt: skip
    assert cockpit.cockpit_charts(hidden) == []
    assert cockpit.cockpit_charts(figures)  # the same figures shown


def test_the_workbook_holds_each_charts_figures():
    figures = _figures()
    charts = {c.key: c for c in cockpit.cockpit_charts(figures)}
    shown = cockpit.Cockpit(chains=None, innovation=None, landuse=None, payouts=None, desk=None,
                            charts=charts)  # fmt: skip
    book = openpyxl.load_workbook(io.BytesIO(cockpit.export_xlsx(shown)))
    assert book.sheetnames == ["图·产业链企业与营收", "图·各产业链营收", "图·政策兑现",
                               "图·企呼我应诉求", "图·创新积分分布", "图·亩均效益分类"]  # fmt: skip
    rows = list(book["图·政策兑现"].values)
    assert rows[0] == ("年度", "兑现笔数（笔）", "其中免申即享（笔）", "兑现金额（万元）",
                       "免申即享占比（%）")  # fmt: skip
    assert rows[2] == ("2025", 12, 10, 613.47, 83.3)
