"""Every write is audited with before and after values; the audit log is append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from tests.conftest import SYSTEM
from wulian.core import audit
from wulian.core.audit import service as audit_service
from wulian.core.audit.models import AuditEntry
from wulian.core.auth import service as auth_service
from wulian.core.db import session_factory
from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Actor, Role


def entries(world) -> list[AuditEntry]:
    with session_factory(world.engine)() as session:
        return list(session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))


def test_create_update_delete_are_recorded_with_values(world):
    department_id = world.department("science", "科技局")
    user_id = world.user("alice", Role.OFFICER, department_id=department_id)

    def rename(session):
        auth_service.update_user(
            session,
            actor=SYSTEM,
            user_id=user_id,
            display_name="王晓",
            role=Role.ANALYST,
            department_id=None,
        )

    world.run(rename)
    rows = entries(world)
    created = next(e for e in rows if e.action == "create" and e.object_type == "users")
    assert created.actor_label == "测试"
    assert created.after["username"] == "alice"
    assert created.after["password_hash"] == "***"  # recorded, never revealed
    updated = [e for e in rows if e.action == "update" and e.object_type == "users"][-1]
    assert updated.object_id == str(user_id)
    assert updated.before == {"display_name": "", "role": "officer", "department_id": department_id}
    assert updated.after == {"display_name": "王晓", "role": "analyst", "department_id": None}
    assert updated.at.tzinfo is not None


def test_a_write_without_an_actor_is_refused(world):
    with session_factory(world.engine)() as session, pytest.raises(RuntimeError, match="操作人"):
        auth_service.create_department(session, actor=SYSTEM, code="x1", name="某局")
    assert world.scalar(sa.select(sa.func.count(AuditEntry.id))) == 0


def test_the_audit_log_refuses_update_and_delete(world):
    world.department()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), world.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert {e.action for e in entries(world)} == {"create"}


def test_an_audit_row_cannot_be_replaced_in_place(world, backend):
    """SQLite's INSERT OR REPLACE (PostgreSQL's ON CONFLICT DO UPDATE) would overwrite a row
    without an UPDATE: the append-only guard refuses it too."""
    world.department()
    entry_id = entries(world)[0].id
    forge = {
        "sqlite": "INSERT OR REPLACE INTO audit_log (id, at, actor_kind, actor_label, action,"
        " object_type) VALUES (:id, '2026-01-01', 'user', 'x', 'forged', 'x')",
        "postgresql": "INSERT INTO audit_log (id, at, actor_kind, actor_label, action,"
        " object_type) VALUES (:id, now(), 'user', 'x', 'forged', 'x')"
        " ON CONFLICT (id) DO UPDATE SET action = 'forged'",
    }[backend]
    with pytest.raises(DBAPIError, match="append-only"), world.engine.begin() as conn:
        conn.execute(sa.text(forge), {"id": entry_id})
    assert {e.action for e in entries(world)} == {"create"}


def test_audit_listing_is_for_administrators_and_filters(world):
    world.department("science", "科技局")
    world.department("talent", "人才办")
    world.user("alice", Role.ANALYST)
    analyst = Actor(kind="user", id=1, label="a", role=Role.ANALYST, permissions=frozenset())
    with session_factory(world.engine)() as session:
        with pytest.raises(PermissionDenied):
            audit_service.get_all(session, actor=analyst)
        page = audit_service.get_all(session, actor=SYSTEM, object_type="departments")
        assert page.total == 2
        assert [e.after["code"] for e in page.items] == ["talent", "science"]  # newest first
        assert audit_service.get_all(session, actor=SYSTEM, actor_label="测").total == 3


def test_events_are_recorded_with_request_details(world):
    def event(session):
        audit.set_request(session, audit.RequestMeta(ip="10.1.2.3", request_id="req-1"))
        audit.record(session, action="import.summary", object_type="facts", after={"rows": 3})

    world.run(event)
    (entry,) = entries(world)
    assert (entry.ip, entry.request_id, entry.after) == ("10.1.2.3", "req-1", {"rows": 3})
