"""In a real browser, on the demo zone: a 招商 officer enters a new lead, takes it through the
pipeline to 签约 and 开工 on its page (a jump the stage table refuses is explained in Chinese),
finds it in the filtered list, and the dashboard counts it; no console or script errors."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import sign_in
from wulian.core.permissions import Role


def signed_count(page: Page, base: str) -> int:
    page.goto(f"{base}/investment/dashboard")
    text = page.locator("#signed-stats .stat").first.locator(".stat-value").inner_text()
    return int(text.replace(",", ""))


@pytest.mark.demo
def test_a_lead_through_the_pipeline_to_the_dashboard(page: Page, live_server, world):
    team = world.department("investment", "投资促进局（招商）")
    world.user("invest1", Role.OFFICER, department_id=team)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "invest1")

    page.get_by_role("link", name="项目库", exact=True).click()
    expect(page.locator("#pipeline tbody tr")).to_have_count(50)  # the demo's hundred, paged
    before = signed_count(page, live_server)

    page.goto(f"{live_server}/investment")
    page.locator("#new-lead").click()
    page.get_by_label("项目名称").fill("浏览器测试硅基负极材料项目")
    page.get_by_label("或新企业名称").fill("杭州硅测新材料有限公司")
    page.get_by_label("总投资（亿元）").fill("50000")  # typed in 万元 by mistake
    page.get_by_label("产业链（可选）").select_option("lithium")
    page.get_by_label("项目来源").select_option("fund")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_role("alert")).to_contain_text("疑似按万元填写（按万元即 5 亿元）")
    page.get_by_label("总投资（亿元）").fill("5")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#created")).to_be_visible()
    expect(page.locator("#project-amount")).to_contain_text("5 亿元")
    expect(page.locator("#project-stage")).to_contain_text("线索")

    steps = ["接洽", "考察", "洽谈", "签约", "供地/落地", "开工"]
    for name in steps:
        page.locator("#to-stage").select_option(label=name)
        page.locator("#move").get_by_role("button", name="保存").click()
        expect(page.locator("#moved")).to_contain_text(f"阶段已更新为“{name}”")
    expect(page.locator("#history tbody tr")).to_have_count(7)
    expect(page.locator("#project-facts")).not_to_contain_text("未签约")
    url = page.url

    page.goto(f"{live_server}/investment?stage=started&q=" + "硅测")
    expect(page.locator("#pipeline tbody tr")).to_have_count(1)
    expect(page.locator("#pipeline")).to_contain_text("浏览器测试硅基负极材料项目")
    page.locator("#pipeline-filters").get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"stage=started"))

    assert signed_count(page, live_server) == before + 1
    expect(page.locator("#funnel")).to_contain_text("锂电新材料")
    page.goto(url.split("?")[0])
    expect(page.locator("#project-stage")).to_contain_text("开工")
    # the one refusal (422, the amount typed in 万元) is the browser's only complaint
    assert errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
