"""The capital chain (资金链): the fund matrix (managers, funds, commitments, investments), its
configuration with the default leverage definition, loans, risk-compensation pools and their
compensations, financing products, notes on firms' 一企一策 plans and the listing pipeline.

Revision ID: 0023c
Revises: 0022t
Create Date: 2026-12-04 20:19:08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0023c"
down_revision = "0022t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capital_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "government_kinds",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("leverage_base", sa.String(length=16), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_config")),
    )
    op.create_table(
        "capital_managers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_managers")),
        sa.UniqueConstraint("name", name=op.f("uq_capital_managers_name")),
    )
    op.create_table(
        "capital_pools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lender", sa.String(length=200), nullable=False),
        sa.Column("government_yuan", sa.BigInteger(), nullable=False),
        sa.Column("bank_yuan", sa.BigInteger(), nullable=False),
        sa.Column("cover_pct", sa.Integer(), nullable=False),
        sa.Column("warn_bp", sa.Integer(), nullable=False),
        sa.Column("stop_bp", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_pools")),
        sa.UniqueConstraint("name", name=op.f("uq_capital_pools_name")),
    )
    op.create_table(
        "capital_funds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("reinvest_pct", sa.Integer(), nullable=True),
        sa.Column("established_on", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["capital_managers.id"],
            name=op.f("fk_capital_funds_manager_id_capital_managers"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["capital_funds.id"],
            name=op.f("fk_capital_funds_parent_id_capital_funds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_funds")),
        sa.UniqueConstraint("name", name=op.f("uq_capital_funds_name")),
    )
    with op.batch_alter_table("capital_funds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_funds_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_capital_funds_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "capital_commitments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("investor", sa.String(length=200), nullable=False),
        sa.Column("investor_kind", sa.String(length=16), nullable=False),
        sa.Column("investor_fund_id", sa.Integer(), nullable=True),
        sa.Column("committed_yuan", sa.BigInteger(), nullable=False),
        sa.Column("paid_in_yuan", sa.BigInteger(), nullable=False),
        sa.Column("committed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "committed_yuan > 0", name=op.f("ck_capital_commitments_committed_positive")
        ),
        sa.CheckConstraint(
            "paid_in_yuan >= 0", name=op.f("ck_capital_commitments_paid_in_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["capital_funds.id"],
            name=op.f("fk_capital_commitments_fund_id_capital_funds"),
        ),
        sa.ForeignKeyConstraint(
            ["investor_fund_id"],
            ["capital_funds.id"],
            name=op.f("fk_capital_commitments_investor_fund_id_capital_funds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_commitments")),
    )
    with op.batch_alter_table("capital_commitments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_commitments_fund_id"), ["fund_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_capital_commitments_investor_fund_id"),
            ["investor_fund_id"],
            unique=False,
        )

    op.create_table(
        "capital_loans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("lender", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=True),
        sa.Column("granted_yuan", sa.BigInteger(), nullable=False),
        sa.Column("disbursed_yuan", sa.BigInteger(), nullable=False),
        sa.Column("repaid_yuan", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("granted_yuan > 0", name=op.f("ck_capital_loans_granted_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_loans_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["capital_pools.id"], name=op.f("fk_capital_loans_pool_id_capital_pools")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_loans")),
    )
    with op.batch_alter_table("capital_loans", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_loans_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_capital_loans_pool_id"), ["pool_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_capital_loans_status"), ["status"], unique=False)

    op.create_table(
        "capital_compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("loan_id", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("government_yuan", sa.BigInteger(), nullable=False),
        sa.Column("bank_yuan", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=100), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_on", sa.Date(), nullable=True),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["capital_loans.id"],
            name=op.f("fk_capital_compensations_loan_id_capital_loans"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["capital_pools.id"],
            name=op.f("fk_capital_compensations_pool_id_capital_pools"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_compensations")),
        sa.UniqueConstraint("loan_id", name=op.f("uq_capital_compensations_loan_id")),
    )
    with op.batch_alter_table("capital_compensations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_compensations_pool_id"), ["pool_id"], unique=False
        )

    op.create_table(
        "capital_investments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fund_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("target_name", sa.String(length=200), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("round_total_yuan", sa.BigInteger(), nullable=True),
        sa.Column("invested_on", sa.Date(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.Column("valuation_yuan", sa.BigInteger(), nullable=True),
        sa.Column("valued_on", sa.Date(), nullable=True),
        sa.Column("exited_on", sa.Date(), nullable=True),
        sa.Column("exit_yuan", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(enterprise_id IS NULL) <> (project_id IS NULL)",
            name=op.f("ck_capital_investments_one_target"),
        ),
        sa.CheckConstraint("amount_yuan > 0", name=op.f("ck_capital_investments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_investments_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["fund_id"],
            ["capital_funds.id"],
            name=op.f("fk_capital_investments_fund_id_capital_funds"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["investment_projects.id"],
            name=op.f("fk_capital_investments_project_id_investment_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_investments")),
    )
    with op.batch_alter_table("capital_investments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_investments_chain"), ["chain"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_capital_investments_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_capital_investments_fund_id"), ["fund_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_capital_investments_project_id"), ["project_id"], unique=False
        )
    op.create_table(
        "capital_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lender", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("min_yuan", sa.BigInteger(), nullable=True),
        sa.Column("max_yuan", sa.BigInteger(), nullable=True),
        sa.Column("min_rate_bp", sa.Integer(), nullable=True),
        sa.Column("max_rate_bp", sa.Integer(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("collateral", sa.String(length=200), nullable=False),
        sa.Column("eligibility", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_products")),
        sa.UniqueConstraint("name", name=op.f("uq_capital_products_name")),
    )
    op.create_table(
        "capital_plan_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("handed", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_plan_notes_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["capital_products.id"],
            name=op.f("fk_capital_plan_notes_product_id_capital_products"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_plan_notes")),
    )
    with op.batch_alter_table("capital_plan_notes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_plan_notes_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "capital_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("board", sa.String(length=16), nullable=True),
        sa.Column("intermediaries", sa.String(length=300), nullable=False),
        sa.Column(
            "stage_dates",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("listed_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_listings_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_listings")),
        sa.UniqueConstraint("enterprise_id", name=op.f("uq_capital_listings_enterprise_id")),
    )
    with op.batch_alter_table("capital_listings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_listings_stage"), ["stage"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_capital_listings_listed_on"), ["listed_on"], unique=False
        )

    config = sa.table(
        "capital_config",
        sa.column("id", sa.Integer()),
        sa.column("government_kinds", sa.JSON()),
        sa.column("leverage_base", sa.String()),
        sa.column("updated_by", sa.String()),
        sa.column("updated_at", wulian.core.db.UTCDateTime(timezone=True)),
    )
    op.bulk_insert(
        config,
        [{"id": 1, "government_kinds": ["government"], "leverage_base": "paid_in",
          "updated_by": "安装", "updated_at": wulian.core.db.utcnow()}],
    )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("capital_listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_listings_listed_on"))
        batch_op.drop_index(batch_op.f("ix_capital_listings_stage"))
    op.drop_table("capital_listings")
    with op.batch_alter_table("capital_plan_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_plan_notes_enterprise_id"))
    op.drop_table("capital_plan_notes")
    op.drop_table("capital_products")
    with op.batch_alter_table("capital_investments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_investments_project_id"))
        batch_op.drop_index(batch_op.f("ix_capital_investments_fund_id"))
        batch_op.drop_index(batch_op.f("ix_capital_investments_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_capital_investments_chain"))

    op.drop_table("capital_investments")
    with op.batch_alter_table("capital_compensations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_compensations_pool_id"))

    op.drop_table("capital_compensations")
    with op.batch_alter_table("capital_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_loans_status"))
        batch_op.drop_index(batch_op.f("ix_capital_loans_pool_id"))
        batch_op.drop_index(batch_op.f("ix_capital_loans_enterprise_id"))

    op.drop_table("capital_loans")
    with op.batch_alter_table("capital_commitments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_commitments_investor_fund_id"))
        batch_op.drop_index(batch_op.f("ix_capital_commitments_fund_id"))

    op.drop_table("capital_commitments")
    with op.batch_alter_table("capital_funds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_funds_parent_id"))
        batch_op.drop_index(batch_op.f("ix_capital_funds_kind"))

    op.drop_table("capital_funds")
    op.drop_table("capital_pools")
    op.drop_table("capital_managers")
    op.drop_table("capital_config")
