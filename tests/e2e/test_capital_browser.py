"""In a real browser: the finance office opens the fund matrix, a fund invests in a project of the
investment pipeline (以投促引) and the leverage figures update; an amount typed in the wrong unit
is explained in Chinese; a default moves the risk-compensation pool past its warning; no console
or script errors beyond the one refusal; a firm's 一企一策 plan lists a product with its reasons."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.capital.conftest import TODAY, commit, fund
from tests.capital.conftest import zone as zone  # the fixture
from tests.capital.test_loans import loan, pool
from tests.capital.test_products import product
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import sign_in
from wulian.capital import loans


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

    # the defaulted loan's firm: no product qualifies while the default stands, and it says why
    page.goto(f"{live_server}/capital/plans/{zone.firm}")
    expect(page.locator("#troubled")).to_contain_text("违约")
    expect(page.locator("body")).to_contain_text("暂无符合或接近符合条件的产品")
    world.run(
        lambda s: loans.update(s, actor=fin, today=TODAY, loan_id=bad, status="normal")
    )  # the default cleared
    page.goto(f"{live_server}/capital/plans/{zone.firm}")
    expect(page.locator("#troubled")).to_have_count(0)
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


def test_a_need_goes_to_an_event_and_its_outcome_adds_to_the_totals(
    page: Page, live_server, world, zone
):
    fin = zone.actor(world, "fin1")
    product(world, fin, "科技贷", "园区企业: 园区企业")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "fin1")
    page.get_by_role("link", name="融资需求", exact=True).click()
    form = page.locator("#need-form")
    form.get_by_label("企业").fill("衢州锂测材料有限公司")
    form.get_by_label("融资金额（万元）").fill("800")
    form.get_by_label("资金用途").fill("流动资金")
    form.get_by_role("button", name="登记").click()
    expect(page.locator("#created")).to_be_visible()
    expect(page.locator("#needs")).to_contain_text("800")

    page.get_by_role("link", name="银企对接", exact=True).first.click()
    expect(page.locator("#invitations")).to_contain_text("科技贷")
    expect(page.locator("#invite-lenders")).to_contain_text("衢州某银行")
    form = page.locator("#event-form")
    form.get_by_label("活动名称").fill("锂电产业链银企对接会")
    form.get_by_label("日期").fill("2026-05-20")
    form.get_by_label("参会机构（用顿号分隔）").fill("衢州某银行")
    expect(form.get_by_label("参会企业（全称或统一社会信用代码，用顿号分隔）")).to_have_value(
        "衢州锂测材料有限公司"
    )
    form.get_by_role("button", name="登记").click()
    outcome = page.locator("#outcome-form")
    outcome.get_by_label("授信（万元）").fill("1200")
    outcome.get_by_label("放款（万元）").fill("500")
    outcome.get_by_role("button", name="登记").click()
    expect(page.locator("#recorded")).to_be_visible()
    expect(page.locator("#event-totals")).to_contain_text("1,200")
    expect(page.locator("#outcomes")).to_contain_text("500")
    shot(page, "event")
    page.get_by_role("link", name="银企对接").first.click()
    expect(page.locator("#events-years")).to_contain_text("1,200")
    assert errors == []


def test_a_wrong_listing_stage_is_corrected_then_withdrawn(page: Page, live_server, world, zone):
    import datetime as dt

    from tests.capital.test_listings import add, move

    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "fin1")
    page.goto(f"{live_server}/capital/listings")
    form = page.locator("#listing-correct")
    form.get_by_label("阶段").select_option("shareholding")
    form.get_by_label("日期").fill("2025-04-08")
    form.get_by_label("原因").fill("股改日期录错")
    form.get_by_role("button", name="更正").click()
    expect(page.locator("#corrected")).to_be_visible()
    expect(page.locator(f'tr[data-listing="{case}"]')).to_contain_text("股改 2025-04-08")
    withdraw = page.locator("#listing-withdraw")
    withdraw.get_by_label("原因").fill("尚未完成股改，误登记")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    withdraw.get_by_role("button", name="撤回最近阶段").click()
    expect(page.locator("#withdrawn")).to_be_visible()
    expect(page.locator(f'tr[data-listing="{case}"] .stage')).to_have_text("上市后备")
    assert len(asked) == 1
    assert asked[0].startswith("确定撤回所选企业最近一次推进的阶段吗")
    shot(page, "listing-withdrawn")
    assert errors == []
