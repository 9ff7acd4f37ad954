"""Enterprise registry and facts tables."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow
from wulian.enterprises.names import name_key, pinyin_key, search_key
from wulian.reference.models import Metric

FACT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


# The profile columns of Enterprise that imports set and merges carry over.
PROFILE_FIELDS = (
    "legal_rep",
    "founded_on",
    "registered_capital",
    "address",
    "region_code",
    "industry_code",
    "chain",
    "staff_size",
    "land_area",
    "main_products",
    "business_scope",
)


# The FTS5 table (trigram tokenizer) over enterprises.name_search on SQLite (migration 0019):
# not a model, so not on Base.metadata; its rowid is the firm's id.
SEARCH = sa.Table(
    "enterprise_search",
    sa.MetaData(),
    sa.Column("rowid", sa.Integer, primary_key=True),
    sa.Column("name_search", sa.Text),
)


class Enterprise(Base):
    __tablename__ = "enterprises"
    # lists page by pinyin: the index walks in the list's order, ties broken by id
    __table_args__ = (sa.Index("ix_enterprises_name_pinyin", "name_pinyin", "id"),)
    # name_search is also indexed by trigrams (migration 0019): SEARCH on SQLite, a GIN index
    # on PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    # The name folded for duplicate detection (width, spaces, brackets, company-form suffixes).
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True, default="")
    # kept by the mapper events below: the pinyin sort key, and what a search matches
    name_pinyin: Mapped[str] = mapped_column(sa.String(400), default="")
    name_search: Mapped[str] = mapped_column(sa.Text, default="")
    former_names: Mapped[list[str]] = mapped_column(JSONType, default=list)
    in_zone: Mapped[bool] = mapped_column(default=True)
    legal_rep: Mapped[str | None] = mapped_column(sa.String(100))
    founded_on: Mapped[dt.date | None]
    registered_capital: Mapped[float | None]  # 万元
    address: Mapped[str | None] = mapped_column(sa.String(300))
    region_code: Mapped[str | None] = mapped_column(sa.ForeignKey("regions.code"), index=True)
    industry_code: Mapped[str | None] = mapped_column(sa.ForeignKey("industries.code"), index=True)
    chain: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    staff_size: Mapped[int | None]
    land_area: Mapped[float | None]  # 亩
    main_products: Mapped[str | None] = mapped_column(sa.String(500))  # 主营产品
    business_scope: Mapped[str | None] = mapped_column(sa.Text)  # 经营范围, as registered
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    tags: Mapped[list[EnterpriseTag]] = relationship(
        back_populates="enterprise", cascade="all, delete-orphan", order_by="EnterpriseTag.tag"
    )

    def name_columns(self) -> None:
        """Set the keys derived from the name and former names (see enterprises/names.py): a
        renamed firm is found, matched and deduplicated by its new name."""
        self.name_key = name_key(self.name)
        self.name_pinyin = pinyin_key(self.name)
        self.name_search = search_key(self.name, self.former_names or ())


@sa.event.listens_for(Enterprise, "before_insert")
def _keys_on_insert(_mapper: object, _connection: object, target: Enterprise) -> None:
    target.name_columns()


@sa.event.listens_for(Enterprise, "before_update")
def _keys_on_update(_mapper: object, _connection: object, target: Enterprise) -> None:
    state = sa.inspect(target)
    if state.attrs.name.history.has_changes() or state.attrs.former_names.history.has_changes():
        target.name_columns()


class EnterpriseTag(Base):
    """A title a firm holds (规上, 高新技术企业, …) with its certificate data where it has one."""

    __tablename__ = "enterprise_tags"
    __table_args__ = (sa.UniqueConstraint("enterprise_id", "tag"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(
        sa.ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    tag: Mapped[str] = mapped_column(sa.String(32), index=True)
    number: Mapped[str | None] = mapped_column(sa.String(64))  # certificate no. or stock code
    exchange: Mapped[str | None] = mapped_column(sa.String(16))  # for listed firms
    year: Mapped[int | None]
    valid_from: Mapped[dt.date | None]
    valid_to: Mapped[dt.date | None]

    enterprise: Mapped[Enterprise] = relationship(back_populates="tags")


class FactSource(Base):
    """Where a value comes from; the lowest priority number wins when sources disagree."""

    __tablename__ = "fact_sources"

    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    id: Mapped[int] = mapped_column(unique=True)  # compact key used by the facts table
    name: Mapped[str] = mapped_column(sa.String(100))
    priority: Mapped[int]
    is_active: Mapped[bool] = mapped_column(default=True)


class FactStatus(StrEnum):
    REPORTED = "reported"
    VERIFIED = "verified"
    REJECTED = "rejected"


CURRENT_KINDS = {
    "verified": sa.text("is_current AND status = 'verified'"),
    "open": sa.text("is_current AND status <> 'verified'"),
}


class Fact(Base):
    """One value: enterprise × metric × period, with where it came from and whether it is checked.

    A newer value from the same source supersedes the current one (`is_current`); history stays.
    Metric and source are integer keys so that evaluations read the table as plain numbers.
    """

    __tablename__ = "facts"
    __table_args__ = (
        # Covers build_matrix: it reads only these columns.
        sa.Index(
            "ix_facts_matrix",
            "period",
            "is_current",
            "metric_id",
            "enterprise_id",
            "source_id",
            "status",
            "value",
            "as_of",
            "id",
        ),
        sa.Index("ix_facts_enterprise", "enterprise_id", "metric_id", "period"),
        # One current value per firm, metric, period and source, and beside it at most one
        # verified value a newer report has not replaced yet: concurrent writers cannot double it.
        *(
            sa.Index(
                f"uq_facts_current_{name}",
                "enterprise_id",
                "metric_id",
                "period",
                "source_id",
                unique=True,
                sqlite_where=where,
                postgresql_where=where,
            )
            for name, where in CURRENT_KINDS.items()
        ),
    )

    id: Mapped[int] = mapped_column(FACT_ID, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id", ondelete="CASCADE"))
    metric_id: Mapped[int] = mapped_column(sa.ForeignKey("metrics.id"))
    period: Mapped[str] = mapped_column(sa.String(7))  # YYYY or YYYY-MM
    value: Mapped[float]
    source_id: Mapped[int] = mapped_column(sa.ForeignKey("fact_sources.id"))
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

    metric: Mapped[Metric] = relationship(lazy="joined", innerjoin=True)
    source: Mapped[FactSource] = relationship(lazy="joined", innerjoin=True)

    @property
    def metric_key(self) -> str:
        return self.metric.key

    @property
    def source_code(self) -> str:
        return self.source.code


def name_matches(key: str, dialect: str) -> sa.ColumnElement[bool]:
    """Whether a firm's search key holds key (a folded name fragment, pinyin or initials): on
    SQLite through the trigram table when key has three characters or more (and no LIKE
    wildcard, which its index cannot take escaped), else by LIKE on the key itself (on
    PostgreSQL its trigram index serves that LIKE)."""
    if dialect == "sqlite" and len(key) >= 3 and not any(c in key for c in "%_\\"):
        ids = sa.select(SEARCH.c.rowid).where(SEARCH.c.name_search.like(f"%{key}%"))
        return Enterprise.id.in_(ids)
    return Enterprise.name_search.contains(key, autoescape=True)
