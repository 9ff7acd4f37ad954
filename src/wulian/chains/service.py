"""The chain atlas: the only module that reads and writes the chain tables.

Chain specs are versioned files; the newest version of each is the atlas. A placement puts every
firm an officer has not yet decided on a node: by rule where the firm's main products name a
typical product of exactly one node, else by the classify engine trained on the specs and on the
officers' decisions so far; a proposal below the threshold waits in the review queue instead.
Officers confirm, move or reject; a decided firm is never moved by a later placement.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import health as chain_health
from wulian.chains import spec as chain_spec
from wulian.chains.models import (
    COUNTED,
    DECIDED,
    PROPOSED,
    ChainItem,
    ChainMembership,
    ChainPlacement,
    ChainSpecRow,
    MembershipSource,
    MembershipStatus,
)
from wulian.core import audit, specversions
from wulian.core.auth.models import Department
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.engines.classify import model as classify
from wulian.enterprises import facts, read
from wulian.reference.models import Region

SHIPPED = (
    "fluorosilicon",
    "lithium",
    "electronic_chemicals",
    "special_paper",
    "chips_sensors",
    "biomedicine",
)
THRESHOLD = 0.3  # a model proposal below this confidence goes to review (see the guide)
ANCHOR_TAG = "lianzhu"
ITEM_STATUSES = ("未启动", "推进中", "已落实")
MIN_PRODUCT_CHARS = 3  # shorter typical products are too generic for the rule


def shipped_text(code: str) -> str:
    return resources.files("wulian.chains").joinpath(f"specs/{code}.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str, filename: str = "产业链文件") -> chain_spec.ChainSpec:
    """A chain spec from its text (parsed once per text)."""
    return chain_spec.load(text, filename)


STAFF_ONLY = "企业用户只能查看本企业的产业链位置"


def managed(session: Session, actor: Actor) -> set[str]:
    """The codes of the chains this actor manages: every chain for administrators and the
    system; for an officer, the chains whose spec names the officer's department as office."""
    if not actor.has(Permission.CHAINS_MANAGE) or actor.enterprise_id is not None:
        return set()
    everything = actor.answers_for_all
    if not everything and actor.department_id is None:
        return set()
    own = _department(session, actor)
    return {
        row.code
        for row in _newest(session)
        if everything or (own is not None and parse(row.text).office == own.code)
    }


def _department(session: Session, actor: Actor) -> Department | None:
    return session.get(Department, actor.department_id) if actor.department_id else None


def can_place(session: Session, actor: Actor, managed_by_actor: set[str] | None = None) -> bool:
    """Whether this actor may place firms: placement proposes on every chain. managed_by_actor:
    what `managed` gave for this actor, where the caller has it already."""
    codes = {row.code for row in _newest(session)}
    mine = managed(session, actor) if managed_by_actor is None else managed_by_actor
    return bool(codes) and codes <= mine


def _require_manage(session: Session, actor: Actor, *codes: str) -> None:
    """Raise unless this actor manages every one of the chains codes."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    allowed = managed(session, actor)
    for code in codes:
        if code not in allowed:
            raise PermissionDenied(_not_yours(session, code))


def _not_yours(session: Session, code: str) -> str:
    rows = [r for r in _newest(session) if r.code == code]
    if not rows:
        return f"没有编号为“{code}”的产业链"
    spec = parse(rows[0].text)
    office = spec.office and session.scalar(
        sa.select(Department.name).where(Department.code == spec.office)
    )
    if office:
        return f"产业链“{spec.name}”由{office}管理，本部门不能修改"
    return f"产业链“{spec.name}”没有指定管理部门，只有管理员可以修改"


def firm_text(name: str, products: str | None, scope: str | None) -> str:
    """What the classifier reads of a firm: its name, main products and business scope."""
    parts = [name]
    if products:
        parts.append(f"主营产品：{products}")
    if scope:
        parts.append(f"经营范围：{scope}")
    return "；".join(parts)


# ---------------------------------------------------------------- specs and items


SHIPPED_SPECS = specversions.Shipped(
    key="chains",
    label="产业链文件",
    model=ChainSpecRow,
    files=lambda: {code: shipped_text(code) for code in SHIPPED},
    describe=lambda session, code, text: {"name": parse(text, f"{code}.yaml").name},
    installed=lambda session, code, text: _sync_items(
        session, Actor.system(label="平台内置产业链"), parse(text, f"{code}.yaml")
    ),
)


def install_shipped(session: Session, *, actor: Actor) -> specversions.Installed:
    """Load the shipped chain specs that are not in the database yet (as version 1), with their
    N个一 items. Officers may load those their department is the office of."""
    actor.require(Permission.CHAINS_MANAGE)
    own = _department(session, actor)
    if not actor.answers_for_all:
        for code, text in SHIPPED_SPECS.files().items():
            shipped = parse(text, f"{code}.yaml")
            if own is None or shipped.office != own.code:
                raise PermissionDenied(f"内置产业链“{shipped.name}”不由本部门管理，请管理员载入")
    done = specversions.install(session, SHIPPED_SPECS, created_by=actor.label)
    for code, text in SHIPPED_SPECS.files().items():  # items of specs installed before, too
        _sync_items(session, actor, parse(text, f"{code}.yaml"))
    return done


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: ChainSpecRow, text: str, copy: bool
) -> specversions.Checked:
    """An officer edits the chains of the officer's department and may start a new chain only
    with that department as its office; handing a chain to another department is for
    administrators."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    model = parse(text)
    _check_office(session, actor, model, None if copy else parse(base.text))
    return specversions.Checked(model.id, model.name)


SPECS = specversions.SpecKind(
    model=ChainSpecRow, what="产业链文件", may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS,
    saved=lambda session, actor, row: _sync_items(session, actor, parse(row.text)),
)  # fmt: skip
# versions of the chain specs, and saving a new one (new N个一 items join the chain's list)
get_specs = SPECS.listed
get_spec_or_raise = SPECS.get
save_spec = SPECS.save


def _check_office(
    session: Session, actor: Actor, new: chain_spec.ChainSpec, old: chain_spec.ChainSpec | None
) -> None:
    if new.office is not None and (
        session.scalar(sa.select(Department.id).where(Department.code == new.office)) is None
    ):
        raise InvalidInput(f"office（管理部门）“{new.office}”不是已有的部门代码", field="text")
    if actor.answers_for_all:
        return
    own = _department(session, actor)
    if old is not None:
        _require_manage(session, actor, old.id)
        current = next((r for r in _newest(session) if r.code == old.id), None)
        if new.office != (parse(current.text) if current else old).office:
            raise PermissionDenied("只有管理员可以更改产业链的管理部门（office）")
    elif own is None or new.office != own.code:
        code = own.code if own else "本部门代码"
        raise PermissionDenied(f"新建的产业链须由本部门管理：请写 office: {code}")


def _sync_items(session: Session, actor: Actor, spec: chain_spec.ChainSpec) -> None:
    have = set(session.scalars(sa.select(ChainItem.key).where(ChainItem.chain == spec.id)))
    for position, item in enumerate(spec.items):
        if item.key not in have:
            session.add(
                ChainItem(
                    chain=spec.id, key=item.key, name=item.name, position=position,
                    owner=item.owner, status=item.status, note=item.note, updated_by=actor.label,
                )
            )  # fmt: skip
    session.flush()


@dataclass(frozen=True)
class Chain:
    row: ChainSpecRow
    spec: chain_spec.ChainSpec


def chains(session: Session, *, actor: Actor) -> list[Chain]:
    """The atlas: the newest version of every chain spec, in the shipped order."""
    actor.require(Permission.ENTERPRISES_READ)
    order = {code: i for i, code in enumerate(SHIPPED)}
    rows = sorted(_newest(session), key=lambda r: (order.get(r.code, len(order)), r.code))
    return [Chain(row, parse(row.text)) for row in rows]


def _newest(session: Session) -> list[ChainSpecRow]:
    """The newest version of every chain spec."""
    newest: dict[str, ChainSpecRow] = {}
    for row in specversions.versions(session, ChainSpecRow):
        newest.setdefault(row.code, row)
    return list(newest.values())


def chain_or_raise(session: Session, *, actor: Actor, code: str) -> Chain:
    for chain in chains(session, actor=actor):
        if chain.spec.id == code:
            return chain
    raise NotFound(f"没有编号为“{code}”的产业链")


def node_or_raise(chain: Chain, key: str) -> chain_spec.Node:
    for node in chain.spec.nodes:
        if node.key == key:
            return node
    raise NotFound(f"产业链“{chain.spec.name}”没有编号为“{key}”的环节")


def get_items(session: Session, *, actor: Actor, chain: str) -> list[ChainItem]:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    query = sa.select(ChainItem).where(ChainItem.chain == chain).order_by(ChainItem.position)
    return list(session.scalars(query))


def update_item(
    session: Session, *, actor: Actor, item_id: int, owner: str, status: str, note: str
) -> ChainItem:
    """Change an N个一 item's owner, status and note."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    item = session.get(ChainItem, item_id)
    if item is None:
        raise NotFound(f"工作事项不存在：{item_id}")
    _require_manage(session, actor, item.chain)
    if status not in ITEM_STATUSES:
        raise InvalidInput(
            f"状态只能是{'、'.join(ITEM_STATUSES)}，不能是“{status}”", field="status"
        )
    owner, note = owner.strip(), note.strip()
    if len(owner) > 60:
        raise InvalidInput("责任单位最多 60 个字", field="owner")
    if len(note) > 300:
        raise InvalidInput("备注最多 300 个字", field="note")
    item.owner, item.status, item.note, item.updated_by = owner, status, note, actor.label
    session.flush()
    return item


# ---------------------------------------------------------------- placement


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
    _require_manage(session, actor, *(row.code for row in _newest(session)))
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


# ---------------------------------------------------------------- officers' decisions


def _membership(session: Session, actor: Actor, membership_id: int) -> ChainMembership:
    """A membership on a chain this actor manages."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    row = session.get(ChainMembership, membership_id)
    if row is None:
        raise NotFound(f"归链记录不存在：{membership_id}")
    _require_manage(session, actor, row.chain)
    return row


def _decide(row: ChainMembership, actor: Actor, status: MembershipStatus) -> None:
    row.status = status.value
    row.confirmed_by = actor.label
    row.confirmed_at = utcnow()


def confirm(session: Session, *, actor: Actor, membership_id: int) -> ChainMembership:
    """Confirm a proposal as it stands."""
    row = _membership(session, actor, membership_id)
    if row.status == MembershipStatus.REJECTED.value:
        raise Conflict("这条记录已标为“不在链上”，请改用“改归环节”")
    _decide(row, actor, MembershipStatus.CONFIRMED)
    session.flush()
    return row


def move(
    session: Session, *, actor: Actor, membership_id: int, node_code: str, note: str = ""
) -> ChainMembership:
    """Put the firm of a membership on another node (chain.node) instead; kept as an officer's
    decision and used as a training example by later placements."""
    row = _membership(session, actor, membership_id)
    chain_code, _, node_key = node_code.partition(".")
    node_or_raise(chain_or_raise(session, actor=actor, code=chain_code), node_key)
    _require_manage(session, actor, chain_code)
    clash = session.scalar(
        sa.select(ChainMembership).where(
            ChainMembership.enterprise_id == row.enterprise_id,
            ChainMembership.chain == chain_code,
            ChainMembership.node == node_key,
            ChainMembership.id != row.id,
        )
    )
    if clash is not None:
        session.delete(row)
        row = clash
    row.chain, row.node = chain_code, node_key
    row.source = MembershipSource.OFFICER.value
    row.confidence = None
    row.terms = ""
    row.note = note.strip()[:300]
    _decide(row, actor, MembershipStatus.CONFIRMED)
    session.flush()
    return row


def reject(
    session: Session, *, actor: Actor, membership_id: int, note: str = ""
) -> ChainMembership:
    """Say the firm is on no node of the atlas; later placements leave it alone."""
    row = _membership(session, actor, membership_id)
    row.note = note.strip()[:300]
    _decide(row, actor, MembershipStatus.REJECTED)
    session.flush()
    return row


def bulk_confirm(session: Session, *, actor: Actor, membership_ids: list[int]) -> int:
    """Confirm several proposals at once; refused whole when one is missing."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    if not membership_ids:
        raise InvalidInput("请先勾选要确认的企业", field="ids")
    for membership_id in membership_ids:
        confirm(session, actor=actor, membership_id=membership_id)
    return len(membership_ids)


def fold_firm(session: Session, *, actor: Actor, keep_id: int, drop_id: int) -> int:
    """When the registry merges a duplicate record into a firm: the officers' decisions on the
    duplicate move to the firm where it has none for that node; automatic proposals are dropped
    (the next placement places the firm). Returns the decisions moved."""
    actor.require(Permission.ENTERPRISES_WRITE)
    held = {
        (m.chain, m.node)
        for m in session.scalars(
            sa.select(ChainMembership).where(ChainMembership.enterprise_id == keep_id)
        )
    }
    moved = 0
    for row in session.scalars(
        sa.select(ChainMembership).where(ChainMembership.enterprise_id == drop_id)
    ):
        if row.status in DECIDED and (row.chain, row.node) not in held:
            row.enterprise_id = keep_id
            moved += 1
        else:
            session.delete(row)
    session.flush()
    return moved


@dataclass(frozen=True)
class Filters:
    chain: str | None = None
    node: str | None = None
    status: str | None = None
    in_zone: bool | None = True
    q: str | None = None


def memberships(
    session: Session, *, actor: Actor, filters: Filters, page: int = 1, per_page: int = 50
) -> Page[ChainMembership]:
    """Memberships with their firms: the review queue (status review, least sure first) and the
    firms of a node (biggest first)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    query = sa.select(ChainMembership)
    if filters.chain:
        query = query.where(ChainMembership.chain == filters.chain)
    if filters.node:
        query = query.where(ChainMembership.node == filters.node)
    if filters.status:
        query = query.where(ChainMembership.status == filters.status)
    else:
        query = query.where(ChainMembership.status.in_(COUNTED))
    if filters.in_zone is not None or filters.q:
        query = query.where(
            ChainMembership.enterprise_id.in_(
                read.ids_where(in_zone=filters.in_zone, name_contains=filters.q or None)
            )
        )
    if filters.status == MembershipStatus.REVIEW.value:
        query = query.order_by(ChainMembership.confidence.desc().nulls_last(), ChainMembership.id)
    else:
        query = query.order_by(
            read.field_of(ChainMembership.enterprise_id, "name"), ChainMembership.id
        )
    return paginate(session, query, page=page, per_page=per_page)


def review_counts(session: Session, *, actor: Actor) -> dict[str, int]:
    """Proposals waiting for review, per chain (zone firms)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    rows = session.execute(
        sa.select(ChainMembership.chain, sa.func.count())
        .where(
            ChainMembership.status == MembershipStatus.REVIEW.value,
            ChainMembership.enterprise_id.in_(read.ids_where(in_zone=True)),
        )
        .group_by(ChainMembership.chain)
    ).all()
    return {chain: int(n) for chain, n in rows}


@dataclass(frozen=True)
class Position:
    chain: str
    chain_name: str
    node: str
    node_name: str
    segment: str
    membership: ChainMembership

    @property
    def source_label(self) -> str:
        return MembershipSource(self.membership.source).label

    @property
    def status_label(self) -> str:
        return MembershipStatus(self.membership.status).label


def positions(session: Session, *, actor: Actor, enterprise_id: int) -> list[Position]:
    """A firm's places on the chains (proposals waiting for review included, rejected not)."""
    actor.require_enterprise(enterprise_id)
    atlas = {c.spec.id: c.spec for c in chains(session, actor=actor)}
    rows = session.scalars(
        sa.select(ChainMembership)
        .where(ChainMembership.enterprise_id == enterprise_id,
               ChainMembership.status != MembershipStatus.REJECTED.value)
        .order_by(ChainMembership.chain, ChainMembership.node)
    )  # fmt: skip
    out = []
    for row in rows:
        spec = atlas.get(row.chain)
        node = next((n for n in spec.nodes if n.key == row.node), None) if spec else None
        if spec is None or node is None:
            continue  # a node the current atlas no longer has
        out.append(Position(spec.id, spec.name, node.key, node.name, node.segment, row))
    return out


# ---------------------------------------------------------------- health and gaps


def latest_year(session: Session) -> int | None:
    """The newest year with revenue figures."""
    found = facts.years(session, metric="revenue", current_only=True)
    return found[0] if found else None


def member_frame(
    session: Session, *, actor: Actor, chain: str, year: int, in_zone: bool = True
) -> pl.DataFrame:
    """One row per counted membership of the chain: firm, node, anchor, the year's revenue,
    output and R&D and last year's revenue (null where unknown). A firm is an anchor when it
    holds the title on 31 December of the year (the rule of `enterprises.read.titles`)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    rows = session.execute(
        sa.select(ChainMembership.enterprise_id, ChainMembership.node)
        .where(ChainMembership.chain == chain, ChainMembership.status.in_(COUNTED))
        .order_by(ChainMembership.id)
    ).all()  # fmt: skip
    placed = pl.DataFrame(rows, schema={"enterprise_id": pl.Int64, "node": pl.String}, orient="row")
    registry = read.firms(
        session, ids=placed["enterprise_id"].to_list(), in_zone=in_zone, columns=("name",)
    )
    members = placed.join(registry, on="enterprise_id", how="inner", maintain_order="left")
    ids = sorted(set(members["enterprise_id"].to_list()))
    anchors = read.holders(session, tag=ANCHOR_TAG, on=dt.date(year, 12, 31), ids=ids)
    metrics = ["revenue", "industrial_value_added", "rd_expense"]
    now = facts.build_matrix(
        session, actor=actor, metrics=metrics, period=str(year), enterprise_ids=ids, in_zone=None
    ).frame.rename({"industrial_value_added": "output", "rd_expense": "rd"})
    before = facts.build_matrix(
        session, actor=actor, metrics=["revenue"], period=str(year - 1), enterprise_ids=ids,
        in_zone=None,
    ).frame.rename({"revenue": "revenue_prev"})  # fmt: skip
    frame = (
        members.join(now, on="enterprise_id", how="left")
        .join(before, on="enterprise_id", how="left")
        .with_columns(pl.col("enterprise_id").is_in(list(anchors)).alias("anchor"))
    )
    return frame.select(list(chain_health.FIRM_SCHEMA))


@dataclass(frozen=True)
class ChainState:
    chain: Chain
    year: int | None
    health: chain_health.ChainHealth
    gaps: list[chain_health.Gap]
    waiting: int  # zone firms waiting for review on this chain


def state(session: Session, *, actor: Actor, chain: str, year: int | None = None) -> ChainState:
    """Health and gaps of one chain in year (default: the newest year with revenue figures)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    found = chain_or_raise(session, actor=actor, code=chain)
    waiting = review_counts(session, actor=actor)
    return _state(session, actor, found, year or latest_year(session), waiting)


def states(session: Session, *, actor: Actor, year: int | None = None) -> list[ChainState]:
    """Health and gaps of every chain of the atlas in year."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    year = year or latest_year(session)
    waiting = review_counts(session, actor=actor)
    return [_state(session, actor, found, year, waiting) for found in chains(session, actor=actor)]


def _state(
    session: Session, actor: Actor, found: Chain, year: int | None, waiting: dict[str, int]
) -> ChainState:
    if year is None:
        frame = pl.DataFrame(schema=chain_health.FIRM_SCHEMA)
    else:
        frame = member_frame(session, actor=actor, chain=found.spec.id, year=year)
    result = chain_health.health(found.spec, frame)
    return ChainState(
        chain=found,
        year=year,
        health=result,
        gaps=chain_health.gaps(found.spec, result),
        waiting=waiting.get(found.spec.id, 0),
    )


def revenues(
    session: Session, *, actor: Actor, ids: list[int], year: int | None
) -> dict[int, float | None]:
    """The firms' revenue in year (None where unknown)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    if not ids or year is None:
        return {}
    frame = facts.build_matrix(
        session, actor=actor, metrics=["revenue"], period=str(year), enterprise_ids=ids,
        in_zone=None,
    ).frame  # fmt: skip
    return dict(zip(frame["enterprise_id"].to_list(), frame["revenue"].to_list(), strict=True))


def candidates(
    session: Session, *, actor: Actor, chain: str, node: str, year: int | None, limit: int = 5
) -> list[tuple[read.Firm, float | None]]:
    """External firms placed on the node, biggest first: whom investment promotion could
    approach to fill it."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    ids = list(
        session.scalars(
            sa.select(ChainMembership.enterprise_id)
            .where(ChainMembership.chain == chain, ChainMembership.node == node,
                   ChainMembership.status.in_(COUNTED),
                   ChainMembership.enterprise_id.in_(read.ids_where(in_zone=False)))
        )
    )  # fmt: skip
    if not ids:
        return []
    revenue = revenues(session, actor=actor, ids=ids, year=year)
    ranked = sorted(ids, key=lambda i: (revenue.get(i) is None, -(revenue.get(i) or 0), i))
    firms = read.records(session, ranked[:limit])
    return [(firms[i], revenue.get(i)) for i in ranked[:limit]]


@dataclass(frozen=True)
class RegionCount:
    code: str
    name: str
    zone: int
    external: int


def regions(session: Session, *, actor: Actor, chain: str) -> list[RegionCount]:
    """The chain's firms by county: zone firms and external firms (招商 candidates)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    chain_or_raise(session, actor=actor, code=chain)
    placed = session.scalars(
        sa.select(ChainMembership.enterprise_id)
        .where(ChainMembership.chain == chain, ChainMembership.status.in_(COUNTED))
        .distinct()
    ).all()
    firms = read.firms(session, ids=placed, columns=("region_code", "in_zone"))
    names = dict(session.execute(sa.select(Region.code, Region.name)).all())
    counts: dict[str, list[int]] = {}
    for _, code, in_zone in firms.iter_rows():
        counts.setdefault(code or "", [0, 0])[0 if in_zone else 1] += 1
    out = [
        RegionCount(code, names.get(code, "未知地区") if code else "地区未知", zone, external)
        for code, (zone, external) in counts.items()
    ]
    return sorted(out, key=lambda r: (-r.zone, -r.external, r.code))


def period_years(session: Session) -> list[int]:
    """Years with revenue figures, newest first."""
    return facts.years(session, metric="revenue")


def chain_of(session: Session, *, enterprise_id: int) -> str | None:
    """The chain a firm is counted on (confirmed before automatic, then by confidence), for other
    domains' service functions that have already checked the actor's access to the firm."""
    return session.scalar(
        sa.select(ChainMembership.chain)
        .where(ChainMembership.enterprise_id == enterprise_id,
               ChainMembership.status.in_(COUNTED))
        .order_by((ChainMembership.status == MembershipStatus.CONFIRMED.value).desc(),
                  ChainMembership.confidence.desc().nulls_last(), ChainMembership.id)
        .limit(1)
    )  # fmt: skip


def chain_names(session: Session) -> dict[str, str]:
    """Chain id → name, for other domains' pages and statistics."""
    return {row.code: parse(row.text).name for row in _newest(session)}
