"""A chain's charts: the chain map and the trends by year as `core.charts` (drawn in the
browser, each with its table and its sheet of the chain's workbook), and the regional bars, drawn
on the server as inline SVG.
"""

from __future__ import annotations

from html import escape

from wulian.chains.gaps import TrendYear
from wulian.chains.health import ChainHealth, NodeHealth
from wulian.chains.spec import ChainSpec
from wulian.core import charts


def chain_graph(spec: ChainSpec, state: ChainHealth, base: str) -> charts.GraphChart:
    """The chain as a graph from upstream (left) to downstream (right): a node's column is its
    depth along the supply edges, the column's nodes centred on the tallest column; the edges are
    the spec's supply edges with their input shares; base/{key} is a node's page. Drawn by
    static/js/charts.js: node size by firm count, colour by segment, a gap (弱, 缺) marked."""
    columns: dict[int, list[NodeHealth]] = {}
    for node in state.nodes:
        columns.setdefault(node.layer, []).append(node)
    tallest = max((len(c) for c in columns.values()), default=0)
    place = {
        node.key: (tallest - len(nodes)) / 2 + i
        for nodes in columns.values()
        for i, node in enumerate(nodes)
    }
    return charts.GraphChart(
        "chain-map",
        f"{spec.name}产业链图谱",
        [
            charts.Node(
                key=n.key,
                name=n.name,
                segment=n.segment,
                column=n.layer,
                row=place[n.key],
                firms=n.firms,
                revenue=n.revenue,
                rating=n.rating,
                href=f"{base}/{n.key}",
            )
            for n in state.nodes
        ],
        [charts.Link(e.source, e.target, e.share) for e in spec.edges],
    )


def trend_chart(spec: ChainSpec, rows: list[TrendYear]) -> charts.Chart:
    """The chain's zone firms, revenue, growth and R&D intensity by year."""
    years = [str(t.year) for t in rows]
    return charts.Chart(
        "chain-trend", f"{spec.name}：企业与营收（按年度）", "年度", years,
        [charts.Series("报送营收的企业", [t.reported for t in rows], "家"),
         charts.Series("营收合计", [charts.yi(t.revenue) for t in rows], "亿元", kind="line",
                       axis=1)],
        axes=["企业（家）", "营收（亿元）"],
    )  # fmt: skip


def rates_chart(spec: ChainSpec, rows: list[TrendYear]) -> charts.Chart:
    """The chain's revenue growth and R&D intensity by year, as percentages."""
    return charts.Chart(
        "chain-rates", f"{spec.name}：营收增长与研发强度（按年度）", "年度",
        [str(t.year) for t in rows],
        [charts.Series("营收增长", [charts.percent(t.growth) for t in rows], charts.PERCENT,
                       kind="line"),
         charts.Series("研发强度", [charts.percent(t.rd_intensity) for t in rows],
                       charts.PERCENT, kind="line")],
        axes=["比率（%）"],
    )  # fmt: skip


def region_bars(rows: list[tuple[str, int, int]], *, width: int = 640) -> str:
    """Horizontal bars per region: zone firms and external firms, (name, zone, external)."""
    if not rows:
        return ""
    largest = max(max(z, e) for _, z, e in rows) or 1
    label_w, bar_w, row_h = 130, width - 130 - 60, 30
    height = row_h * len(rows) + 30
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="分地区企业数" id="region-chart">'
    ]
    for i, (name, zone, external) in enumerate(rows):
        y = i * row_h + 4
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(name)}</text>'
        )
        for offset, value, css in ((0, zone, "zone"), (12, external, "external")):
            w = bar_w * value / largest
            parts.append(
                f'<rect class="bar-{css}" x="{label_w}" y="{y + offset}" width="{w:.1f}" '
                f'height="10"><title>{escape(name)}：{value} 家</title></rect>'
            )
            if value:
                parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + offset + 9}">{value}</text>')
    legend_y = height - 10
    parts.append(
        f'<rect class="bar-zone" x="{label_w}" y="{legend_y - 9}" width="10" height="10"/>'
        f'<text x="{label_w + 14}" y="{legend_y}">园区企业</text>'
        f'<rect class="bar-external" x="{label_w + 90}" y="{legend_y - 9}" width="10" '
        f'height="10"/><text x="{label_w + 104}" y="{legend_y}">园外企业（招商对象）</text></svg>'
    )
    return "".join(parts)
