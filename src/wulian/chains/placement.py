"""Placement: firms put on chain nodes by product rules and the classify engine, with their
confidence, the uncertain ones sent to review.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import spec as chain_spec
from wulian.chains.models import (
    DECIDED,
    PROPOSED,
    ChainMembership,
    ChainPlacement,
    MembershipSource,
    MembershipStatus,
)
from wulian.chains.versions import (
    MIN_PRODUCT_CHARS,
    STAFF_ONLY,
    THRESHOLD,
    chains,
    firm_text,
    newest_versions,
    require_manage,
)
from wulian.core import audit
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput
from wulian.core.permissions import Actor, Permission
from wulian.engines.classify import model as classify
from wulian.enterprises import read


def _rule_index(specs: list[chain_spec.ChainSpec]) -> dict[str, set[str]]:
    """Typical product → the node codes that list it."""
    index: dict[str, set[str]] = {}
    for spec in specs:
        for node in spec.nodes:
            for product in node.products:
                if len(product) >= MIN_PRODUCT_CHARS:
                    index.setdefault(product.lower(), set()).add(f"{spec.id}.{node.key}")
    return index


def rule_node(index: dict[str, set[str]], products: str | None) -> tuple[str, str] | None:
    """(node code, product) when the main products name typical products of exactly one node.
    A product named only as part of a longer one (磷酸铁 in 磷酸铁锂正极) does not count."""
    if not products:
        return None
    text = products.lower()
    named = [product for product in index if product in text]
    named = [p for p in named if not any(p != q and p in q for q in named)]
    hits = {code: product for product in named for code in index[product]}
    if len(hits) != 1:
        return None
    code, product = next(iter(hits.items()))
    return code, product


def _examples(session: Session, codes: set[str]) -> list[tuple[str, str]]:
    """The officers' decisions as (firm text, node code), for nodes still in the atlas."""
    rows = session.execute(
        sa.select(ChainMembership.enterprise_id, ChainMembership.chain, ChainMembership.node)
        .where(ChainMembership.status == MembershipStatus.CONFIRMED.value)
        .order_by(ChainMembership.id)
    ).all()
    firms = read.records(session, {r[0] for r in rows})
    return [
        (firm_text(firm.name, firm.main_products, firm.business_scope), f"{chain}.{node}")
        for enterprise_id, chain, node in rows
        if f"{chain}.{node}" in codes and (firm := firms.get(enterprise_id)) is not None
    ]


def place(session: Session, *, actor: Actor, threshold: float = THRESHOLD) -> ChainPlacement:
    """Place every firm not yet decided by an officer; earlier automatic proposals are replaced.
    It proposes on every chain, so it needs the right to manage every chain."""
    require_manage(session, actor, *(row.code for row in newest_versions(session)))
    if not 0 < threshold < 1:
        raise InvalidInput("置信度阈值应在 0 和 1 之间", field="threshold")
    atlas = chains(session, actor=actor)
    if not atlas:
        raise Conflict("还没有产业链文件：请先载入或新建产业链")
    specs = [c.spec for c in atlas]
    taxonomy = chain_spec.taxonomy(specs)
    codes = set(taxonomy.codes)
    examples = _examples(session, codes)
    model = classify.train(taxonomy, examples)
    decided = (
        sa.select(ChainMembership.enterprise_id)
        .where(ChainMembership.status.in_(DECIDED))
        .distinct()
    )
    session.execute(sa.delete(ChainMembership).where(ChainMembership.status.in_(PROPOSED)))
    held = set(session.scalars(decided))
    registry = read.firms(session, columns=("name", "main_products", "business_scope"))
    firms = list(registry.filter(~pl.col("enterprise_id").is_in(sorted(held))).iter_rows())
    placement = ChainPlacement(
        specs={c.spec.id: c.row.id for c in atlas}, threshold=threshold, examples=len(examples),
        created_by=actor.label,
    )  # fmt: skip
    session.add(placement)
    session.flush()
    rules = _rule_index(specs)
    texts = [firm_text(name, products, scope) for _, name, products, scope in firms]
    prediction = classify.predict(model, texts, top_k=3)
    by_row: dict[int, list[dict[str, Any]]] = {}
    for row in prediction.frame.iter_rows(named=True):
        by_row.setdefault(row["row"], []).append(row)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    for position, (enterprise_id, _, products, _) in enumerate(firms):
        ranked = by_row.get(position, [])
        alternatives = [[r["code"], round(r["score"], 4)] for r in ranked]
        ruled = rule_node(rules, products)
        if ruled is not None:
            code, terms = ruled
            source, status, confidence = MembershipSource.RULE, MembershipStatus.PLACED, None
        elif ranked:
            best = ranked[0]
            code, terms, confidence = best["code"], best["terms"], float(best["score"])
            source = MembershipSource.MODEL
            status = MembershipStatus.PLACED if confidence >= threshold else MembershipStatus.REVIEW
        else:
            counts["empty"] += 1
            continue
        counts[f"{source.value}.{status.value}"] += 1
        chain, node = code.split(".", 1)
        rows.append(
            {
                "enterprise_id": enterprise_id, "chain": chain, "node": node,
                "source": source.value, "status": status.value, "confidence": confidence,
                "terms": (terms or "")[:300], "alternatives": alternatives,
                "placement_id": placement.id, "note": "", "created_at": now,
            }
        )  # fmt: skip
    for start in range(0, len(rows), 5_000):
        session.execute(sa.insert(ChainMembership), rows[start : start + 5_000])
    counts["decided"] = int(
        session.scalar(sa.select(sa.func.count()).select_from(decided.subquery())) or 0
    )
    placement.counts = dict(counts)
    session.flush()
    audit.record(
        session,
        action="chains.place",
        object_type="chain_placements",
        object_id=placement.id,
        after={"threshold": threshold, "examples": len(examples), **counts},
    )
    return placement


def latest_placement(session: Session, *, actor: Actor) -> ChainPlacement | None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    return session.scalar(sa.select(ChainPlacement).order_by(ChainPlacement.id.desc()).limit(1))
