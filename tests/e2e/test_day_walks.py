"""A working day on the demo zone, one walk per role in a real browser: each starts from the
home page's to-do list, does the work it points to, and sees the list change; no page logs a
console error under the app's content security policy. One screenshot per walk is kept in the
test's temporary folder."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LAST
from tests.e2e.test_browser import sign_in
from tests.e2e.test_home_browser import todo_count
from wulian.core.permissions import Role
from wulian.desk.models import DeskRequest

pytestmark = pytest.mark.demo


@pytest.fixture
def watched(page: Page, tmp_path: Path) -> Iterator[Page]:
    """The page, with every console error and uncaught script error collected; none may occur.
    A screenshot of the last page is saved as walk.png in the test's folder."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    yield page
    page.screenshot(path=str(tmp_path / "walk.png"), full_page=True)
    assert problems == []


def test_the_dispatcher_accepts_a_waiting_request(watched: Page, live_server, world):
    page = watched
    world.user("centre", Role.OFFICER, department_id=world.department("business-env", "企服中心"))
    sign_in(page, live_server, "centre")
    waiting = todo_count(page, "待受理的诉求")
    assert waiting >= 3
    page.locator("#todo li", has_text="待受理的诉求").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/desk\?state=submitted"))
    page.locator("#queue tbody tr[data-request]").first.get_by_role("link").first.click()
    page.locator("form[data-action='accept']").get_by_role("button", name="受理").click()
    expect(page.locator("#state")).to_have_text("已受理")
    page.goto(f"{live_server}/")
    assert todo_count(page, "待受理的诉求") == waiting - 1


def test_an_officer_replies_to_a_request_due_soon_and_closes_it(watched: Page, live_server, world):
    page = watched
    world.user("economy", Role.OFFICER, department_id=world.department("economy", "经信局"))
    sign_in(page, live_server, "economy")
    soon = todo_count(page, "即将到期的诉求")
    assert soon >= 1
    page.locator("#todo li", has_text="即将到期的诉求").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/desk\?due=soon"))
    rows = page.locator("#queue tbody tr[data-request]")
    expect(rows).to_have_count(soon)
    rows.first.get_by_role("link").first.click()
    expect(page.locator("#state")).to_have_text("处置中")
    reply = page.locator("form[data-action='reply']")
    reply.get_by_label("反馈结果内容").fill("已协调供电公司完成增容方案，具体安排已电话告知企业")
    reply.get_by_role("button", name="反馈结果").click()
    expect(page.locator("#state")).to_have_text("已反馈")
    page.locator("form[data-action='close']").get_by_role("button", name="办结").click()
    expect(page.locator("#state")).to_have_text("已办结")
    page.goto(f"{live_server}/")
    assert todo_count(page, "即将到期的诉求") == soon - 1


def test_an_analyst_publishes_a_run_whose_notice_has_ended(watched: Page, live_server, world):
    page = watched
    world.user("analyst", Role.ANALYST, department_id=world.department("economy", "经信局"))
    sign_in(page, live_server, "analyst")
    item = f"{LAST} 年度亩均效益评价公示期已满，可以发布"
    assert todo_count(page, item) == 1
    page.locator("#todo li", has_text=item).get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/landuse/runs/\d+$"))
    expect(page.locator("#run-status")).to_have_text("公示中")
    page.get_by_role("button", name="公示结束，正式发布").click()
    expect(page.locator("#run-status")).to_have_text("已发布")
    page.goto(f"{live_server}/")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    assert todo_count(page, item) == 0


def test_a_leader_goes_from_home_to_the_cockpit_a_chain_and_the_workbook(
    watched: Page, live_server, world
):
    page = watched
    world.user("leader", Role.ANALYST, department_id=world.department("leaders", "管委会领导"))
    sign_in(page, live_server, "leader")
    overdue = todo_count(page, "已超期的诉求")
    assert overdue >= 1
    page.locator("#todo li", has_text="已超期的诉求").get_by_role("link").click()
    expect(page.locator("#queue tbody tr[data-request]")).to_have_count(min(overdue, 50))
    page.get_by_role("link", name="领导驾驶舱", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cockpit$"))
    chain = page.locator("#cockpit-chains tbody tr").first.get_by_role("link")
    name = chain.inner_text()
    chain.click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.go_back()
    with page.expect_download() as download:
        page.locator("#cockpit-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert "产业链" in book.sheetnames
    assert name in [row[0] for row in book["产业链"].iter_rows(values_only=True)]


def test_a_firm_supplies_what_its_request_waits_for_and_sees_its_benefits(
    watched: Page, live_server, world
):
    page = watched
    firm_id = world.scalar(
        sa.select(DeskRequest.enterprise_id)
        .where(DeskRequest.state == "waiting")
        .order_by(DeskRequest.id.desc())
    )
    assert firm_id is not None, "the demo zone has a request waiting for its firm"
    world.user("firm", Role.ENTERPRISE, enterprise_id=firm_id)
    sign_in(page, live_server, "firm")
    waiting = todo_count(page, "待企业补充的诉求")
    assert waiting >= 1
    assert todo_count(page, "办理中的诉求") >= waiting
    page.locator("#todo li", has_text="待企业补充的诉求").get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/desk\?state=waiting"))
    page.locator("#queue tbody tr[data-request]").first.get_by_role("link").first.click()
    supply = page.locator("form[data-action='supply']")
    supply.get_by_label("补充材料内容").fill("项目备案证明已补充")
    supply.get_by_role("button", name="补充材料").click()
    expect(page.locator("#state")).to_have_text("处置中")
    page.goto(f"{live_server}/")
    assert todo_count(page, "待企业补充的诉求") == waiting - 1
    page.get_by_role("link", name="我可享受的政策").click()
    expect(page.locator("h1")).to_contain_text(f"{LAST} 年度可享政策")
    could = page.locator("#eligible details, #near details, #unknown details")
    assert could.count() >= 1
