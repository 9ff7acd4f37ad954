"""The chain map and the regional bars, drawn on the server as inline SVG (no script, no network).

The map reads from upstream (left) to downstream (right): a node's column is its depth along the
supply edges, its colour its rating (强 green, 弱 amber, 缺 red and dashed) and the disc at its
left grows with its output (工业增加值; revenue where output is unknown). Each node links to its
page.
"""

from __future__ import annotations

import math
from html import escape

from wulian.chains.health import MISSING, STRONG, ChainHealth, NodeHealth, money
from wulian.chains.spec import ChainSpec

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 184, 50, 40, 14, 12
RATING_CLASS = {STRONG: "strong", MISSING: "missing"}


def _size(node: NodeHealth) -> float | None:
    return node.output if node.output is not None else node.revenue


def _short(value: float | None) -> str:
    """万元 in a few characters: 110.3 亿, 9,675 万, 未知."""
    if value is None:
        return "营收未知"
    return f"{value / 10_000:,.1f} 亿" if value >= 10_000 else f"{value:,.0f} 万"


def chain_map(spec: ChainSpec, state: ChainHealth, base: str) -> str:
    """The chain as a graph from upstream to downstream; base/{key} is a node's page."""
    columns: dict[int, list[NodeHealth]] = {}
    for node in state.nodes:
        columns.setdefault(node.layer, []).append(node)
    rows = max(len(c) for c in columns.values())
    width = PAD * 2 + len(columns) * NODE_W + (len(columns) - 1) * COL_GAP
    height = PAD * 2 + 24 + rows * NODE_H + (rows - 1) * ROW_GAP
    where: dict[str, tuple[float, float]] = {}
    for layer, nodes in sorted(columns.items()):
        left = PAD + layer * (NODE_W + COL_GAP)
        top = PAD + 24 + (rows - len(nodes)) * (NODE_H + ROW_GAP) / 2
        for i, node in enumerate(nodes):
            where[node.key] = (left, top + i * (NODE_H + ROW_GAP))
    largest = max((_size(n) or 0.0 for n in state.nodes), default=0.0)
    parts = [
        f'<svg class="chart chain-map" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(spec.name)}产业链图谱" id="chain-map">',
        '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" '
        'markerHeight="8" markerUnits="userSpaceOnUse" orient="auto">'
        '<path d="M0,0 L8,4 L0,8 z" class="edge-head"/>'
        "</marker></defs>",
    ]
    for layer in sorted(columns):
        middle = PAD + layer * (NODE_W + COL_GAP) + NODE_W / 2
        segments = sorted({n.segment for n in columns[layer]}, key=lambda s: "上中下".index(s[0]))
        label = "、".join(segments)
        parts.append(f'<text class="column" x="{middle:.0f}" y="{PAD + 10}">{escape(label)}</text>')
    for edge in spec.edges:
        (x1, y1), (x2, y2) = where[edge.source], where[edge.target]
        x1, y1, x2, y2 = x1 + NODE_W, y1 + NODE_H / 2, x2, y2 + NODE_H / 2
        bend = (x2 - x1) / 2
        stroke = 1 + 4 * (edge.share or 0.1)
        share = f"，投入占比 {edge.share:.0%}" if edge.share is not None else ""
        parts.append(
            f'<path class="edge" d="M{x1:.0f},{y1:.0f} C{x1 + bend:.0f},{y1:.0f} '
            f'{x2 - bend:.0f},{y2:.0f} {x2 - 2:.0f},{y2:.0f}" stroke-width="{stroke:.1f}" '
            f'marker-end="url(#arrow)"><title>{escape(spec.node(edge.source).name)} → '
            f"{escape(spec.node(edge.target).name)}{share}</title></path>"
        )
    for node in state.nodes:
        x, y = where[node.key]
        css = RATING_CLASS.get(node.rating, "weak")
        size = _size(node)
        radius = 3 + 13 * math.sqrt(size / largest) if size and largest else 0
        figure = _short(node.revenue) if node.firms else "园区无企业"
        tip = f"{node.name}（{node.rating}）：{node.firms} 家企业，营收 {money(node.revenue)}"
        parts.append(
            f'<a href="{escape(base)}/{node.key}" class="node node-{css}" '
            f'data-node="{node.key}" data-rating="{node.rating}">'
            f"<title>{escape(tip)}</title>"
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
            + (
                f'<circle cx="{x + 20:.0f}" cy="{y + NODE_H / 2:.0f}" r="{radius:.1f}"/>'
                if radius
                else ""
            )
            + f'<text x="{x + 38:.0f}" y="{y + 21:.0f}" class="name">{escape(node.name)}</text>'
            f'<text x="{x + 38:.0f}" y="{y + 39:.0f}" class="figure">{node.rating} · '
            f"{node.firms} 家 · {escape(figure)}</text></a>"
        )
    parts.append("</svg>")
    return "".join(parts)


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
