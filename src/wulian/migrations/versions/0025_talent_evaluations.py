"""Talent evaluations: the 七维 spec's versions, evaluation runs and results per person (七维
points, A–E catalogue grade), stored authorisation runs and results, and the people's fields the
evaluations and matching need (years of work, region, title, position, honours, achievements).

Revision ID: 0025e
Revises: 0024k
Create Date: 2026-12-04 23:56:39
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0025e"
down_revision = "0024k"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "talent_authorisation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rules_text", sa.Text(), nullable=False),
        sa.Column("eligible", sa.Integer(), nullable=False),
        sa.Column("firms", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("inputs", sa.LargeBinary(), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_authorisation_runs")),
    )
    with op.batch_alter_table("talent_authorisation_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_authorisation_runs_period"), ["period"], unique=False
        )

    op.create_table(
        "talent_eval_specs",
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
            ["talent_eval_specs.id"],
            name=op.f("fk_talent_eval_specs_based_on_id_talent_eval_specs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_eval_specs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_talent_eval_specs_code")),
    )
    with op.batch_alter_table("talent_eval_specs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_eval_specs_code"), ["code"], unique=False)

    op.create_table(
        "talent_eval_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spec_id", sa.Integer(), nullable=True),
        sa.Column("spec_code", sa.String(length=64), nullable=False),
        sa.Column("spec_name", sa.String(length=100), nullable=False),
        sa.Column("spec_version", sa.String(length=32), nullable=False),
        sa.Column("spec_text", sa.Text(), nullable=False),
        sa.Column("rules_text", sa.Text(), nullable=False),
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
        sa.ForeignKeyConstraint(
            ["spec_id"],
            ["talent_eval_specs.id"],
            name=op.f("fk_talent_eval_runs_spec_id_talent_eval_specs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_eval_runs")),
    )
    with op.batch_alter_table("talent_eval_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_talent_eval_runs_period"), ["period"], unique=False)

    op.create_table(
        "talent_authorisation_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=True),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_authorisation_results_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["talent_authorisation_runs.id"],
            name=op.f("fk_talent_authorisation_results_run_id_talent_authorisation_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_authorisation_results")),
        sa.UniqueConstraint(
            "run_id", "enterprise_id", name=op.f("uq_talent_authorisation_results_run_id")
        ),
    )
    with op.batch_alter_table("talent_authorisation_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_authorisation_results_enterprise_id"),
            ["enterprise_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_talent_authorisation_results_run_id"), ["run_id"], unique=False
        )
        batch_op.create_index(
            "ix_talent_authorisation_results_run_status", ["run_id", "status"], unique=False
        )

    op.create_table(
        "talent_eval_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("known", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=True),
        sa.Column("grade_status", sa.String(length=16), nullable=False),
        sa.Column(
            "explanation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_eval_results_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["talent_people.id"],
            name=op.f("fk_talent_eval_results_person_id_talent_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["talent_eval_runs.id"],
            name=op.f("fk_talent_eval_results_run_id_talent_eval_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_eval_results")),
        sa.UniqueConstraint("run_id", "person_id", name=op.f("uq_talent_eval_results_run_id")),
    )
    with op.batch_alter_table("talent_eval_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_eval_results_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_talent_eval_results_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index("ix_talent_eval_results_run_grade", ["run_id", "grade"], unique=False)
        batch_op.create_index(batch_op.f("ix_talent_eval_results_run_id"), ["run_id"], unique=False)

    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experience_years", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("region_code", sa.String(length=6), nullable=True))
        batch_op.add_column(sa.Column("title_level", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("position_level", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("honour_level", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("achievements", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.drop_column("achievements")
        batch_op.drop_column("honour_level")
        batch_op.drop_column("position_level")
        batch_op.drop_column("title_level")
        batch_op.drop_column("region_code")
        batch_op.drop_column("experience_years")

    with op.batch_alter_table("talent_eval_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_eval_results_run_id"))
        batch_op.drop_index("ix_talent_eval_results_run_grade")
        batch_op.drop_index(batch_op.f("ix_talent_eval_results_person_id"))
        batch_op.drop_index(batch_op.f("ix_talent_eval_results_enterprise_id"))

    op.drop_table("talent_eval_results")
    with op.batch_alter_table("talent_authorisation_results", schema=None) as batch_op:
        batch_op.drop_index("ix_talent_authorisation_results_run_status")
        batch_op.drop_index(batch_op.f("ix_talent_authorisation_results_run_id"))
        batch_op.drop_index(batch_op.f("ix_talent_authorisation_results_enterprise_id"))

    op.drop_table("talent_authorisation_results")
    with op.batch_alter_table("talent_eval_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_eval_runs_period"))

    op.drop_table("talent_eval_runs")
    with op.batch_alter_table("talent_eval_specs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_eval_specs_code"))

    op.drop_table("talent_eval_specs")
    with op.batch_alter_table("talent_authorisation_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_authorisation_runs_period"))

    op.drop_table("talent_authorisation_runs")
