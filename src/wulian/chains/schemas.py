"""API shapes of the chain atlas. Amounts are 万元; a figure nobody reported is null, not 0."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wulian.chains.health import Figures, NodeHealth
from wulian.chains.service import ChainState, Position


class FiguresOut(BaseModel):
    firms: int = Field(description="园区企业数")
    revenue: float | None = Field(description="营业收入合计（万元），已知部分")
    revenue_unknown: int = Field(description="营业收入未知的企业数")
    output: float | None = Field(description="工业增加值合计（万元），已知部分")
    growth: float | None = Field(description="营收增长率（两年都有营收的企业）")
    rd_intensity: float | None = Field(description="研发强度（研发费用 / 营业收入）")
    anchors: list[str] = Field(description="链主企业")


class NodeOut(FiguresOut):
    key: str
    name: str
    segment: str
    weight: int
    rating: str = Field(description="强 / 弱 / 缺")
    reason: str
    hhi: float | None = Field(description="营收集中度 HHI（0–10000）")
    coverage: float | None = Field(description="本地配套率：上游投入中园区有企业的份额")


class GapOut(BaseModel):
    node: str
    name: str
    rating: str
    importance: float
    demand: float | None = Field(description="下游园区企业对本环节的需求（万元）")
    reasons: list[str]


class ChainOut(FiguresOut):
    id: str
    name: str
    year: int | None
    completeness: float = Field(description="完整度：有园区企业的环节的战略权重占比")
    strong: int
    weak: int
    missing: int
    waiting_review: int


class ChainDetailOut(ChainOut):
    nodes: list[NodeOut]
    gaps: list[GapOut]


class PositionOut(BaseModel):
    chain: str
    chain_name: str
    node: str
    node_name: str
    segment: str
    source: str
    status: str
    confidence: float | None


def _figures(f: Figures) -> dict[str, object]:
    return {
        "firms": f.firms, "revenue": f.revenue, "revenue_unknown": f.revenue_unknown,
        "output": f.output, "growth": f.growth, "rd_intensity": f.rd_intensity,
        "anchors": [name for _, name in f.anchors],
    }  # fmt: skip


def _node(n: NodeHealth) -> NodeOut:
    return NodeOut(
        key=n.key, name=n.name, segment=n.segment, weight=n.weight, rating=n.rating,
        reason=n.reason, hhi=n.hhi, coverage=n.coverage, **_figures(n),
    )  # fmt: skip


def chain_out(state: ChainState) -> ChainOut:
    h = state.health
    return ChainOut(
        id=state.chain.spec.id, name=state.chain.spec.name, year=state.year,
        completeness=h.completeness, strong=h.counts["强"], weak=h.counts["弱"],
        missing=h.counts["缺"], waiting_review=state.waiting,
        **_figures(h.totals),
    )  # fmt: skip


def chain_detail_out(state: ChainState) -> ChainDetailOut:
    return ChainDetailOut(
        **chain_out(state).model_dump(),
        nodes=[_node(n) for n in state.health.nodes],
        gaps=[
            GapOut(node=g.node.key, name=g.node.name, rating=g.node.rating,
                   importance=g.importance, demand=g.demand, reasons=g.reasons)
            for g in state.gaps
        ],
    )  # fmt: skip


def position_out(p: Position) -> PositionOut:
    m = p.membership
    return PositionOut(
        chain=p.chain, chain_name=p.chain_name, node=p.node, node_name=p.node_name,
        segment=p.segment, source=m.source, status=m.status, confidence=m.confidence,
    )  # fmt: skip
