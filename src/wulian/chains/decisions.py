"""Officers' decisions: the review queue, confirming, moving or removing a firm's node, kept
and used as training examples; a firm's chain positions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains.models import (
    COUNTED,
    DECIDED,
    ChainMembership,
    MembershipSource,
    MembershipStatus,
)
from wulian.chains.versions import (
    STAFF_ONLY,
    chain_or_raise,
    chains,
    managed,
    node_or_raise,
    require_manage,
)
from wulian.core import xlsx
from wulian.core.auth import service as auth_service
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
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
    q: str | None = None  # the firm: part of its name, its pinyin or initials, its credit code
    sort: str = "default"  # default (review: most confident first; else by name) | firm


SORTS = {"default": "按置信度（待复核）或名称", "firm": "按企业名称"}
BULK_LIMIT = 10_000  # proposals one confirmation of every match may confirm (one transaction)


def _check(session: Session, actor: Actor, filters: Filters) -> None:
    """Refuse filter values that name no chain, node, status or order, with the reason."""
    if filters.sort not in SORTS:
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    if filters.status and filters.status not in {s.value for s in MembershipStatus}:
        raise InvalidInput(f"没有“{filters.status}”这种归链状态", field="status")
    if not (filters.chain or filters.node):
        return
    atlas = {c.spec.id: c for c in chains(session, actor=actor)}
    if filters.chain and filters.chain not in atlas:
        raise InvalidInput(f"没有编号为“{filters.chain}”的产业链", field="chain")
    within = [atlas[filters.chain]] if filters.chain else list(atlas.values())
    if filters.node and not any(n.key == filters.node for c in within for n in c.spec.nodes):
        where = f"产业链“{within[0].spec.name}”" if filters.chain else "图谱"
        raise InvalidInput(f"{where}没有编号为“{filters.node}”的环节", field="node")


def _filtered(session: Session, actor: Actor, filters: Filters) -> sa.Select[Any]:
    _check(session, actor, filters)
    query = sa.select(ChainMembership)
    if filters.chain:
        query = query.where(ChainMembership.chain == filters.chain)
    if filters.node:
        query = query.where(ChainMembership.node == filters.node)
    if filters.status:
        query = query.where(ChainMembership.status == filters.status)
    else:
        query = query.where(ChainMembership.status.in_(COUNTED))
    if filters.in_zone is not None:
        query = query.where(
            ChainMembership.enterprise_id.in_(read.ids_where(in_zone=filters.in_zone))
        )
    if filters.q and filters.q.strip():
        query = query.where(ChainMembership.enterprise_id.in_(read.ids_matching(filters.q)))
    by_name = (read.name_order(ChainMembership.enterprise_id), ChainMembership.id)
    if filters.sort == "default" and filters.status == MembershipStatus.REVIEW.value:
        return query.order_by(ChainMembership.confidence.desc().nulls_last(), ChainMembership.id)
    return query.order_by(*by_name)


def memberships(
    session: Session, *, actor: Actor, filters: Filters, page: int = 1, per_page: int = 50
) -> Page[ChainMembership]:
    """Memberships with their firms: the review queue (status review, least sure first) and the
    firms of a node (by name, in pinyin order); bad filter values are refused."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    return paginate(session, _filtered(session, actor, filters), page=page, per_page=per_page)


EXPORT_LIMIT = 200_000


def memberships_xlsx(session: Session, *, actor: Actor, filters: Filters) -> bytes:
    """The filtered list (every matching membership, in the list's order) as a workbook: the
    firm, the node proposed with the runner-up nodes, the confidence, the words that decided it
    and the decision so far."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    query = _filtered(session, actor, filters).limit(EXPORT_LIMIT)
    rows = list(session.scalars(query))
    ids = sorted({m.enterprise_id for m in rows})
    firms: dict[int, read.Firm] = {}
    for start in range(0, len(ids), 10_000):  # within every database's limit of parameters
        firms |= read.records(session, ids[start : start + 10_000])
    specs = {c.spec.id: c.spec for c in chains(session, actor=actor)}
    nodes = {
        (chain, n.key): n.name for chain, spec in specs.items() for n in spec.nodes
    }  # fmt: skip
    staff = auth_service.staff_names(session)

    def node_name(code: str) -> str:
        chain, _, key = code.partition(".")
        return nodes.get((chain, key), code)

    def line(m: ChainMembership) -> list[Any]:
        firm = firms.get(m.enterprise_id)
        runners = "、".join(
            f"{node_name(code)}（{score:.2f}）" for code, score in (m.alternatives or [])[1:]
        )
        return [
            firm.name if firm else "", (firm.uscc or "") if firm else "",
            "园区内" if firm and firm.in_zone else "园区外",
            specs[m.chain].name if m.chain in specs else m.chain,
            nodes.get((m.chain, m.node), m.node),
            m.confidence, runners, m.terms or m.note or "", MembershipSource(m.source).label,
            MembershipStatus(m.status).label, staff.get(m.confirmed_by or "", m.confirmed_by or ""),
        ]  # fmt: skip

    book = xlsx.ListWorkbook()
    book.table(
        "归链复核",
        headers=["企业名称", "统一社会信用代码", "园区内外", "产业链", "环节", "置信度",
                 "其次的环节", "依据", "来源", "状态", "确认人"],
        rows=(line(m) for m in rows),
        widths=[30, 22, 10, 16, 20, 10, 40, 40, 8, 10, 20],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()


def confirm_matching(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    expected: int | None = None,
    dry_run: bool = False,
) -> int:
    """Confirm every proposal waiting for review that matches filters, on the chains actor
    manages, in one transaction, each through `confirm` (one audit entry per membership). A
    chain named in filters that actor does not manage is refused. With dry_run, the checks and
    the count only (the confirmation step); otherwise expected must be the count confirmed."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    if filters.status != MembershipStatus.REVIEW.value:
        raise InvalidInput("只能批量确认待复核的归链，请先筛选“待复核”", field="status")
    if filters.chain:
        require_manage(session, actor, filters.chain)
    own = managed(session, actor)
    if not own:
        raise PermissionDenied("本账号所在部门不负责任何产业链，不能确认归链")
    query = _filtered(session, actor, filters).where(ChainMembership.chain.in_(sorted(own)))
    ids = session.scalars(query.with_only_columns(ChainMembership.id).limit(BULK_LIMIT + 1)).all()
    if not ids:
        raise InvalidInput("没有符合筛选条件、由本部门负责的待复核归链")
    if len(ids) > BULK_LIMIT:
        raise InvalidInput(f"一次最多确认 {BULK_LIMIT:,} 条，请缩小筛选范围")
    if dry_run:
        return len(ids)
    if expected != len(ids):
        raise Conflict(
            f"符合条件的待复核归链现在是 {len(ids):,} 条（确认时为 {expected or 0:,} 条），"
            "请重新确认"
        )
    for membership_id in ids:
        confirm(session, actor=actor, membership_id=membership_id)
    return len(ids)


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
