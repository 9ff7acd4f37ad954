"""One current value per firm, metric, period and source (and at most one verified value kept
beside it): existing duplicates left by concurrent imports are repaired, keeping the newest, and
the repair is recorded in the audit trail; then partial unique indexes hold the rule.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 22:10:00
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

FACTS = sa.table(
    "facts",
    *(sa.column(c) for c in ("id", "enterprise_id", "metric_id", "period", "source_id")),
    sa.column("is_current", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("superseded_at", sa.DateTime(timezone=True)),
)
AUDIT = sa.table(
    "audit_log",
    sa.column("at", sa.DateTime(timezone=True)),
    *(sa.column(c) for c in ("actor_kind", "actor_label", "action", "object_type")),
    sa.column("after", sa.JSON),
)
KINDS = {
    "verified": "is_current AND status = 'verified'",
    "open": "is_current AND status <> 'verified'",
}


def _kind(table: sa.FromClause, verified: bool) -> sa.ColumnElement[bool]:
    status = table.c.status == "verified" if verified else table.c.status != "verified"
    return sa.and_(table.c.is_current == sa.true(), status)


def upgrade() -> None:
    connection = op.get_bind()
    now = dt.datetime.now(dt.UTC)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as UTC without a zone, as the models do
    newer = FACTS.alias("newer")
    repaired = 0
    for verified in (True, False):
        # the newest row of each key stays current; older duplicates are superseded
        duplicates = (
            connection.execute(
                sa.select(FACTS.c.id).where(
                    _kind(FACTS, verified),
                    sa.exists().where(
                        _kind(newer, verified),
                        *(newer.c[k] == FACTS.c[k]
                          for k in ("enterprise_id", "metric_id", "period", "source_id")),
                        newer.c.id > FACTS.c.id,
                    ),
                )
            )
            .scalars()
            .all()
        )  # fmt: skip
        for start in range(0, len(duplicates), 1000):
            connection.execute(
                sa.update(FACTS)
                .where(FACTS.c.id.in_(duplicates[start : start + 1000]))
                .values(is_current=False, superseded_at=now)
            )
        repaired += len(duplicates)
    if repaired:
        connection.execute(
            sa.insert(AUDIT).values(
                at=now, actor_kind="system", actor_label="数据库升级 0013",
                action="facts.repair_duplicates", object_type="facts",
                after={"superseded": repaired, "kept": "每组中最新的一条"},
            )
        )  # fmt: skip
    for name, where in KINDS.items():
        op.create_index(
            f"uq_facts_current_{name}",
            "facts",
            ["enterprise_id", "metric_id", "period", "source_id"],
            unique=True,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )


def downgrade() -> None:
    for name in KINDS:
        op.drop_index(f"uq_facts_current_{name}", table_name="facts")
