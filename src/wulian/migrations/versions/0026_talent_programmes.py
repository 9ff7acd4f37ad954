"""Talent programmes (人才项目): programmes, rounds with their experts, applications, expert
scores and award instalments with milestones.

Revision ID: 0026p
Revises: 0027f
Create Date: 2026-12-04 23:56:52.891788
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

Text = sa.Text
revision = "0026p"
down_revision = "0027f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "talent_programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.String(length=1000), nullable=False),
        sa.Column("min_award_yuan", sa.BigInteger(), nullable=False),
        sa.Column("max_award_yuan", sa.BigInteger(), nullable=False),
        sa.Column(
            "criteria",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_programmes")),
        sa.UniqueConstraint("code", name=op.f("uq_talent_programmes_code")),
    )
    op.create_table(
        "talent_programme_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column(
            "reviewers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["talent_programmes.id"],
            name=op.f("fk_talent_programme_rounds_programme_id_talent_programmes"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_programme_rounds")),
    )
    with op.batch_alter_table("talent_programme_rounds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_programme_rounds_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "talent_programme_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_programme_applications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["talent_people.id"],
            name=op.f("fk_talent_programme_applications_person_id_talent_people"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["talent_programme_rounds.id"],
            name=op.f("fk_talent_programme_applications_round_id_talent_programme_rounds"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_programme_applications")),
        sa.UniqueConstraint("round_id", "person_id", name="uq_talent_application_person"),
    )
    with op.batch_alter_table("talent_programme_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_programme_applications_enterprise_id"),
            ["enterprise_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_talent_programme_applications_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_talent_programme_applications_round_id"), ["round_id"], unique=False
        )

    op.create_table(
        "talent_award_instalments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger(), nullable=False),
        sa.Column("milestone", sa.String(length=200), nullable=False),
        sa.Column("met_on", sa.Date(), nullable=True),
        sa.Column("met_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_yuan > 0", name=op.f("ck_talent_award_instalments_instalment_amount_positive")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["talent_programme_applications.id"],
            name=op.f("fk_talent_award_instalments_application_id_talent_programme_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_award_instalments")),
        sa.UniqueConstraint("application_id", "seq", name="uq_talent_instalment_seq"),
    )
    with op.batch_alter_table("talent_award_instalments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_award_instalments_application_id"),
            ["application_id"],
            unique=False,
        )

    op.create_table(
        "talent_programme_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_label", sa.String(length=100), nullable=False),
        sa.Column(
            "scores",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total", sa.Double(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("submitted_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["talent_programme_applications.id"],
            name=op.f("fk_talent_programme_reviews_application_id_talent_programme_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["users.id"],
            name=op.f("fk_talent_programme_reviews_reviewer_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_programme_reviews")),
        sa.UniqueConstraint("application_id", "reviewer_id", name="uq_talent_review_expert"),
    )
    with op.batch_alter_table("talent_programme_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_programme_reviews_application_id"),
            ["application_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_talent_programme_reviews_reviewer_id"), ["reviewer_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("talent_programme_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_programme_reviews_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_talent_programme_reviews_application_id"))

    op.drop_table("talent_programme_reviews")
    with op.batch_alter_table("talent_award_instalments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_award_instalments_application_id"))

    op.drop_table("talent_award_instalments")
    with op.batch_alter_table("talent_programme_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_programme_applications_round_id"))
        batch_op.drop_index(batch_op.f("ix_talent_programme_applications_person_id"))
        batch_op.drop_index(batch_op.f("ix_talent_programme_applications_enterprise_id"))

    op.drop_table("talent_programme_applications")
    with op.batch_alter_table("talent_programme_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_programme_rounds_programme_id"))

    op.drop_table("talent_programme_rounds")
    op.drop_table("talent_programmes")
