"""A trigram index on the firms' search key, so a search by part of a name (three characters
or more) reads the index instead of every row: on SQLite an FTS5 table with the trigram
tokenizer over enterprises.name_search (kept in step by triggers), on PostgreSQL a GIN index
with pg_trgm (a trusted extension since PostgreSQL 13).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE enterprise_search USING fts5("
    "name_search, content='enterprises', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER enterprise_search_ai AFTER INSERT ON enterprises BEGIN "
    "INSERT INTO enterprise_search(rowid, name_search) VALUES (new.id, new.name_search); END",
    "CREATE TRIGGER enterprise_search_ad AFTER DELETE ON enterprises BEGIN "
    "INSERT INTO enterprise_search(enterprise_search, rowid, name_search) "
    "VALUES ('delete', old.id, old.name_search); END",
    "CREATE TRIGGER enterprise_search_au AFTER UPDATE OF name_search ON enterprises BEGIN "
    "INSERT INTO enterprise_search(enterprise_search, rowid, name_search) "
    "VALUES ('delete', old.id, old.name_search); "
    "INSERT INTO enterprise_search(rowid, name_search) VALUES (new.id, new.name_search); END",
    "INSERT INTO enterprise_search(enterprise_search) VALUES ('rebuild')",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS enterprise_search_au",
    "DROP TRIGGER IF EXISTS enterprise_search_ad",
    "DROP TRIGGER IF EXISTS enterprise_search_ai",
    "DROP TABLE IF EXISTS enterprise_search",
)
POSTGRESQL_UP = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_enterprises_name_search_trgm ON enterprises "
    "USING gin (name_search gin_trgm_ops)",
)
POSTGRESQL_DOWN = ("DROP INDEX IF EXISTS ix_enterprises_name_search_trgm",)


def _run(statements: tuple[str, ...]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_UP)
    else:
        _run(POSTGRESQL_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _run(SQLITE_DOWN)
    else:
        _run(POSTGRESQL_DOWN)
