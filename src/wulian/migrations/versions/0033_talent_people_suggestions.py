"""Talent people: the occupation the classify engine suggests for a person whose occupation is
blank (from their skills and major), its confidence and where the suggestion stands (待建议,
suggested, to review, reviewed), as for posts; the people recorded without an occupation wait
for a suggestion (待建议).

Revision ID: 0033t
Revises: 0032d
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033t"
down_revision = "0032d"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suggestion_state", sa.String(length=12), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("suggested_code", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("suggestion_score", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("suggestion_terms", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.create_index(
            batch_op.f("ix_talent_people_suggestion_state"), ["suggestion_state"], unique=False
        )
    people = sa.table(
        "talent_people",
        sa.column("occupation_code", sa.String),
        sa.column("suggestion_state", sa.String),
    )
    op.execute(
        sa.update(people)
        .where(people.c.occupation_code.is_(None))
        .values(suggestion_state="pending")
    )


def downgrade() -> None:
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_people_suggestion_state"))
        batch_op.drop_column("suggestion_terms")
        batch_op.drop_column("suggestion_score")
        batch_op.drop_column("suggested_code")
        batch_op.drop_column("suggestion_state")
