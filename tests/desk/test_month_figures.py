"""The desk's figures by month (the cockpit's trend): requests submitted and closed in each
month, and the on-time rate of the requests closed in it."""

from __future__ import annotations

from tests.desk.conftest import act, actor_of, china, submit
from wulian.desk import stats


def _close(world, when, *, days_late=0):
    rid, _ = submit(world, category="other", when=when)
    done = when.replace(day=when.day + days_late)
    for user, action, minutes, fields in (
        ("centre1", "accept", 10, {}),
        ("centre1", "assign", 20, {"department": "planning"}),
        ("land1", "handle", 30, {}),
        ("land1", "reply", 40, {"note": "已协调解决"}),
        ("land1", "close", 50, {}),
    ):
        act(world, user, rid, action, (done if action == "close" else when).replace(minute=minutes),
            **fields)  # fmt: skip
    return rid


def test_each_month_has_its_submitted_closed_and_on_time_figures(world, desk):
    _close(world, china(2026, 10, 12, 9, 0))
    _close(world, china(2026, 10, 13, 9, 0), days_late=16)  # closed 29 October, past its target
    _close(world, china(2026, 11, 2, 9, 0))
    _close(world, china(2026, 11, 3, 9, 0))
    submit(world, category="other", when=china(2026, 11, 4, 9, 0))  # still open
    analyst = actor_of(world, "analyst1")
    figures = world.run(lambda s: stats.overview(s, actor=analyst, now=china(2026, 11, 6, 10, 0)))
    months = {m.month: m for m in figures.months}
    assert list(months) == ["2026-10", "2026-11"]
    assert (months["2026-10"].submitted, months["2026-10"].closed) == (2, 2)
    assert (months["2026-11"].submitted, months["2026-11"].closed) == (3, 2)
    assert months["2026-10"].on_time == 0.5
    assert months["2026-11"].on_time == 1.0
    assert figures.on_time_rate == 0.75
