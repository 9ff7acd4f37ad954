"""The request desk across the year end, on SQLite and PostgreSQL, with the clock in 2026, 2027
and 2028: requests are never refused for the calendar, deadlines counted on estimated holidays are
provisional (暂定) on the request and in lists, and entering the State Council's notice on the
administration page counts every provisional deadline of the open requests again, audited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, login, page_csrf, post_form
from tests.desk.conftest import act, china, read, submit
from wulian.core import calendar
from wulian.core.audit.models import AuditEntry
from wulian.core.calendar import (
    ChineseCalendar,
    HolidaysPackage,
    NoticeTables,
    WeekendsOnly,
    YearTable,
)
from wulian.core.permissions import Role
from wulian.core.workdays.models import HolidayNotice
from wulian.desk import service

# The packages as they stand at the end of 2026 (chinese-calendar 1.11.0 holds up to 2026),
# whatever version is installed.
PACKAGES = (ChineseCalendar(last_year=2026), HolidaysPackage(), WeekendsOnly())
NOTICE_2027 = {
    "year": "2027",
    "notice_no": "国办发明电〔2026〕9号",
    "holidays": "2027-01-01\n2027-02-05~2027-02-13\n2027-10-01 至 2027-10-07",
    "workdays": "2027-02-14, 2027-02-20",
}


@pytest.fixture(autouse=True)
def packages_of_2026(monkeypatch):
    monkeypatch.setattr(calendar, "statutory_sources", lambda: PACKAGES)


def _admin(client, world, clock=None):
    world.user("root", Role.ADMIN)
    if clock is not None:
        client.app.state.clock = lambda: clock
    assert login(client, "root").status_code == 303


def rows(world, statement):
    def read_all(session):
        return [tuple(row) for row in session.execute(statement)]

    return world.run(read_all)


def notices(world):
    return world.scalar(sa.select(sa.func.count()).select_from(HolidayNotice))


@pytest.mark.parametrize("day", [24, 30])
def test_a_request_at_the_year_end_is_accepted_with_a_provisional_deadline(world, desk, day):
    rid, tracking = submit(world, when=china(2026, 12, day, 10, 0))  # land: 7 working days
    request = read(world, rid)
    assert tracking
    assert request.provisional
    assert request.clocks["closure"]["provisional"]
    assert not request.clocks["response"]["provisional"]  # one hour, still in 2026
    closure = dt.datetime.fromisoformat(request.clocks["closure"]["due_at"])
    assert closure.year == 2027


def test_a_request_within_an_announced_year_is_not_provisional(world, desk):
    rid, _ = submit(world, when=china(2026, 11, 2, 10, 0))
    assert not read(world, rid).provisional


def test_entering_the_notice_counts_the_provisional_deadlines_again(world, desk, client):
    # Clock in 2027: a request before the Spring Festival, one in 2028, one closed.
    spring, _ = submit(world, when=china(2027, 2, 3, 10, 0), category="other")
    later, _ = submit(world, when=china(2028, 1, 24, 10, 0), category="other")
    before = read(world, spring)
    assert before.provisional
    assert read(world, later).provisional
    # closure 5 working days by rule: 4 February, then 11, 12, 15, 16 February 2027
    assert before.clocks["closure"]["due_at"] == china(2027, 2, 16, 17, 30).isoformat()
    _admin(client, world, clock=china(2027, 1, 20, 9, 0))
    page = client.get("/admin/calendar")
    assert page.status_code == 200
    assert "暂定" in page.text
    assert "国务院办公厅" in page.text
    saved = post_form(client, "/admin/calendar", NOTICE_2027, page="/admin/calendar")
    assert saved.status_code == 200, saved.text
    assert "已保存 2027 年放假安排（国办发明电〔2026〕9号）" in saved.text
    assert "重新计算了 2 件诉求的暂定期限" in saved.text
    after = read(world, spring)
    assert not after.provisional
    # by the notice: 4 February, 14 February (a make-up Sunday), 15, 16, 17 February
    assert after.clocks["closure"]["due_at"] == china(2027, 2, 17, 17, 30).isoformat()
    assert after.due_at is not None
    assert read(world, later).provisional  # 2028 is still estimated
    changed = rows(
        world,
        sa.select(AuditEntry.object_id).where(
            AuditEntry.object_type == "desk_requests",
            AuditEntry.action == "update",
            AuditEntry.actor_label.contains("root"),
        ),
    )
    assert {oid for (oid,) in changed} == {str(spring), str(later)}
    (summary,) = rows(
        world,
        sa.select(AuditEntry.after).where(AuditEntry.action == "desk.recompute_provisional"),
    )
    assert summary[0] == {"requests": [spring, later]}
    entered = rows(
        world,
        sa.select(AuditEntry.action, AuditEntry.actor_label).where(
            AuditEntry.object_type == "holiday_notices"
        ),
    )
    assert len(entered) == 1
    assert "root" in entered[0][1]
    holidays, workdays = rows(world, sa.select(HolidayNotice.holidays, HolidayNotice.workdays))[0]
    assert "2027-02-08" in holidays
    assert "2027-10-07" in holidays
    assert workdays == ["2027-02-14", "2027-02-20"]


def test_the_marks_show_on_the_request_and_in_the_queue(world, desk, client):
    # 政策咨询: one working hour to respond, two working days to close (no progress clock)
    late, tracking = submit(world, when=china(2026, 12, 30, 10, 0), category="policy")
    early, plain = submit(world, when=china(2026, 12, 1, 10, 0), category="other")
    act(world, "centre1", early, "accept", china(2026, 12, 1, 10, 30))
    _admin(client, world)
    detail = client.get(f"/desk/requests/{late}").text
    rows = dict(re.findall(r'data-clock="(\w+)"(.*?)</tr>', detail, re.S))
    assert "暂定" in rows["closure"]
    assert "暂定" not in rows["response"]  # one working hour on 30 December: official
    # The queue shows the nearest deadline: the late request's response clock (not provisional)
    queue = client.get("/desk").text
    assert tracking in queue
    assert plain in queue
    assert "暂定" not in queue
    act(world, "centre1", late, "accept", china(2026, 12, 30, 10, 30))  # response met
    queue = client.get("/desk").text
    row = re.search(rf"{tracking}.*?</tr>", queue, re.S)
    assert row is not None
    assert "暂定" in row.group(0)  # now the closure deadline, in 2027
    other = re.search(rf"{plain}.*?</tr>", queue, re.S)
    assert other is not None
    assert "暂定" not in other.group(0)


def test_the_administrators_are_warned_from_60_days_before_the_official_data_ends(
    world, desk, client
):
    _admin(client, world, clock=china(2026, 10, 31, 9, 0))
    assert 'id="calendar-warning"' not in client.get("/admin/calendar").text
    client.app.state.clock = lambda: china(2026, 11, 1, 9, 0)
    warned = client.get("/admin/calendar").text
    assert 'id="calendar-warning"' in warned
    assert "只覆盖到 2026 年" in warned
    assert "只覆盖到 2026 年" in client.get("/").text  # on the home page too
    post_form(client, "/admin/calendar", NOTICE_2027, page="/admin/calendar")
    assert 'id="calendar-warning"' not in client.get("/admin/calendar").text
    client.app.state.clock = lambda: china(2028, 3, 1, 9, 0)
    assert "只覆盖到 2027 年" in client.get("/admin/calendar").text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("year", "二〇二七", "年份“二〇二七”应为四位数字"),
        ("notice_no", " ", "请填写通知文号"),
        ("holidays", "2027-13-01", "放假日期中的“2027-13-01”不是日期"),
        ("holidays", "2028-01-01", "放假日期中的 2028-01-01 不在 2027 年内"),
        ("holidays", "2027-02-11~2027-02-05", "结束日期早于开始日期"),
        ("workdays", "2027-02-15", "调休上班日期 2027-02-15 是星期一，本来就是工作日"),
        ("workdays", "2027-02-06", "2027-02-06 同时出现在放假日期和调休上班日期中"),
    ],
)
def test_a_wrong_notice_is_refused_with_a_clear_message_and_changes_nothing(
    world, desk, client, field, value, message
):
    rid, _ = submit(world, when=china(2027, 2, 3, 10, 0), category="other")
    _admin(client, world)
    refused = post_form(
        client, "/admin/calendar", NOTICE_2027 | {field: value}, page="/admin/calendar"
    )
    assert refused.status_code == 422
    assert message in refused.text
    assert value.strip() in refused.text or not value.strip()  # the form keeps what was typed
    assert notices(world) == 0
    assert read(world, rid).provisional


def test_only_administrators_enter_notices(world, desk, client):
    world.user("officer9", Role.OFFICER, department_id=desk["departments"]["business-env"])
    assert login(client, "officer9").status_code == 303
    assert client.get("/admin/calendar").status_code == 403
    token = page_csrf(client, "/")
    refused = client.post("/admin/calendar", data={**NOTICE_2027, "csrf_token": token})
    assert refused.status_code == 403
    assert notices(world) == 0
    without_csrf = client.post("/admin/calendar", data=NOTICE_2027)
    assert without_csrf.status_code in (400, 403)


def test_the_sweep_counts_again_when_a_newer_package_holds_the_year(world, desk, monkeypatch):
    rid, _ = submit(world, when=china(2026, 12, 30, 10, 0), category="other")
    assert read(world, rid).provisional
    first = world.run(lambda s: service.sweep(s, actor=SYSTEM, now=china(2026, 12, 30, 11, 0)))
    assert first.recounted == 0
    assert read(world, rid).provisional  # nothing new: still estimated
    # A newer chinese-calendar that holds 2027 (here: its table, as the package would give it)
    newer = NoticeTables(
        {2027: YearTable(frozenset({dt.date(2027, 1, 1)}))}, label="chinese-calendar"
    )
    monkeypatch.setattr(calendar, "statutory_sources", lambda: (newer, *PACKAGES))
    result = world.run(lambda s: service.sweep(s, actor=SYSTEM, now=china(2026, 12, 30, 11, 0)))
    assert result.recounted == 1
    assert not read(world, rid).provisional
