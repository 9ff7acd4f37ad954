"""In a real browser: a 链上往来 typed with several mistakes (a suspect amount among them) shows
them all at once as a numbered list and keeps the input; corrected and confirmed, it is saved; its
删除 asks first, naming the tie, and deletes once accepted. No console errors beyond the one
refusal."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.test_browser import sign_in
from tests.investment.test_atlas import mapped as mapped  # the fixture


def test_a_tie_form_names_every_problem_and_delete_asks(page: Page, live_server, world, mapped):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "officer_a")
    page.goto(f"{live_server}/investment/ties")
    page.locator("#tie-zone").fill("图谱电芯有限公司")
    page.locator("#tie-partner").fill("园外塑料有限公司")
    page.locator("#tie-product").fill("隔膜基膜")
    page.locator("#tie-amount").fill("0.5")
    page.locator("#tie-year").fill("25")
    page.locator("#tie-form").get_by_role("button", name="登记").click()
    problems = page.locator("#form-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("疑似按亿元填写（按亿元即 5000 万元）")
    expect(problems.nth(1)).to_contain_text("年度应为四位数字")
    expect(page.locator("#tie-amount")).to_have_value("0.5")
    page.locator("#tie-year").fill("2025")
    page.locator("#tie-confirm").check()
    page.locator("#tie-form").get_by_role("button", name="登记").click()
    expect(page.locator("#tie-saved")).to_be_visible()
    rows = page.locator("#tie-table tbody tr[data-tie]")
    expect(rows).to_have_count(1)
    asked: list[str] = []

    def accept(dialog):
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    rows.first.get_by_role("button", name="删除").click()
    expect(page.locator("#tie-deleted")).to_be_visible()
    expect(rows).to_have_count(0)
    assert asked == [
        "确定删除这条往来吗？图谱电芯有限公司 采购自 园外塑料有限公司（隔膜基膜，2025 年）。"
        "删除后招商图谱不再按它计分。"
    ]
    assert errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
