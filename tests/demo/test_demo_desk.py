"""The demo's requests, built at a pinned moment: whatever the day (here the Spring Festival
week of 2027, and a Saturday evening), requests wait in every open state, most within their
deadlines on the working-day calendar, a few due soon or overdue."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.conftest import SYSTEM
from wulian.core.calendar import CHINA_TIME
from wulian.core.db import session_factory, unit_of_work
from wulian.demo import desk as demo_desk
from wulian.desk.models import DeskRequest
from wulian.install import install

OPEN = ("submitted", "accepted", "assigned", "handling", "waiting", "replied", "reviewing")


def due_counts(session: Session, now: dt.datetime) -> tuple[int, int, int]:
    """The open requests (the paused ones aside): on time, due soon, overdue at now."""
    rows = session.execute(
        sa.select(DeskRequest.warn_at, DeskRequest.due_at).where(
            DeskRequest.state.in_(OPEN), DeskRequest.due_at.is_not(None)
        )
    ).all()

    def aware(at: dt.datetime) -> dt.datetime:
        return at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    overdue = sum(1 for _, due in rows if aware(due) < now)
    soon = sum(1 for warn, due in rows if aware(warn) <= now <= aware(due))
    return len(rows) - soon - overdue, soon, overdue


@pytest.mark.parametrize(
    "now",
    [
        dt.datetime(2027, 2, 10, 11, 0, tzinfo=CHINA_TIME),  # in the Spring Festival holiday
        dt.datetime(2026, 6, 20, 21, 0, tzinfo=CHINA_TIME),  # a Saturday evening
    ],
    ids=["spring-festival", "saturday-evening"],
)
def test_the_demo_requests_at_a_pinned_moment(engine, world, now):
    for n in range(12):
        world.enterprise(f"示例{n}号科技有限公司")
    with unit_of_work(session_factory(engine)) as session:
        install(session, actor=SYSTEM)
        result = demo_desk.build(session, now=now, count=40)
    assert result.requests == 40 + len(demo_desk.TAIL) + 1
    with session_factory(engine)() as session:
        states = set(session.scalars(sa.select(DeskRequest.state).distinct()))
        assert set(OPEN) | {"closed", "merged"} <= states
        latest = session.scalar(sa.select(sa.func.max(DeskRequest.created_at)))
        assert latest is not None
        latest = latest if latest.tzinfo else latest.replace(tzinfo=dt.UTC)
        assert now - dt.timedelta(days=20) < latest < now
        on_time, soon, overdue = due_counts(session, now)
    assert soon >= 2
    assert 1 <= overdue <= 10
    assert on_time > soon + overdue
