"""The firms rated in a 亩均效益 run are told when it goes on notice and when it is published."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.landuse.conftest import actor_of
from tests.landuse.test_lifecycle import DAY, draft
from wulian.core.db import session_factory
from wulian.core.notify.models import Notification
from wulian.landuse import service


def test_rated_firms_are_told_of_notice_and_publication(world, zone):
    run_id = draft(world, zone)
    analyst = actor_of(world, "analyst1")
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, days=5, today=DAY))
    world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=dt.date(2025, 6, 7)))
    with session_factory(world.engine)() as session:
        got = session.execute(
            sa.select(Notification.user_id, Notification.kind, Notification.title,
                      Notification.link).order_by(Notification.id)
        ).all()  # fmt: skip
    firm0 = world.get_user("firm0").id
    card = f"/landuse/card/{zone['ids'][0]}"
    notice = "2024 年度亩均效益评价结果公示中（至 2025-06-06），如有疑问请联系主管部门"
    assert [tuple(r) for r in got] == [
        (firm0, "run.notice", notice, card),
        (firm0, "run.published", "2024 年度亩均效益评价结果已发布", card),
    ]  # fmt: skip
