"""A double-clicked payout approval pays once: twenty simultaneous submissions of the approval
form (one one-time key) to a server of two worker processes create one payout, every response
arrives within a bounded time, and /healthz answers throughout. Both databases."""

from __future__ import annotations

import sqlalchemy as sa

from tests.policy.conftest import actor_of
from tests.storm import CLICKS, storm, workers
from wulian.policy import service
from wulian.policy.models import Payout


def test_a_double_clicked_approval_pays_once(app, settings, world, zone):
    analyst = actor_of(world, "analyst1")
    run_id = world.run(lambda s: service.create_run(s, actor=analyst, period=2024).id)
    page = f"/policies/runs/{run_id}/rd_subsidy"
    first = zone["ids"][0]
    with workers(settings) as base:
        answers, health = storm(
            base, "officer1", f"{page}/approve", page, {"enterprise_id": str(first)}
        )
    assert sorted(a.status_code for a in answers) == [303] * CLICKS
    assert {a.headers["location"] for a in answers} == {f"{page}?approved=1"}
    paid = sa.select(sa.func.count()).where(Payout.enterprise_id == first)
    assert world.scalar(paid) == 1
    assert health
    assert set(health) == {200}
