"""In a real browser: sign in, see the home page, be refused outside one's role, sign out."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, expect
from stdnum.cn import uscc

from tests.conftest import PASSWORD
from wulian.core.permissions import Role

FIRM_CODE = "91330800MA28F3A00" + uscc.calc_check_digit("91330800MA28F3A00")


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/login\?next=/"))
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def sign_out(page: Page) -> None:
    page.get_by_test_id("logout").click()
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()


def test_staff_signs_in_navigates_the_five_chains_and_signs_out(page, live_server, world):
    world.user("root", Role.ADMIN)
    world.enterprise("甲材料科技有限公司", FIRM_CODE)
    world.enterprise("园外候选企业", None, in_zone=False)
    sign_in(page, live_server, "root")
    expect(page.get_by_role("heading", name="首页")).to_be_visible()
    expect(page.get_by_test_id("current-user")).to_have_text("root")
    stats = page.locator(".stat")
    expect(stats.filter(has_text="在园企业").locator(".stat-value")).to_have_text("1")
    expect(stats.filter(has_text="园外企业").locator(".stat-value")).to_have_text("1")
    menu = page.get_by_role("navigation", name="主菜单")
    for label in ["领导驾驶舱", "产业链", "创新链", "人才链", "资金链", "服务链"]:
        expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
    menu.get_by_role("link", name="创新链", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("创新链"))).to_be_visible()
    expect(menu.locator(".nav-item.active")).to_have_text("创新链")
    menu.get_by_role("link", name="领导驾驶舱").click()
    expect(page.get_by_role("heading", name="领导驾驶舱")).to_be_visible()
    sign_out(page)
    page.goto(f"{live_server}/cockpit")
    expect(page).to_have_url(re.compile(r"/login\?next=/cockpit"))


def test_enterprise_user_is_refused_pages_outside_their_role(page, live_server, world):
    firm = world.enterprise("甲材料科技有限公司", FIRM_CODE)
    world.enterprise("乙锂电有限公司", None)
    world.user("firm-a", Role.ENTERPRISE, enterprise_id=firm)
    sign_in(page, live_server, "firm-a")
    expect(page.get_by_role("heading", name="甲材料科技有限公司")).to_be_visible()
    menu = page.get_by_role("navigation", name="主菜单")
    expect(menu.get_by_role("link", name="我的企业")).to_be_visible()
    expect(menu.get_by_role("link", name="领导驾驶舱")).to_have_count(0)
    expect(menu.get_by_role("link", name="用户管理")).to_have_count(0)
    for path in ["/admin/users", "/cockpit"]:
        response = page.goto(f"{live_server}{path}")
        assert response is not None
        assert response.status == 403
        expect(page.get_by_role("heading", name="没有权限执行此操作")).to_be_visible()
    response = page.goto(f"{live_server}/enterprises")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_text("乙锂电有限公司")).to_have_count(0)
    sign_out(page)


def test_new_user_changes_the_generated_password_in_the_browser(browser, page, live_server, world):
    world.user("root", Role.ADMIN)
    world.department("science", "科技局")
    sign_in(page, live_server, "root")
    page.get_by_role("link", name="用户管理").click()
    page.get_by_label("用户名").fill("zhang.san")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("角色").select_option("officer")
    page.get_by_label("所属部门（部门工作人员必填）").select_option("science")
    page.get_by_role("button", name="创建并生成初始密码").click()
    generated = page.get_by_test_id("generated-password").inner_text()
    assert len(generated) == 16

    other = browser.new_context(locale="zh-CN").new_page()
    sign_in(other, live_server, "zhang.san", generated)
    expect(other.get_by_role("heading", name="修改密码")).to_be_visible()
    other.get_by_label("当前密码").fill(generated)
    other.get_by_label("新密码", exact=True).fill("Zs-New-Pass-2026")
    other.get_by_label("再次输入新密码").fill("Zs-New-Pass-2026")
    other.get_by_role("button", name="保存新密码").click()
    expect(other.get_by_text("密码已修改。")).to_be_visible()
    expect(other.get_by_test_id("current-user")).to_have_text("zhang.san")
    other.context.close()


def test_wrong_password_shows_a_chinese_error(page, live_server, world):
    world.user("root", Role.ADMIN)
    sign_in(page, live_server, "root", "Wrong-Password-1")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    expect(page.get_by_label("用户名")).to_have_value("root")


def test_nothing_is_fetched_from_outside_the_server(page, live_server, world):
    world.user("root", Role.ADMIN)
    requested: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "root")
    page.goto(f"{live_server}/cockpit")
    page.goto(f"{live_server}/admin/audit")
    page.goto(f"{live_server}/api/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("wulian")
    outside = [url for url in requested if not url.startswith(live_server)]
    assert outside == []
    assert console_errors == []  # nothing blocked by the content security policy
    assert any(url.endswith("swagger-ui-bundle.js") for url in requested)


def test_the_administrator_exports_the_filtered_audit_log(page, live_server, world):
    world.user("root", Role.ADMIN)
    world.department("science", "科技局")
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    sign_in(page, live_server, "root")
    page.goto(f"{live_server}/admin/audit")
    page.locator("select[name=object_type]").select_option(label="部门")
    page.get_by_role("button", name="筛选").click()
    expect(page.locator("#audit-export")).to_have_text("导出筛选结果（xlsx，1 条）")
    with page.expect_download() as download:
        page.locator("#audit-export").click()
    assert download.value.suggested_filename.startswith("审计日志-")
    book = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book["说明"]["B2"].value == "对象：部门"
    assert book["审计日志"].max_row == 2  # the header and the department
    assert console_errors == []
