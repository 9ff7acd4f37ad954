"""Administrators manage users, departments and API tokens from the web, and read the audit log."""

from __future__ import annotations

import json
import logging
import re

import sqlalchemy as sa
from stdnum.cn import uscc

from tests.conftest import login, page_csrf, post_form
from wulian.core.auth.models import ApiToken, User
from wulian.core.permissions import ROLE_PERMISSIONS, Role

FIRM_CODE = "91330800MA28F3A00" + uscc.calc_check_digit("91330800MA28F3A00")


def _admin(client, world):
    world.user("root", Role.ADMIN)
    assert login(client, "root").status_code == 303


def test_admin_creates_an_officer_who_must_change_the_generated_password(
    client, world, make_client
):
    _admin(client, world)
    world.department("science", "科技局")
    response = post_form(
        client,
        "/admin/users",
        {
            "username": "Zhang.San",
            "role": "officer",
            "display_name": "张三",
            "department_code": "science",
        },
        page="/admin/users",
    )
    assert response.status_code == 200
    assert "已创建用户" in response.text
    password = re.search(r'data-testid="generated-password">([^<]+)<', response.text).group(1)
    password = password.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    password = password.replace("&#34;", '"').replace("&#39;", "'")
    user = world.get_user("zhang.san")
    assert user.role is Role.OFFICER
    assert user.must_change_password
    # The password is shown once: the list page does not show it again.
    assert password not in client.get("/admin/users").text
    newcomer = make_client()
    assert login(newcomer, "zhang.san", password).headers["location"] == "/account/password"


def test_the_new_user_form_starts_with_the_least_privileged_role(client, world):
    world.user("root", Role.ADMIN)
    login(client, "root")
    page = client.get("/admin/users").text
    selected = re.findall(r'<option value="(\w+)" selected>', page.split('name="role"')[1])
    assert selected == ["enterprise"]  # 企业用户: its own firm only
    assert min(Role, key=lambda r: len(ROLE_PERMISSIONS[r])) == Role.ENTERPRISE


def test_invalid_user_form_keeps_values_and_writes_nothing(client, world):
    _admin(client, world)
    before = world.scalar(sa.select(sa.func.count(User.id)))
    cases = [
        ({"username": "ab", "role": "analyst"}, "用户名“ab”无效"),
        ({"username": "officer2", "role": "officer"}, "部门工作人员必须绑定一个部门"),
        ({"username": "firm2", "role": "enterprise"}, "企业用户必须绑定一家企业"),
        ({"username": "firm3", "role": "enterprise", "enterprise_uscc": "123"}, "长度应为 18 位"),
        (
            {"username": "firm4", "role": "enterprise", "enterprise_uscc": FIRM_CODE},
            f"没有统一社会信用代码为 {FIRM_CODE} 的企业",
        ),
        ({"username": "root", "role": "analyst"}, "用户名已存在：root"),
        ({"username": "x9", "role": "officer", "department_code": "nope"}, "部门代码不存在：nope"),
    ]
    for data, message in cases:
        response = post_form(client, "/admin/users", data, page="/admin/users")
        assert response.status_code in (404, 409, 422), (data, response.status_code)
        assert message in response.text, data
        assert f'value="{data["username"]}"' in response.text  # the form keeps what was typed
    assert world.scalar(sa.select(sa.func.count(User.id))) == before


def test_enterprise_user_is_bound_by_credit_code(client, world):
    _admin(client, world)
    firm = world.enterprise("甲材料科技有限公司", FIRM_CODE)
    response = post_form(
        client,
        "/admin/users",
        {"username": "firm-a", "role": "enterprise", "enterprise_uscc": FIRM_CODE.lower()},
        page="/admin/users",
    )
    assert "已创建用户" in response.text
    assert world.get_user("firm-a").enterprise_id == firm


def test_update_user_and_the_last_administrator_stays(client, world):
    _admin(client, world)
    root_id = world.get_user("root").id
    analyst_id = world.user("ana", Role.ANALYST)
    response = post_form(
        client,
        f"/admin/users/{analyst_id}",
        {"role": "analyst", "display_name": "李四", "is_active": ""},
        page=f"/admin/users/{analyst_id}",
    )
    assert response.status_code == 303
    user = world.get_user("ana")
    assert (user.display_name, user.is_active) == ("李四", False)
    refused = post_form(
        client,
        f"/admin/users/{root_id}",
        {"role": "analyst", "is_active": "on"},
        page=f"/admin/users/{root_id}",
    )
    assert refused.status_code == 422
    assert "不能停用自己或撤销自己的管理员角色" in refused.text
    assert world.get_user("root").role is Role.ADMIN


def test_an_administrator_sets_a_users_contact_which_the_audit_masks(client, world):
    _admin(client, world)
    user_id = world.user("ana", Role.ANALYST)
    form = {"role": "analyst", "display_name": "李四", "is_active": "on"}
    bad = post_form(
        client, f"/admin/users/{user_id}", form | {"phone": "12345"}, page=f"/admin/users/{user_id}"
    )
    assert bad.status_code == 422
    assert "手机号码应为 11 位数字" in bad.text
    assert world.get_user("ana").phone is None  # nothing written
    saved = post_form(
        client,
        f"/admin/users/{user_id}",
        form | {"email": "li.si@zone.gov.cn", "phone": "138 0013 8000"},
        page=f"/admin/users/{user_id}",
    )
    assert saved.status_code == 303
    user = world.get_user("ana")
    assert (user.email, user.phone) == ("li.si@zone.gov.cn", "13800138000")
    audit_log = client.get("/admin/audit?object_type=users").text
    assert "13800138000" not in audit_log
    assert "li.si@zone.gov.cn" not in audit_log


def test_reset_password_ends_the_users_sessions(client, world, make_client):
    _admin(client, world)
    user_id = world.user("ana", Role.ANALYST)
    other = make_client()
    login(other, "ana")
    assert other.get("/cockpit").status_code == 200
    response = post_form(
        client, f"/admin/users/{user_id}/reset-password", {}, page=f"/admin/users/{user_id}"
    )
    assert "已重置密码" in response.text
    assert other.get("/cockpit").status_code == 303
    assert world.get_user("ana").must_change_password


def test_departments_page_creates_and_refuses_duplicates(client, world):
    _admin(client, world)
    created = post_form(
        client,
        "/admin/departments",
        {"code": "Science", "name": "科技局"},
        page="/admin/departments",
    )
    assert "已创建部门 科技局（science）" in created.text
    duplicate = post_form(
        client,
        "/admin/departments",
        {"code": "science", "name": "另一个局"},
        page="/admin/departments",
    )
    assert duplicate.status_code == 409
    assert "部门代码已存在：science" in duplicate.text


def test_token_created_on_the_web_works_once_shown_and_stops_when_revoked(client, world, app):
    _admin(client, world)
    token = page_csrf(client, "/admin/tokens")
    response = client.post(
        "/admin/tokens",
        data={"name": "某银行", "scopes": ["zone:read"], "expires_on": "", "csrf_token": token},
    )
    plaintext = re.search(r'data-testid="token-plaintext">(wlt_[^<]+)<', response.text).group(1)
    assert plaintext not in client.get("/admin/tokens").text
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/zone/summary", headers=headers).status_code == 200
    with world.engine.connect() as conn:
        stored = conn.execute(sa.select(ApiToken.token_hash, ApiToken.id)).one()
    assert plaintext not in stored.token_hash
    revoke = post_form(client, f"/admin/tokens/{stored.id}/revoke", {}, page="/admin/tokens")
    assert revoke.status_code == 303
    assert client.get("/api/v1/zone/summary", headers=headers).status_code == 401


def test_token_form_errors(client, world):
    _admin(client, world)
    token = page_csrf(client, "/admin/tokens")
    no_scope = client.post("/admin/tokens", data={"name": "x", "csrf_token": token})
    assert "至少选择一个权限范围" in no_scope.text
    past = client.post(
        "/admin/tokens",
        data={"name": "x", "scopes": "zone:read", "expires_on": "2000-01-01", "csrf_token": token},
    )
    assert "到期时间必须晚于现在" in past.text
    unknown = client.post(
        "/api/v1/tokens",
        json={"name": "x", "scopes": ["everything"]},
        headers={"X-CSRF-Token": token},
    )
    assert unknown.status_code == 422
    assert "未知的权限范围：everything" in unknown.json()["detail"]
    assert world.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_audit_page_lists_and_filters(client, world):
    _admin(client, world)
    post_form(
        client,
        "/admin/departments",
        {"code": "science", "name": "科技局"},
        page="/admin/departments",
    )
    page = client.get("/admin/audit", params={"object_type": "departments"})
    assert page.status_code == 200
    assert "科技局" in page.text  # the after-value, unescaped Chinese
    assert "root" in page.text
    logins = client.get("/admin/audit", params={"action": "login.success"})
    assert "login.success" in logins.text
    assert "departments #" not in logins.text
    bad = client.get("/admin/audit", params={"since": "2026-13-01"})
    assert bad.status_code == 422
    assert "格式应为 YYYY-MM-DD" in bad.text


def test_api_user_lifecycle(client, world):
    _admin(client, world)
    headers = {"X-CSRF-Token": page_csrf(client, "/")}
    created = client.post(
        "/api/v1/users", json={"username": "ana", "role": "analyst"}, headers=headers
    )
    assert created.status_code == 201
    body = created.json()
    assert body["user"]["must_change_password"] is True
    assert len(body["generated_password"]) == 16
    patched = client.patch(
        f"/api/v1/users/{body['user']['id']}", json={"display_name": "李四"}, headers=headers
    )
    assert patched.json()["display_name"] == "李四"
    assert patched.json()["role"] == "analyst"
    reset = client.post(f"/api/v1/users/{body['user']['id']}/reset-password", headers=headers)
    assert len(reset.json()["generated_password"]) == 16


def test_every_request_is_one_json_log_line(app, world):
    from fastapi.testclient import TestClient

    from wulian.web.app import create_app

    class Collect(logging.Handler):
        def __init__(self) -> None:
            super().__init__()
            self.lines: list[dict] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(json.loads(record.getMessage()))

    app.state.settings.log_requests = True
    logged_app = create_app(app.state.settings, engine=app.state.engine)
    world.user("root", Role.ADMIN)
    collect = Collect()
    logger = logging.getLogger("wulian.request")
    logger.addHandler(collect)
    try:
        with TestClient(logged_app, follow_redirects=False) as client:
            login(client, "root")
            client.get("/cockpit", headers={"X-Request-ID": "abc-123"})
    finally:
        logger.removeHandler(collect)
    last = collect.lines[-1]
    assert last["method"] == "GET"
    assert last["path"] == "/cockpit"
    assert last["status"] == 200
    assert last["request_id"] == "abc-123"
    assert last["user_id"] == world.get_user("root").id
    assert isinstance(last["duration_ms"], float)
    assert [line["path"] for line in collect.lines] == ["/login", "/login", "/cockpit"]
