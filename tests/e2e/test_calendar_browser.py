"""In a real browser, with the clock on 3 December 2026: the administrator is warned that the
official holiday data ends with 2026, a request submitted before Christmas has a provisional
(暂定) deadline, and entering the State Council's notice for 2027 makes it official."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SYSTEM
from tests.desk.conftest import DEPARTMENTS, china, submit
from tests.e2e.test_browser import sign_in
from wulian.core import calendar
from wulian.core.calendar import ChineseCalendar, HolidaysPackage, WeekendsOnly
from wulian.core.permissions import Role
from wulian.desk import service
from wulian.enterprises.uscc import synthetic

PACKAGES = (ChineseCalendar(last_year=2026), HolidaysPackage(), WeekendsOnly())


@pytest.fixture(autouse=True)
def packages_of_2026(monkeypatch):
    monkeypatch.setattr(calendar, "statutory_sources", lambda: PACKAGES)


def test_the_notice_for_the_next_year_is_entered_in_the_browser(
    page: Page, live_server, world, app
):
    for code, name in DEPARTMENTS.items():
        world.department(code, name)
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))
    firm = world.enterprise("企呼年底测试有限公司", code=synthetic(931))
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    world.user("root", Role.ADMIN)
    request_id, _ = submit(world, when=china(2026, 12, 24, 10, 0))  # 7 working days: into 2027
    app.state.clock = lambda: china(2026, 12, 3, 9, 0)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    sign_in(page, live_server, "root")
    page.goto(f"{live_server}/desk/requests/{request_id}")
    closure = page.locator("tr[data-clock='closure']")
    expect(closure.locator(".provisional")).to_have_text("暂定")
    expect(page.locator("tr[data-clock='response'] .provisional")).to_have_count(0)

    console_errors.clear()  # from here on: home and the notices page
    page.goto(f"{live_server}/")
    expect(page.locator("#calendar-warning")).to_contain_text("只覆盖到 2026 年")
    page.get_by_role("link", name="节假日安排", exact=True).first.click()
    expect(page.locator("#year-sources")).to_contain_text("holidays 程序包（推算）")
    page.get_by_label("年份").fill("2027")
    page.get_by_label("通知文号").fill("国办发明电〔2026〕9号")
    page.get_by_label("放假日期").fill("2027-01-01~2027-01-03\n2027-02-05~2027-02-13")
    page.get_by_label("调休上班日期").fill("2027-02-14, 2027-02-20")
    page.get_by_role("button", name="保存并重新计算暂定期限").click()
    expect(page.get_by_role("status")).to_contain_text("重新计算了 1 件诉求的暂定期限")
    expect(page.locator("#notices")).to_contain_text("国办发明电〔2026〕9号")
    expect(page.locator("#calendar-warning")).to_have_count(0)
    assert console_errors == []  # home and the notices page, under the app's own policy

    page.goto(f"{live_server}/desk/requests/{request_id}")
    expect(closure).to_contain_text("2027-01-05 17:30")
    expect(closure.locator(".provisional")).to_have_count(0)
