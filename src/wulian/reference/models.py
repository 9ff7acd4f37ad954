"""Reference tables: the GB/T 4754 industry taxonomy, its special-category tags, the metrics."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow


class Industry(Base):
    """A node of GB/T 4754-2017: 门类 (level 1, a letter) down to 小类 (level 4, four digits)."""

    __tablename__ = "industries"
    __audit__ = False  # loaded in bulk; each import is recorded as one audit event

    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_code: Mapped[str | None] = mapped_column(sa.String(8), index=True)
    level: Mapped[int]
    notes: Mapped[str] = mapped_column(sa.Text, default="")


class IndustryTag(Base):
    """A special category an industry code belongs to (战略性新兴产业, 高技术制造业, …)."""

    __tablename__ = "industry_tags"
    __audit__ = False
    __table_args__ = (sa.UniqueConstraint("code", "tag", "category_path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.ForeignKey("industries.code"), index=True)
    tag: Mapped[str] = mapped_column(sa.String(32), index=True)
    tag_name: Mapped[str] = mapped_column(sa.String(100))
    partial: Mapped[bool] = mapped_column(default=False)  # only part of the code belongs
    category_path: Mapped[str] = mapped_column(sa.String(300), default="")


class Metric(Base):
    """A metric of the catalogue (kept in step with the shipped metrics.yaml)."""

    __tablename__ = "metrics"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    id: Mapped[int] = mapped_column(unique=True)  # compact key used by the facts table
    name: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str] = mapped_column(sa.String(32))
    period: Mapped[str] = mapped_column(sa.String(8))
    value_type: Mapped[str] = mapped_column(sa.String(16))
    kind: Mapped[str] = mapped_column(sa.String(16))
    # the department that verifies reported values of this metric (its code; None: administrators)
    owner: Mapped[str | None] = mapped_column(sa.String(32))
    min_value: Mapped[float | None]
    max_value: Mapped[float | None]
    formula: Mapped[str | None] = mapped_column(sa.String(200))
    definition: Mapped[str] = mapped_column(sa.Text, default="")
    used_by: Mapped[list[str]] = mapped_column(JSONType, default=list)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Region(Base):
    """A province, city or county of China (adcodes as cpca ships them), with its centre."""

    __tablename__ = "regions"
    __audit__ = False  # loaded once from cpca's table by the migration

    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[int]  # 1 province, 2 city, 3 county
    parent_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    longitude: Mapped[float | None]
    latitude: Mapped[float | None]


class HeaderAlias(Base):
    """An administrator's addition to the header alias table (the shipped table is aliases.yaml).

    target is a metric key, or "field:<name>" for a registry field, or "field:ignore".
    """

    __tablename__ = "header_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias: Mapped[str] = mapped_column(sa.String(100), unique=True)  # folded form
    label: Mapped[str] = mapped_column(sa.String(100))  # as the administrator typed it
    target: Mapped[str] = mapped_column(sa.String(80))
    created_by: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Occupation(Base):
    """A node of the national occupation classification (职业分类大典 2022): 大类 (level 1) down to
    the occupation (细类, level 4, x-xx-xx-xx), loaded from the operator's copy of the table."""

    __tablename__ = "occupations"
    __audit__ = False  # loaded in bulk; each import is recorded as one audit event

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    level: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    definition: Mapped[str] = mapped_column(sa.Text, default="")
