"""Knowledge-value credit (知识价值信用贷): evaluation runs, results per firm, firms' consent to
partner banks reading their grade.

Revision ID: 0024k
Revises: 0023c
Create Date: 2026-12-04 21:38:41
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0024k"
down_revision = "0023c"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "capital_credit_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec_code", sa.String(length=64), nullable=False),
        sa.Column("spec_name", sa.String(length=100), nullable=False),
        sa.Column("spec_version", sa.String(length=32), nullable=False),
        sa.Column("spec_text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notice_from", sa.Date(), nullable=True),
        sa.Column("notice_until", sa.Date(), nullable=True),
        sa.Column("published_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("inputs", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_credit_runs")),
    )
    with op.batch_alter_table("capital_credit_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_capital_credit_runs_period"), ["period"], unique=False)

    op.create_table(
        "capital_credit_consents",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_credit_consents_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_capital_credit_consents")),
    )
    op.create_table(
        "capital_credit_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("line_wan", sa.Double(), nullable=True),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_capital_credit_results_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["capital_credit_runs.id"],
            name=op.f("fk_capital_credit_results_run_id_capital_credit_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_capital_credit_results")),
        sa.UniqueConstraint(
            "run_id", "enterprise_id", name=op.f("uq_capital_credit_results_run_id")
        ),
    )
    with op.batch_alter_table("capital_credit_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_capital_credit_results_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_capital_credit_results_run_id"), ["run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("capital_credit_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_credit_results_run_id"))
        batch_op.drop_index(batch_op.f("ix_capital_credit_results_enterprise_id"))

    op.drop_table("capital_credit_results")
    op.drop_table("capital_credit_consents")
    with op.batch_alter_table("capital_credit_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capital_credit_runs_period"))

    op.drop_table("capital_credit_runs")
