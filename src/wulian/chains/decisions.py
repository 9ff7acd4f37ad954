"""Officers' decisions: the review queue, confirming, moving or removing a firm's node, kept
and used as training examples; a firm's chain positions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains.models import (
    COUNTED,
    DECIDED,
    ChainMembership,
    MembershipSource,
    MembershipStatus,
)
from wulian.chains.versions import STAFF_ONLY, chain_or_raise, chains, node_or_raise, require_manage
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.core.todo import Todo
from wulian.enterprises import read


def _membership(session: Session, actor: Actor, membership_id: int) -> ChainMembership:
    """A membership on a chain this actor manages."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    row = session.get(ChainMembership, membership_id)
    if row is None:
        raise NotFound(f"归链记录不存在：{membership_id}")
    require_manage(session, actor, row.chain)
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
    require_manage(session, actor, chain_code)
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
    """A firm's places on the chains: for staff, proposals waiting for review included, rejected
    not; for the firm's own users, only those that count in the atlas (placed or confirmed),
    since a proposal is the zone's working material."""
    actor.require_enterprise(enterprise_id)
    atlas = {c.spec.id: c.spec for c in chains(session, actor=actor)}
    shown = (
        COUNTED if actor.enterprise_id is not None else (*COUNTED, MembershipStatus.REVIEW.value)
    )
    rows = session.scalars(
        sa.select(ChainMembership)
        .where(ChainMembership.enterprise_id == enterprise_id, ChainMembership.status.in_(shown))
        .order_by(ChainMembership.chain, ChainMembership.node)
    )
    out = []
    for row in rows:
        spec = atlas.get(row.chain)
        node = next((n for n in spec.nodes if n.key == row.node), None) if spec else None
        if spec is None or node is None:
            continue  # a node the current atlas no longer has
        out.append(Position(spec.id, spec.name, node.key, node.name, node.segment, row))
    return out


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """Chain placements proposed for review (for those who manage the chains)."""
    if not actor.has(Permission.CHAINS_MANAGE) or actor.enterprise_id is not None:
        return []
    total = sum(review_counts(session, actor=actor).values())
    return [Todo("产业链图谱", "待复核的企业归链", total, "/atlas/review")]
