"""Admission: more requests than the server admits at once wait their turn and all succeed; the
thread pool and the database connections are never exhausted (SQLite and PostgreSQL)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from wulian.web.app import create_app


def test_requests_beyond_the_limit_wait_and_all_succeed(settings):
    app = create_app(settings.model_copy(update={"max_concurrent_requests": 2}))
    pool = app.state.engine.pool
    assert pool.size() >= 2, "every admitted request has a connection of its own"
    with TestClient(app) as client, ThreadPoolExecutor(max_workers=24) as threads:
        statuses = list(threads.map(lambda _: client.get("/healthz").status_code, range(96)))
        assert statuses == [200] * 96
        assert client.get("/static/css/app.css").status_code == 200  # not counted
