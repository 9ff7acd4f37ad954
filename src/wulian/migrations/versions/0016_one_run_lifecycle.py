"""One run lifecycle and one period type: every evaluation run's period is text in the facts'
form (a year "2024"), landuse runs gain the public notice of the lifecycle (draft → notice →
published → withdrawn), and payouts keep their run's period as text. Existing years are kept as
their text.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 04:30:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

PERIOD = sa.String(length=7)


def _retype(
    table: str, column: str, to: sa.types.TypeEngine[Any], was: sa.types.TypeEngine[Any]
) -> None:
    """Change a column's type, converting each value (PostgreSQL needs the conversion named)."""
    using = f"{column}::{'varchar' if isinstance(to, sa.String) else 'integer'}"
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column(
            column, existing_type=was, type_=to, existing_nullable=False, postgresql_using=using
        )


def upgrade() -> None:
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("period", PERIOD, nullable=True))
        batch_op.add_column(sa.Column("notice_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("notice_until", sa.Date(), nullable=True))
    runs = sa.table("landuse_runs", sa.column("year", sa.Integer), sa.column("period", PERIOD))
    op.execute(runs.update().values(period=sa.cast(runs.c.year, PERIOD)))
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.alter_column("period", existing_type=PERIOD, nullable=False)
        batch_op.drop_index(batch_op.f("ix_landuse_runs_year"))
        batch_op.drop_column("year")
        batch_op.create_index(batch_op.f("ix_landuse_runs_period"), ["period"], unique=False)
    _retype("policy_runs", "period", PERIOD, sa.Integer())
    _retype("policy_payouts", "period", PERIOD, sa.Integer())


def downgrade() -> None:
    _retype("policy_payouts", "period", sa.Integer(), PERIOD)
    _retype("policy_runs", "period", sa.Integer(), PERIOD)
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("year", sa.Integer(), nullable=True))
    runs = sa.table("landuse_runs", sa.column("year", sa.Integer), sa.column("period", PERIOD))
    op.execute(runs.update().values(year=sa.cast(runs.c.period, sa.Integer)))
    with op.batch_alter_table("landuse_runs", schema=None) as batch_op:
        batch_op.alter_column("year", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index(batch_op.f("ix_landuse_runs_period"))
        batch_op.drop_column("period")
        batch_op.drop_column("notice_until")
        batch_op.drop_column("notice_from")
        batch_op.create_index(batch_op.f("ix_landuse_runs_year"), ["year"], unique=False)
