"""The chain spec: one industry chain as its segments, nodes, supply edges and "N个一" items.

A spec file (YAML) names the chain and lists its nodes (segment 上游/中游/下游, description,
keywords, typical products, GB/T 4754 codes, 战略性新兴产业 categories, strategic weight), the
edges “A supplies B” (with the input's share of B where known), the chain's work items ("N个一":
chain leader, office, anchor firms, key projects …), the rules that rate a node 强/弱/缺 and the
department (链长办) whose officers manage the chain. Two optional sections serve the 招商图谱:
`roadmap` (key technologies per node with generation, maturity and years) and `applications`
(the domains the chain's products serve, with the nodes that supply them).
Checked on load with the line of every problem: unknown nodes, duplicate keys, a supply cycle.
See docs/guide/chains.md for the format.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from wulian.engines.classify.taxonomy import Taxonomy
from wulian.engines.specfile import SpecProblem, load_spec

Key = Annotated[str, Field(min_length=1, max_length=48, pattern=r"^[a-z][a-z0-9_]*$")]
Segment = Literal["上游", "中游", "下游"]
SEGMENTS: tuple[Segment, ...] = ("上游", "中游", "下游")
GbtCode = Annotated[str, Field(pattern=r"^\d{4}$")]
ItemStatus = Literal["未启动", "推进中", "已落实"]
DepartmentCode = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Node(Strict):
    key: Key
    name: str = Field(min_length=1, max_length=40)
    segment: Segment
    description: str = Field(default="", max_length=500)
    keywords: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    gbt: list[GbtCode] = Field(default_factory=list)
    sei: list[str] = Field(default_factory=list)  # 战略性新兴产业分类 (2018) categories
    weight: int = Field(default=3, ge=1, le=5)  # strategic weight, 5 = most important


class Edge(Strict):
    source: Key = Field(alias="from")
    target: Key = Field(alias="to")
    share: float | None = Field(default=None, gt=0, le=1)  # of the target's inputs


class Item(Strict):
    """One of the chain's "N个一" work items."""

    key: Key
    name: str = Field(min_length=1, max_length=40)
    owner: str = Field(default="", max_length=60)
    status: ItemStatus = "未启动"
    note: str = Field(default="", max_length=300)


class Rating(Strict):
    """A node is 强 when it has at least strong_firms firms and strong_revenue (万元) of revenue
    or an anchor firm; 缺 when it has no firm; otherwise 弱."""

    strong_firms: int = Field(default=3, ge=1)
    strong_revenue: float = Field(default=100_000, ge=0)  # 万元, the node's firms together
    anchor_is_strong: bool = True


Maturity = Literal["研究", "中试", "产业化", "成熟"]
MATURITIES: tuple[Maturity, ...] = ("研究", "中试", "产业化", "成熟")
Year = Annotated[int, Field(ge=2000, le=2060)]


class Technology(Strict):
    """One key technology of a node (重点技术) on the roadmap: its generation, how mature it is
    and the years it is expected to matter (start to end, inclusive)."""

    node: Key
    name: str = Field(min_length=1, max_length=40)
    generation: str = Field(default="", max_length=20)  # 当前主流, 下一代, 前沿 …
    maturity: Maturity = "产业化"
    start: Year
    end: Year
    note: str = Field(default="", max_length=200)


class Application(Strict):
    """An application domain the chain's products serve (应用领域): which nodes supply it, and
    the codes, keywords and products by which the zone's firms in it are found."""

    key: Key
    name: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=300)
    nodes: list[Key] = Field(min_length=1)
    gbt: list[GbtCode] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)


class ChainSpec(Strict):
    id: Key
    name: str = Field(min_length=1, max_length=40)
    summary: str = Field(default="", max_length=1000)
    # The department (its code) whose officers manage this chain: its spec, its N个一 items and
    # the firms placed on it. Without one, only administrators do.
    office: DepartmentCode | None = None
    nodes: list[Node] = Field(min_length=1)
    edges: list[Edge] = Field(default_factory=list)
    items: list[Item] = Field(default_factory=list)
    rating: Rating = Rating()
    # optional: the key technologies of the nodes (技术路线图) and the application domains
    roadmap: list[Technology] = Field(default_factory=list)
    applications: list[Application] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> ChainSpec:
        keys: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            if node.key in keys:
                raise SpecProblem(f"环节编号“{node.key}”重复", ("nodes", i, "key"))
            keys[node.key] = i
        pairs: set[tuple[str, str]] = set()
        for i, edge in enumerate(self.edges):
            for end, field in ((edge.source, "from"), (edge.target, "to")):
                if end not in keys:
                    raise SpecProblem(f"没有编号为“{end}”的环节", ("edges", i, field))
            if edge.source == edge.target:
                raise SpecProblem("环节不能供给自己", ("edges", i))
            if (edge.source, edge.target) in pairs:
                raise SpecProblem("这条供给关系重复", ("edges", i))
            pairs.add((edge.source, edge.target))
        cycle = _cycle([(e.source, e.target) for e in self.edges])
        if cycle:
            at = next(
                i
                for i, e in enumerate(self.edges)
                if (e.source, e.target) == (cycle[-2], cycle[-1])
            )
            raise SpecProblem("供给关系成环：" + " → ".join(cycle), ("edges", at))
        seen: set[str] = set()
        for i, item in enumerate(self.items):
            if item.key in seen:
                raise SpecProblem(f"工作事项编号“{item.key}”重复", ("items", i, "key"))
            seen.add(item.key)
        self._check_roadmap(keys)
        return self

    def _check_roadmap(self, keys: dict[str, int]) -> None:
        names: set[tuple[str, str]] = set()
        for i, tech in enumerate(self.roadmap):
            if tech.node not in keys:
                raise SpecProblem(
                    f"技术路线图：没有编号为“{tech.node}”的环节", ("roadmap", i, "node")
                )
            if tech.end < tech.start:
                raise SpecProblem(
                    f"技术路线图：“{tech.name}”的结束年份 {tech.end} 早于开始年份 {tech.start}",
                    ("roadmap", i, "end"),
                )
            if (tech.node, tech.name) in names:
                raise SpecProblem(
                    f"技术路线图：环节“{tech.node}”的技术“{tech.name}”重复", ("roadmap", i, "name")
                )
            names.add((tech.node, tech.name))
        seen: set[str] = set()
        for i, domain in enumerate(self.applications):
            if domain.key in seen or domain.key in keys:
                raise SpecProblem(
                    f"应用领域编号“{domain.key}”重复（不能与环节或其他应用领域同名）",
                    ("applications", i, "key"),
                )
            seen.add(domain.key)
            for j, node in enumerate(domain.nodes):
                if node not in keys:
                    raise SpecProblem(
                        f"应用领域“{domain.name}”：没有编号为“{node}”的环节",
                        ("applications", i, "nodes", j),
                    )

    def application(self, key: str) -> Application | None:
        return next((a for a in self.applications if a.key == key), None)

    def technologies(self, key: str) -> list[Technology]:
        """The node's key technologies, earliest first."""
        return sorted((t for t in self.roadmap if t.node == key), key=lambda t: (t.start, t.end))

    def node(self, key: str) -> Node:
        return next(n for n in self.nodes if n.key == key)

    def suppliers(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.target == key]

    def customers(self, key: str) -> list[Edge]:
        return [e for e in self.edges if e.source == key]

    def layers(self) -> dict[str, int]:
        """Each node's column on the map: its segment, then its depth along the supply edges."""
        depth = {n.key: 0 for n in self.nodes}
        for _ in range(len(self.nodes)):  # longest path; no cycles, so this settles
            changed = False
            for e in self.edges:
                if depth[e.target] < depth[e.source] + 1:
                    depth[e.target] = depth[e.source] + 1
                    changed = True
            if not changed:
                break
        return depth


def _cycle(edges: list[tuple[str, str]]) -> list[str]:
    """A cycle among the edges as the list of its nodes (first = last), or []."""
    out: dict[str, list[str]] = {}
    for a, b in edges:
        out.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in out.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if not state.get(nxt):
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for start in list(out):
        if not state.get(start):
            found = visit(start)
            if found:
                return found
    return []


def load(text: str, filename: str = "chain.yaml") -> ChainSpec:
    return load_spec(text, filename, ChainSpec)


def taxonomy(specs: list[ChainSpec]) -> Taxonomy:
    """The chains as one taxonomy for the classify engine: chain → node. A node's text is its
    name, description, and keywords, products and 战略性新兴产业 categories as keywords."""
    codes: list[str] = []
    names: list[str] = []
    parents: list[int] = []
    descriptions: list[str] = []
    keywords: list[list[str]] = []
    for spec in specs:
        top = len(codes)
        codes.append(spec.id)
        names.append(spec.name)
        parents.append(-1)
        descriptions.append(spec.summary)
        keywords.append([])
        for node in spec.nodes:
            codes.append(f"{spec.id}.{node.key}")
            names.append(node.name)
            parents.append(top)
            descriptions.append(node.description)
            keywords.append([*node.keywords, *node.products, *node.sei])
    return Taxonomy(codes, names, parents, descriptions, keywords)
