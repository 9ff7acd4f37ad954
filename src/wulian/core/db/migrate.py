"""Alembic driven from code: upgrade, current revision, and refusing a stale schema."""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from wulian.core.errors import DatabaseAhead, DatabaseBehind

# Search structures the migrations keep beside the models (no model describes them): the FTS5
# table of firm names (and its shadow tables) on SQLite, its trigram index on PostgreSQL.
UNMODELLED = ("enterprise_search", "ix_enterprises_name_search_trgm")


def modelled(name: str | None, type_: str, parent_names: object) -> bool:
    """Whether a database object is one the models describe (for comparing the two)."""
    return name is None or not name.startswith(UNMODELLED)


def alembic_config(engine: Engine) -> Config:
    """An Alembic config for engine, reading scripts from the installed package."""
    config = Config()
    config.set_main_option("script_location", "wulian:migrations")
    config.attributes["engine"] = engine
    return config


@functools.cache
def _code_heads() -> frozenset[str]:
    # The scripts ship with the package and do not change while it runs; reading them costs
    # about 25 ms, too much for every health check.
    config = Config()
    config.set_main_option("script_location", "wulian:migrations")
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def head_revisions() -> set[str]:
    """The revisions the code expects."""
    return set(_code_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at (empty for a new database)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Bring the database up to revision (all heads by default)."""
    command.upgrade(alembic_config(engine), revision)


def is_current(engine: Engine) -> bool:
    """Whether the database schema matches the code."""
    return current_revisions(engine) == head_revisions()


def schema_state(engine: Engine) -> str:
    """ "current", "behind" (the code knows newer revisions: run wulian db upgrade) or "ahead"
    (the database was upgraded by a newer version of wulian: this code must not run on it)."""
    current, heads = current_revisions(engine), head_revisions()
    if current == heads:
        return "current"
    script = ScriptDirectory.from_config(alembic_config(engine))
    known = {r.revision for r in script.walk_revisions()}
    return "ahead" if current - known else "behind"


def ensure_current(engine: Engine) -> None:
    """Refuse to go on with a database that is behind the code, or ahead of it."""
    current, heads = current_revisions(engine), head_revisions()
    if current != heads and schema_state(engine) == "ahead":
        raise DatabaseAhead(
            f"数据库结构版本（{', '.join(sorted(current))}）比本程序新：数据库已由更新版本的"
            " wulian 升级过，请使用该版本或更新的程序，不要用旧程序打开它",
        )
    if current != heads:
        state = "尚未初始化" if not current else f"当前版本 {', '.join(sorted(current))}"
        raise DatabaseBehind(
            f"数据库结构版本落后（{state}，需要 {', '.join(sorted(heads))}）。"
            "请先运行：wulian db upgrade",
        )
