"""The 招商图谱 (investment map) of a chain: for each gap (a missing node → 补链, a weak node →
强链, an application domain the chain serves where the zone has hardly a firm → 延链) five layers:

- 行业路径: the GB/T codes and products the gap needs, the zone's downstream demand it would
  serve and the upstream it would draw on (from the chain atlas);
- 重点技术 / 技术路线图: the chain spec's technologies of the node, with generation, maturity and
  years (the spec's optional `roadmap` section);
- 现状匹配: the zone's firms, output and revenue on the node and its neighbours, and what is
  missing, in plain Chinese;
- 目标企业: external firms of the registry ranked by transparent points (`rank_targets`);
- 攻关路径: approach plans (approach.py).

The 应用领域图 (the spec's optional `applications` section) puts the zone's firms on the domains
the chain's products serve. Figures come from the chains service (health, gaps, members) and the
registry's read API; nothing here writes.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains
from wulian.core.errors import NotFound
from wulian.core.permissions import Actor
from wulian.engines.targets import criteria as targets_criteria
from wulian.engines.targets import knowledge as targets_knowledge
from wulian.engines.targets.index import Settings as TargetSettings
from wulian.engines.targets.index import TargetIndex
from wulian.enterprises import read
from wulian.investment import ties as supply_ties
from wulian.investment.models import ApproachPlan, InvestmentProject
from wulian.investment.service import require_read, stage_names
from wulian.reference import service as reference
from wulian.reference.models import Region

FILL, STRENGTHEN, EXTEND = "补链", "强链", "延链"
KINDS = {"缺": FILL, "弱": STRENGTHEN}
# 长三角: Shanghai, Jiangsu, Zhejiang, Anhui (the first two digits of a region code)
DELTA = {"31", "32", "33", "34"}
PROVINCES = {"31": "上海市", "32": "江苏省", "33": "浙江省", "34": "安徽省"}

# The criteria of a target's score and the most points each gives (together 100).
CRITERIA: dict[str, tuple[str, int]] = {
    "node": ("环节归属", 30),
    "industry": ("行业代码", 15),
    "products": ("产品契合", 20),
    "size": ("规模", 20),
    "ties": ("链上往来", 10),
    "region": ("地区", 10),
    "contact": ("已有接触", 5),
}


def money(wan: float | None) -> str:
    """万元 as a reader expects it: 亿元 from 10,000 万元 up; 未知 when unknown."""
    if wan is None:
        return "未知"
    if abs(wan) >= 10_000:
        return f"{wan / 10_000:,.2f} 亿元"
    return f"{wan:,.0f} 万元"


# ---------------------------------------------------------------- the gaps of a chain


@dataclass(frozen=True)
class Neighbour:
    """A node next to the gap along the supply edges, with the zone's firms on it."""

    key: str
    name: str
    firms: int
    revenue: float | None
    share: float | None  # the input's share of the customer (the spec's)
    need: float | None = None  # for a customer: its zone revenue × the share (万元)


@dataclass(frozen=True)
class Gap:
    """One gap of the chain's 招商图谱."""

    key: str  # the node's key, or the application domain's
    name: str
    kind: str  # 补链, 强链, 延链
    rating: str  # 缺, 弱, or 链外 for an application domain
    importance: float  # 0–100
    demand: float | None  # 万元 of the zone's downstream revenue relying on it
    reasons: list[str]
    plans: int = 0


@dataclass(frozen=True)
class Domain:
    """An application domain with the zone's firms on it: those of the chain on the nodes that
    supply it, and those working in the domain itself (by industry code or products)."""

    key: str
    name: str
    description: str
    nodes: list[str]  # names of the supplying nodes
    suppliers: list[tuple[int, str, float | None]]  # zone firms on those nodes, by revenue
    supplier_count: int
    supplier_revenue: float | None
    inside: list[tuple[int, str]]  # zone firms in the domain (the first eight)
    inside_count: int  # zone firms in the domain
    gbt: list[str]
    products: list[str]


@dataclass(frozen=True)
class Technology:
    node: str
    node_name: str
    name: str
    generation: str
    maturity: str
    start: int
    end: int
    note: str


@dataclass(frozen=True)
class ChainMap:
    state: chains.ChainState
    gaps: list[Gap]
    domains: list[Domain]
    technologies: list[Technology]

    @property
    def spec(self) -> Any:
        return self.state.chain.spec

    def gap(self, key: str) -> Gap | None:
        return next((g for g in self.gaps if g.key == key), None)


def _zone_firms(session: Session, actor: Actor) -> pl.DataFrame:
    return read.firms(
        session, actor=actor, in_zone=True, columns=("name", "industry_code", "main_products")
    )


def _inside(zone: pl.DataFrame, codes: Sequence[str], words: Sequence[str]) -> pl.DataFrame:
    """Zone firms in a domain: by industry code, or by a keyword or product in their products."""
    condition = pl.col("industry_code").is_in(list(codes))
    if words:
        condition = condition | pl.col("main_products").fill_null("").str.contains_any(list(words))
    return zone.filter(condition)


def _technologies(spec: Any) -> list[Technology]:
    names = {n.key: n.name for n in spec.nodes}
    return [
        Technology(t.node, names[t.node], t.name, t.generation, t.maturity, t.start, t.end, t.note)
        for t in sorted(spec.roadmap, key=lambda t: ([n.key for n in spec.nodes].index(t.node),
                                                     t.start, t.name))
    ]  # fmt: skip


def chain_map(session: Session, *, actor: Actor, chain: str, year: int | None = None) -> ChainMap:
    """The chain's 招商图谱: its gaps (补链, 强链, 延链, most important first), its application
    domains with the zone's firms, and its technology roadmap."""
    require_read(actor)
    state = chains.state(session, actor=actor, chain=chain, year=year)
    spec = state.chain.spec
    plans = _plan_counts(session, chain)
    gaps = [
        Gap(
            key=g.node.key, name=g.node.name, kind=KINDS[g.node.rating], rating=g.node.rating,
            importance=g.importance, demand=g.demand, reasons=list(g.reasons),
            plans=plans.get(g.node.key, 0),
        )
        for g in state.gaps
    ]  # fmt: skip
    domains: list[Domain] = []
    if spec.applications:
        zone = _zone_firms(session, actor)
        members = (
            chains.member_frame(session, actor=actor, chain=chain, year=state.year)
            if state.year is not None
            else pl.DataFrame(schema={"enterprise_id": pl.Int64, "node": pl.String,
                                      "name": pl.String, "revenue": pl.Float64})
        )  # fmt: skip
        names = {n.key: n.name for n in spec.nodes}
        for domain in spec.applications:
            on = (
                members.filter(pl.col("node").is_in(domain.nodes))
                .unique("enterprise_id", keep="first", maintain_order=True)
                .sort("revenue", descending=True, nulls_last=True)
            )
            known = on["revenue"].drop_nulls()
            inside = _inside(zone, domain.gbt, [*domain.keywords, *domain.products])
            domains.append(
                Domain(
                    key=domain.key, name=domain.name, description=domain.description,
                    nodes=[names[k] for k in domain.nodes],
                    suppliers=[(int(r["enterprise_id"]), str(r["name"]), r["revenue"])
                               for r in on.head(5).iter_rows(named=True)],
                    supplier_count=on.height,
                    supplier_revenue=float(known.sum()) if len(known) else None,
                    inside=[(int(i), str(n)) for i, n in
                            inside.select("enterprise_id", "name").head(8).iter_rows()],
                    inside_count=inside.height,
                    gbt=list(domain.gbt), products=list(domain.products),
                )
            )  # fmt: skip
        gaps += _extensions(spec, domains, plans)
    gaps.sort(key=lambda g: (-g.importance, g.key))
    return ChainMap(state=state, gaps=gaps, domains=domains, technologies=_technologies(spec))


def _extensions(spec: Any, domains: list[Domain], plans: dict[str, int]) -> list[Gap]:
    """延链: a domain the chain supplies where the zone has fewer firms than a strong node needs.
    Importance = 40 × the zone revenue of its supplying firms / the largest among the domains,
    + 20 when the zone has no firm in the domain (10 when it has a few)."""
    needed = spec.rating.strong_firms
    largest = max((d.supplier_revenue or 0.0 for d in domains), default=0.0)
    out = []
    for d in domains:
        found = d.inside_count
        if found >= needed:
            continue
        share = (d.supplier_revenue or 0.0) / largest if largest else 0.0
        importance = round(40 * share + (20 if found == 0 else 10), 1)
        where = "、".join(d.nodes)
        reasons = [
            f"链外应用领域：园区本领域企业 {found} 家（不足 {needed} 家）"
            if found else "链外应用领域：园区尚无本领域企业",
            f"园区链上供给本领域的企业 {d.supplier_count} 家（{where}），营收合计 "
            f"{money(d.supplier_revenue)}：引进下游应用可就近消化本链产品",
        ]  # fmt: skip
        out.append(
            Gap(
                key=d.key, name=d.name, kind=EXTEND, rating="链外", importance=importance,
                demand=None, reasons=reasons, plans=plans.get(d.key, 0),
            )
        )  # fmt: skip
    return out


def _plan_counts(session: Session, chain: str) -> dict[str, int]:
    rows = session.execute(
        sa.select(ApproachPlan.node, sa.func.count())
        .where(ApproachPlan.chain == chain)
        .group_by(ApproachPlan.node)
    ).all()
    return {str(node): int(n) for node, n in rows}


# ---------------------------------------------------------------- one gap


@dataclass(frozen=True)
class Need:
    """What a gap asks for: the codes, products and words by which a firm fits it."""

    chain: str
    key: str
    name: str
    gbt: list[str]
    products: list[str]
    keywords: list[str]
    placed: bool  # a node of the chain (firms are placed on it), not an application domain


@dataclass(frozen=True)
class NodeMap:
    chain: ChainMap
    gap: Gap | None  # None: the node is strong (its page still shows the layers)
    need: Need
    segment: str
    description: str
    codes: list[tuple[str, str]]  # GB/T code and its name
    upstream: list[Neighbour]
    downstream: list[Neighbour]
    technologies: list[Technology]
    firms: int
    revenue: float | None
    output: float | None
    top: list[tuple[int, str, float | None]]
    missing_products: list[str]
    statements: list[str]  # 现状匹配 in plain Chinese
    brokers: list[tuple[int, str, str]]  # 以商招商: zone firms that buy from or sell to the gap
    domain: Domain | None = None


def need_of(spec: Any, key: str) -> Need:
    """The need of a node or an application domain of the chain; NotFound otherwise."""
    node = next((n for n in spec.nodes if n.key == key), None)
    if node is not None:
        return Need(spec.id, node.key, node.name, list(node.gbt), list(node.products),
                    list(node.keywords), placed=True)  # fmt: skip
    domain = spec.application(key)
    if domain is not None:
        return Need(spec.id, domain.key, domain.name, list(domain.gbt), list(domain.products),
                    list(domain.keywords), placed=False)  # fmt: skip
    raise NotFound(f"产业链“{spec.name}”没有编号为“{key}”的环节或应用领域")


def _codes(session: Session, codes: Sequence[str]) -> list[tuple[str, str]]:
    out = []
    for code in codes:
        found = reference.get_industry(session, code=code)
        out.append((code, found.name if found is not None else "（行业名称未导入）"))
    return out


def node_map(
    session: Session,
    *,
    actor: Actor,
    chain: str,
    key: str,
    year: int | None = None,
    base: ChainMap | None = None,
) -> NodeMap:
    """The layers of one gap (or of any node or application domain of the chain) but the target
    firms (`rank_targets`) and plans; base: the chain's map when the caller has it already."""
    require_read(actor)
    found = base or chain_map(session, actor=actor, chain=chain, year=year)
    spec, health = found.spec, found.state.health
    need = need_of(spec, key)
    codes = _codes(session, need.gbt)
    if not need.placed:
        return _domain_map(found, need, codes)
    node = spec.node(key)
    here = health.node(key)
    shares = {e.source: e.share for e in spec.suppliers(key)}
    upstream = [
        Neighbour(e.source, health.node(e.source).name, health.node(e.source).firms,
                  health.node(e.source).revenue, shares.get(e.source))
        for e in spec.suppliers(key)
    ]  # fmt: skip
    downstream = []
    for edge in spec.customers(key):
        customer = health.node(edge.target)
        weights = _input_weights(spec, edge.target)
        share = weights.get(key)
        need_wan = None if customer.revenue is None or share is None else customer.revenue * share
        downstream.append(
            Neighbour(edge.target, customer.name, customer.firms, customer.revenue, share, need_wan)
        )
    members = (
        chains.member_frame(session, actor=actor, chain=chain, year=found.state.year).filter(
            pl.col("node") == key
        )
        if found.state.year is not None
        else pl.DataFrame(schema={"enterprise_id": pl.Int64})
    )
    ids = members["enterprise_id"].to_list()
    products = read.firms(session, actor=actor, ids=ids, columns=("main_products",))
    made = " ".join(p for p in products["main_products"].to_list() if p)
    missing = [p for p in node.products if p not in made]
    statements = _statements(here, upstream, downstream, missing, node.products)
    brokers = _brokers(health, downstream, upstream)
    return NodeMap(
        chain=found, gap=found.gap(key), need=need, segment=node.segment,
        description=node.description, codes=codes, upstream=upstream, downstream=downstream,
        technologies=[t for t in found.technologies if t.node == key], firms=here.firms,
        revenue=here.revenue, output=here.output, top=list(here.top), missing_products=missing,
        statements=statements, brokers=brokers,
    )  # fmt: skip


def _brokers(
    health: Any, downstream: list[Neighbour], upstream: list[Neighbour]
) -> list[tuple[int, str, str]]:
    """The biggest zone firms of the nodes around the gap: the customers would buy from a firm
    brought in, the suppliers sell to it; either can introduce it (以商招商)."""
    out: dict[int, tuple[int, str, str]] = {}
    for side, relation in ((downstream, "可向其采购"), (upstream, "可向其供货")):
        for n in side:
            for fid, name, _ in health.node(n.key).top[:3]:
                out.setdefault(fid, (fid, name, f"{n.name}（{relation}）"))
    return list(out.values())


def _input_weights(spec: Any, key: str) -> dict[str, float]:
    """The node's inputs with their weight, as the chain's health counts them: the spec's share
    where given, else the mean of the given shares (equal weights when none is given)."""
    edges = spec.suppliers(key)
    known = [e.share for e in edges if e.share is not None]
    fallback = sum(known) / len(known) if known else 1.0
    return {e.source: e.share if e.share is not None else fallback for e in edges}


def _statements(
    here: Any,
    upstream: list[Neighbour],
    downstream: list[Neighbour],
    missing: list[str],
    products: list[str],
) -> list[str]:
    out = []
    if here.firms == 0:
        out.append("园区目前没有本环节企业。")
    else:
        unknown = f"（其中 {here.revenue_unknown} 家营收未知）" if here.revenue_unknown else ""
        out.append(
            f"园区本环节有 {here.firms} 家企业，营收合计 {money(here.revenue)}{unknown}，"
            f"工业增加值 {money(here.output)}。"
        )
        if here.anchors:
            out.append("链主企业：" + "、".join(name for _, name in here.anchors) + "。")
    served = [d for d in downstream if d.firms]
    if served:
        text = "；".join(
            f"“{d.name}”{d.firms} 家企业、营收 {money(d.revenue)}"
            + (f"，按投入占比约需本环节供给 {money(d.need)}" if d.need is not None else "")
            for d in served
        )
        out.append(f"下游需求：{text}。")
    elif downstream:
        out.append("下游环节园区暂无企业，本环节的产品需销往园区外。")
    else:
        out.append("本环节是链的末端，没有链内下游环节。")
    held = [u for u in upstream if u.firms]
    lacking = [u for u in upstream if not u.firms]
    if held:
        out.append("上游配套：" + "；".join(f"“{u.name}”{u.firms} 家" for u in held) + "。")
    if lacking:
        out.append("上游缺口：园区没有“" + "”“".join(u.name for u in lacking) + "”的企业，"
                   "引进本环节企业时需从园区外采购这些原料。")  # fmt: skip
    if products:
        if missing:
            out.append("园区尚无企业生产：" + "、".join(missing) + "。")
        else:
            out.append("本环节的典型产品园区均有企业生产。")
    return out


def _domain_map(found: ChainMap, need: Need, codes: list[tuple[str, str]]) -> NodeMap:
    spec, health = found.spec, found.state.health
    domain = next(d for d in found.domains if d.key == need.key)
    upstream = [
        Neighbour(k, health.node(k).name, health.node(k).firms, health.node(k).revenue, None)
        for k in spec.application(need.key).nodes
    ]
    statements = [
        f"园区本领域企业 {domain.inside_count} 家"
        + ("：" + "、".join(n for _, n in domain.inside) if domain.inside else "")
        + ("等" if domain.inside_count > len(domain.inside) else "")
        + "。",
        f"园区链上供给本领域的企业 {domain.supplier_count} 家，营收合计 "
        f"{money(domain.supplier_revenue)}（{'、'.join(domain.nodes)}）。",
    ]
    if not domain.inside:
        statements.append("延链方向：引进本领域的下游应用企业，就近使用园区链上企业的产品。")
    return NodeMap(
        chain=found, gap=found.gap(need.key), need=need, segment="链外应用",
        description=domain.description, codes=codes, upstream=upstream, downstream=[],
        technologies=[], firms=domain.inside_count, revenue=None, output=None, top=[],
        missing_products=list(need.products) if not domain.inside else [],
        statements=statements, brokers=_brokers(health, [], upstream), domain=domain,
    )  # fmt: skip


# ---------------------------------------------------------------- target firms


@dataclass(frozen=True)
class Target:
    """A ranked target firm: its points per criterion (keys of CRITERIA) and the reasons."""

    id: int
    name: str
    score: float
    points: dict[str, float]
    reasons: list[str]
    revenue: float | None  # 万元
    region: str
    industry_code: str | None
    project: tuple[int, str] | None  # a project of the pipeline with this firm, and its stage
    ties: tuple[supply_ties.Tie, ...] = ()  # its ties to zone firms on the node or neighbours


def rank_targets(
    session: Session,
    *,
    actor: Actor,
    chain: str,
    node: str,
    year: int | None = None,
    top_k: int = 20,
) -> list[Target]:
    """External firms of the registry that could fill the gap (a node or an application domain
    of the chain), best first, each with points per criterion and the reasons in Chinese.

    Candidates: external firms placed on the node, on one of its GB/T codes, or whose products
    the targets engine (wulian.engines.targets) finds related to one of the node's products or
    keywords: sharing words, listed together with them by the same firms, or named in the same
    GB/T 4754 class notes (a maker of 涤纶长丝 fits a need for DTY). Points (see CRITERIA):
    placed on the node 30; industry code among the node's 15; product fit 20 × the engine's best
    fit over the node's products, at least MIN_FIT (its reason quoted); size 20 × log(revenue) /
    log(the largest candidate revenue) (unknown revenue: 0, said so); supply ties (链上往来) 10
    when it buys from or sells to a zone firm on the node or its neighbours (`_tie_zone`; the
    firm and product named); region 10 in the zone's
    province, 6 elsewhere in the Yangtze delta; a project of the pipeline with the firm already 5.
    Equal scores by revenue, then id."""
    require_read(actor)
    found = chains.chain_or_raise(session, actor=actor, code=chain)
    need = need_of(found.spec, node)
    the_year = year or chains.latest_year(session)
    placed: set[int] = set()
    if need.placed:
        placed = {
            f.id
            for f, _ in chains.candidates(
                session, actor=actor, chain=chain, node=node, year=the_year, limit=100_000
            )
        }
    external = read.firms(
        session, actor=actor, in_zone=False,
        columns=("name", "industry_code", "region_code", "main_products"),
    ).with_columns(pl.col("main_products").fill_null(""))  # fmt: skip
    words = list(dict.fromkeys(w for w in [*need.products, *need.keywords] if len(w) >= 2))
    fits = _product_fits(session, external, words or [need.name])
    condition = (
        pl.col("enterprise_id").is_in(list(placed))
        | pl.col("industry_code").is_in(need.gbt)
        | pl.col("enterprise_id").is_in(list(fits))
    )
    pool = external.filter(condition)
    if pool.is_empty():
        return []
    ids = pool["enterprise_id"].to_list()
    revenue = chains.revenues(session, actor=actor, ids=ids, year=the_year)
    province = _zone_province(session, actor)
    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    contacts = _contacts(session, ids)
    tied = supply_ties.ties_with(
        session, actor=actor, partner_ids=ids,
        zone_ids=_tie_zone(session, actor, found.spec, need, the_year),
    )  # fmt: skip
    known = [v for v in revenue.values() if v is not None and v > 0]
    top = math.log10(1 + max(known)) if known else 0.0
    by_size = sorted((i for i in ids if revenue.get(i)), key=lambda i: -(revenue[i] or 0))
    ranks = {i: n for n, i in enumerate(by_size, start=1)}
    rows: list[Target] = []
    for firm in pool.iter_rows(named=True):
        fid = int(firm["enterprise_id"])
        points: dict[str, float] = dict.fromkeys(CRITERIA, 0.0)
        reasons: list[str] = []
        if fid in placed:
            points["node"] = 30
            reasons.append(f"已归入“{need.name}”环节（产业链归链）")
        code = firm["industry_code"]
        if code and code in need.gbt:
            points["industry"] = 15
            reasons.append(f"行业代码 {code} 是本环节的行业")
        fit = fits.get(fid)
        if fit is not None:
            points["products"] = round(20 * fit[0], 1)
            reasons.append(fit[1])
        value = revenue.get(fid)
        if value is not None and value > 0 and top > 0:
            points["size"] = round(20 * math.log10(1 + value) / top, 1)
            reasons.append(f"营收 {money(value)}（候选第 {ranks[fid]} 位）")
        else:
            reasons.append("营收未知，规模不计分")
        its_ties = tuple(tied.get(fid, ()))
        if its_ties:
            points["ties"] = 10
            said = [
                t.partner_says + (f"（每年约{money(t.amount_wan)}）" if t.amount_wan else "")
                for t in its_ties[:3]
            ]
            more = f"等 {len(its_ties)} 项" if len(its_ties) > 3 else ""
            reasons.append("链上往来：" + "、".join(said) + more)
        region = firm["region_code"] or ""
        if province and region[:2] == province:
            points["region"] = 10
            reasons.append(f"与园区同省（{regions.get(region, region)}）")
        elif region[:2] in DELTA:
            points["region"] = 6
            reasons.append(f"位于长三角（{regions.get(region, region)}）")
        contact = contacts.get(fid)
        if contact is not None:
            points["contact"] = 5
            reasons.append(f"项目库已有接触：{contact[1]}")
        rows.append(
            Target(
                id=fid, name=str(firm["name"]), score=round(sum(points.values()), 1),
                points=points, reasons=reasons, revenue=value,
                region=regions.get(region, "地区未知") if region else "地区未知",
                industry_code=code, project=(contact[0], contact[2]) if contact else None,
                ties=its_ties,
            )
        )  # fmt: skip
    rows.sort(key=lambda t: (-t.score, -(t.revenue or 0), t.id))
    return rows[:top_k]


def _tie_zone(session: Session, actor: Actor, spec: Any, need: Need, year: int | None) -> set[int]:
    """The zone firms on the gap's node and its neighbours (upstream and downstream), or on the
    nodes that supply an application domain: their ties make a target's 链上往来."""
    if year is None:
        return set()
    if need.placed:
        keys = {need.key, *(e.source for e in spec.suppliers(need.key))}
        keys |= {e.target for e in spec.customers(need.key)}
    else:
        domain = spec.application(need.key)
        keys = set(domain.nodes) if domain is not None else set()
    return chains.node_members(session, actor=actor, chain=spec.id, nodes=keys)


FIT_TOP_K = 200  # firms kept per product of the need
# The least fit (0–1) that makes a firm a candidate: the engine keeps anything above 0.03, which
# lets one shared character (电 in 锂电池隔膜 and 纯电动乘用车) through; a gap's list needs firms
# that make something related, not a common character.
MIN_FIT = 0.2
_INDEXES: dict[tuple[int, int], TargetIndex] = {}  # the last indexes built, by their input
# A word many external firms' products share (设备、材料、系统 …) fits little on its own: without
# this, makers of 锂电设备 and 医疗设备 passed MIN_FIT for the 5G通信 direction's 通信设备 on 设备
# alone (docs/guide/targets.md; the engine's own default leaves it off, docs/benchmarks.md).
FIT_SETTINGS = TargetSettings(generic=2.0)


def _target_index(session: Session, external: pl.DataFrame) -> TargetIndex:
    """The targets engine's index of the external firms' products, with the GB/T class notes;
    kept while the firms and the loaded classification are unchanged."""
    candidates = external.select(
        pl.col("enterprise_id").cast(pl.Utf8).alias("id"),
        pl.col("name").fill_null("").alias("name"),
        pl.col("main_products").alias("products"),
    )
    notes = reference.industry_notes(session)
    key = (
        int(candidates.hash_rows().sum()) if candidates.height else 0,
        int(notes.hash_rows().sum()) if notes.height else 0,
    )
    index = _INDEXES.get(key)
    if index is None:
        taxonomy = targets_knowledge.from_frame(notes) if notes.height else None
        index = TargetIndex.build(candidates, taxonomy=taxonomy, settings=FIT_SETTINGS)
        _INDEXES.clear()  # one registry per process: keep only the newest
        _INDEXES[key] = index
    return index


def _product_fits(
    session: Session, external: pl.DataFrame, words: list[str]
) -> dict[int, tuple[float, str]]:
    """Each external firm the engine relates to one of words: its best fit (0–1) and the
    engine's reason for it (which product, related how)."""
    if external.is_empty() or not words:
        return {}
    index = _target_index(session, external)
    queries = pl.DataFrame({"qid": [str(i) for i in range(len(words))], "query": words})
    full = float(targets_criteria.MAXIMUM["fit"])
    ranked = index.rank(queries, top_k=FIT_TOP_K).filter(pl.col("points_fit") >= MIN_FIT * full)
    best: dict[int, tuple[float, str]] = {}
    for row in ranked.select("id", "points_fit", "reasons").iter_rows():
        fid, fit = int(row[0]), float(row[1]) / full
        if fid not in best or fit > best[fid][0]:
            reason = str(row[2]).split("；", 1)[0]
            best[fid] = (fit, "产品契合：" + reason.split("：", 1)[-1])
    return best


def _zone_province(session: Session, actor: Actor) -> str | None:
    """The province (first two digits of the region code) most of the zone's firms are in."""
    codes = read.firms(session, actor=actor, in_zone=True, columns=("region_code",))
    counts = Counter(c[:2] for c in codes["region_code"].drop_nulls().to_list() if c)
    return counts.most_common(1)[0][0] if counts else None


def _contacts(session: Session, ids: list[int]) -> dict[int, tuple[int, str, str]]:
    """Each firm's newest project of the pipeline: (id, a line for the reason, its stage)."""
    names = stage_names(session)
    out: dict[int, tuple[int, str, str]] = {}
    for chunk in range(0, len(ids), 1000):
        rows = session.execute(
            sa.select(InvestmentProject.enterprise_id, InvestmentProject.id,
                      InvestmentProject.name, InvestmentProject.stage)
            .where(InvestmentProject.enterprise_id.in_(ids[chunk : chunk + 1000]))
            .order_by(InvestmentProject.lead_on, InvestmentProject.id)
        ).all()  # fmt: skip
        for eid, pid, name, stage in rows:
            if eid is None:
                continue
            stage_name = names.get(stage, stage)
            out[int(eid)] = (int(pid), f"“{name}”（{stage_name}）", stage_name)
    return out
