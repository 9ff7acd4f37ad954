"""A live server on the test database and Debian's chromium driven by Playwright; the demo
zone built once per database kind and run, copied for the tests that use it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import uvicorn
from psycopg import sql

from tests.conftest import PG_MAINTENANCE, SYSTEM
from wulian.core import calendar
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.demo import build
from wulian.demo.zone import data_years

CHROMIUM = os.environ.get("WULIAN_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ARTIFACTS = Path(os.environ.get("WULIAN_TEST_ARTIFACTS", "test-artifacts"))
# The demo's data years, built from today: its previous and last year (its runs and payouts).
PREVIOUS, LAST = data_years(calendar.today())[-2:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(app: object) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread of this process."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("测试服务器未能启动")
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def live_server(app: object) -> Iterator[str]:
    """The app served for the length of one test."""
    with serving(app) as base:
        yield base


# ---------------------------------------------------------------- the demo zone


def _pg_url(name: str) -> str:
    return re.sub(r"/[^/]*$", f"/{name}", PG_MAINTENANCE).replace(
        "postgresql://", "postgresql+psycopg://", 1
    )


def _pg_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def _pg(statement: sql.Composable) -> None:
    with psycopg.connect(PG_MAINTENANCE, autocommit=True) as conn:
        conn.execute(statement)


@pytest.fixture(scope="session")
def demo_template(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database holding the demo zone, built once per database kind and run (it takes
    minutes); tests never write to it, they get a copy (`demo_copy`)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        request.getfixturevalue("pg_database")  # skips (or fails in CI) without PostgreSQL
        url = _pg_url(f"wulian_demo_{uuid.uuid4().hex[:12]}")
        _pg(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(_pg_name(url))))
    engine = create_engine(url)
    try:
        if backend != "sqlite":
            migrate.upgrade(engine)
        with unit_of_work(session_factory(engine)) as session:
            build.build(session, actor=SYSTEM)
        if backend == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    yield url
    if backend != "sqlite":
        _pg(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_pg_name(url)))
        )


@pytest.fixture
def database_url(
    database_url: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """For a test marked `demo`: a copy of the demo zone instead of an empty database."""
    if request.node.get_closest_marker("demo") is None:
        yield database_url
        return
    with demo_copy(request.getfixturevalue("demo_template"), tmp_path) as url:
        yield url


@contextmanager
def demo_copy(template: str, folder: Path) -> Iterator[str]:
    """A fresh copy of the demo database (a file copy, or a PostgreSQL database made from the
    template), dropped afterwards."""
    if template.startswith("sqlite"):
        path = folder / "demo.db"
        shutil.copy(template.removeprefix("sqlite:///"), path)
        yield f"sqlite:///{path}"
        return
    url = _pg_url(f"wulian_demo_copy_{uuid.uuid4().hex[:12]}")
    _pg(
        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(_pg_name(url)), sql.Identifier(_pg_name(template))
        )
    )
    try:
        yield url
    finally:
        _pg(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(_pg_name(url)))
        )


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"没有找到 Debian chromium（{CHROMIUM}）：apt-get install chromium"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report
