"""A chain's charts: the chain map (nodes by segment and depth, the spec's edges, firm counts,
gaps marked) and the trends by year, with the figures of the chain's page in their units, and
the same figures in the chain's workbook."""

from __future__ import annotations

import io

import openpyxl

from tests.chains.conftest import actor_of, place
from tests.conftest import SYSTEM, login
from wulian.chains import charts, service
from wulian.core import charts as core_charts


def test_the_chain_map_has_the_nodes_edges_and_gaps_of_the_page(world, atlas):
    place(world, threshold=0.99)
    state = world.run(lambda s: service.state(s, actor=SYSTEM, chain="lithium"))
    spec = state.chain.spec
    graph = charts.chain_graph(spec, state.health, "/atlas/lithium/nodes")
    by_key = {n.key: n for n in graph.nodes}
    health = {n.key: n for n in state.health.nodes}
    assert set(by_key) == {n.key for n in spec.nodes}
    for key, node in by_key.items():
        assert node.firms == health[key].firms
        assert node.segment == health[key].segment
        assert node.column == health[key].layer
        assert node.href == f"/atlas/lithium/nodes/{key}"
    assert by_key["separator"].rating == "缺"
    assert by_key["separator"].gap
    assert by_key["cathode"].rating == "强"
    assert not by_key["cathode"].gap
    # upstream columns left of downstream ones, each column's rows distinct
    assert by_key["resource"].column < by_key["cathode"].column < by_key["cell"].column
    places = [(n.column, n.row) for n in graph.nodes]
    assert len(places) == len(set(places))
    data = graph.data()
    assert len(data["links"]) == len(spec.edges)
    shares = {(e.source, e.target): e.share for e in spec.edges}
    for link in data["links"]:
        share = shares[(link["source"], link["target"])]
        assert link["share"] == (None if share is None else round(share * 100))  # a percentage
    assert graph.headers()[3:5] == ["企业（家）", "营收（万元）"]
    row = next(r for r in graph.rows() if r[0] == "正极材料")
    assert row[3] == health["cathode"].firms
    assert row[4] == health["cathode"].revenue


def test_the_trends_repeat_the_figures_of_each_year(world, atlas):
    place(world, threshold=0.99)
    trends = world.run(lambda s: service.trends(s, actor=SYSTEM, chain="lithium"))
    assert trends.years == [2024, 2025]
    for year, row in zip(trends.years, trends.chains["lithium"], strict=True):
        totals = world.run(
            lambda s, y=year: service.state(s, actor=SYSTEM, chain="lithium", year=y)
        ).health.totals
        assert row.year == year
        assert row.firms == totals.firms
        assert row.reported == totals.firms - totals.revenue_unknown
        assert row.revenue == totals.revenue
        assert row.growth == totals.growth
        assert row.rd_intensity == totals.rd_intensity
    newest = trends.chains["lithium"][-1]
    assert newest.growth is not None
    spec = world.run(lambda s: service.chain_or_raise(s, actor=SYSTEM, code="lithium")).spec
    chart = charts.trend_chart(spec, trends.chains["lithium"])
    assert chart.categories == ["2024", "2025"]
    assert chart.headers() == ["年度", "报送营收的企业（家）", "营收合计（亿元）"]
    assert chart.rows()[-1] == ["2025", newest.reported, round(newest.revenue / 10_000, 2)]
    rates = charts.rates_chart(spec, trends.chains["lithium"])
    assert rates.rows()[-1][1] == round(newest.growth * 100, 1)  # 20.5, not 0.205
    assert rates.cells()[-1][1] == f"{newest.growth * 100:.1f}%"
    assert rates.data()["axes"] == [{"name": "比率（%）", "percent": True}]
    # every chain of the atlas, and all together with each firm once
    every = world.run(lambda s: service.trends(s, actor=SYSTEM))
    assert set(every.chains) == {c.spec.id for c in world.run(
        lambda s: service.chains(s, actor=SYSTEM))}  # fmt: skip
    assert every.zone[-1].firms <= sum(rows[-1].firms for rows in every.chains.values())
    assert every.chains["lithium"] == trends.chains["lithium"]


def test_the_chain_page_draws_its_charts_and_exports_their_figures(client, world, atlas):
    place(world, threshold=0.99)
    login(client, "analyst1")
    page = client.get("/atlas/lithium").text
    for key in ("chain-map", "chain-trend", "chain-rates"):
        assert f'id="chart-{key}"' in page
        assert f'<script type="application/json" id="chart-data-{key}">' in page
    assert "vendor/echarts/echarts.min.js" in page
    assert "js/charts.js" in page
    assert 'href="/atlas/lithium/export.xlsx?year=2025"' in page
    assert 'href="/investment/atlas/lithium" id="chain-investment-atlas"' in page  # 招商图谱
    book = client.get("/atlas/lithium/export.xlsx")
    assert book.status_code == 200
    sheets = openpyxl.load_workbook(io.BytesIO(book.content))
    assert sheets.sheetnames == [
        "各环节健康度", "缺链弱链", "图·锂电新材料产业链图谱", "图·锂电新材料：企业与营收",
        "图·锂电新材料：营收增长与研发强度",
    ]  # fmt: skip
    trend = list(sheets["图·锂电新材料：企业与营收"].values)
    assert trend[0] == ("年度", "报送营收的企业（家）", "营收合计（亿元）")
    assert [r[0] for r in trend[1:]] == ["2024", "2025"]
    # a page without charts loads no chart library
    assert "echarts" not in client.get("/atlas").text
    analyst = actor_of(world, "analyst1")
    assert world.run(lambda s: service.trends(s, actor=analyst, chain="lithium")).years


def test_a_chart_table_is_escaped_and_a_graph_without_nodes_is_empty():
    graph = core_charts.GraphChart("g", "空", [], [])
    assert graph.empty
