"""Supply ties (链上往来) between zone firms and external firms, for 招商 targets and 以商招商.

Revision ID: 0031t
Revises: 0029o
Create Date: 2026-12-05 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wulian.core.db

revision = "0031t"
down_revision = "0029o"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investment_supply_ties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_enterprise_id", sa.Integer(), nullable=False),
        sa.Column("partner_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("partner_name", sa.String(length=200), nullable=False),
        sa.Column("partner_key", sa.String(length=220), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=False),
        sa.Column("amount_wan", sa.BigInteger(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_wan IS NULL OR amount_wan >= 0",
            name=op.f("ck_investment_supply_ties_amount_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["partner_enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_investment_supply_ties_partner_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["zone_enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_investment_supply_ties_zone_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_supply_ties")),
        sa.UniqueConstraint(
            "zone_enterprise_id",
            "partner_key",
            "direction",
            "product",
            "year",
            name=op.f("uq_investment_supply_ties_zone_enterprise_id"),
        ),
    )
    with op.batch_alter_table("investment_supply_ties", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_supply_ties_partner_enterprise_id"),
            ["partner_enterprise_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_investment_supply_ties_zone_enterprise_id"),
            ["zone_enterprise_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("investment_supply_ties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_supply_ties_zone_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_investment_supply_ties_partner_enterprise_id"))
    op.drop_table("investment_supply_ties")
