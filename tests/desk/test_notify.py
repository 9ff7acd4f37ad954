"""The desk's notifications: who is told of an assignment, and of a deadline due soon or passed,
once per request and threshold however often the sweep runs."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.desk.conftest import act, china, submit
from wulian.core.auth.models import User
from wulian.core.db import session_factory
from wulian.core.notify.models import Notification
from wulian.desk import service


def told(world, kind: str) -> list[tuple[str, str, str]]:
    with session_factory(world.engine)() as session:
        rows = session.execute(
            sa.select(User.username, Notification.title, Notification.link)
            .join(User, User.id == Notification.user_id)
            .where(Notification.kind == kind)
            .order_by(Notification.id)
        ).all()
    return [tuple(r) for r in rows]


def test_an_assignment_tells_the_department_or_the_officer_named(world, desk):
    first, _ = submit(world, when=china(2026, 11, 2, 9, 0))
    act(world, "centre1", first, "accept", china(2026, 11, 2, 9, 30))
    act(world, "centre1", first, "assign", china(2026, 11, 2, 9, 40), department="planning")
    link = f"/desk/requests/{first}"
    assert told(world, "desk.assigned") == [
        ("land1", "诉求已交办：新厂房用地指标迟迟未落实", link),
        ("land2", "诉求已交办：新厂房用地指标迟迟未落实", link),
    ]
    second, _ = submit(world, when=china(2026, 11, 2, 10, 0), title="厂房用电增容")
    act(world, "centre1", second, "accept", china(2026, 11, 2, 10, 30))
    land2 = world.get_user("land2").id
    act(world, "centre1", second, "assign", china(2026, 11, 2, 10, 40), department="planning",
        assignee_id=land2)  # fmt: skip
    assert told(world, "desk.assigned")[2:] == [
        ("land2", "诉求已交办：厂房用电增容", f"/desk/requests/{second}")
    ]


def test_due_soon_and_overdue_are_told_once(world, desk):
    rid, _ = submit(world, category="other", when=china(2026, 11, 2, 9, 0))
    act(world, "centre1", rid, "accept", china(2026, 11, 2, 9, 30))
    for hour in (china(2026, 11, 5, 14, 0), china(2026, 11, 5, 15, 0)):
        world.run(lambda s, at=hour: service.sweep(s, actor=SYSTEM, now=at))
    assert [who for who, *_ in told(world, "desk.due_soon")] == ["centre1"]
    for hour in (china(2026, 11, 6, 9, 0), china(2026, 11, 6, 10, 0)):
        world.run(lambda s, at=hour: service.sweep(s, actor=SYSTEM, now=at))
    [(who, title, link)] = told(world, "desk.overdue")
    assert (who, link) == ("centre1", f"/desk/requests/{rid}")
    assert title.startswith("诉求已超期并督办")
