"""policies

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 13:35:19.671035
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column(
            "versions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "skipped",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("inputs", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_runs")),
    )
    with op.batch_alter_table("policy_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_runs_period"), ["period"], unique=False)

    op.create_table(
        "policy_versions",
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("document", sa.String(length=200), nullable=False),
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
            ["policy_versions.id"],
            name=op.f("fk_policy_versions_based_on_id_policy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_policy_versions_code")),
    )
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_versions_code"), ["code"], unique=False)

    op.create_table(
        "policy_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("policy_code", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Double(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column(
            "missing",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "failed",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("worst", sa.Double(), nullable=True),
        sa.Column("near", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=True),
        sa.Column(
            "supply",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_policy_outcomes_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["policy_runs.id"],
            name=op.f("fk_policy_outcomes_run_id_policy_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_outcomes")),
        sa.UniqueConstraint(
            "run_id", "policy_code", "enterprise_id", name=op.f("uq_policy_outcomes_run_id")
        ),
    )
    with op.batch_alter_table("policy_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_outcomes_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_policy_outcomes_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            "ix_policy_outcomes_run_policy_status",
            ["run_id", "policy_code", "status"],
            unique=False,
        )

    op.create_table(
        "policy_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_code", sa.String(length=64), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Double(), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=False),
        sa.Column("approved_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_policy_payouts_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["policy_runs.id"], name=op.f("fk_policy_payouts_run_id_policy_runs")
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["policy_versions.id"],
            name=op.f("fk_policy_payouts_version_id_policy_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_payouts")),
        sa.UniqueConstraint(
            "policy_code", "period", "enterprise_id", name=op.f("uq_policy_payouts_policy_code")
        ),
    )
    with op.batch_alter_table("policy_payouts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_policy_payouts_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_policy_payouts_policy_code"), ["policy_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("policy_payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_payouts_policy_code"))
        batch_op.drop_index(batch_op.f("ix_policy_payouts_enterprise_id"))

    op.drop_table("policy_payouts")
    with op.batch_alter_table("policy_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_policy_outcomes_run_policy_status")
        batch_op.drop_index(batch_op.f("ix_policy_outcomes_run_id"))
        batch_op.drop_index(batch_op.f("ix_policy_outcomes_enterprise_id"))

    op.drop_table("policy_outcomes")
    with op.batch_alter_table("policy_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_versions_code"))

    op.drop_table("policy_versions")
    with op.batch_alter_table("policy_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_runs_period"))

    op.drop_table("policy_runs")
