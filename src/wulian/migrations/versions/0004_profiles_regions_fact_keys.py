"""enterprise profiles and tags, regions, integer metric and source keys in facts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 10:05:00
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from importlib import resources

import sqlalchemy as sa
from alembic import op

import wulian.core.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# name_key as it was when this revision was written (frozen: later changes to the registry's
# folding must not change what this migration wrote).
_BRACKETS = re.compile(r"[()\[\]{}<>〔〕【】《》「」『』]")
_SPACES = re.compile(r"[\s\u3000·.。、,，-]+")
_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司")


def name_key(name: str) -> str:
    text = unicodedata.normalize("NFKC", name).lower()
    text = _BRACKETS.sub("", text)
    text = _SPACES.sub("", text)
    if text.endswith("分公司"):
        return text
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _regions() -> list[dict[str, object]]:
    """Provinces, cities and counties from cpca's adcode table (12-digit codes, 6 kept)."""
    text = resources.files("cpca").joinpath("resources/adcodes.csv").read_text(encoding="utf-8")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        code = row["adcode"][:6]
        if code[2:] == "0000":
            level, parent = 1, None
        elif code[4:] == "00":
            level, parent = 2, code[:2] + "0000"
        else:
            level, parent = 3, code[:4] + "00"
        rows.append(
            {
                "code": code,
                "name": row["name"],
                "level": level,
                "parent_code": parent,
                "longitude": float(row["longitude"]) if row["longitude"] else None,
                "latitude": float(row["latitude"]) if row["latitude"] else None,
            }
        )
    return rows


def upgrade() -> None:
    regions = op.create_table(
        "regions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_regions")),
    )
    with op.batch_alter_table("regions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_regions_parent_code"), ["parent_code"], unique=False)
    if regions is not None:  # None only in offline (--sql) mode
        op.bulk_insert(regions, _regions())

    # Compact integer keys for metrics and sources.
    bind = op.get_bind()
    for table, key in (("metrics", "key"), ("fact_sources", "code")):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
        order = "priority, code" if table == "fact_sources" else "key"
        keys = bind.execute(sa.text(f"SELECT {key} FROM {table} ORDER BY {order}")).scalars()  # noqa: S608  (fixed names)
        for number, value in enumerate(list(keys), start=1):
            bind.execute(
                sa.text(f"UPDATE {table} SET id = :id WHERE {key} = :key"),  # noqa: S608
                {"id": number, "key": value},
            )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_unique_constraint(batch_op.f(f"uq_{table}_id"), ["id"])

    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("metric_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("source_id", sa.Integer(), nullable=True))
    bind.execute(
        sa.text(
            "UPDATE facts SET metric_id = (SELECT id FROM metrics WHERE key = facts.metric_key),"
            " source_id = (SELECT id FROM fact_sources WHERE code = facts.source)"
        )
    )
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_index("ix_facts_lookup")
        batch_op.drop_index("ix_facts_enterprise")
        batch_op.drop_constraint("fk_facts_metric_key_metrics", type_="foreignkey")
        batch_op.drop_constraint("fk_facts_source_fact_sources", type_="foreignkey")
        batch_op.drop_column("metric_key")
        batch_op.drop_column("source")
        batch_op.alter_column("metric_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_facts_metric_id_metrics"), "metrics", ["metric_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_facts_source_id_fact_sources"), "fact_sources", ["source_id"], ["id"]
        )
        batch_op.create_index(
            "ix_facts_enterprise", ["enterprise_id", "metric_id", "period"], unique=False
        )
        batch_op.create_index(
            "ix_facts_matrix",
            [
                "period",
                "is_current",
                "metric_id",
                "enterprise_id",
                "source_id",
                "status",
                "value",
                "as_of",
                "id",
            ],
            unique=False,
        )

    # Enterprise profiles.
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_key", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("former_names", wulian.core.db.JSONType, nullable=True))
        batch_op.add_column(sa.Column("legal_rep", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("founded_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("registered_capital", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("address", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("industry_code", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("chain", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("staff_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("land_area", sa.Double(), nullable=True))
    for enterprise_id, name in bind.execute(sa.text("SELECT id, name FROM enterprises")).all():
        bind.execute(
            sa.text("UPDATE enterprises SET name_key = :k, former_names = '[]' WHERE id = :id"),
            {"k": name_key(name), "id": enterprise_id},
        )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.alter_column("name_key", existing_type=sa.String(length=200), server_default=None)
        batch_op.alter_column("former_names", existing_type=wulian.core.db.JSONType, nullable=False)
        batch_op.create_index(batch_op.f("ix_enterprises_name_key"), ["name_key"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_enterprises_region_code"), ["region_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enterprises_industry_code"), ["industry_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enterprises_chain"), ["chain"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_enterprises_region_code_regions"), "regions", ["region_code"], ["code"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_enterprises_industry_code_industries"),
            "industries",
            ["industry_code"],
            ["code"],
        )

    op.create_table(
        "enterprise_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("exchange", sa.String(length=16), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_tags_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_tags")),
        sa.UniqueConstraint("enterprise_id", "tag", name=op.f("uq_enterprise_tags_enterprise_id")),
    )
    with op.batch_alter_table("enterprise_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_tags_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_enterprise_tags_tag"), ["tag"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("0004 不支持降级：请从备份恢复")
