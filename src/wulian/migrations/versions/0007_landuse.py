"""亩均效益: spec versions, runs and results

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 12:30:38.864879
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "landuse_specs",
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
            ["landuse_specs.id"],
            name=op.f("fk_landuse_specs_based_on_id_landuse_specs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landuse_specs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_landuse_specs_code")),
    )
    with op.batch_alter_table("landuse_specs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_landuse_specs_code"), ["code"], unique=False)

    op.create_table(
        "landuse_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "benchmarks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "averages",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "counts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("inputs", sa.LargeBinary(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["spec_id"], ["landuse_specs.id"], name=op.f("fk_landuse_runs_spec_id_landuse_specs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landuse_runs")),
    )
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_landuse_runs_spec_id"), ["spec_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_landuse_runs_year"), ["year"], unique=False)

    op.create_table(
        "landuse_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.Column("tax_per_mu", sa.Double(), nullable=True),
        sa.Column("value_added_per_mu", sa.Double(), nullable=True),
        sa.Column(
            "detail",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_landuse_results_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["landuse_runs.id"],
            name=op.f("fk_landuse_results_run_id_landuse_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_landuse_results")),
        sa.UniqueConstraint("run_id", "enterprise_id", name=op.f("uq_landuse_results_run_id")),
    )
    with op.batch_alter_table("landuse_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_landuse_results_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_landuse_results_run_grade", ["run_id", "group", "grade"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_landuse_results_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("landuse_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_landuse_results_run_id"))
        batch_op.drop_index("ix_landuse_results_run_grade")
        batch_op.drop_index(batch_op.f("ix_landuse_results_enterprise_id"))

    op.drop_table("landuse_results")
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_landuse_runs_year"))
        batch_op.drop_index(batch_op.f("ix_landuse_runs_spec_id"))

    op.drop_table("landuse_runs")
    with op.batch_alter_table("landuse_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_landuse_specs_code"))

    op.drop_table("landuse_specs")
