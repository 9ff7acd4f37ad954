"""Financing needs of firms, bank–firm matchmaking events (银企对接) with their outcomes, and the
versions of the knowledge-value credit specs.

Revision ID: 0027f
Revises: 0025e
Create Date: 2026-12-04 23:57:30.373385
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0027f"
down_revision = "0025e"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capital_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column(
            "lenders",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "firms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_events")),
    )
    with op.batch_alter_table("capital_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_events_held_on"), ["held_on"], unique=False)

    op.create_table(
        "capital_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("collateral", sa.String(length=200), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("desk_request_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_yuan > 0", name=op.f("ck_capital_needs_need_amount_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_needs_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_needs")),
        sa.UniqueConstraint("desk_request_id", name=op.f("uq_capital_needs_desk_request_id")),
    )
    with op.batch_alter_table("capital_needs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_needs_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_capital_needs_status"), ["status"], unique=False)

    op.create_table(
        "capital_event_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("lender", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.Column("loan_id", sa.Integer(), nullable=True),
        sa.Column("intention", sa.Boolean(), nullable=False),
        sa.Column("granted_yuan", sa.BigInteger(), nullable=True),
        sa.Column("disbursed_yuan", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "granted_yuan IS NULL OR granted_yuan > 0",
            name=op.f("ck_capital_event_outcomes_outcome_granted"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_event_outcomes_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["capital_events.id"],
            name=op.f("fk_capital_event_outcomes_event_id_capital_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["capital_loans.id"],
            name=op.f("fk_capital_event_outcomes_loan_id_capital_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["capital_needs.id"],
            name=op.f("fk_capital_event_outcomes_need_id_capital_needs"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["capital_products.id"],
            name=op.f("fk_capital_event_outcomes_product_id_capital_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_event_outcomes")),
        sa.UniqueConstraint(
            "event_id",
            "enterprise_id",
            "lender",
            "product_id",
            name=op.f("uq_capital_event_outcomes_event_id"),
        ),
    )
    with op.batch_alter_table("capital_event_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_event_outcomes_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_capital_event_outcomes_event_id"), ["event_id"], unique=False
        )
    op.create_table(
        "capital_credit_specs",
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
            ["based_on_id"],
            ["capital_credit_specs.id"],
            name=op.f("fk_capital_credit_specs_based_on_id_capital_credit_specs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_credit_specs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_capital_credit_specs_code")),
    )
    with op.batch_alter_table("capital_credit_specs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_credit_specs_code"), ["code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("capital_credit_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_credit_specs_code"))

    op.drop_table("capital_credit_specs")
    with op.batch_alter_table("capital_event_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_event_outcomes_event_id"))
        batch_op.drop_index(batch_op.f("ix_capital_event_outcomes_enterprise_id"))

    op.drop_table("capital_event_outcomes")
    with op.batch_alter_table("capital_needs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_needs_status"))
        batch_op.drop_index(batch_op.f("ix_capital_needs_enterprise_id"))

    op.drop_table("capital_needs")
    with op.batch_alter_table("capital_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_events_held_on"))

    op.drop_table("capital_events")
