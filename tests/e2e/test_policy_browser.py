"""In a real browser, on the demo zone: the policy library and a policy in readable form, the
last year's evaluation, a payout list with what-if, an officer's approval (and the refusal of paying
twice), the cultivation pools, and a firm's own policy calculator."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LAST
from tests.e2e.test_browser import sign_in, sign_out
from wulian.core.permissions import Role

pytestmark = pytest.mark.demo  # a copy of the demo zone built once per run


def test_policies_on_the_demo_zone(page: Page, live_server, world):
    world.user("officer1", Role.OFFICER, department_id=world.department())
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "officer1")

    page.get_by_role("link", name="政策库").click()
    page.get_by_placeholder("搜索政策名称、文号、发文单位").fill("高新技术企业认定")
    page.get_by_role("button", name="搜索").click()
    expect(page.locator("#policies tbody tr")).to_have_count(1)
    page.get_by_role("link", name="高新技术企业认定").click()
    expect(page.locator("#document")).to_have_text("国科发火〔2016〕32号")
    rule = "企业创新能力评价得分 ≥ 企业创新能力评价合格线"
    expect(page.locator("#conditions")).to_contain_text(rule)
    expect(page.locator("#inputs")).to_contain_text("须企业填报")
    expect(page.locator("#tests .tag-ok")).to_have_count(5)

    page.get_by_role("link", name="政策兑现").click()
    page.locator("#runs").get_by_role("link", name="#2").click()
    row = page.locator("#summary tr[data-policy='rd_subsidy']")
    expect(row).to_contain_text("企业研发投入增量补助")
    row.get_by_role("link", name="企业研发投入增量补助").click()
    expect(page.locator("#payouts tbody tr").first).to_contain_text("免申即享")

    page.get_by_label("参数").select_option("rate")
    page.get_by_label("试算值").fill("20%")
    page.get_by_role("button", name="试算").click()
    expect(page.locator("#whatif-summary")).to_contain_text("0.15 → 0.2")
    expect(page.locator("#gainers tbody tr").first).to_be_visible()
    page.go_back()

    boxes = page.locator("#payouts input[type=checkbox]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="批准所选企业兑现").click()
    expect(page.locator("#approved")).to_contain_text("已批准兑现 2 家企业")
    expect(page.locator("#payouts .tag-ok", has_text="已兑现")).to_have_count(2)

    # the 免申即享 firms not yet paid, by name, all approved after a confirmation
    filters = page.locator("#payout-filters")
    filters.get_by_label("兑现方式").select_option("free")
    filters.get_by_label("兑现情况").select_option("unpaid")
    filters.get_by_label("排序").select_option("firm")
    filters.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"mode=free"))
    unpaid = page.locator("#count").inner_text()
    page.get_by_role("button", name="批准符合筛选条件、尚未兑现的全部企业…").click()
    expect(page.locator("#confirm-matching .matching-count")).to_have_text(unpaid)
    page.get_by_role("button", name=re.compile(r"^确认批准兑现")).click()
    expect(page.locator("#approved")).to_contain_text(f"已批准兑现 {unpaid.replace(',', '')} 家")

    page.get_by_role("link", name="梯度培育").click()
    expect(page.locator("#pool-kexing h2")).to_contain_text("科技型中小企业评价")
    expect(page.locator("#pool-kexing td").nth(2)).to_contain_text("需")
    page.get_by_label("培育称号").select_option("kexing")
    page.locator("#pool-filters").get_by_role("button", name="筛选").click()
    expect(page).to_have_url(re.compile(r"title=kexing"))
    expect(page.locator("section.card[id^=pool-]")).to_have_count(1)
    expect(page.locator("#pools-export")).to_have_attribute("href", re.compile(r"title=kexing"))
    sign_out(page)

    world.user("firm5", Role.ENTERPRISE, enterprise_id=5)
    sign_in(page, live_server, "firm5")
    page.get_by_role("link", name="我可享受的政策").click()
    expect(page.locator("h1")).to_contain_text(f"{LAST} 年度可享政策")
    expect(page.locator("#unknown")).to_contain_text("需补充")
    page.goto(f"{live_server}/policies/calculator/6")
    expect(page.locator("body")).to_contain_text("只能查看本企业")
    assert [e for e in console_errors if "403" not in e] == []  # the refused page is a 403
