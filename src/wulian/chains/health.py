"""Chain health and gaps from a chain spec and the zone firms on its nodes (pure: no database).

Per node: firms, revenue and output (工业增加值), growth, R&D intensity, anchor firms,
concentration (HHI on revenue, 0–10,000), local supply coverage (the share of the node's inputs,
weighted by the spec's input shares, whose supplying node has a zone firm) and the 强/弱/缺 rating
of the spec's rules. Per chain: the same totals and a completeness figure (the strategic weight
of nodes that have a zone firm over all weight). Gaps: missing and weak nodes ranked by
importance, each with its reasons.

A sum over firms counts the firms whose value is known and says how many were unknown; a figure
with no known value at all is None, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from wulian.chains.spec import ChainSpec, Edge

STRONG, WEAK, MISSING = "强", "弱", "缺"

# The columns health() reads: one row per (firm, node) membership that counts.
FIRM_SCHEMA = {
    "enterprise_id": pl.Int64,
    "node": pl.String,
    "name": pl.String,
    "anchor": pl.Boolean,
    "revenue": pl.Float64,  # 万元, the period
    "revenue_prev": pl.Float64,  # 万元, the year before
    "output": pl.Float64,  # 工业增加值, 万元
    "rd": pl.Float64,  # 研发费用, 万元
}


@dataclass(frozen=True)
class Figures:
    """The totals of a set of memberships (a node's or a whole chain's)."""

    firms: int
    revenue: float | None
    revenue_unknown: int
    output: float | None
    output_unknown: int
    growth: float | None
    rd_intensity: float | None
    anchors: list[tuple[int, str]]


@dataclass(frozen=True)
class NodeHealth(Figures):
    key: str
    name: str
    segment: str
    weight: int
    layer: int
    hhi: float | None  # on revenue, 0–10,000
    coverage: float | None  # None when the node has no supplying node
    rating: str
    reason: str
    top: list[tuple[int, str, float | None]] = field(default_factory=list)  # by revenue


@dataclass(frozen=True)
class ChainHealth:
    nodes: list[NodeHealth]
    totals: Figures  # the chain's firms counted once however many nodes they sit on
    completeness: float  # 0–1
    counts: dict[str, int]

    def node(self, key: str) -> NodeHealth:
        return next(n for n in self.nodes if n.key == key)


@dataclass(frozen=True)
class Gap:
    node: NodeHealth
    importance: float  # 0–100
    demand: float | None  # 万元 of downstream zone revenue that relies on this node
    reasons: list[str]


def money(value: float | None) -> str:
    """万元 as a reader expects it: 亿元 from 10,000 万元 up."""
    if value is None:
        return "未知"
    if abs(value) >= 10_000:
        return f"{value / 10_000:,.2f} 亿元"
    return f"{value:,.0f} 万元"


def _known_sum(values: pl.Series) -> tuple[float | None, int]:
    unknown = values.null_count()
    if unknown == len(values):
        return None, unknown
    return float(values.sum()), unknown


def _ratio(frame: pl.DataFrame, top: str, bottom: str) -> float | None:
    both = frame.filter(pl.col(top).is_not_null() & pl.col(bottom).is_not_null())
    total = float(both[bottom].sum()) if both.height else 0.0
    if total <= 0:
        return None
    return float(both[top].sum()) / total


def _figures(frame: pl.DataFrame) -> Figures:
    revenue, revenue_unknown = _known_sum(frame["revenue"])
    output, output_unknown = _known_sum(frame["output"])
    growth = _ratio(frame, "revenue", "revenue_prev")
    anchors = frame.filter(pl.col("anchor")).select("enterprise_id", "name").unique()
    return Figures(
        firms=frame["enterprise_id"].n_unique(),
        revenue=revenue,
        revenue_unknown=revenue_unknown,
        output=output,
        output_unknown=output_unknown,
        growth=None if growth is None else growth - 1,
        rd_intensity=_ratio(frame, "rd", "revenue"),
        anchors=sorted((int(i), str(n)) for i, n in anchors.iter_rows()),
    )


def totals(frame: pl.DataFrame) -> Figures:
    """The figures of a set of firms (rows of FIRM_SCHEMA), each firm counted once."""
    return _figures(frame.unique("enterprise_id", keep="first", maintain_order=True))


def _hhi(frame: pl.DataFrame) -> float | None:
    known = frame.filter(pl.col("revenue").is_not_null() & (pl.col("revenue") > 0))["revenue"]
    total = float(known.sum()) if len(known) else 0.0
    if total <= 0:
        return None
    return float(((known / total) ** 2).sum() * 10_000)


def input_weights(spec: ChainSpec, key: str) -> list[tuple[Edge, float]]:
    """The node's supplying edges with their weight: the spec's share where given, else the mean
    of the given shares of the node's inputs (equal weights when none is given)."""
    edges = spec.suppliers(key)
    known = [e.share for e in edges if e.share is not None]
    fallback = sum(known) / len(known) if known else 1.0
    return [(e, e.share if e.share is not None else fallback) for e in edges]


def _rate(spec: ChainSpec, figures: Figures) -> tuple[str, str]:
    rule = spec.rating
    firms, revenue, unknown = figures.firms, figures.revenue, figures.revenue_unknown
    if firms == 0:
        return MISSING, "园区没有本环节企业"
    if rule.anchor_is_strong and figures.anchors:
        return STRONG, f"有链主企业 {len(figures.anchors)} 家"
    enough_revenue = revenue is not None and revenue >= rule.strong_revenue
    if firms >= rule.strong_firms and enough_revenue:
        return STRONG, f"{firms} 家企业，营收合计 {money(revenue)}"
    reason = (
        f"{firms} 家企业，营收合计 {money(revenue)}"
        f"（强的标准：不少于 {rule.strong_firms} 家且营收不低于 {money(rule.strong_revenue)}，"
        "或有链主企业）"
    )
    if unknown:
        reason += f"；其中 {unknown} 家营收未知，评级可能偏低"
    return WEAK, reason


def health(spec: ChainSpec, firms: pl.DataFrame) -> ChainHealth:
    """The chain's health from its counted memberships (columns of FIRM_SCHEMA)."""
    firms = firms.select([pl.col(c).cast(t) for c, t in FIRM_SCHEMA.items()])
    layers = spec.layers()
    present = set(firms["node"].unique().to_list())
    nodes: list[NodeHealth] = []
    for node in spec.nodes:
        on = firms.filter(pl.col("node") == node.key)
        figures = _figures(on)
        rating, reason = _rate(spec, figures)
        weights = input_weights(spec, node.key)
        total = sum(w for _, w in weights)
        coverage = sum(w for e, w in weights if e.source in present) / total if weights else None
        top = on.sort("revenue", descending=True, nulls_last=True).head(5)
        nodes.append(
            NodeHealth(
                key=node.key, name=node.name, segment=node.segment, weight=node.weight,
                layer=layers[node.key], hhi=_hhi(on), coverage=coverage, rating=rating,
                reason=reason,
                top=[(int(r["enterprise_id"]), str(r["name"]), r["revenue"])
                     for r in top.iter_rows(named=True)],
                **vars(figures),
            )
        )  # fmt: skip
    chain = _figures(firms)
    weight = sum(n.weight for n in nodes)
    counts = {r: sum(n.rating == r for n in nodes) for r in (STRONG, WEAK, MISSING)}
    return ChainHealth(
        nodes=nodes,
        completeness=sum(n.weight for n in nodes if n.rating != MISSING) / weight,
        counts=counts,
        totals=chain,
    )


def gaps(spec: ChainSpec, state: ChainHealth) -> list[Gap]:
    """Missing and weak nodes, most important first. Importance (0–100) = 40 × strategic weight
    / 5 + 40 × the node's downstream demand / the largest among the gaps + 20 for a missing node
    (10 for a weak one). Downstream demand = Σ over the nodes it supplies of their zone revenue ×
    the input's share (the weights of input_weights)."""
    demand: dict[str, float | None] = {}
    notes: dict[str, list[str]] = {}
    for node in state.nodes:
        if node.rating == STRONG:
            continue
        total: float | None = None
        lines = []
        for edge in spec.customers(node.key):
            customer = state.node(edge.target)
            share = {e.source: w for e, w in input_weights(spec, edge.target)}[node.key]
            if customer.revenue is None:
                continue
            need = customer.revenue * share
            total = (total or 0.0) + need
            lines.append(
                f"下游“{customer.name}”{customer.firms} 家企业营收 {money(customer.revenue)}，"
                f"按投入占比 {share:.0%} 约需本环节供给 {money(need)}"
            )
        demand[node.key] = total
        notes[node.key] = lines
    largest = max((d for d in demand.values() if d), default=0.0)
    out = []
    for node in state.nodes:
        if node.key not in demand:
            continue
        wanted = demand[node.key]
        share = (wanted or 0.0) / largest if largest else 0.0
        bonus = 20 if node.rating == MISSING else 10
        importance = round(40 * node.weight / 5 + 40 * share + bonus, 1)
        reasons = [f"{node.rating}：{node.reason}", *notes[node.key]]
        if not notes[node.key]:
            reasons.append("园区内没有依赖本环节的下游企业营收数据")
        reasons.append(f"战略权重 {node.weight}（满分 5）")
        out.append(Gap(node=node, importance=importance, demand=wanted, reasons=reasons))
    return sorted(out, key=lambda g: (-g.importance, g.node.key))
