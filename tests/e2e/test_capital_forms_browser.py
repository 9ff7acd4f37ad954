"""In a real browser: a 银企对接 event typed with two mistakes shows both at once and keeps what was
typed; corrected, it is registered. A firm put on the listing pipeline by mistake is removed after
the page asks; a 新三板 firm is moved on to 新三板创新层. No console or script errors beyond the
one refusal. A 新三板 firm's row offers only 北交所 as its board; the stage and board cells do
not wrap."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.capital.conftest import zone as zone  # the fixture
from tests.capital.test_listings import add, move
from tests.e2e.test_browser import sign_in
from tests.e2e.test_capital_browser import shot
from wulian.capital.models import ListingCase


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
    page.goto(f"{live_server}/capital/events")
    expect(page.locator("#events-chains-note")).to_contain_text("每家企业只计入其所属的一条产业链")
    assert errors == [  # the refused form's answer, and nothing else
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]


def test_a_firm_listed_by_mistake_is_removed_and_a_neeq_firm_moves_on(
    page: Page, live_server, world, zone
):
    fin = zone.actor(world, "fin1")
    wrong = add(world, fin, on=dt.date(2025, 1, 5))
    quoted = add(world, fin, firm="衢州硅测科技有限公司", on=dt.date(2024, 11, 1))
    move(world, fin, quoted, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, quoted, "neeq", on=dt.date(2025, 6, 1))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "fin1")
    page.goto(f"{live_server}/capital/listings")
    row = page.locator(f'tr[data-listing="{quoted}"]')
    # quoted on 新三板: 北交所 is the only board offered; a main-path firm is offered the others
    expect(row.get_by_label("板块").locator("option")).to_have_text(["板块不变", "北交所"])
    expect(page.locator(f'tr[data-listing="{wrong}"]').get_by_label("板块")).to_contain_text(
        "创业板"
    )
    for cell in (row.locator("td.stage"), row.locator("td.board")):  # 上市后备, 创业板 unbroken
        expect(cell).to_have_css("white-space", "nowrap")
    row.get_by_label("转到").select_option("neeq_innovation")
    row.get_by_role("button", name="推进").click()
    expect(page.locator("#moved")).to_be_visible()
    expect(page.locator(f'tr[data-listing="{quoted}"] .stage')).to_have_text("新三板创新层")
    remove = page.locator("#listing-remove")
    expect(remove.get_by_label("误列入的企业")).not_to_contain_text("衢州硅测科技有限公司")
    firm = world.scalar(sa.select(ListingCase.enterprise_id).where(ListingCase.id == wrong))
    remove.get_by_label("误列入的企业").select_option(f"{wrong}:{firm}")  # the case and its firm
    remove.get_by_label("原因").fill("企业名称相近，误选")
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    remove.get_by_role("button", name="移出上市梯队").click()
    expect(page.locator("#removed")).to_be_visible()
    expect(page.locator(f'tr[data-listing="{wrong}"]')).to_have_count(0)
    assert len(asked) == 1
    assert asked[0].startswith("确定将所选企业移出上市梯队吗")
    shot(page, "listing-removed")
    assert errors == []


def test_a_need_from_a_desk_request_by_its_number_and_an_outcome_in_one_round(
    page: Page, live_server, world, zone
):
    """The 受理编号 users see on the desk is typed; not yet handed to 金融办, the page says so under
    the form with the input kept; handed, the need is registered. An outcome with 无意向 and two
    amounts, one mistyped, names both problems at once."""
    from tests.capital.test_events import event
    from tests.conftest import SYSTEM
    from wulian.desk import service as desk

    world.run(lambda s: desk.install_shipped(s, actor=SYSTEM))
    firm_user = zone.actor(world, "firm_user")
    request_id, tracking = world.run(lambda s: (lambda r: (r.id, r.tracking_no))(desk.submit(
        s, actor=firm_user, title="扩产需要流动资金贷款", category="financing",
        description="订单增加，需要 3800 万元流动资金贷款。",
        attributes={"amount_wan": 3800, "purpose": "流动资金"})))  # fmt: skip
    first = event(world, zone.actor(world, "fin1"))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "fin1")
    page.goto(f"{live_server}/capital/needs")
    form = page.locator("#need-desk-form")
    form.get_by_label("诉求编号").fill(tracking)
    form.get_by_label("可提供担保").fill("专利质押")
    form.get_by_role("button", name="登记").click()
    expect(page.get_by_role("alert")).to_contain_text(f"诉求 {tracking} 未分派给金融办")
    expect(form.get_by_label("诉求编号")).to_have_value(tracking)
    expect(form.get_by_label("可提供担保")).to_have_value("专利质押")
    for step in (desk.Command("accept"), desk.Command("assign", department="finance")):
        world.run(lambda s, step=step: desk.act(s, actor=SYSTEM, request_id=request_id, step=step))
    form.get_by_role("button", name="登记").click()
    row = page.locator("#needs tbody tr[data-need]")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("3,800")
    expect(row).to_contain_text("专利质押")

    page.goto(f"{live_server}/capital/events/{first}")
    outcome = page.locator("#outcome-form")
    outcome.get_by_label("意向").select_option("0")
    outcome.get_by_label("授信（万元）").fill("8百")
    outcome.get_by_label("放款（万元）").fill("900")
    outcome.get_by_role("button", name="登记").click()
    problems = page.locator("#form-problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("授信金额“8百”不是数字")
    expect(problems.nth(1)).to_contain_text("选了“无意向”，却填了授信或放款金额")
    expect(outcome.get_by_label("授信（万元）")).to_have_value("8百")
    refused = (
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    )
    assert errors == [refused, refused]
