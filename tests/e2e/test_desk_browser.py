"""In a real browser, on the demo zone: a firm submits a request on the portal (the platform
suggests its category), the service centre accepts and assigns it, the land bureau handles it,
asks for a document, the firm supplies it, the bureau replies and closes, the firm rates it; the
leaders' statistics count it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.conftest import SYSTEM
from tests.e2e.test_browser import sign_in, sign_out
from wulian.core.permissions import Role
from wulian.demo import build
from wulian.enterprises.models import Enterprise


def test_a_request_through_its_whole_life_on_the_demo_zone(
    page: Page, live_server, world, tmp_path
):
    world.run(lambda s: build.build(s, actor=SYSTEM, data_dir=tmp_path))
    firm_id = world.scalar(
        sa.select(Enterprise.id).where(Enterprise.in_zone).order_by(Enterprise.id)
    )
    centre = world.department("business-env", "营商环境办（企业服务中心）")
    land = world.department("planning", "自然资源和规划分局")
    world.user("firm", Role.ENTERPRISE, enterprise_id=firm_id)
    world.user("centre", Role.OFFICER, department_id=centre)
    world.user("land", Role.OFFICER, department_id=land)
    world.user("boss", Role.ANALYST)

    sign_in(page, live_server, "firm")
    page.get_by_role("link", name="提交诉求", exact=True).click()
    page.get_by_label("标题").fill("三期厂房用地预审迟迟未出")
    page.get_by_label("诉求内容").fill(
        "三期项目 40 亩用地指标已报批两个月，请协调规划分局出具用地预审意见。"
    )
    expect(page.locator("#suggestion")).to_contain_text("用地保障")
    page.get_by_label("涉及面积（亩）").fill("40")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("status")).to_contain_text("诉求已提交，受理编号")
    tracking = page.locator("#tracking-no").inner_text()
    expect(page.locator("#state")).to_have_text("待受理")
    sign_out(page)

    sign_in(page, live_server, "centre")
    page.get_by_role("link", name="企呼我应", exact=True).click()
    page.get_by_placeholder("标题关键词或受理编号").fill(tracking)
    page.get_by_role("button", name="筛选").click()
    page.get_by_role("link", name=tracking).click()
    page.locator("form[data-action='accept']").get_by_role("button", name="受理").click()
    expect(page.locator("#state")).to_have_text("已受理")
    assign = page.locator("form[data-action='assign']")
    expect(assign.get_by_label("交办部门")).to_have_value("planning")  # the route's suggestion
    assign.get_by_role("button", name="交办").click()
    expect(page.locator("#department")).to_contain_text("自然资源和规划分局")
    sign_out(page)

    sign_in(page, live_server, "land")
    page.get_by_role("link", name="企呼我应", exact=True).click()
    page.locator("#queue").get_by_role("link", name=tracking).click()
    page.locator("form[data-action='handle']").get_by_role("button", name="开始处置").click()
    suspend = page.locator("form[data-action='suspend']")
    suspend.get_by_label("挂起待补充理由").fill("请补充项目备案证明")
    suspend.get_by_role("button", name="挂起待补充").click()
    expect(page.locator("#state")).to_have_text("待企业补充")
    expect(page.locator("#clocks tr[data-clock='closure']")).to_contain_text("暂停计时")
    sign_out(page)

    sign_in(page, live_server, "firm")
    page.get_by_role("link", name="我的诉求", exact=True).click()
    page.get_by_role("link", name=tracking).click()
    supply = page.locator("form[data-action='supply']")
    supply.get_by_label("补充材料内容").fill("项目备案证明已上传")
    supply.locator("input[type=file]").set_input_files(
        files=[
            {"name": "备案证明.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}
        ]
    )
    supply.get_by_role("button", name="补充材料").click()
    expect(page.locator("#state")).to_have_text("处置中")
    expect(page.locator("#attachments")).to_contain_text("备案证明.pdf")
    sign_out(page)

    sign_in(page, live_server, "land")
    page.goto(f"{live_server}/desk?q={tracking}")
    page.get_by_role("link", name=tracking).click()
    reply = page.locator("form[data-action='reply']")
    reply.get_by_label("反馈结果内容").fill("用地预审意见已出具，请到窗口领取")
    reply.get_by_role("button", name="反馈结果").click()
    page.locator("form[data-action='close']").get_by_role("button", name="办结").click()
    expect(page.locator("#state")).to_have_text("已办结")
    sign_out(page)

    sign_in(page, live_server, "firm")
    page.goto(f"{live_server}/desk")
    page.get_by_role("link", name=tracking).click()
    expect(page.locator("#timeline")).to_contain_text("用地预审意见已出具")
    rate = page.locator("form[data-action='rate']")
    rate.get_by_label("评分").select_option("5")
    rate.get_by_role("button", name="评价").click()
    expect(page.locator("#rating")).to_contain_text("5 分")
    sign_out(page)

    sign_in(page, live_server, "boss")
    page.get_by_role("link", name="诉求统计", exact=True).click()
    total = page.locator("#kpis .stat").first.locator(".stat-value").inner_text()
    assert int(re.sub(r"\D", "", total)) >= 200
    expect(page.locator("#by-category")).to_contain_text("用地保障")
    expect(page.locator("#overdue tbody tr").first).to_contain_text("QH")
