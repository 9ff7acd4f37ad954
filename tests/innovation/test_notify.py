"""The firms rated in an innovation-points run are told when it goes on public notice."""

from __future__ import annotations

import sqlalchemy as sa

from tests.innovation.conftest import actor_of
from tests.innovation.test_service import DAY, run_of
from wulian.core.db import session_factory
from wulian.core.notify.models import Notification
from wulian.innovation import service


def test_rated_firms_are_told_of_the_notice(world, zone):
    run_id = run_of(world, zone)
    analyst = actor_of(world, "analyst1")
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, today=DAY))
    with session_factory(world.engine)() as session:
        got = session.execute(
            sa.select(Notification.user_id, Notification.kind, Notification.link)
            .order_by(Notification.user_id)
        ).all()  # fmt: skip
    ids = zone["ids"]
    assert [tuple(r) for r in got] == [
        (world.get_user("firm0").id, "run.notice", f"/innovation/portrait/{ids[0]}"),
        (world.get_user("firm9").id, "run.notice", f"/innovation/portrait/{ids[9]}"),
    ]
