"""In a real browser: the finance office opens the fund matrix, a fund invests in a project of the
investment pipeline (以投促引) and the leverage figures update; an amount typed in the wrong unit
is explained in Chinese; a default moves the risk-compensation pool past its warning; no console
or script errors beyond the one refusal; a firm's 一企一策 plan lists a product with its reasons."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.capital.conftest import commit, fund
from tests.capital.conftest import zone as zone  # the fixture
from tests.capital.test_loans import loan, pool
from tests.capital.test_products import product
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import sign_in


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(Path(ARTIFACTS) / f"capital-{name}.png"), full_page=True)


def test_a_fund_invests_in_a_project_and_a_default_warns_the_pool(
    page: Page, live_server, world, zone
):
    fin = zone.actor(world, "fin1")
    mother = fund(world, fin, "衢州产业母基金", "mother", reinvest_pct="50")
    commit(world, fin, mother, "市财政局", "government", "10", "4")
    pid = pool(world, fin)
    for _ in range(4):
        loan(world, fin, pool_id=pid, granted="235", disbursed="235")
    bad = loan(world, fin, pool_id=pid, granted="60", disbursed="60")
    product(world, fin, "科技贷", "园区企业: in_zone\n纳税额不低于 50 万元: tax_paid >= 50")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "fin1")

    page.get_by_role("link", name="基金矩阵", exact=True).click()
    row = page.locator("#funds tr[data-fund]").first
    expect(row.locator(".leverage")).to_contain_text("0.00 倍")  # nothing invested yet
    shot(page, "matrix-before")

    row.get_by_role("link", name="衢州产业母基金").click()
    form = page.locator("#invest-form")
    form.get_by_label("招商项目（以投促引）").check()
    page.locator("#invest-project").select_option(str(zone.project))
    page.locator("#invest-amount").fill("30000")
    page.locator("#invest-unit").select_option("亿元")
    form.get_by_role("button", name="登记投资").click()
    expect(page.get_by_role("alert")).to_contain_text("疑似按万元填写（按万元即 3 亿元）")
    form = page.locator("#invest-form")
    page.locator("#invest-amount").fill("3")
    form.get_by_role("button", name="登记投资").click()
    expect(page.locator("#invested")).to_be_visible()
    expect(page.locator("#investments")).to_contain_text("年产 5 万吨正极材料项目")
    expect(page.locator("#fund-stats")).to_contain_text("5.00 倍")  # 20亿 ÷ 4亿 paid in
    shot(page, "fund")

    page.get_by_role("link", name="基金矩阵").first.click()
    expect(page.locator("#funds tr[data-fund] .leverage").first).to_contain_text("5.00 倍")
    expect(page.locator("#matrix-stats")).to_contain_text("以投促引项目")
    expect(page.locator("#by-chain")).to_contain_text("锂电新材料")
    shot(page, "matrix-after")

    page.get_by_role("link", name="贷款与风险池").first.click()
    expect(page.locator("#pools tr[data-pool]")).to_have_class("pool-ok")
    loan_row = page.locator(f"#loans tr[data-loan='{bad}']")
    loan_row.get_by_label("状态").select_option("default")
    loan_row.get_by_role("button", name="保存").click()
    expect(page.locator("#updated")).to_be_visible()
    expect(page.locator("#pools tr[data-pool]")).to_have_class("pool-warn")
    expect(page.locator("[data-pool-alert]")).to_contain_text("不良率 6.00%，超过预警线 5%")
    shot(page, "loans")
    page.get_by_role("link", name="基金矩阵").first.click()
    expect(page.locator("[data-pool-alert]")).to_contain_text("科技贷风险池")

    page.goto(f"{live_server}/capital/plans/{zone.firm}")
    plan = page.locator("section.match").first
    expect(plan).to_contain_text("科技贷")
    expect(plan).to_contain_text("接近符合")
    expect(plan).to_contain_text("✓ 园区企业")
    expect(plan).to_contain_text("缺少数据：纳税额")
    expect(page.locator("#to-add")).to_contain_text("纳税额")
    shot(page, "plan")
    assert errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
