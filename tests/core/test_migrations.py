"""The schema comes from migrations, matches the models, and a stale schema is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

import wulian.models  # noqa: F401
from wulian.core.db import Base, create_engine, migrate
from wulian.core.errors import DatabaseBehind
from wulian.core.settings import Settings
from wulian.web.app import create_app


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    assert migrate.is_current(engine)


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_the_server_refuses_a_database_that_is_behind(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = create_engine(url)
    with pytest.raises(DatabaseBehind, match="wulian db upgrade"):
        create_app(Settings(database_url=url, data_dir=tmp_path, log_requests=False), engine=engine)
    engine.dispose()


def test_healthz_reports_the_database(app, engine):
    with TestClient(app) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "schema": "current"}
        # The schema falls behind while the server runs (a newer release was deployed elsewhere).
        (head,) = migrate.head_revisions()
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = 'older'"))
        try:
            behind = client.get("/healthz")
            assert behind.status_code == 503
            assert behind.json()["schema"] == "behind"
        finally:
            with engine.begin() as connection:
                connection.execute(
                    sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head}
                )
