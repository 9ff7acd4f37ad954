"""In a real browser: a 银企对接 event typed with two mistakes shows both at once and keeps what was
typed; corrected, it is registered. No console or script errors beyond the one refusal."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.capital.conftest import zone as zone  # the fixture
from tests.e2e.test_browser import sign_in
from tests.e2e.test_capital_browser import shot


def test_an_event_form_names_every_mistake_at_once(page: Page, live_server, world, zone):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "fin1")
    page.goto(f"{live_server}/capital/events")
    form = page.locator("#event-form")
    form.get_by_label("活动名称").fill("锂电产业链银企对接会")
    form.get_by_label("日期").fill("2030-01-01")
    form.get_by_label("参会机构（用顿号分隔）").fill("衢州某银行")
    firms = form.get_by_label("参会企业（全称或统一社会信用代码，用顿号分隔）")
    firms.fill("衢州锂测材料有限公司、没有这家公司")
    form.get_by_role("button", name="登记").click()
    problems = page.locator("#form-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("活动日期 2030-01-01 过远")
    expect(problems.nth(1)).to_contain_text("企业名录里没有“没有这家公司”")
    expect(form.get_by_label("活动名称")).to_have_value("锂电产业链银企对接会")
    expect(firms).to_have_value("衢州锂测材料有限公司、没有这家公司")
    shot(page, "event-problems")
    form.get_by_label("日期").fill("2026-05-20")
    firms.fill("衢州锂测材料有限公司")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("heading", name="锂电产业链银企对接会")).to_be_visible()
    assert errors == [  # the refused form's answer, and nothing else
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]
