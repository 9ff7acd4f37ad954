"""Approved payouts are told to the firm's users; a refused approval tells nobody."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.policy.conftest import actor_of
from wulian.core.auth import service as auth_service
from wulian.core.db import session_factory
from wulian.core.errors import Conflict
from wulian.core.notify.models import Notification
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.policy import service


def notices(world) -> list[tuple[int, str, str, str]]:
    with session_factory(world.engine)() as session:
        return [
            tuple(r)
            for r in session.execute(
                sa.select(Notification.user_id, Notification.kind, Notification.title,
                          Notification.link).order_by(Notification.id)
            )
        ]  # fmt: skip


def test_an_approved_payout_is_told_to_the_firm(world, zone):
    officer = actor_of(world, "officer1")
    ids = zone["ids"]
    run = world.run(
        lambda s: service.create_run(s, actor=actor_of(world, "analyst1"), period=2024).id
    )
    world.run(lambda s: service.approve(s, actor=officer, run_id=run, code="rd_subsidy",
                                        enterprise_ids=[ids[0], ids[4]]))  # fmt: skip
    firm0 = world.get_user("firm0").id
    [(user, kind, title, link)] = notices(world)  # the other firm has no users
    assert (user, kind, link) == (firm0, "payout.approved", f"/enterprises/{ids[0]}")
    assert "兑现已审批" in title
    assert "10" in title
    with pytest.raises(Conflict):
        world.run(lambda s: service.approve(s, actor=officer, run_id=run, code="rd_subsidy",
                                            enterprise_ids=[ids[0]]))  # fmt: skip
    assert len(notices(world)) == 1


def test_a_self_report_is_told_to_the_metrics_department(world, zone):
    economy = world.department("economy", "经信局")
    reviewer = world.user("econ1", Role.OFFICER, department_id=economy)
    firm = auth_service.actor_for_user(world.get_user("firm0"))
    world.run(
        lambda s: facts.record(
            s, actor=firm, enterprise_id=zone["ids"][0], metric_key="revenue", period="2024",
            value=12345.0, source="self", as_of=dt.date(2025, 3, 1),
        )
    )  # fmt: skip
    [(user, kind, title, link)] = notices(world)
    assert (user, kind, link) == (reviewer, "facts.review", "/reviews")
    assert "收入" in title
    # a value an officer enters from statistics waits for nobody
    world.run(
        lambda s: facts.record(
            s, actor=SYSTEM, enterprise_id=zone["ids"][1], metric_key="revenue", period="2024",
            value=1.0, source="stats", as_of=dt.date(2025, 3, 1),
        )
    )  # fmt: skip
    assert len(notices(world)) == 1
