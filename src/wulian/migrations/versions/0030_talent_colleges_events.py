"""Partner colleges (majors mapped to chain nodes, graduates and retention per year, target
rates) and recruitment events (人才周) with the posts they offered.

Revision ID: 0030g
Revises: 0026p
Create Date: 2026-12-05 00:50:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

import wulian.core.db

revision = "0030g"
down_revision = "0026p"
branch_labels = None
depends_on = None


def _who() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "talent_colleges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        *_who(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_colleges")),
        sa.UniqueConstraint("name", name=op.f("uq_talent_colleges_name")),
    )
    op.create_table(
        "talent_college_majors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("college_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.Column("occupation_code", sa.String(length=12), nullable=True),
        *_who(),
        sa.ForeignKeyConstraint(
            ["college_id"],
            ["talent_colleges.id"],
            name=op.f("fk_talent_college_majors_college_id_talent_colleges"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_college_majors")),
        sa.UniqueConstraint("college_id", "name", name="uq_talent_college_major"),
    )
    op.create_index(
        op.f("ix_talent_college_majors_college_id"), "talent_college_majors", ["college_id"]
    )
    op.create_table(
        "talent_college_cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("major_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("graduates", sa.Integer(), nullable=False),
        sa.Column("employed", sa.Integer(), nullable=True),
        sa.Column("retained", sa.Integer(), nullable=True),
        *_who(),
        sa.CheckConstraint(
            "graduates >= 0", name=op.f("ck_talent_college_cohorts_graduates_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["major_id"],
            ["talent_college_majors.id"],
            name=op.f("fk_talent_college_cohorts_major_id_talent_college_majors"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_college_cohorts")),
        sa.UniqueConstraint("major_id", "year", name="uq_talent_college_cohort"),
    )
    op.create_index(
        op.f("ix_talent_college_cohorts_major_id"), "talent_college_cohorts", ["major_id"]
    )
    op.create_table(
        "talent_retention_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("target_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        *_who(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_retention_targets")),
        sa.UniqueConstraint("year", name=op.f("uq_talent_retention_targets_year")),
    )
    op.create_table(
        "talent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=True),
        *_who(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_events")),
    )
    op.create_table(
        "talent_event_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("intentions", sa.Integer(), nullable=True),
        sa.Column("signings", sa.Integer(), nullable=True),
        *_who(),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["talent_events.id"],
            name=op.f("fk_talent_event_posts_event_id_talent_events"),
        ),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["talent_posts.id"],
            name=op.f("fk_talent_event_posts_post_id_talent_posts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_event_posts")),
        sa.UniqueConstraint("event_id", "post_id", name="uq_talent_event_post"),
    )
    op.create_index(op.f("ix_talent_event_posts_event_id"), "talent_event_posts", ["event_id"])
    op.create_index(op.f("ix_talent_event_posts_post_id"), "talent_event_posts", ["post_id"])


def downgrade() -> None:
    op.drop_table("talent_event_posts")
    op.drop_table("talent_events")
    op.drop_table("talent_retention_targets")
    op.drop_table("talent_college_cohorts")
    op.drop_table("talent_college_majors")
    op.drop_table("talent_colleges")
