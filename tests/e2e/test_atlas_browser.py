"""In a real browser, on the demo zone: a 招商 officer opens the 招商图谱 from the dashboard, picks
a chain and its most important gap, reads the five layers, records an approach plan for a ranked
target, turns it into a lead, takes the lead through the pipeline to 签约 and 开工, uploads its
投资协议, and the dashboard counts it; no console or script errors on any page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import sign_in
from tests.e2e.test_investment_browser import signed_count
from wulian.core.permissions import Role


def shot(page: Page, name: str) -> None:
    folder = Path(ARTIFACTS) / "atlas"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


@pytest.mark.demo
def test_from_a_gap_of_the_atlas_to_a_signed_and_started_project(page: Page, live_server, world):
    team = world.department("investment", "投资促进局（招商）")
    world.user("invest1", Role.OFFICER, department_id=team)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server, "invest1")
    before = signed_count(page, live_server)

    page.locator("#to-atlas").click()
    expect(page.locator("#atlas-chains tbody tr")).to_have_count(6)
    page.locator("#atlas-chains").get_by_role("link", name="锂电新材料").click()
    expect(page.locator("h1")).to_contain_text("锂电新材料招商图谱")
    expect(page.locator("#roadmap canvas")).to_have_count(1)  # the roadmap is drawn
    expect(page.locator("#chart-atlas-domains canvas")).to_have_count(1)
    expect(page.locator("#gap-table")).to_contain_text("补链")
    expect(page.locator("#gap-table")).to_contain_text("电动船舶")  # 延链: no shipyard here
    shot(page, "chain")

    first = page.locator("#gap-table tbody tr").first
    gap_name = first.locator("th a").inner_text()
    first.locator("th a").click()
    expect(page.locator("h1")).to_contain_text(gap_name)
    for layer in ("#path", "#match", "#targets", "#plans"):
        expect(page.locator(layer)).to_be_visible()
    expect(page.locator("#statements li").first).to_be_visible()
    expect(page.locator("#target-table tbody tr").first).to_contain_text("营收")  # a reason
    shot(page, "gap")

    pick = page.locator("[data-plan-target]").first
    target = page.locator("#target-table tbody tr", has=pick).locator("td a").first.inner_text()
    pick.click()
    expect(page.locator("#plan-target option:checked")).to_contain_text(target)
    page.locator("#new-route").select_option(label="展会/活动招商")
    page.locator("#new-steps").fill("在锂电产业展会上接洽，邀请来园区考察")
    page.locator("#new-next").fill("寄送园区配套资料")
    page.locator("#new-plan").get_by_role("button", name="登记").click()
    expect(page.locator("#planned")).to_be_visible()
    plan = page.locator("article", has_text=target)
    expect(plan).to_contain_text("展会/活动招商")
    plan.get_by_label("预计总投资（亿元）").fill("6")
    plan.get_by_role("button", name="转为项目线索").click()

    expect(page.locator("#created")).to_be_visible()
    expect(page.locator("#from-plan")).to_contain_text(target)
    expect(page.locator("#project-stage")).to_contain_text("线索")
    for name in ["接洽", "考察", "洽谈", "签约", "供地/落地", "开工"]:
        page.locator("#to-stage").select_option(label=name)
        page.locator("#move").get_by_role("button", name="保存").click()
        expect(page.locator("#moved")).to_contain_text(f"阶段已更新为“{name}”")
    shot(page, "project")
    project = page.url.split("?")[0]
    agreement = Path(ARTIFACTS) / "atlas" / "投资协议.pdf"
    agreement.write_bytes(b"%PDF-1.4\n" + b"0" * 200)
    page.locator("#document-form select[name=kind]").select_option(label="投资协议")
    page.locator("#document-form input[type=file]").set_input_files(str(agreement))
    page.locator("#document-form").get_by_role("button", name="上传").click()
    expect(page.locator("#uploaded")).to_be_visible()
    expect(page.locator("#document-list")).to_contain_text("投资协议.pdf")

    assert signed_count(page, live_server) == before + 1
    expect(page.locator("#funnel")).to_contain_text("锂电新材料")
    page.goto(f"{live_server}/investment/atlas/lithium")
    row = page.locator("#chain-plans tbody tr", has_text=target)
    expect(row).to_contain_text("已转为线索")
    row.get_by_role("link", name="已转为线索").click()
    expect(page).to_have_url(project)
    expect(page.locator("#project-stage")).to_contain_text("开工")
    assert errors == []
