"""The investment pipeline (招商项目库): the stage table with its default stages and moves,
projects, their stage history and signing ceremonies.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 16:52:49
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

# The default stage table (frozen here; an administrator edits it afterwards): key, name,
# position, the stages a project may move to, days before a project resting there is stale,
# signed (reaching it counts as signed), closed (out of the funnel).
DEFAULT_STAGES = (
    ("lead", "线索", 1, ["contact", "dropped"], 30, False, False),
    ("contact", "接洽", 2, ["visit", "lead", "dropped"], 30, False, False),
    ("visit", "考察", 3, ["negotiation", "contact", "dropped"], 45, False, False),
    ("negotiation", "洽谈", 4, ["signed", "visit", "dropped"], 60, False, False),
    ("signed", "签约", 5, ["land", "negotiation", "dropped"], 90, True, False),
    ("land", "供地/落地", 6, ["started", "signed", "dropped"], 180, True, False),
    ("started", "开工", 7, ["production", "land"], 365, True, False),
    ("production", "投产", 8, ["capacity", "started"], 365, True, False),
    ("capacity", "达产", 9, ["production"], None, True, False),
    ("dropped", "终止", 10, ["lead"], None, False, True),
)
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investment_signings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=100), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_signings")),
    )
    with op.batch_alter_table("investment_signings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_signings_held_on"), ["held_on"], unique=False
        )

    op.create_table(
        "investment_stages",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "next_keys",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("stale_days", sa.Integer(), nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_investment_stages")),
        sa.UniqueConstraint("name", name=op.f("uq_investment_stages_name")),
    )
    op.create_table(
        "investment_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_pinyin", sa.String(length=400), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("firm_uscc", sa.String(length=18), nullable=True),
        sa.Column("reinvestment", sa.Boolean(), nullable=False),
        sa.Column("amount_wan", sa.BigInteger(), nullable=False),
        sa.Column("fixed_asset_wan", sa.BigInteger(), nullable=True),
        sa.Column("industry_code", sa.String(length=8), nullable=True),
        sa.Column("manufacturing", sa.Boolean(), nullable=False),
        sa.Column("high_tech", sa.Boolean(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("fund_name", sa.String(length=100), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=False),
        sa.Column("stage_since", sa.Date(), nullable=False),
        sa.Column("lead_on", sa.Date(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signing_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.CheckConstraint("amount_wan > 0", name=op.f("ck_investment_projects_amount_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_investment_projects_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"], name=op.f("fk_investment_projects_officer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["signing_id"],
            ["investment_signings.id"],
            name=op.f("fk_investment_projects_signing_id_investment_signings"),
        ),
        sa.ForeignKeyConstraint(
            ["stage"],
            ["investment_stages.key"],
            name=op.f("fk_investment_projects_stage_investment_stages"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["departments.id"], name=op.f("fk_investment_projects_team_id_departments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_projects")),
    )
    with op.batch_alter_table("investment_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_investment_projects_chain"), ["chain"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_investment_projects_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            "ix_investment_projects_name_pinyin", ["name_pinyin", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_investment_projects_officer_id"), ["officer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_investment_projects_signed_on"), ["signed_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_investment_projects_signing_id"), ["signing_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_investment_projects_source"), ["source"], unique=False)
        batch_op.create_index(
            "ix_investment_projects_stage_team", ["stage", "team_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_investment_projects_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "investment_stage_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("moved_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["investment_projects.id"],
            name=op.f("fk_investment_stage_events_project_id_investment_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_stage_events")),
    )
    with op.batch_alter_table("investment_stage_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_stage_events_project_id"), ["project_id"], unique=False
        )

    stages = sa.table(
        "investment_stages",
        sa.column("key", sa.String),
        sa.column("name", sa.String),
        sa.column("position", sa.Integer),
        sa.column("next_keys", sa.JSON),
        sa.column("stale_days", sa.Integer),
        sa.column("signed", sa.Boolean),
        sa.column("closed", sa.Boolean),
        sa.column("revision", sa.Integer),
    )
    names = ("key", "name", "position", "next_keys", "stale_days", "signed", "closed")
    op.bulk_insert(
        stages, [dict(zip(names, row, strict=True), revision=1) for row in DEFAULT_STAGES]
    )


def downgrade() -> None:
    with op.batch_alter_table("investment_stage_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_stage_events_project_id"))

    op.drop_table("investment_stage_events")
    with op.batch_alter_table("investment_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_projects_team_id"))
        batch_op.drop_index("ix_investment_projects_stage_team")
        batch_op.drop_index(batch_op.f("ix_investment_projects_source"))
        batch_op.drop_index(batch_op.f("ix_investment_projects_signing_id"))
        batch_op.drop_index(batch_op.f("ix_investment_projects_signed_on"))
        batch_op.drop_index(batch_op.f("ix_investment_projects_officer_id"))
        batch_op.drop_index("ix_investment_projects_name_pinyin")
        batch_op.drop_index(batch_op.f("ix_investment_projects_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_investment_projects_chain"))

    op.drop_table("investment_projects")
    op.drop_table("investment_stages")
    with op.batch_alter_table("investment_signings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_signings_held_on"))

    op.drop_table("investment_signings")
