"""Database engine, session factory, declarative base and the unit of work.

A request or a CLI command is one unit of work: it commits as a whole or rolls back as a whole.
Service functions never commit; `unit_of_work` does.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from wulian.core.errors import Busy, Conflict, TimedOut, WulianError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)  # type: ignore[no-any-return]
        return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table. Set `__audit__ = False` on tables that are not audited."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    __audit__ = True
    type_annotation_map = {dt.datetime: UTCDateTime()}  # noqa: RUF012


@dataclass(frozen=True)
class Timeouts:
    """How long a statement may wait. lock: for a row or table lock (PostgreSQL lock_timeout,
    SQLite busy_timeout); statement: for any one statement; idle: a transaction left open
    between statements (PostgreSQL idle_in_transaction_session_timeout). Milliseconds; 0 turns
    a limit off."""

    lock_ms: int = 5_000
    statement_ms: int = 60_000
    idle_ms: int = 120_000


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # REPLACE deletes the row it replaces; only with recursive triggers does that deletion
        # fire DELETE triggers (the audit trail's append-only guard among them)
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    return connect


def create_engine(url: str, *, timeouts: Timeouts | None = None, **kwargs: Any) -> Engine:
    """An engine for url with every connection's timeouts set (`Timeouts`); SQLite also gets
    WAL, foreign keys and its folder."""
    limits = timeouts or Timeouts()
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        database = sa_url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        if not database or database == ":memory:" or database.startswith("file:"):
            kwargs.pop("pool_size", None)  # a single shared connection, no pool to size
            kwargs.pop("max_overflow", None)
        engine = sa.create_engine(sa_url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(limits.lock_ms))
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if sa_url.get_backend_name() == "postgresql":
        options = (
            f"-c lock_timeout={int(limits.lock_ms)} -c statement_timeout={int(limits.statement_ms)}"
            f" -c idle_in_transaction_session_timeout={int(limits.idle_ms)}"
        )
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args["options"] = f"{connect_args.get('options', '')} {options}".strip()
        kwargs["connect_args"] = connect_args
    return sa.create_engine(sa_url, **kwargs)


DRIVER_ERRORS = (sqlite3.Error, psycopg.Error)
# what `gave_up` may turn into a user's error (the web layer hands these to it)
WAIT_ERRORS = (sa.exc.DBAPIError, StaleDataError, *DRIVER_ERRORS)
# SQLSTATEs of waits the database gave up on: lock_not_available, deadlock_detected;
# query_canceled (statement_timeout), idle_in_transaction_session_timeout.
_BUSY_STATES = frozenset({"55P03", "40P01"})
_TIMEOUT_STATES = frozenset({"57014", "25P03"})


def gave_up(error: BaseException) -> WulianError | None:
    """The user's error for a database error caused by a wait that timed out (a lock another
    request holds, a statement running too long); None for any other error."""
    if isinstance(error, StaleDataError):  # a row's version moved under us (optimistic lock)
        return Conflict("这条记录刚被其他人更新过，本次没有保存，请刷新页面后重试")
    orig = error.orig if isinstance(error, sa.exc.DBAPIError) else error
    if not isinstance(orig, DRIVER_ERRORS):  # bulk writes use the drivers directly
        return None
    state = getattr(orig, "sqlstate", None)
    if state in _BUSY_STATES or "database is locked" in str(orig):
        return Busy("这条数据正被其他操作修改，请稍后重试（如重复点击，请刷新页面查看结果）")
    text = str(orig)
    if (state == "23505" and "uq_facts_current" in text) or (
        "UNIQUE constraint failed: facts.enterprise_id" in text
    ):
        return Busy("同一批数据正被另一项操作同时写入，本次没有写入，请刷新后重新检查再提交")
    if state in _TIMEOUT_STATES:
        return TimedOut("数据库处理超时，操作未完成、没有写入任何数据，请稍后重试")
    return None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory bound to engine."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit when the block ends normally, roll back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


_WROTE = "wulian.wrote"


@event.listens_for(Session, "after_flush")
def _mark_written(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _clear_written(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


def wrote_in_transaction(session: Session) -> bool:
    """Whether session holds changes other connections cannot see yet."""
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)
