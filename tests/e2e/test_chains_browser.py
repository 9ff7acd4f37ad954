"""In a real browser, on the demo zone: the chain office opens the atlas, a chain's map, a node
from the map, confirms a firm in the review queue and finds it placed on the firm's page,
updates an N个一 item, and confirms every proposal the filtered queue holds after a
confirmation; no console errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import sign_in
from wulian.core.permissions import Role


@pytest.mark.demo
def test_the_chain_office_on_the_demo_zone(page: Page, live_server, world):
    office = world.department("chain-office", "产业链专班（链长办）")
    world.user("chain1", Role.OFFICER, department_id=office)
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "chain1")

    page.get_by_role("link", name="产业链图谱", exact=True).click()
    chains = page.locator("#chains")
    expect(chains.locator("tbody tr")).to_have_count(6)
    chains.get_by_role("link", name="锂电新材料").click()
    expect(page.get_by_role("heading", name="锂电新材料")).to_be_visible()
    chain_map = page.locator("#chart-chain-map")
    expect(chain_map.locator(".chart-area canvas")).to_be_visible()
    chain_map.get_by_role("button", name="表").click()  # the map's table, with links
    expect(chain_map.locator('a[data-node="separator"]')).to_have_attribute("data-rating", "缺")
    expect(page.locator("#gaps tbody tr").first).to_contain_text("缺")
    chain_map.locator('a[data-node="cathode"]').click()
    expect(page.get_by_role("heading", name="正极材料")).to_be_visible()
    expect(page.locator("#node-firms tbody tr").first).to_contain_text("有限公司")
    page.go_back()

    row = page.locator("#items tr[data-item='policy']")
    row.get_by_label("一套支持政策状态").select_option("推进中")
    row.get_by_label("一套支持政策备注").fill("政策初稿已征求意见")
    row.get_by_role("button", name="保存").click()
    expect(page.locator("#items tr[data-item='policy'] input[name='note']")).to_have_value(
        "政策初稿已征求意见"
    )

    page.get_by_role("link", name="归链复核", exact=True).first.click()
    first = page.locator("#queue tbody tr").first
    name = first.locator("td").nth(1).get_by_role("link").inner_text()
    first.get_by_role("button", name=f"确认{name}").click()
    expect(page.locator("#queue")).not_to_contain_text(name)
    page.get_by_label("状态").select_option("confirmed")
    page.get_by_role("button", name="筛选").click()
    page.locator("#queue").get_by_role("link", name=name).click()
    expect(page.locator("#chain-positions")).to_contain_text("已确认")
    expect(page.locator("#chain-positions")).to_contain_text("chain1")

    # every proposal that matches the filter, in pinyin order, confirmed after a confirmation
    page.goto(f"{live_server}/atlas/review")
    filters = page.locator("#review-filters")
    filters.get_by_label("排序").select_option("firm")
    filters.get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"sort=firm"))
    total = page.locator("#matching-total").inner_text()
    page.get_by_role("button", name="全部确认…").click()
    expect(page.locator("#confirm-matching .matching-count")).to_have_text(total)
    page.get_by_role("button", name=re.compile(r"^确认通过归链复核")).click()
    expect(page.locator("#confirmed")).to_contain_text(f"已确认 {total.replace(',', '')} 条归链")
    expect(page.locator("#queue")).to_contain_text("没有符合条件的记录")
    assert console_errors == []
