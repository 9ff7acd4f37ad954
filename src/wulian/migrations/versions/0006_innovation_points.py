"""Innovation points: versioned specs, runs and results, objections, consent to banks

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 11:14:59.457010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "innovation_specs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["innovation_specs.id"],
            name=op.f("fk_innovation_specs_based_on_id_innovation_specs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_innovation_specs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_innovation_specs_code")),
    )
    with op.batch_alter_table("innovation_specs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_innovation_specs_code"), ["code"], unique=False)

    op.create_table(
        "innovation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec_id", sa.Integer(), nullable=False),
        sa.Column("credit_spec_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("firms", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("missing_values", sa.Integer(), nullable=False),
        sa.Column(
            "cohort_stats",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("inputs", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notice_from", sa.Date(), nullable=True),
        sa.Column("notice_until", sa.Date(), nullable=True),
        sa.Column("published_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["credit_spec_id"],
            ["innovation_specs.id"],
            name=op.f("fk_innovation_runs_credit_spec_id_innovation_specs"),
        ),
        sa.ForeignKeyConstraint(
            ["spec_id"],
            ["innovation_specs.id"],
            name=op.f("fk_innovation_runs_spec_id_innovation_specs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_innovation_runs")),
    )
    with op.batch_alter_table("innovation_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_innovation_runs_period"), ["period"], unique=False)
        batch_op.create_index(batch_op.f("ix_innovation_runs_spec_id"), ["spec_id"], unique=False)

    op.create_table(
        "innovation_credit_consents",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_innovation_credit_consents_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_innovation_credit_consents")),
    )
    op.create_table(
        "innovation_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("submitted_by", sa.String(length=100), nullable=False),
        sa.Column("submitted_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.String(length=2000), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("answered_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_innovation_objections_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["innovation_runs.id"],
            name=op.f("fk_innovation_objections_run_id_innovation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_innovation_objections")),
    )
    with op.batch_alter_table("innovation_objections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_innovation_objections_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_innovation_objections_run_id"), ["run_id"], unique=False
        )

    op.create_table(
        "innovation_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("cohort", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Double(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("cohort_size", sa.Integer(), nullable=False),
        sa.Column("percentile", sa.Double(), nullable=True),
        sa.Column("band", sa.String(length=40), nullable=True),
        sa.Column("credit_line", sa.Double(), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_innovation_results_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["innovation_runs.id"],
            name=op.f("fk_innovation_results_run_id_innovation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_innovation_results")),
        sa.UniqueConstraint("run_id", "enterprise_id", name=op.f("uq_innovation_results_run_id")),
    )
    with op.batch_alter_table("innovation_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_innovation_results_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_innovation_results_run_cohort_rank", ["run_id", "cohort", "rank"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_innovation_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("innovation_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_innovation_results_run_id"))
        batch_op.drop_index("ix_innovation_results_run_cohort_rank")
        batch_op.drop_index(batch_op.f("ix_innovation_results_enterprise_id"))

    op.drop_table("innovation_results")
    with op.batch_alter_table("innovation_objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_innovation_objections_run_id"))
        batch_op.drop_index(batch_op.f("ix_innovation_objections_enterprise_id"))

    op.drop_table("innovation_objections")
    op.drop_table("innovation_credit_consents")
    with op.batch_alter_table("innovation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_innovation_runs_spec_id"))
        batch_op.drop_index(batch_op.f("ix_innovation_runs_period"))

    op.drop_table("innovation_runs")
    with op.batch_alter_table("innovation_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_innovation_specs_code"))

    op.drop_table("innovation_specs")
