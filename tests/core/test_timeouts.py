"""Every connection waits a bounded time: a lock held by another request gives a Chinese 409 (the
user tries again), a statement that runs too long a 503; never a request that hangs."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from tests.conftest import PASSWORD, page_csrf
from wulian.core.auth.models import Department, User
from wulian.core.db import Timeouts, create_engine, gave_up
from wulian.core.errors import Busy, TimedOut
from wulian.core.permissions import Role
from wulian.web.app import create_app

SHORT = Timeouts(lock_ms=300, statement_ms=1_000, idle_ms=5_000)


def _hold_write_lock(
    database_url: str, backend: str, statement: sa.Update
) -> tuple[object, object]:
    """Another connection that has written and not committed: it holds the row (PostgreSQL) or
    the database's write lock (SQLite) until released."""
    holder = create_engine(database_url)
    connection = holder.connect()
    if backend == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    connection.execute(statement)
    return holder, connection


def _release(holder, connection) -> None:
    connection.rollback()
    connection.close()
    holder.dispose()


def test_a_held_lock_is_waited_for_a_bounded_time_then_busy(world, database_url, backend):
    department = world.department()
    holder, held = _hold_write_lock(
        database_url,
        backend,
        sa.update(Department).where(Department.id == department).values(name="甲"),
    )
    engine = create_engine(database_url, timeouts=SHORT)
    try:
        with pytest.raises(sa.exc.DBAPIError) as waited, engine.begin() as connection:
            connection.execute(
                sa.update(Department).where(Department.id == department).values(name="乙")
            )
        assert isinstance(gave_up(waited.value), Busy)
    finally:
        engine.dispose()
        _release(holder, held)


def test_a_statement_that_runs_too_long_is_stopped(database_url, backend):
    if backend != "postgresql":
        pytest.skip("SQLite has no statement timeout; its waits are for locks only")
    engine = create_engine(database_url, timeouts=SHORT)
    try:
        with pytest.raises(sa.exc.DBAPIError) as stopped, engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_sleep(5)"))
        assert isinstance(gave_up(stopped.value), TimedOut)
    finally:
        engine.dispose()


def test_a_page_whose_row_is_locked_answers_409_in_chinese(world, settings, database_url, backend):
    world.user("alice", Role.ANALYST)
    user_id = world.get_user("alice").id
    engine = create_engine(database_url, timeouts=SHORT)
    app = create_app(settings, engine=engine)
    with TestClient(app, follow_redirects=False) as client:
        token = page_csrf(client, "/login")
        holder, held = _hold_write_lock(
            database_url,
            backend,
            sa.update(User).where(User.id == user_id).values(display_name="x"),
        )
        answered: list[object] = []
        try:
            worker = threading.Thread(
                target=lambda: answered.append(
                    client.post(
                        "/login",
                        data={"username": "alice", "password": PASSWORD, "csrf_token": token},
                    )
                )
            )
            worker.start()
            worker.join(timeout=30)  # bounded: a hang fails the test instead of the suite
            assert not worker.is_alive(), "the request hung on the lock"
        finally:
            _release(holder, held)
        (response,) = answered
        assert response.status_code == 409
        assert "正被其他操作修改" in response.text
        # once the lock is gone the same sign-in works
        again = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
        )
        assert again.status_code == 303
    engine.dispose()
