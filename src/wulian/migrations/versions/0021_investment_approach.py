"""The 招商图谱's approach plans (攻关路径): per target firm of a chain's gap, the owning team, the
contact route, the steps and the next follow-up, and the lead of the pipeline it became.

Revision ID: 0021a
Revises: 0020
Create Date: 2026-12-04 20:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wulian.core.db

revision = "0021a"
down_revision = "0020"
branch_labels = None
depends_on = None

TABLE = "investment_approach_plans"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=False),
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("firm_name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("officer_id", sa.Integer(), nullable=True),
        sa.Column("route", sa.String(length=16), nullable=False),
        sa.Column("via_enterprise_id", sa.Integer(), nullable=True),
        sa.Column("fund_name", sa.String(length=100), nullable=False),
        sa.Column("steps", sa.Text(), nullable=False),
        sa.Column("next_step", sa.String(length=200), nullable=False),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"],
            name=op.f("fk_investment_approach_plans_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["via_enterprise_id"], ["enterprises.id"],
            name=op.f("fk_investment_approach_plans_via_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["officer_id"], ["users.id"],
            name=op.f("fk_investment_approach_plans_officer_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["departments.id"],
            name=op.f("fk_investment_approach_plans_team_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["investment_projects.id"], ondelete="SET NULL",
            name=op.f("fk_investment_approach_plans_project_id_investment_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_approach_plans")),
    )  # fmt: skip
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index("ix_investment_approach_plans_gap", ["chain", "node"], unique=False)
        for column in ("enterprise_id", "team_id", "project_id"):
            batch_op.create_index(
                batch_op.f(f"ix_investment_approach_plans_{column}"), [column], unique=False
            )


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for column in ("project_id", "team_id", "enterprise_id"):
            batch_op.drop_index(batch_op.f(f"ix_investment_approach_plans_{column}"))
        batch_op.drop_index("ix_investment_approach_plans_gap")
    op.drop_table(TABLE)
