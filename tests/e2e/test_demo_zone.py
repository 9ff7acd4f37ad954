"""The demo zone tells the story whatever the day it is built: the shared demo (built today, see
`demo_template`) holds each state the home pages point to, and each role's home has work."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.demo.test_demo_desk import due_counts
from tests.e2e.conftest import LAST, PREVIOUS
from wulian.chains.models import ChainMembership
from wulian.core import calendar, todo
from wulian.core.auth.models import Department
from wulian.core.db import create_engine, session_factory
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.desk.models import DeskRequest
from wulian.innovation.models import InnovationRun, Objection
from wulian.landuse.models import LanduseRun
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun
from wulian.web.views import WAITING


@pytest.fixture
def demo(demo_template: str) -> Iterator[Session]:
    """The shared demo zone, read only."""
    engine = create_engine(demo_template)
    with session_factory(engine)() as session:
        yield session
    engine.dispose()


def test_the_runs_are_where_the_story_needs_them(demo: Session):
    today = calendar.today()
    innovation = {r.period: r for r in demo.scalars(sa.select(InnovationRun))}
    published = innovation[PREVIOUS]
    assert published.status == "published"
    assert published.notice_until is not None
    assert published.notice_until < today
    on_notice = innovation[LAST]
    assert on_notice.status == "notice"
    assert on_notice.notice_from is not None
    assert on_notice.notice_until is not None
    assert on_notice.notice_from <= today <= on_notice.notice_until
    assert demo.scalar(sa.select(sa.func.count()).where(Objection.run_id == on_notice.id)) == 1
    landuse = {r.period: r for r in demo.scalars(sa.select(LanduseRun))}
    assert landuse[PREVIOUS].status == "published"
    assert landuse[LAST].status == "notice"
    ended = landuse[LAST].notice_until
    assert ended is not None
    assert ended < today

    newest = demo.scalar(sa.select(PolicyRun).order_by(PolicyRun.id.desc()).limit(1))
    assert newest is not None
    assert newest.period == LAST
    assert demo.scalar(sa.select(sa.func.count()).select_from(Payout)) == 10  # previous year's
    pending = demo.scalar(
        sa.select(sa.func.count())
        .select_from(PolicyOutcome)
        .where(PolicyOutcome.run_id == newest.id, PolicyOutcome.status == "eligible")
    )
    assert (pending or 0) > 100
    to_review = demo.scalar(
        sa.select(sa.func.count())
        .select_from(ChainMembership)
        .where(ChainMembership.status == "review")
    )
    assert (to_review or 0) > 0


def test_requests_wait_in_every_state_most_on_time(demo: Session):
    now = dt.datetime.now(dt.UTC)
    states = dict(
        demo.execute(
            sa.select(DeskRequest.state, sa.func.count()).group_by(DeskRequest.state)
        ).all()
    )
    assert set(states) == {
        "submitted", "accepted", "assigned", "handling", "waiting", "replied", "reviewing",
        "closed", "returned", "merged",
    }  # fmt: skip
    on_time, soon, overdue = due_counts(demo, now)
    assert soon >= 2  # the response of the newest and the closure of two handled ones
    assert 1 <= overdue <= 10
    assert on_time > soon + overdue


def actors(session: Session) -> dict[str, Actor]:
    """A user of each kind, as the home page sees them (by department)."""
    departments = dict(session.execute(sa.select(Department.code, Department.id)).all())
    firm = session.scalar(
        sa.select(DeskRequest.enterprise_id)
        .where(DeskRequest.state == "handling")
        .order_by(DeskRequest.id.desc())
    )

    def user(role: Role, department: str | None, enterprise_id: int | None = None) -> Actor:
        return Actor(
            kind="user", id=10_000, label="示例用户", permissions=ROLE_PERMISSIONS[role],
            role=role, department_id=departments.get(department or ""),
            enterprise_id=enterprise_id,
        )  # fmt: skip

    return {
        "dispatcher": user(Role.OFFICER, "business-env"),
        "officer": user(Role.OFFICER, "science"),
        "analyst": user(Role.ANALYST, "economy"),
        "leader": user(Role.ANALYST, "leaders"),
        "enterprise": user(Role.ENTERPRISE, None, firm),
    }


def test_every_home_has_work_waiting(demo: Session):
    """What each role's home lists (core/todo.py), from every domain's `waiting`."""
    now = dt.datetime.now(dt.UTC)
    homes = {
        who: {
            item.label: item.count
            for item in todo.ordered(
                [item for provider in WAITING for item in provider(demo, actor=actor, now=now)]
            )
        }
        for who, actor in actors(demo).items()
    }
    assert homes["dispatcher"]["待受理的诉求"] >= 3
    assert homes["dispatcher"]["即将到期的诉求"] >= 1
    assert homes["dispatcher"]["待复核的企业归链"] > 0
    officer = homes["officer"]
    assert officer["待核对的企业数据（自报与有出入的导入值）"] > 0
    assert any("待审批兑现的企业" in label for label in officer)
    assert homes["analyst"][f"{LAST} 年度亩均效益评价公示期已满，可以发布"] == 1
    assert homes["leader"]["已超期的诉求"] >= 1
    enterprise = homes["enterprise"]
    assert enterprise["办理中的诉求"] >= 1
    assert any("创新积分公示中" in label for label in enterprise)
    science = actors(demo)["analyst"]
    science = Actor(**{**science.__dict__, "department_id": actors(demo)["officer"].department_id})
    labels = [i.label for p in WAITING for i in p(demo, actor=science, now=now) if i.count]
    assert f"{LAST} 年度评价待答复的异议" in labels
