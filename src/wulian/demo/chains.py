"""Main products and business scope (经营范围) for the demo firms, written from the chain specs.

Each firm sits on one node of its chain. Its main products name one or two of the node's
products or keywords; its business scope reads like a registration (一般项目 …；许可项目 …)
with the boilerplate every scope carries. Like real registrations, some are unhelpful: one in
seven names a neighbouring node's product too, one in twelve has no main products, and one in
twenty-five has neither (only the name is left to go by). Nodes are unevenly popular, and a few
nodes of each chain have no zone firm at all, so that the atlas has weak and missing links.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from wulian.chains import service as chains_service
from wulian.chains.spec import ChainSpec

# Nodes without a zone firm in the demo (external firms cover every node).
ABSENT: dict[str, tuple[str, ...]] = {
    "lithium": ("separator", "recycling", "metals"),
    "fluorosilicon": ("fluorite", "membrane"),
    "electronic_chemicals": ("photoresist", "target"),
    "special_paper": ("machinery",),
    "chips_sensors": ("fab", "equipment", "eda_ip"),
    "biomedicine": ("biologics", "cro"),
}
BOILERPLATE = (
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "货物进出口；技术进出口",
    "普通机械设备安装服务",
    "信息咨询服务（不含许可类信息咨询服务）",
    "非居住房地产租赁",
    "仓储服务（不含危险化学品）",
)
CLOSING = "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）"


@cache
def _specs() -> dict[str, ChainSpec]:
    specs = (chains_service.parse(chains_service.shipped_text(c)) for c in chains_service.SHIPPED)
    return {spec.name: spec for spec in specs}


@cache
def _popularity(chain: str, in_zone: bool) -> tuple[list[str], np.ndarray]:
    """The chain's nodes and how likely a firm is to sit on each (fixed per chain)."""
    spec = _specs()[chain]
    keys = [n.key for n in spec.nodes if not (in_zone and n.key in ABSENT.get(spec.id, ()))]
    rng = np.random.default_rng(sum(map(ord, spec.id)))
    weights = rng.gamma(0.8, size=len(keys)) + 0.05
    return keys, weights / weights.sum()


def firm_texts(
    rng: np.random.Generator, chain: str, *, in_zone: bool
) -> tuple[str, str | None, str | None]:
    """(node key, main products, business scope) for one firm of chain (the chain's name)."""
    spec = _specs()[chain]
    keys, p = _popularity(chain, in_zone)
    node = spec.node(str(rng.choice(keys, p=p)))
    words = [*node.products, *node.keywords]
    picked = [str(w) for w in rng.choice(words, size=min(len(words), 1 + int(rng.integers(0, 2))),
                                         replace=False)]  # fmt: skip
    neighbours = [e.source for e in spec.suppliers(node.key)] + [
        e.target for e in spec.customers(node.key)
    ]
    if neighbours and rng.random() < 1 / 7:
        other = spec.node(str(rng.choice(neighbours)))
        picked.append(str(rng.choice([*other.products, *other.keywords])))
    roll = rng.random()
    if roll < 1 / 25:
        return node.key, None, None
    products = None if roll < 1 / 12 else "、".join(picked)
    general = [f"{picked[0]}研发", f"{picked[-1]}制造", f"{picked[0]}销售"]
    general += [str(b) for b in rng.choice(BOILERPLATE, size=2, replace=False)]
    scope = "一般项目：" + "；".join(general) + "。" + CLOSING
    if rng.random() < 0.3:
        scope = scope.replace(
            "。", f"。许可项目：{node.name}相关产品生产（依法须经批准的项目）。", 1
        )
    return node.key, products, scope
