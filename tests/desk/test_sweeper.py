"""The server's own deadline sweep: overdue requests are escalated once while it runs, without a
cron job; a sweep that fails changes nothing and is tried again."""

from __future__ import annotations

import logging
import time

import sqlalchemy as sa

from tests.desk.conftest import china, submit
from wulian.core.audit.models import AuditEntry
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.desk.sweeper import Sweeper


def _run_until(database_url, condition):
    """A sweeper every 50 ms, stopped once condition(sweeper) holds."""
    sweeper = Sweeper(database_url, seconds=0.05)
    sweeper.start()
    try:
        _wait(lambda: condition(sweeper))
    finally:
        sweeper.stop()
    return sweeper


def _wait(condition, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def _escalations(world, request_id):
    return world.run(
        lambda s: s.scalar(
            sa.select(sa.func.count())
            .select_from(DeskEvent)
            .where(DeskEvent.request_id == request_id, DeskEvent.action == "escalate")
        )
    )


def test_the_running_server_escalates_an_overdue_request_once(world, desk, database_url):
    overdue, _ = submit(world, when=china(2026, 3, 2, 9, 0))  # long overdue by now
    sweeper = _run_until(database_url, lambda sweeper: sweeper.sweeps >= 3)
    assert sweeper.failures == 0
    assert _escalations(world, overdue) == 1
    request = world.run(lambda s: s.get(DeskRequest, overdue))
    assert request.escalated_at is not None
    actors = world.run(
        lambda s: s.scalars(
            sa.select(AuditEntry.actor_label).where(AuditEntry.action == "desk.sweep")
        ).all()
    )
    assert actors == ["期限巡检"]  # the one sweep that found something, under its own name


def test_a_failing_sweep_is_logged_and_tried_again(tmp_path, caplog):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"  # no tables
    with caplog.at_level(logging.ERROR, logger="wulian.desk.sweeper"):
        sweeper = _run_until(empty, lambda sweeper: sweeper.failures >= 2)
    assert sweeper.sweeps == 0
    assert "期限巡检失败" in caplog.text


def test_stop_ends_the_thread_at_once(database_url):
    sweeper = Sweeper(database_url, seconds=3600)
    sweeper.start()
    _wait(lambda: sweeper.sweeps + sweeper.failures >= 1)
    sweeper.stop(timeout=30)
    assert not sweeper._thread.is_alive()  # it did not wait out the hour
    assert sweeper.sweeps == 1
