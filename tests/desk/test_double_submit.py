"""A double-click acts once: twenty simultaneous submissions of one form (the same one-time key)
to a server of two worker processes record one comment on a request and one self-reported value,
every response arrives within a bounded time, and /healthz answers throughout. Both databases."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.desk.conftest import submit
from tests.storm import CLICKS, storm, workers
from wulian.desk.models import DeskEvent
from wulian.enterprises.models import Fact
from wulian.reference import service as reference_service


def test_a_double_clicked_comment_is_recorded_once(app, settings, world, desk):
    request_id, _ = submit(world)
    page = f"/desk/requests/{request_id}"
    with workers(settings) as base:
        answers, health = storm(
            base, "firm1", f"{page}/act", page, {"action": "comment", "note": "补充：急需"}
        )
    odd = [re.findall(r'data-error-code="[^"]*"|<p[^>]*>[^<]{0,200}', a.text)[:6]
           for a in answers if a.status_code != 303]  # fmt: skip
    assert odd == []
    assert {a.headers["location"] for a in answers} == {f"{page}?done=comment"}
    comments = sa.select(sa.func.count()).where(
        DeskEvent.request_id == request_id, DeskEvent.action == "comment"
    )
    assert world.scalar(comments) == 1
    assert health
    assert set(health) == {200}


def test_a_double_clicked_self_report_is_stored_once(app, settings, world, desk):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    firm = desk["firm"]
    page = f"/enterprises/{firm}"
    with workers(settings) as base:
        answers, health = storm(
            base, "firm1", f"{page}/reports", page,
            {"metric": "revenue", "period": "2024", "value": "1234.5"},
        )  # fmt: skip
    assert sorted(a.status_code for a in answers) == [303] * CLICKS
    stored = sa.select(sa.func.count()).where(Fact.enterprise_id == firm)
    assert world.scalar(stored) == 1
    assert set(health) == {200}
