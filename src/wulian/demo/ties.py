"""The demo's supply ties (链上往来): for the two most important gaps of each chain, a few of the
ranked targets buy from or sell to the biggest zone firm of a neighbouring node (the downstream
firm buys the gap's product from the target, the upstream firm sells it its input), with a
yearly amount, a source and last year; so the targets' ties points and the 以商招商 suggestion
show in the demo zone."""

from __future__ import annotations

import datetime as dt
from itertools import zip_longest

from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core.errors import WulianError
from wulian.core.permissions import Actor
from wulian.investment import atlas, ties

AMOUNTS = ("1200", "860", "3500", "420", "", "2100")  # 万元 a year; empty: unknown
SOURCES = ("企业走访", "供应商名单", "链主企业座谈", "税务开票数据")


def build(session: Session, *, actor: Actor, today: dt.date) -> int:
    """Record the ties (skipped where the zone lacks a firm around the gap); how many."""
    made = 0
    for chain in chains_service.chains(session, actor=actor):
        found = atlas.chain_map(session, actor=actor, chain=chain.spec.id)
        health = found.state.health
        keys = {n.key for n in found.spec.nodes}
        for gap in [g for g in found.gaps if g.key in keys][:2]:
            node = atlas.node_map(session, actor=actor, chain=chain.spec.id, key=gap.key,
                                  base=found)  # fmt: skip
            targets = atlas.rank_targets(
                session, actor=actor, chain=chain.spec.id, node=gap.key,
                year=found.state.year, top_k=4,
            )  # fmt: skip
            buyers = [
                (f, "buys", p)
                for d in node.downstream
                for f, _, _ in health.node(d.key).top[:1]
                for p in node.need.products[:1]
            ]
            sellers = [(f, "sells", p) for u in node.upstream
                       for f, _, _ in health.node(u.key).top[:1]
                       for p in found.spec.node(u.key).products[:1]]  # fmt: skip
            pairs = [x for pair in zip_longest(buyers, sellers) for x in pair if x is not None]
            for at, (target, (zone_id, direction, product)) in enumerate(
                zip(targets[1:3], pairs, strict=False)
            ):
                data = ties.TieInput(
                    zone_firm=str(zone_id), partner=str(target.id), direction=direction,
                    product=product, amount_wan=AMOUNTS[(made + at) % len(AMOUNTS)],
                    source=SOURCES[made % len(SOURCES)], year=today.year - 1,
                )  # fmt: skip
                try:
                    ties.create(session, actor=actor, today=today, data=data)
                except WulianError:
                    continue  # a tie already recorded, or a zone firm that moved out
                made += 1
    return made
