"""In a real browser, on the demo zone: the science bureau's innovation points (the last year's
list on notice, a new version of a spec with its diff, a run, the rank-interval chart) and a firm's
portrait with an objection."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LAST
from tests.e2e.test_browser import sign_in, sign_out
from wulian.core.permissions import Role


@pytest.mark.demo
def test_innovation_points_on_the_demo_zone(page: Page, live_server, world):
    world.user("analyst1", Role.ANALYST, department_id=world.department())
    sign_in(page, live_server, "analyst1")

    page.get_by_role("link", name="创新积分", exact=True).click()
    runs = page.locator("#runs")
    expect(runs).to_contain_text("公示中")
    expect(runs).to_contain_text("已发布")
    runs.get_by_role("link", name="#2").click()
    expect(page.locator("#run-status")).to_have_text("公示中")
    expect(page.locator("#ranking tbody tr").first).to_contain_text("领跑榜")
    page.get_by_role("link", name=re.compile("^成长期")).click()
    expect(page.locator("#ranking tbody tr").first.locator("td").first).to_have_text("1")
    with page.expect_download() as download:
        page.get_by_role("link", name="导出榜单（xlsx）").click()
    assert download.value.suggested_filename.endswith(".xlsx")

    page.get_by_role("link", name="排名稳定性").click()
    expect(page.locator("#intervals svg")).to_be_visible()
    expect(page.locator("#intervals svg circle")).to_have_count(30)

    page.goto(f"{live_server}/innovation/specs")
    page.locator("table[data-code=national]").get_by_role("link", name="第 1 版").click()
    editor = page.get_by_label("规格文件")
    text = editor.input_value()
    editor.fill(text.replace("weight: 50, cohort_weights", "weight: 五十, cohort_weights"))
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#problems")).to_contain_text("应为数字")
    editor.fill(
        text.replace("{初创期: 55, 成长期: 50, 稳定期: 45}", "{初创期: 60, 成长期: 50, 稳定期: 40}")
    )
    page.get_by_label("修改说明").fill("初创期更看重技术创新")
    page.get_by_role("button", name="保存").click()
    expect(page.locator("#saved")).to_contain_text("第 2 版")
    expect(page.locator("#diff .diff-add")).to_contain_text("初创期: 60")

    page.get_by_role("link", name="创新积分", exact=True).click()
    page.get_by_label("评价方案").select_option(
        label="企业创新积分（国家核心指标·默认权重）（第 2 版）"
    )
    page.get_by_label("评价年度").fill(LAST)
    page.get_by_role("button", name="开始评价").click()
    expect(page.locator("#run-status")).to_have_text("草稿")
    first = page.locator("#ranking tbody tr").first
    first.get_by_role("link").click()
    expect(page.locator("#radar svg")).to_be_visible()
    expect(page.locator("#gains li").first).to_contain_text("积分可增加")
    sign_out(page)

    world.user("firm1", Role.ENTERPRISE, enterprise_id=1)
    sign_in(page, live_server, "firm1")
    page.get_by_role("link", name="我的创新积分").click()
    expect(page.locator("#points")).not_to_have_text("—")
    page.get_by_label(re.compile("请写明哪一项")).fill("研发费用应为 320 万元，已上传审计报告")
    page.get_by_role("button", name="提出异议").click()
    expect(page.locator("#objected")).to_be_visible()
    expect(page.locator("#objection-box")).to_contain_text("待答复")
    # the demo's first firm consented to banks; it withdraws, then grants again
    expect(page.locator("#consent-state")).to_have_text("已授权")
    page.get_by_role("button", name="撤销授权").click()
    expect(page.locator("#consent-state")).to_have_text("未授权")
    page.get_by_role("button", name="授权银行查看").click()
    expect(page.locator("#consent-state")).to_have_text("已授权")
