"""In a real browser: the talent office authorises a firm on the rules; the firm imports its
open posts and its staff list (a salary typed in 元 under a 万元 header is flagged and confirmed),
recognises a talent within its quota; the talent office confirms (认账); the talent map shows the
node's scarcity. No console or script errors under the app's CSP."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
import xlsxwriter
from playwright.sync_api import Page, expect
from pydantic import SecretStr

from tests.conftest import SYSTEM
from tests.e2e.test_browser import sign_in, sign_out
from tests.talent.conftest import TEST_KEY, identity
from wulian.chains import service as chains
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service
from wulian.talent import matching

SHOTS = os.environ.get("WULIAN_TALENT_SHOTS")  # a folder to keep the pages' screenshots in


@pytest.fixture
def settings(settings, shared_data):
    table = shared_data / "occupations" / "csco2022.csv"
    return settings.model_copy(
        update={"talent_key": SecretStr(TEST_KEY), "occupations_file": table}
    )


def _book(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, headers)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    workbook.close()
    return out.getvalue()


def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _zone(world) -> None:
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    office = world.department("talent", "人才办")
    firm = world.enterprise("衢州锂测材料有限公司", code=synthetic(3101))
    year = dt.date.today().year - 1
    values = {str(year): {"rd_expense": 400.0, "revenue": 10000.0, "staff_total": 40.0,
                          "tech_staff": 8.0},
              str(year - 1): {"revenue": 9000.0}}  # fmt: skip

    def write(session):
        for period, items in values.items():
            for key, value in items.items():
                facts.record(
                    session, actor=SYSTEM, enterprise_id=firm, metric_key=key, period=period,
                    value=value, source="stats", as_of=dt.date.today(),
                )  # fmt: skip

    world.run(write)
    world.user("talent1", Role.OFFICER, department_id=office)
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)


def test_a_firm_recognises_a_talent_and_the_office_confirms(
    page: Page, live_server, world, tmp_path
):
    _zone(world)
    matching.warm_up()  # as the server does when it starts (the test server skips warming up)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    # the talent office authorises the firms that meet the rules
    sign_in(page, live_server, "talent1")
    page.get_by_role("link", name="自主评价授权").click()
    expect(page.locator("#not-evaluated")).to_be_visible()  # stored, not evaluated on view
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    page.locator("#evaluate button").click()
    expect(page.locator("#evaluated")).to_be_visible()
    assert asked == ["确定重新评价各企业的自主评价资格吗？新的评价成为当前结果，授权按它。"]
    expect(page.locator("#eligibility")).to_contain_text("衢州锂测材料有限公司")
    expect(page.locator("#eligibility")).to_contain_text("符合")
    page.locator("#authorise button").click()
    expect(page.locator("#granted")).to_contain_text("新授权 1 家企业")
    sign_out(page)

    # the firm imports its open posts and its staff
    sign_in(page, live_server, "firm1")
    page.get_by_role("link", name="人才工作台").click()
    expect(page.locator("#authorisations")).to_contain_text("有效")
    page.get_by_role("link", name="导入岗位需求").click()
    posts = tmp_path / "岗位需求.xlsx"
    posts.write_bytes(_book(
        ["岗位名称", "学历要求", "经验要求（年）", "年薪下限（万元）", "年薪上限（万元）",
         "招聘人数", "产业链", "环节", "职业代码", "技能"],
        [["正极材料研发工程师", "硕士", "5", "30", "50", "6", "锂电新材料", "正极材料",
          "2-02-06-01", "正极材料、电化学、材料表征"],
         ["质量工程师", "本科", "2", "12", "18", "1", "锂电新材料", "正极材料", "2-02-29-03",
          "质量管理、六西格玛"]],
    ))  # fmt: skip
    page.locator("#talent-upload input[type=file]").set_input_files(str(posts))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#talent-check")).to_contain_text("检查通过：2 行")
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#imported")).to_contain_text("已导入 2 行")

    page.goto(f"{live_server}/talent/import/staff")
    staff = tmp_path / "人员名单.xlsx"
    staff.write_bytes(_book(
        ["姓名", "身份证号", "学历", "专业", "年薪（万元）", "产业链", "环节", "职业代码",
         "同意用途", "同意日期", "技能", "工作年限（年）", "职称", "职务层级"],
        [["王晓明", identity(1), "硕士", "材料科学与工程", "350000", "锂电新材料", "正极材料",
          "2-02-06-01", "企业人才登记、人才认定、人才岗位匹配", "2026-06-01",
          "正极材料、电化学", "6", "中级", "技术骨干"],
         ["李娜", identity(2), "本科", "化学", "15", "锂电新材料", "正极材料", "2-02-29-03",
          "企业人才登记、人才岗位匹配", "2026-06-01", "质量管理", "", "", ""]],
    ))  # fmt: skip
    page.locator("#talent-upload input[type=file]").set_input_files(str(staff))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.locator("#unit-flags")).to_contain_text("疑似单位填错")
    expect(page.locator("#talent-preview")).to_contain_text("3308**********0011")
    expect(page.locator("#talent-check")).not_to_contain_text(identity(1))
    _shot(page, "talent-import-check")
    page.get_by_label("第 2 行按另一单位换算").check()
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator("#imported")).to_contain_text("已导入 2 行")

    # ... and recognises a talent within its quota (40 staff × 5% = 2)
    page.goto(f"{live_server}/talent")
    expect(page.locator("#staff")).to_contain_text("3308**********0011")
    expect(page.locator("#staff")).to_contain_text("20–50 万元")  # 350,000 元 = 35 万元
    row = page.locator("#staff tr", has_text="王晓明")
    evidence = "高级工程师；主持磷酸锰铁锂中试，授权发明专利 3 件"
    row.get_by_label("王晓明的认定依据").fill(evidence)
    row.get_by_role("button", name="认定").click()
    expect(page.locator("#submitted")).to_be_visible()
    expect(page.locator("#recognitions")).to_contain_text("待认账")
    _shot(page, "talent-firm-hub")

    # matching: the firm's post proposes candidates with reasons, names masked (PIPL)
    page.locator("#posts").get_by_role("link", name="正极材料研发工程师").click()
    candidates = page.locator("#candidates tbody tr")
    expect(candidates.first).to_contain_text("王**")
    expect(candidates.first).to_contain_text(
        "技能：要求 3 项，具备 2 项（正极材料、电化学），缺 1 项"
    )
    expect(candidates.first).to_contain_text("职业：相同")
    expect(page.locator("#candidates")).not_to_contain_text("王晓明")
    expect(page.locator("#candidates")).to_contain_text("经验 未知")
    _shot(page, "talent-post-candidates-firm")
    sign_out(page)

    # the talent office confirms
    sign_in(page, live_server, "talent1")
    page.get_by_role("link", name="人才工作台").click()
    rec = page.locator("#recognitions tbody tr", has_text="王晓明")
    rec.get_by_role("button", name="认账").click()
    expect(page.locator("#approved")).to_be_visible()
    expect(page.locator("#recognitions tbody tr", has_text="王晓明")).to_contain_text("已认账")
    _shot(page, "talent-office-hub")

    # the office sees the person behind the recommendation, and the posts that fit a person
    page.locator("#zone-posts").get_by_role("link", name="质量工程师").click()
    first = page.locator("#candidates tbody tr").first
    expect(first).to_contain_text("李娜")
    expect(first).to_contain_text("技能：要求 2 项，具备 1 项（质量管理），缺 1 项（六西格玛）")
    _shot(page, "talent-post-candidates-office")
    first.get_by_role("link", name="李娜").click()
    expect(page.locator("#fits tbody tr").first).to_contain_text("质量工程师")
    _shot(page, "talent-person-fits")
    page.goto(f"{live_server}/talent")

    # the office runs and publishes the talent evaluation: 王晓明's 七维 points and class, each
    # dimension explained (master 85, 6 years 60, 20万 60, core 50, 中级 60; weights 20, 15, 15,
    # 15, 10 of the known: 4850 / 75 = 64.7) and class E (a master on 20–50万)
    page.get_by_role("link", name="人才评价").first.click()
    page.get_by_role("button", name="运行评价").click()
    page.once("dialog", lambda dialog: dialog.accept())  # 确定发布…？
    page.locator("#evaluation-publish").click()
    expect(page.locator("h1")).to_contain_text("已发布")
    page.locator("#grade-filter select").select_option("E")
    page.get_by_role("button", name="筛选").click()
    page.locator("#evaluation-results").get_by_role("link", name="王晓明").click()
    expect(page.locator("#seven-score")).to_contain_text("64.7")
    expect(page.locator("#catalogue-grade")).to_contain_text("E 类 高级人才")
    expect(page.locator("#seven-dimensions")).to_contain_text("5–10 年（含下限）：60 分")
    expect(page.locator("#seven-dimensions")).to_contain_text("未知，不计分")
    _shot(page, "talent-person-evaluation")
    page.goto(f"{live_server}/talent")

    # the map: six openings for one person at 正极材料 — acutely scarce
    page.get_by_role("link", name="产业人才地图").first.click()
    scarce = page.locator("#talent-map tbody tr", has_text="化工实验工程技术人员")
    expect(scarce).to_contain_text("正极材料")
    expect(scarce.locator(".scarcity")).to_have_text("5")
    _shot(page, "talent-map")
    assert errors == []
