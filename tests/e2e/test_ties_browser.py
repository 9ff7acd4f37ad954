"""In a real browser, on the demo zone: a 招商 officer opens 链上往来 from the menu, enters a tie
(an amount typed in 元 is refused with the reason, then entered right), finds a tied target on a
gap of the 招商图谱 with its ties points and reason, and the plan form comes prefilled with
以商招商 through the tied zone firm; an enterprise user is refused the page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.e2e.test_atlas_browser import shot
from tests.e2e.test_browser import sign_in
from wulian.core.permissions import Role
from wulian.enterprises.models import Enterprise


@pytest.mark.demo
def test_ties_from_the_page_to_a_suggested_route(page: Page, live_server, world):
    team = world.department("investment", "投资促进局（招商）")
    world.user("invest1", Role.OFFICER, department_id=team)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "invest1")

    page.get_by_role("link", name="链上往来", exact=True).click()
    rows = page.locator("#tie-table tbody tr[data-tie]")
    expect(rows.first).to_be_visible()  # the demo's ties
    demo_ties = rows.count()
    zone_firm = rows.first.locator("td").first.inner_text()
    page.locator("#tie-zone").fill(zone_firm)
    page.locator("#tie-direction").select_option("sells")
    page.locator("#tie-partner").fill("浏览器测试外地材料有限公司")
    page.locator("#tie-product").fill("浏览器测试产品")
    page.locator("#tie-amount").fill("35000000")  # typed in 元 by mistake
    page.locator("#tie-form").get_by_role("button", name="登记").click()
    expect(page.get_by_role("alert")).to_contain_text("疑似按元填写（按元即 3500 万元）")
    page.locator("#tie-amount").fill("3500")
    page.locator("#tie-form").get_by_role("button", name="登记").click()
    expect(page.locator("#tie-saved")).to_be_visible()
    expect(rows).to_have_count(demo_ties + 1)
    expect(page.locator("#tie-table")).to_contain_text("浏览器测试外地材料有限公司")
    shot(page, "ties")

    gaps: list[str | None] = []
    for chain in ("lithium", "fluorosilicon", "special_paper"):
        page.goto(f"{live_server}/investment/atlas/{chain}")
        gaps += [a.get_attribute("href") for a in page.locator("#gap-table tbody tr th a").all()]
    tied = None
    for href in gaps:
        page.goto(f"{live_server}{href}")
        found = page.locator(
            "#target-table tbody tr", has_text="链上往来：", has=page.locator("[data-plan-target]")
        )
        if found.count():
            tied = found.first
            break
    assert tied is not None, "no tied target on the chain's first gaps"
    target = tied.locator("td a").first.inner_text()
    expect(tied).to_contain_text(re.compile(r"链上往来：(向|从)园区企业"))
    tied.locator("[data-plan-target]").click()
    expect(page.locator("#plan-target option:checked")).to_contain_text(target)
    expect(page.locator("#plan-suggested")).to_contain_text("建议以商招商")
    expect(page.locator("#new-route")).to_have_value("business")
    via = page.locator("#new-via option:checked").inner_text().split("（")[0]
    assert via
    expect(page.locator("#plan-suggested")).to_contain_text(f"可请{via}牵线")
    shot(page, "suggested")
    # another target chosen in the form: its own suggestion (or none), never the first one's
    others = page.locator("#plan-target option:not(:checked)").filter(has_not_text="请选择")
    other = others.first.get_attribute("value")
    assert other
    page.locator("#plan-target").select_option(other)
    page.wait_for_url(re.compile(rf"target={other}"))
    expect(page.locator("#plan-target option:checked")).to_have_attribute("value", other)
    hint = page.locator("#plan-suggested")
    if hint.count():
        expect(hint).not_to_contain_text(f"建议以商招商：{target}")
    # the 422 of the refused amount is the browser's only complaint
    assert errors == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]


@pytest.mark.demo
def test_an_enterprise_user_never_sees_ties(page: Page, live_server, world):
    firm = world.scalar(sa.select(Enterprise.id).where(Enterprise.in_zone).limit(1))  # a demo firm
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    sign_in(page, live_server, "firm1")
    expect(page.get_by_role("link", name="链上往来", exact=True)).to_have_count(0)
    answer = page.goto(f"{live_server}/investment/ties")
    assert answer is not None
    assert answer.status == 403
