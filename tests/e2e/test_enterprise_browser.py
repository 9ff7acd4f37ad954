"""In a real browser, on the demo zone: the enterprise list with a filter, a firm's page, the
sample import file previewed with its deliberate errors, and an enterprise user's own page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import SYSTEM
from tests.e2e.conftest import LAST
from tests.e2e.test_browser import sign_in
from wulian.core.permissions import Role
from wulian.demo import build, zone
from wulian.enterprises import facts

pytestmark = pytest.mark.demo  # a copy of the demo zone built once per run


def test_demo_zone_pages_and_the_sample_import(page: Page, live_server, world, tmp_path):
    result = world.run(lambda s: build.build(s, actor=SYSTEM, data_dir=tmp_path))
    assert result.zone is None  # built already: this writes the sample import file only
    assert result.sample is not None
    world.user("officer1", Role.OFFICER, department_id=world.department())
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "officer1")

    page.goto(f"{live_server}/enterprises")
    expect(page.get_by_role("heading", name="企业名录")).to_be_visible()
    page.get_by_label("产业链").select_option("芯片及传感器")
    page.get_by_label("园区内外").select_option("in")
    page.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(r"chain=%E8%8A%AF"))
    rows = page.locator("#enterprise-list tbody tr")
    expect(rows.first).to_contain_text("示例")
    expect(page.locator("#enterprise-list")).to_contain_text("芯片及传感器")
    rows.first.get_by_role("link").click()
    expect(page.locator("#facts-table")).to_contain_text("营业收入")
    expect(page.locator("#facts-table thead")).to_contain_text(LAST)

    page.goto(f"{live_server}/imports")
    page.get_by_label("文件").set_input_files(str(result.sample))
    page.get_by_label("期间").fill(LAST)
    page.get_by_label("数据来源").select_option("tax")
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#import-summary")).to_contain_text("尚未写入")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    counts = page.locator("#problem-counts")
    for kind in (
        "代码无效",
        "未登记企业",
        "不是数字",
        "超出范围",
        "重复且不一致",
        "数据矛盾",
        "未知表头",
    ):
        expect(counts).to_contain_text(kind)
    expect(page.locator("#mapping")).to_contain_text("由 千元 换算为 万元")
    warnings = page.locator("#warnings")
    expect(warnings).to_contain_text("大幅变动")  # row 8: 万元 under the 千元 header
    expect(warnings).to_contain_text("名称不符")  # row 12: another firm's name
    expect(counts).to_contain_text("警告：大幅变动")

    def in_use(session):
        matrix = facts.build_matrix(
            session, actor=SYSTEM, metrics=["revenue"], period=LAST, enterprise_ids=[5]
        )
        return matrix.frame["revenue"].item()

    before = world.run(in_use)
    page.get_by_label("只导入没有问题的行").check()
    page.get_by_label("文件").set_input_files(str(result.sample))
    page.get_by_role("button", name="上传并检查").click()
    page.get_by_label("确认第 8 行").check()
    page.get_by_role("button", name="确认导入").click()
    summary = page.locator("#import-summary")
    expect(summary).to_contain_text("已写入")
    expect(summary).to_contain_text("存于已核实或更可信的值旁")
    expect(summary).to_contain_text("未确认警告的 1 行已跳过")  # row 12
    assert world.run(in_use) == before  # the verified revenue stays in use

    page.goto(f"{live_server}/reviews")
    expect(page.locator("#review-queue")).to_contain_text("大幅变动")

    expect(page.locator("#review-queue tbody tr").first).to_be_visible()
    # the queue filtered by period, every matching value verified after a confirmation
    filters = page.locator("#review-filters")
    filters.get_by_label("期间").fill(LAST)
    filters.get_by_label("排序").select_option("firm")
    filters.get_by_role("button", name="查询").click()
    expect(page).to_have_url(re.compile(f"period={LAST}"))
    total = page.locator("#matching-total").inner_text()
    with page.expect_download() as download:
        page.locator("#review-export").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    page.get_by_role("button", name="全部通过…").click()
    expect(page.locator("#confirm-matching .matching-count")).to_have_text(total)
    page.get_by_role("button", name=re.compile(r"^确认通过待审核数据")).click()
    expect(page.locator("#review-done")).to_contain_text(f"已通过 {total.replace(',', '')} 条数据")
    assert console_errors == []


def test_an_enterprise_user_sees_only_their_firm(page: Page, live_server, world):
    world.user("firm1", Role.ENTERPRISE, enterprise_id=1)
    sign_in(page, live_server, "firm1")
    page.get_by_role("link", name="我的企业").click()
    expect(page.get_by_role("heading", name="填报缺失数据")).to_be_visible()
    page.goto(f"{live_server}/enterprises/2")
    expect(page.locator("body")).to_contain_text("只能查看本企业")
    assert zone.IN_ZONE == 2_000


def test_an_administrator_merges_a_demo_ledger_duplicate(page: Page, live_server, world):
    world.user("admin1", Role.ADMIN)
    sign_in(page, live_server, "admin1")
    page.get_by_role("link", name="疑似重复").click()
    groups = page.locator("table.duplicate-group")
    expect(groups).to_have_count(len(zone.LEGACY_DUPLICATES))
    first = groups.first
    expect(first).to_contain_text("无")  # the ledger record has no credit code
    first.get_by_role("button", name="合并到所选企业").click()
    expect(page.get_by_role("status")).to_contain_text("已合并到")
    expect(groups).to_have_count(len(zone.LEGACY_DUPLICATES) - 1)
