"""The national occupation classification (职业分类大典 2022) as a reference table.

Revision ID: 0029o
Revises: 0028i
Create Date: 2026-12-05 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029o"
down_revision = "0028i"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "occupations",
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=12), nullable=True),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_occupations")),
    )
    op.create_index(op.f("ix_occupations_parent_code"), "occupations", ["parent_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_occupations_parent_code"), table_name="occupations")
    op.drop_table("occupations")
