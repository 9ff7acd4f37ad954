"""The notification centre in the browser and the API: the bell counts what is unread, opening or
marking a notification reads it, another user's cannot be touched, preferences are saved."""

from __future__ import annotations

import re

import pytest

from tests.conftest import World, login, page_csrf, post_form
from wulian.core.notify import service as notify
from wulian.core.permissions import Role


@pytest.fixture
def two_officers(world: World, make_client):
    science = world.department("science", "科技局")
    zhang = world.user("zhang", Role.OFFICER, department_id=science)
    wang = world.user("wang", Role.OFFICER, department_id=science)
    world.run(
        lambda s: [
            notify.notify(s, user_ids=[zhang], kind="desk.assigned",
                          title=f"诉求已交办：第 {i} 件", link=f"/desk/requests/{i}")
            for i in (1, 2, 3)
        ]
    )  # fmt: skip
    world.run(lambda s: notify.notify(s, user_ids=[wang], kind="facts.review", title="王的通知"))
    clients = {}
    for name in ("zhang", "wang"):
        clients[name] = make_client()
        login(clients[name], name)
    return clients


def bell(html: str) -> str | None:
    match = re.search(r'data-testid="unread-count">([^<]*)<', html)
    return match.group(1) if match else None


def ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-notification="(\d+)"', html)]


def test_the_bell_counts_and_reading_clears_it(two_officers):
    zhang = two_officers["zhang"]
    home = zhang.get("/account/notifications").text
    assert bell(home) == "3"
    page = zhang.get("/notifications").text
    assert "诉求已交办：第 3 件" in page
    assert "王的通知" not in page
    newest, *_ = ids_on(page)
    opened = post_form(zhang, f"/notifications/{newest}/open", {}, page="/notifications")
    assert opened.status_code == 303
    assert opened.headers["location"] == "/desk/requests/3"
    assert bell(zhang.get("/account/notifications").text) == "2"
    assert len(ids_on(zhang.get("/notifications?unread=1").text)) == 2
    post_form(zhang, "/notifications/read-all", {}, page="/notifications")
    assert (
        bell(zhang.get("/account/notifications").text) is None
    )  # no number on the bell once all are read
    assert "没有未读通知" in zhang.get("/notifications?unread=1").text


def test_another_users_notification_cannot_be_read(two_officers):
    zhang, wang = two_officers["zhang"], two_officers["wang"]
    [theirs] = ids_on(wang.get("/notifications").text)
    refused = post_form(zhang, f"/notifications/{theirs}/read", {}, page="/notifications")
    assert refused.status_code == 404
    api = zhang.post(
        f"/api/v1/notifications/{theirs}/read",
        headers={"X-CSRF-Token": page_csrf(zhang, "/notifications")},
    )
    assert api.status_code == 404
    assert bell(wang.get("/account/notifications").text) == "1"


def test_the_api_lists_and_marks(two_officers):
    zhang = two_officers["zhang"]
    listed = zhang.get("/api/v1/notifications?unread=true").json()
    assert listed["total"] == 3
    assert listed["items"][0]["kind_label"] == "诉求交办给我或本部门"
    first = listed["items"][0]["id"]
    csrf = {"X-CSRF-Token": page_csrf(zhang, "/notifications")}
    assert zhang.post(f"/api/v1/notifications/{first}/read", headers=csrf).json()["read_at"]
    assert zhang.get("/api/v1/notifications/unread-count").json() == {"unread": 2}
    assert zhang.post("/api/v1/notifications/read-all", headers=csrf).json() == {"marked": 2}


def test_preferences_are_saved_and_a_bad_address_is_explained(two_officers):
    zhang = two_officers["zhang"]
    saved = post_form(
        zhang, "/account/notifications",
        {"email": "zhang@zone.example.cn", "phone": "138 0000 1234",
         "email_kind": ["desk.overdue", "facts.review"], "sms_kind": ["desk.overdue"]},
        page="/account/notifications",
    )  # fmt: skip
    assert saved.status_code == 303
    page = zhang.get("/account/notifications?saved=1").text
    assert "通知设置已保存" in page
    assert 'value="zhang@zone.example.cn"' in page
    assert 'value="13800001234"' in page
    assert len(re.findall(r'name="email_kind" value="[^"]+"[^>]* checked', page)) == 2
    bad = post_form(
        zhang, "/account/notifications", {"email": "zhang-at-zone", "phone": ""},
        page="/account/notifications",
    )  # fmt: skip
    assert bad.status_code == 422
    assert "电子邮箱格式不正确" in bad.text
    assert 'value="zhang-at-zone"' in bad.text  # the form keeps what was typed
