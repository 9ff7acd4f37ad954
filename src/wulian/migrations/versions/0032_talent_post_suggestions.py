"""Talent posts: the occupation the classify engine suggests for the title, its confidence and
where the suggestion stands (待建议, suggested, to review, reviewed).

Revision ID: 0032d
Revises: 0031t
Create Date: 2026-12-05 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032d"
down_revision = "0031t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("talent_posts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suggestion_state", sa.String(length=12), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("suggested_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("suggestion_score", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("suggestion_terms", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index(
            batch_op.f("ix_talent_posts_suggestion_state"), ["suggestion_state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("talent_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_posts_suggestion_state"))
        batch_op.drop_column("suggestion_terms")
        batch_op.drop_column("suggestion_score")
        batch_op.drop_column("suggested_code")
        batch_op.drop_column("suggestion_state")
