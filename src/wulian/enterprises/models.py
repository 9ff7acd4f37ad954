"""Enterprise registry and facts tables."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, utcnow


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    in_zone: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class FactSource(Base):
    """Where a value comes from; the lowest priority number wins when sources disagree."""

    __tablename__ = "fact_sources"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    priority: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)


class FactStatus(StrEnum):
    REPORTED = "reported"
    VERIFIED = "verified"
    REJECTED = "rejected"


class Fact(Base):
    """One value: enterprise × metric × period, with where it came from and whether it is checked.

    A newer value from the same source supersedes the current one (`is_current`); history stays.
    """

    __tablename__ = "facts"
    __table_args__ = (
        sa.Index("ix_facts_lookup", "metric_key", "period", "is_current"),
        sa.Index("ix_facts_enterprise", "enterprise_id", "metric_key", "period"),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"))
    metric_key: Mapped[str] = mapped_column(sa.ForeignKey("metrics.key"))
    period: Mapped[str] = mapped_column(sa.String(7))  # YYYY or YYYY-MM
    value: Mapped[float]
    source: Mapped[str] = mapped_column(sa.ForeignKey("fact_sources.code"))
    as_of: Mapped[dt.date]
    status: Mapped[FactStatus] = mapped_column(
        sa.Enum(
            FactStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]
        ),
        default=FactStatus.REPORTED,
    )
    is_current: Mapped[bool] = mapped_column(default=True)
    evidence_path: Mapped[str | None] = mapped_column(sa.String(300))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    entered_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    superseded_at: Mapped[dt.datetime | None]
    reviewed_by: Mapped[str | None] = mapped_column(sa.String(200))
    reviewed_at: Mapped[dt.datetime | None]
    review_reason: Mapped[str | None] = mapped_column(sa.Text)
