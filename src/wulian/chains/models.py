"""Chain atlas tables: versioned chain specs, firm → node memberships, the "N个一" work items and
the placement runs that proposed memberships."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.specversions import SpecVersion
from wulian.enterprises.models import Enterprise


class MembershipSource(StrEnum):
    RULE = "rule"  # a typical product of exactly one node named in the firm's main products
    MODEL = "model"  # the classify engine
    OFFICER = "officer"  # placed or moved by an officer

    @property
    def label(self) -> str:
        return {"rule": "规则", "model": "模型", "officer": "人工"}[self.value]


class MembershipStatus(StrEnum):
    PLACED = "placed"  # placed automatically, confident enough
    REVIEW = "review"  # a proposal below the threshold, waiting for an officer
    CONFIRMED = "confirmed"  # an officer confirmed or placed it
    REJECTED = "rejected"  # an officer said the firm is on no node of the chains

    @property
    def label(self) -> str:
        return {
            "placed": "自动归链", "review": "待复核", "confirmed": "已确认", "rejected": "不在链上",
        }[self.value]  # fmt: skip


# Memberships that count in the atlas and its health figures.
COUNTED = (MembershipStatus.PLACED.value, MembershipStatus.CONFIRMED.value)
# An officer's decisions, which no placement changes; the rest are a placement's proposals.
DECIDED = (MembershipStatus.CONFIRMED.value, MembershipStatus.REJECTED.value)
PROPOSED = (MembershipStatus.PLACED.value, MembershipStatus.REVIEW.value)


class ChainSpecRow(SpecVersion, Base):
    """One version of a chain spec file (an edit is a new version)."""

    __tablename__ = "chain_specs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)


class ChainMembership(Base):
    """A firm on a chain node, with who or what put it there and how sure it was."""

    __tablename__ = "chain_memberships"
    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "chain", "node"),
        sa.Index("ix_chain_memberships_node", "chain", "node", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    chain: Mapped[str] = mapped_column(sa.String(48))  # the chain spec's id
    node: Mapped[str] = mapped_column(sa.String(48))  # the node's key in that spec
    source: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    confidence: Mapped[float | None]  # the model's calibrated score; none for officers
    terms: Mapped[str] = mapped_column(sa.String(300), default="")  # the words that decided it
    alternatives: Mapped[list[Any]] = mapped_column(JSONType, default=list)  # [[code, score]]
    placement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("chain_placements.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    confirmed_by: Mapped[str | None] = mapped_column(sa.String(100))
    confirmed_at: Mapped[dt.datetime | None]

    # For display only (pages show the firm's name and products); the chains query the registry
    # through wulian.enterprises.read, never through this relationship.
    enterprise: Mapped[Enterprise] = relationship()


class ChainPlacement(Base):
    """One placement of the zone's firms on the chains' nodes: the spec versions, the threshold,
    how many officer decisions it learnt from, and what it found."""

    __tablename__ = "chain_placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    specs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # chain → spec row id
    threshold: Mapped[float]
    examples: Mapped[int] = mapped_column(default=0)  # officer decisions used for training
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # outcome → n
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ChainItem(Base):
    """One of a chain's "N个一" work items (一名链长, 一个链长办, …) as kept by the chain office."""

    __tablename__ = "chain_items"
    __table_args__ = (sa.UniqueConstraint("chain", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(48), index=True)
    key: Mapped[str] = mapped_column(sa.String(48))
    name: Mapped[str] = mapped_column(sa.String(40))
    position: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str] = mapped_column(sa.String(60), default="")
    status: Mapped[str] = mapped_column(sa.String(8))  # 未启动 | 推进中 | 已落实
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
