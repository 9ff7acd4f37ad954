"""Chain atlas: chain specs, memberships, placements, N个一 items; main products and business
scope in the registry.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 15:54:34.991267
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=60), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_items")),
        sa.UniqueConstraint("chain", "key", name=op.f("uq_chain_items_chain")),
    )
    with op.batch_alter_table("chain_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_items_chain"), ["chain"], unique=False)

    op.create_table(
        "chain_placements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "specs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("threshold", sa.Double(), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_placements")),
    )
    op.create_table(
        "chain_specs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_id"], ["chain_specs.id"], name=op.f("fk_chain_specs_based_on_id_chain_specs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_specs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_chain_specs_code")),
    )
    with op.batch_alter_table("chain_specs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_specs_code"), ["code"], unique=False)

    op.create_table(
        "chain_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=False),
        sa.Column("node", sa.String(length=48), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("terms", sa.String(length=300), nullable=False),
        sa.Column(
            "alternatives",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("placement_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_by", sa.String(length=100), nullable=True),
        sa.Column("confirmed_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_chain_memberships_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["chain_placements.id"],
            name=op.f("fk_chain_memberships_placement_id_chain_placements"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_memberships")),
        sa.UniqueConstraint(
            "enterprise_id", "chain", "node", name=op.f("uq_chain_memberships_enterprise_id")
        ),
    )
    with op.batch_alter_table("chain_memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_chain_memberships_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_chain_memberships_node", ["chain", "node", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_chain_memberships_status"), ["status"], unique=False)

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("main_products", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("business_scope", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("business_scope")
        batch_op.drop_column("main_products")

    with op.batch_alter_table("chain_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_memberships_status"))
        batch_op.drop_index("ix_chain_memberships_node")
        batch_op.drop_index(batch_op.f("ix_chain_memberships_enterprise_id"))

    op.drop_table("chain_memberships")
    with op.batch_alter_table("chain_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_specs_code"))

    op.drop_table("chain_specs")
    op.drop_table("chain_placements")
    with op.batch_alter_table("chain_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_items_chain"))

    op.drop_table("chain_items")
