"""A double-click acts once: twenty simultaneous submissions of one form (the same one-time key)
record one comment on a request and one self-reported value, every response arrives within a
bounded time, and /healthz answers throughout. Both databases, a real server (uvicorn on
loopback), real threads."""

from __future__ import annotations

import re
import threading
import time

import httpx2
import sqlalchemy as sa

from tests.conftest import PASSWORD, SYSTEM, csrf_from
from tests.desk.conftest import submit
from tests.e2e.conftest import serving
from wulian.core import forms
from wulian.desk.models import DeskEvent
from wulian.enterprises.models import Fact
from wulian.reference import service as reference_service

CLICKS = 20


def _browser(base: str, username: str) -> httpx2.Client:
    client = httpx2.Client(base_url=base, follow_redirects=False, timeout=30)
    token = csrf_from(client.get("/login").text)
    signed = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert signed.status_code == 303, signed.text
    return client


def _storm(base: str, username: str, path: str, page: str, fields: dict[str, str]):
    """CLICKS browsers of username post the same form (one key) at once to a real server, while
    another asks /healthz; the responses, and the health answers."""
    clients = []
    for _ in range(CLICKS):
        client = _browser(base, username)
        clients.append((client, csrf_from(client.get(page).text)))
    key = forms.new_key()
    start = threading.Barrier(CLICKS)
    answers: list[httpx2.Response] = []
    health: list[int] = []
    stop = threading.Event()

    def click(client, token):
        start.wait(timeout=30)
        answers.append(client.post(path, data={**fields, "csrf_token": token, "form_key": key}))

    def watch():
        with httpx2.Client(base_url=base, timeout=10) as probe:
            while not stop.is_set():
                health.append(probe.get("/healthz").status_code)
                time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=click, args=pair) for pair in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    stop.set()
    watcher.join(timeout=15)
    for client, _ in clients:
        client.close()
    assert not any(t.is_alive() for t in threads), "a submission hung"
    return answers, health


def test_a_double_clicked_comment_is_recorded_once(app, world, desk):
    request_id, _ = submit(world)
    page = f"/desk/requests/{request_id}"
    with serving(app) as base:
        answers, health = _storm(
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


def test_a_double_clicked_self_report_is_stored_once(app, world, desk):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    firm = desk["firm"]
    page = f"/enterprises/{firm}"
    with serving(app) as base:
        answers, health = _storm(
            base, "firm1", f"{page}/reports", page,
            {"metric": "revenue", "period": "2024", "value": "1234.5"},
        )  # fmt: skip
    assert sorted(a.status_code for a in answers) == [303] * CLICKS
    stored = sa.select(sa.func.count()).where(Fact.enterprise_id == firm)
    assert world.scalar(stored) == 1
    assert set(health) == {200}
