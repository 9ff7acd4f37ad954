"""Investment annual tasks (年度招商任务): per year and team, signed projects, signed investment
and projects started; a project's documents (合同, 投资协议, 可研报告).

Revision ID: 0028i
Revises: 0030g
Create Date: 2026-12-05 00:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import wulian.core.db

revision = "0028i"
down_revision = "0030g"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "investment_annual_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("task_signed", sa.Integer(), nullable=True),
        sa.Column("task_signed_wan", sa.BigInteger(), nullable=True),
        sa.Column("task_started", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["departments.id"],
            name=op.f("fk_investment_annual_tasks_team_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_annual_tasks")),
        sa.UniqueConstraint("year", "team_id", name=op.f("uq_investment_annual_tasks_year")),
    )
    with op.batch_alter_table("investment_annual_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_annual_tasks_team_id"), ["team_id"], unique=False
        )
    op.create_table(
        "investment_project_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["investment_projects.id"],
            name=op.f("fk_investment_project_documents_project_id_investment_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investment_project_documents")),
    )
    with op.batch_alter_table("investment_project_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_investment_project_documents_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("investment_project_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_project_documents_project_id"))
    op.drop_table("investment_project_documents")
    with op.batch_alter_table("investment_annual_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_investment_annual_tasks_team_id"))
    op.drop_table("investment_annual_tasks")
