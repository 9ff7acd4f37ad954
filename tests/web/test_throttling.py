"""Guessing is throttled exactly, also under concurrency: twelve simultaneous wrong passwords for
one name get five checks before the lock, none a server error; wrong current passwords on the
password page are counted, locked and audited like failed sign-ins. Both databases."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from tests.conftest import PASSWORD, login, page_csrf
from wulian.core.audit.models import AuditEntry
from wulian.core.auth import service as auth_service
from wulian.core.db import session_factory, unit_of_work
from wulian.core.errors import AccountLocked, InvalidCredentials
from wulian.core.permissions import Role

POLICY = auth_service.LoginPolicy(max_failures=5, lock_minutes=15)


def _audited(world, action: str) -> int:
    query = sa.select(sa.func.count()).where(AuditEntry.action == action)
    return int(world.scalar(query))  # type: ignore[arg-type]


def test_simultaneous_wrong_passwords_are_counted_one_by_one(world, engine):
    world.user("alice", Role.ANALYST)
    start = threading.Barrier(12)
    outcomes: list[object] = []

    def guess(index: int) -> None:
        start.wait(timeout=30)
        try:
            with unit_of_work(session_factory(engine)) as session:
                result = auth_service.login(
                    session, username="alice", password=f"Wrong-Guess-{index:02d}",
                    ip=f"10.0.0.{index}", user_agent="t", secret=b"s" * 32, policy=POLICY,
                )  # fmt: skip
            outcomes.append(result.error)
        except Exception as error:  # the outcome is what the test checks
            outcomes.append(error)

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert all(isinstance(o, InvalidCredentials | AccountLocked) for o in outcomes), outcomes
    assert sum(isinstance(o, InvalidCredentials) for o in outcomes) == 4
    assert _audited(world, "login.failure") == 5  # five guesses checked, then the lock
    assert _audited(world, "login.refused_locked") == 7


def test_wrong_current_passwords_are_throttled_and_audited(client, world):
    world.user("alice", Role.ANALYST)
    before = world.get_user("alice").password_hash
    login(client, "alice")
    token = page_csrf(client, "/account/password")
    form = {"new_password": "Another-Horse-77", "confirm_password": "Another-Horse-77",
            "csrf_token": token}  # fmt: skip
    for attempt in range(5):
        wrong = client.post("/account/password", data={**form, "current_password": f"no{attempt}"})
        assert wrong.status_code == (422 if attempt < 4 else 429)
    assert "已锁定" in wrong.text
    assert _audited(world, "password.change_failure") == 5
    # locked: even the right password is refused until the lock ends
    right = client.post("/account/password", data={**form, "current_password": PASSWORD})
    assert right.status_code == 429
    assert world.get_user("alice").password_hash == before
