"""In a real browser, on the demo zone: the economy bureau's 亩均效益 (the previous year's
published run and the last year's whose notice has ended, the zone view, class filters, a report
card, the low-efficiency list, publishing) and a firm's own report card."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LAST, PREVIOUS
from tests.e2e.test_browser import sign_in, sign_out
from wulian.core.permissions import Role

pytestmark = pytest.mark.demo  # a copy of the demo zone built once per run


def test_landuse_on_the_demo_zone(page: Page, live_server, world):
    world.user("analyst1", Role.ANALYST, department_id=world.department("economy", "经济信息化局"))
    sign_in(page, live_server, "analyst1")

    page.get_by_role("link", name="亩均效益", exact=True).click()
    runs = page.locator("#runs")
    expect(runs).to_contain_text("已发布")
    expect(runs).to_contain_text("公示中")
    runs.get_by_role("link", name="#2").click()
    expect(page.locator("#run-status")).to_have_text("公示中")
    expect(page.locator("#benchmarks")).to_contain_text("24.0970")
    expect(page.locator("#per-mu tbody tr").first).to_contain_text("全区")
    expect(page.locator("#histogram rect").first).to_be_visible()
    assert page.locator("#histogram rect").count() <= 30  # bins follow the scores, not 20 points
    expect(page.locator("#benchmarks")).to_contain_text("平台默认")
    expect(page.locator("#by-year")).to_contain_text(PREVIOUS)

    page.get_by_label("类别").select_option("A")
    page.get_by_label("分组").select_option("above")
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#results tbody tr")
    expect(rows.first.locator("td").nth(1).locator(".tag").first).to_have_text("A")
    expect(rows.first.locator("td").nth(2)).to_contain_text("1 /")

    page.get_by_label("类别").select_option("B")
    page.get_by_role("button", name="筛选").click()
    rows.first.get_by_role("link").click()
    expect(page.locator("#grade")).to_contain_text("B 类")
    expect(page.locator("#items tbody tr")).to_have_count(6)
    expect(page.locator("#next-class")).to_contain_text("怎样进入 A 类")
    expect(page.locator("#history")).to_contain_text(PREVIOUS)
    page.go_back()
    page.go_back()

    page.get_by_role("link", name="低效企业名单").click()
    expect(page.locator("#low tbody tr").first.locator("td").nth(3)).not_to_have_text("0")
    page.go_back()
    with page.expect_download() as download:
        page.get_by_role("link", name="导出名单（xlsx）").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("button", name="公示结束，正式发布").click()
    expect(page.locator("#run-status")).to_have_text("已发布")
    sign_out(page)

    world.user("firm3", Role.ENTERPRISE, enterprise_id=3)
    sign_in(page, live_server, "firm3")
    page.get_by_role("link", name="我的亩均效益评价").click()
    expect(page.locator("h1")).to_contain_text(f"{LAST} 年度亩均效益评价")
