"""The schema comes from migrations, matches the models, and a stale schema is refused."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient

import wulian.models  # noqa: F401
from tests.conftest import SYSTEM
from wulian.core import audit
from wulian.core.audit.models import AuditEntry
from wulian.core.db import Base, create_engine, migrate, session_factory, unit_of_work
from wulian.core.errors import DatabaseAhead, DatabaseBehind
from wulian.core.settings import Settings
from wulian.enterprises import facts
from wulian.enterprises.models import Fact
from wulian.enterprises.names import pinyin_key, search_key
from wulian.landuse.models import LanduseSpec
from wulian.policy.models import PolicyVersion
from wulian.reference import service as reference_service
from wulian.web.app import create_app


def _old_firm(session, name):
    """A firm written as an older schema holds it (the model now has columns it lacks)."""
    stamp = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    return session.execute(
        sa.text(
            "INSERT INTO enterprises (name, name_key, former_names, in_zone, created_at, "
            "updated_at) VALUES (:n, :n, '[]', :z, :t, :t) RETURNING id"
        ),
        {"n": name, "z": True, "t": stamp},
    ).scalar_one()


def test_migrations_match_the_models(engine):
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_name": migrate.modelled}
        context = MigrationContext.configure(connection, opts=opts)
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


def test_healthz_reports_the_database(app, engine, settings):
    with TestClient(app) as client:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {
            "status": "ok", "database": "ok", "schema": "current", "data_dir": "ok"
        }  # fmt: skip
        (head,) = migrate.head_revisions()
        # an older revision: a newer release's upgrade is due; an unknown (newer) one: this code
        # is older than the database and must not be taken for one that is merely behind
        for version, state in (("0001", "behind"), ("9999", "ahead")):
            with engine.begin() as connection:
                connection.execute(
                    sa.text("UPDATE alembic_version SET version_num = :v"), {"v": version}
                )
            try:
                answer = client.get("/healthz")
                assert answer.status_code == 503
                assert answer.json()["schema"] == state
            finally:
                with engine.begin() as connection:
                    connection.execute(
                        sa.text("UPDATE alembic_version SET version_num = :head"), {"head": head}
                    )
        # the data directory cannot be written (a full or read-only disk, a broken mount)
        blocker = settings.data_dir.parent / "not-a-folder"
        blocker.write_text("x")
        kept, settings.data_dir = settings.data_dir, blocker / "data"
        try:
            unwritable = client.get("/healthz")
        finally:
            settings.data_dir = kept
        assert unwritable.status_code == 503
        assert unwritable.json()["data_dir"] == "unwritable"


def test_the_server_refuses_a_database_newer_than_the_code(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseAhead, match="比本程序新"):
        create_app(Settings(database_url=url, data_dir=tmp_path, log_requests=False), engine=engine)
    engine.dispose()


def test_the_upgrade_repairs_duplicate_current_facts_and_records_it(blank_database_url):
    """Concurrent imports of older versions could leave two current values of one key: the
    migration that adds the unique indexes keeps the newest, supersedes the rest, and audits.
    Both databases."""
    engine = create_engine(blank_database_url)
    migrate.upgrade(engine, "0012")
    with unit_of_work(session_factory(engine)) as session:
        audit.track(session, SYSTEM)
        reference_service.sync_metrics(session, actor=SYSTEM)
        firm_id = _old_firm(session, "甲公司")
        metric = facts.metric_or_raise(session, "revenue")
        source = facts.source_or_raise(session, "tax")
        for value in (1.0, 2.0, 3.0):  # what two racing writers used to leave
            session.add(
                Fact(enterprise_id=firm_id, metric_id=metric.id, period="2024", value=value,
                     source_id=source.id, as_of=dt.date(2025, 5, 1), entered_by="导入")
            )  # fmt: skip
            session.flush()
    migrate.upgrade(engine)
    with engine.connect() as connection:
        current = connection.execute(sa.select(Fact.value).where(Fact.is_current)).all()
        audited = connection.execute(
            sa.select(AuditEntry.after).where(AuditEntry.action == "facts.repair_duplicates")
        ).scalar()
    assert current == [(3.0,)]
    assert audited == {"superseded": 2, "kept": "每组中最新的一条"}
    engine.dispose()


def test_the_upgrade_keeps_every_run_period_as_text_and_comes_back(blank_database_url):
    """Runs and payouts stored with integer years keep them as the one period type (text "2024")
    after the upgrade, and a downgrade gives the integers back. Both databases."""
    engine = create_engine(blank_database_url)
    migrate.upgrade(engine, "0015")
    with unit_of_work(session_factory(engine)) as session:  # tables 0016 leaves as they are
        audit.track(session, SYSTEM)
        firm = _old_firm(session, "甲公司")
        spec = LanduseSpec(code="l", version=1, name="l", text="", created_by="x")
        version = PolicyVersion(code="p", version=1, name="p", text="", created_by="x")
        session.add_all([spec, version])
        session.flush()
        spec_id, version_id = spec.id, version.id
    values = {
        "spec": spec_id,
        "firm": firm,
        "version": version_id,
        "blob": b"",
        "t": dt.datetime(2025, 5, 1),
    }
    with engine.begin() as connection:
        connection.execute(
            sa.text("INSERT INTO landuse_runs (spec_id, year, status, benchmarks, averages, "
                    "counts, inputs, snapshot_hash, note, created_by, created_at) VALUES "
                    "(:spec, 2024, 'published', '{}', '{}', '{}', :blob, 'h', '', 'x', :t)"),
            values,
        )  # fmt: skip
        connection.execute(
            sa.text("INSERT INTO policy_runs (id, period, versions, skipped, counts, inputs, "
                    "snapshot_hash, note, created_by, created_at) VALUES "
                    "(7, 2023, '{}', '{}', '{}', :blob, 'h', '', 'x', :t)"),
            values,
        )  # fmt: skip
        connection.execute(
            sa.text("INSERT INTO policy_payouts (policy_code, period, enterprise_id, run_id, "
                    "version_id, mode, approved_by, approved_at) VALUES "
                    "('p', 2023, :firm, 7, :version, 'auto', 'x', :t)"),
            values,
        )  # fmt: skip
    read = (
        "SELECT (SELECT {} FROM landuse_runs), (SELECT period FROM policy_runs), "
        "(SELECT period FROM policy_payouts)"
    )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        assert tuple(connection.execute(sa.text(read.format("period"))).one()) == (
            "2024", "2023", "2023"
        )  # fmt: skip
    command.downgrade(migrate.alembic_config(engine), "0015")
    with engine.connect() as connection:
        assert tuple(connection.execute(sa.text(read.format("year"))).one()) == (2024, 2023, 2023)
    engine.dispose()


def test_the_upgrade_keys_existing_firms_in_pinyin(blank_database_url):
    """Firms registered before names had pinyin keys get them, their former names included, as
    a firm registered today would. Both databases."""
    engine = create_engine(blank_database_url)
    migrate.upgrade(engine, "0016")
    with engine.begin() as connection:
        firm_id = _old_firm(connection, "重庆长安汽车股份有限公司")
        connection.execute(
            sa.text("UPDATE enterprises SET former_names = :f WHERE id = :i"),
            {"f": '["长安汽车制造厂"]', "i": firm_id},
        )
    migrate.upgrade(engine)
    with engine.connect() as connection:
        pinyin, search = connection.execute(
            sa.text("SELECT name_pinyin, name_search FROM enterprises")
        ).one()
    assert pinyin == pinyin_key("重庆长安汽车股份有限公司")
    assert search == search_key("重庆长安汽车股份有限公司", ["长安汽车制造厂"])
    engine.dispose()


def test_the_upgrade_sends_people_without_an_occupation_to_be_suggested(blank_database_url):
    """People recorded before the people's occupation suggestions: those without an occupation
    wait for one (待建议), those with one are left as they are. Both databases."""
    engine = create_engine(blank_database_url)
    migrate.upgrade(engine, "0032d")
    stamp = dt.datetime(2025, 5, 1, tzinfo=dt.UTC)
    with engine.begin() as connection:
        for index, code in ((1, None), (2, "2-02-10-03")):
            connection.execute(
                sa.text(
                    "INSERT INTO talent_people (name, id_cipher, id_index, birth_date, major,"
                    " occupation_code, skills, retain_until, created_by, created_at, updated_at)"
                    " VALUES (:n, :c, :i, :b, '', :o, '[]', :r, 'x', :t, :t)"
                ),
                {"n": f"人员{index}", "c": b"x", "i": f"{index:064d}", "o": code,
                 "b": dt.date(1990, 1, 1), "r": dt.date(2030, 1, 1), "t": stamp},
            )  # fmt: skip
    migrate.upgrade(engine)
    with engine.connect() as connection:
        states = connection.execute(
            sa.text("SELECT name, suggestion_state FROM talent_people ORDER BY name")
        ).all()
    assert [tuple(s) for s in states] == [("人员1", "pending"), ("人员2", "")]
    engine.dispose()
