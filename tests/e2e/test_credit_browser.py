"""In a real browser: the finance office runs and publishes a knowledge-value credit evaluation;
the firm sees its grade with each indicator and consents; a bank token reads the consenting
firm's grade and is refused for the other; the chain page and the cockpit show the chain's
capital; no console or script errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.capital.conftest import zone as zone  # the fixture
from tests.capital.test_chain_capital import on_chain as on_chain  # the fixture
from tests.capital.test_credit import credit_data as credit_data  # the fixture
from tests.e2e.test_browser import sign_in
from wulian.enterprises import read


def test_a_credit_run_is_published_and_read_by_a_bank(
    page: Page, live_server, app, world, credit_data, on_chain
):
    zone = credit_data
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "fin1")

    page.get_by_role("link", name="基金矩阵", exact=True).click()
    page.get_by_role("link", name="知识价值信用评价").click()
    page.get_by_label("评价年度").fill("2025")
    page.get_by_role("button", name="运行评价").click()
    results = page.locator("#credit-results")
    expect(results.locator(f"tr[data-firm='{zone.firm}']")).to_contain_text("C")
    expect(results.locator(f"tr[data-firm='{zone.firm}']")).to_contain_text("500 万元")
    expect(results.locator(f"tr[data-firm='{zone.firm_b}']")).to_contain_text("资料不足")
    expect(page.locator("#credit-runs")).to_contain_text("草稿")
    page.locator("#credit-runs").get_by_role("button", name="发布").click()
    expect(page.locator("#credit-runs")).to_contain_text("已发布")

    page.goto(f"{live_server}/atlas/lithium")
    expect(page.locator("#chain-capital-summary")).to_contain_text("基金投资 2.00 亿元（1 笔）")
    expect(page.locator("#chain-capital-nodes")).to_contain_text("负极材料")
    page.goto(f"{live_server}/cockpit")
    expect(page.locator("#cockpit-capital tr[data-chain='lithium']")).to_contain_text("300 万元")

    page.context.clear_cookies()
    sign_in(page, live_server, "firm_user")
    page.goto(f"{live_server}/capital/credit/firms/{zone.firm}")
    expect(page.locator("#credit-grade")).to_contain_text("C 级")
    expect(page.locator("#credit-indicators")).to_contain_text("研发费用占营业收入比例")
    expect(page.locator("#credit-indicators")).to_contain_text("8.0%")
    page.locator("#consent-button").click()
    expect(page.locator("#credit-consent")).to_contain_text("已授权合作银行")

    secret = app.state.settings.session_secret
    bank = {"Authorization": f"Bearer {world.token('合作银行', ['innovation:credit'], secret)}"}
    codes = world.run(lambda s: {i: read.get_or_raise(s, i).uscc for i in (zone.firm, zone.firm_b)})
    read_ok = page.request.get(f"{live_server}/api/v1/capital/credit/grades/{codes[zone.firm]}",
                               headers=bank)  # fmt: skip
    assert read_ok.status == 200
    assert read_ok.json()["grade"] == "C"
    refused = page.request.get(
        f"{live_server}/api/v1/capital/credit/grades/{codes[zone.firm_b]}", headers=bank
    )
    assert refused.status == 403
    assert "未授权" in refused.text()
    assert errors == []
