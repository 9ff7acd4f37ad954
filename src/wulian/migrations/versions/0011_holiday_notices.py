"""Holiday notices entered by an administrator; provisional deadlines of desk requests.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 21:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holiday_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("notice_no", sa.String(length=60), nullable=False),
        sa.Column(
            "holidays",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "workdays",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("entered_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_notices")),
        sa.UniqueConstraint("year", name=op.f("uq_holiday_notices_year")),
    )
    with op.batch_alter_table("desk_requests", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("provisional", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(batch_op.f("ix_desk_requests_provisional"), ["provisional"])


def downgrade() -> None:
    with op.batch_alter_table("desk_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_requests_provisional"))
        batch_op.drop_column("provisional")
    op.drop_table("holiday_notices")
