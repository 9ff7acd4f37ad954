"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

PostgreSQL: a uniquely named database is created for the run (at WULIAN_TEST_PG, default
postgresql://postgres@127.0.0.1:5432/test as the maintenance database) and dropped at the end;
tables are emptied between tests. With CI=true a missing PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from psycopg import sql
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.engine import Engine

import wulian.models  # noqa: F401
from wulian.core import audit
from wulian.core.auth import passwords
from wulian.core.auth import service as auth_service
from wulian.core.auth.models import User
from wulian.core.db import Base, create_engine, migrate, session_factory, unit_of_work
from wulian.core.permissions import Actor, Role
from wulian.core.settings import Settings
from wulian.enterprises import service as enterprise_service
from wulian.web.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("WULIAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
PG_MAINTENANCE = os.environ.get("WULIAN_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
SYSTEM = Actor.system("测试")
PASSWORD = "Correct-Horse-42"

# Real argon2, with light parameters so that the suite is not dominated by hashing.
passwords._hasher = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The reference tables beside the checkout (read in place, never copied)."""
    if not (SHARED_DATA / "gbt4754").is_dir():
        message = f"没有找到参考数据目录 {SHARED_DATA}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return SHARED_DATA


# ---------------------------------------------------------------- databases


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated; dropped at the end."""
    name = f"wulian_test_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_MAINTENANCE, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as error:
        message = f"PostgreSQL 不可用（{PG_MAINTENANCE}）：{error}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = re.sub(r"/[^/]*$", f"/{name}", PG_MAINTENANCE).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in connection.execute(sa.select(table))]
            if rows:
                _PG_SEED[table.name] = rows
    engine.dispose()
    yield url
    with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "wulian.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test; every database test runs once per kind."""
    return str(request.param)


_PG_SEED: dict[str, list[dict[str, object]]] = {}  # rows the migrations seed, restored per test


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        # Test cleanup only: replica mode skips the audit log's append-only trigger.
        connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        for table in Base.metadata.sorted_tables:
            if table.name in _PG_SEED:
                connection.execute(sa.insert(table), _PG_SEED[table.name])
    engine.dispose()


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of the current backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "wulian.db"
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    url = str(request.getfixturevalue("pg_database"))
    _empty_postgres(url)
    return url


@pytest.fixture
def blank_database_url(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A database of the current backend with no schema at all (for migration tests); a
    PostgreSQL one is created for the test and dropped after it."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    request.getfixturevalue("pg_database")  # fails in CI, skips elsewhere, without a server
    name = f"wulian_blank_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield re.sub(r"/[^/]*$", f"/{name}", PG_MAINTENANCE).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )
    with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path / "data",
        log_requests=False,
        warm_up=False,
        max_request_bytes=64 * 1024,
        max_upload_bytes=256 * 1024,
    )


@dataclass
class World:
    """Handles for writing test data directly through the services."""

    engine: Engine

    def run(self, action: Callable[..., object]) -> object:
        with unit_of_work(session_factory(self.engine)) as session:
            audit.track(session, SYSTEM)
            return action(session)

    def department(self, code: str = "science", name: str = "科技局") -> int:
        def create(session: sa.orm.Session) -> int:
            existing = auth_service.get_department_by_code(session, code=code)
            if existing:
                return existing.id
            return auth_service.create_department(session, actor=SYSTEM, code=code, name=name).id

        return int(self.run(create))  # type: ignore[call-overload]

    def enterprise(self, name: str, code: str | None = None, in_zone: bool = True) -> int:
        def create(session: sa.orm.Session) -> int:
            return enterprise_service.create(
                session, actor=SYSTEM, name=name, code=code, in_zone=in_zone
            ).id

        return int(self.run(create))  # type: ignore[call-overload]

    def user(
        self,
        username: str,
        role: Role,
        *,
        password: str = PASSWORD,
        department_id: int | None = None,
        enterprise_id: int | None = None,
        must_change_password: bool = False,
    ) -> int:
        def create(session: sa.orm.Session) -> int:
            return auth_service.create_user(
                session,
                actor=SYSTEM,
                username=username,
                role=role,
                password=password,
                department_id=department_id,
                enterprise_id=enterprise_id,
                must_change_password=must_change_password,
            ).user.id

        return int(self.run(create))  # type: ignore[call-overload]

    def token(
        self, name: str, scopes: list[str], secret: bytes, enterprise_id: int | None = None
    ) -> str:
        def create(session: sa.orm.Session) -> str:
            return auth_service.create_token(
                session,
                actor=SYSTEM,
                name=name,
                scopes=scopes,
                secret=secret,
                enterprise_id=enterprise_id,
            ).plaintext

        return str(self.run(create))

    def scalar(self, statement: sa.Select[tuple[object]]) -> object:
        with session_factory(self.engine)() as session:
            return session.scalar(statement)

    def get_user(self, username: str) -> User:
        with session_factory(self.engine)() as session:
            user = session.scalar(sa.select(User).where(User.username == username))
            assert user is not None
            return user


@pytest.fixture
def world(engine: Engine) -> World:
    return World(engine)


# ---------------------------------------------------------------- web


@pytest.fixture
def app(settings: Settings, engine: Engine) -> object:
    return create_app(settings, engine=engine)


@pytest.fixture
def client(app: object) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:  # type: ignore[arg-type]
        yield test_client


@pytest.fixture
def make_client(app: object) -> Iterator[Callable[[], TestClient]]:
    """A factory of independent browsers (each with its own cookies)."""
    clients: list[TestClient] = []

    def make() -> TestClient:
        test_client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)


CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def page_csrf(client: TestClient, path: str = "/login") -> str:
    """The CSRF token a page gives this browser."""
    return csrf_from(client.get(path).text)


def login(client: TestClient, username: str, password: str = PASSWORD) -> object:
    """Sign in through the login form, as a browser would."""
    token = page_csrf(client, "/login")
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def post_form(client: TestClient, path: str, data: dict[str, object], page: str = "/") -> object:
    """Submit a form as a signed-in browser (CSRF token taken from page)."""
    token = page_csrf(client, page)
    return client.post(path, data={**data, "csrf_token": token})


def app_routes(app: object) -> list[Any]:
    """Every route of app as declared, through included routers."""

    def walk(routes: list[Any]) -> Iterator[Any]:
        for route in routes:
            included = getattr(route, "effective_candidates", None)
            if callable(included):
                yield from walk(included())
            else:
                yield route

    return list(walk(app.router.routes))  # type: ignore[attr-defined]
