"""Signing in and out, throttling, sessions, CSRF and the bad-input cases of the foundation."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.conftest import PASSWORD, csrf_from, login, page_csrf, post_form
from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import LoginThrottle, User, UserSession
from wulian.core.permissions import Role


def _audit_actions(world) -> list[str]:
    with world.engine.connect() as conn:
        return list(conn.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_login_page_is_chinese_and_sets_only_a_pre_session_cookie(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "用户登录" in response.text
    assert 'lang="zh-CN"' in response.text
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("wulian_pre=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(client, world):
    world.user("alice", Role.ANALYST)
    response = login(client, "alice")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("wulian_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain HTTP in tests
    home = client.get("/")
    assert home.status_code == 200
    assert "alice" in home.text

    token = csrf_from(home.text)
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303
    assert out.headers["location"] == "/login"
    assert client.get("/").status_code == 303  # back to the login page
    with world.engine.connect() as conn:
        assert conn.scalar(sa.select(UserSession.revoked_at)) is not None
    assert _audit_actions(world)[-2:] == ["login.success", "logout"]


def test_session_cookie_is_secure_over_https(app, world):
    from fastapi.testclient import TestClient

    world.user("alice", Role.ANALYST)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as secure:
        response = login(secure, "alice")
        assert "Secure" in response.headers["set-cookie"]


def test_wrong_password_and_unknown_user_get_the_same_clear_message(client, world):
    world.user("alice", Role.ANALYST)
    wrong = login(client, "alice", "Wrong-Password-1")
    unknown = login(client, "nobody", "Wrong-Password-1")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert "用户名或密码错误" in response.text
        assert 'data-error-code="invalid_credentials"' in response.text
        assert "wulian_session" not in response.headers.get("set-cookie", "")
    assert _audit_actions(world).count("login.failure") == 2


def test_five_failures_lock_the_account_for_fifteen_minutes(make_client, world):
    world.user("alice", Role.ANALYST)
    attacker = make_client()
    for _ in range(4):
        assert login(attacker, "alice", "Wrong-Password-1").status_code == 401
    fifth = login(attacker, "alice", "Wrong-Password-1")
    assert fifth.status_code == 429
    assert "已锁定" in fifth.text
    assert "15 分钟" in fifth.text
    # Even the right password is refused while locked, from any browser.
    owner = make_client()
    locked = login(owner, "alice")
    assert locked.status_code == 429
    assert 'data-error-code="account_locked"' in locked.text
    assert "wulian_session" not in locked.headers.get("set-cookie", "")
    # After the lock expires the right password works again.
    with world.engine.begin() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        conn.execute(sa.update(LoginThrottle).values(locked_until=past))
    assert login(owner, "alice").status_code == 303


def test_failures_from_one_address_lock_that_address(client, world):
    world.user("alice", Role.ANALYST)
    for name in ["u1", "u2", "u3", "u4", "u5"]:
        login(client, name, "Wrong-Password-1")
    response = login(client, "alice")  # right password, same address
    assert response.status_code == 429
    assert 'data-error-code="account_locked"' in response.text


def test_disabled_account_is_refused_after_a_correct_password(client, world):
    world.user("alice", Role.ANALYST)
    with world.engine.begin() as conn:
        conn.execute(sa.update(User).values(is_active=False))
    response = login(client, "alice")
    assert response.status_code == 403
    assert "账号已停用" in response.text


def test_expired_session_asks_to_sign_in_again(client, world):
    world.user("alice", Role.ANALYST)
    login(client, "alice")
    with world.engine.begin() as conn:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)
        conn.execute(sa.update(UserSession).values(last_seen_at=old))
    page = client.get("/cockpit")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=/cockpit&expired=1"
    assert "登录已过期" in client.get(page.headers["location"]).text
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.json()["code"] in ("session_expired", "not_authenticated")


def test_session_past_its_absolute_lifetime_is_expired(client, world):
    world.user("alice", Role.ANALYST)
    login(client, "alice")
    with world.engine.begin() as conn:
        old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        conn.execute(sa.update(UserSession).values(expires_at=old))
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert response.json()["detail"] == "登录已过期，请重新登录"


def test_missing_or_wrong_csrf_token_is_refused_and_changes_nothing(client, world):
    world.user("alice", Role.ADMIN)
    login(client, "alice")
    before = world.scalar(sa.select(sa.func.count(User.id)))
    for data in ({}, {"csrf_token": "0" * 64}):
        response = client.post("/admin/departments", data={"code": "x1", "name": "某局", **data})
        assert response.status_code == 403
        assert "安全校验未通过" in response.text
        assert 'data-error-code="csrf_failed"' in response.text
    response = client.post(
        "/api/v1/departments", json={"code": "x1", "name": "某局"}
    )  # cookie auth without the header
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert world.scalar(sa.select(sa.func.count(User.id))) == before
    from wulian.core.auth.models import Department

    assert world.scalar(sa.select(sa.func.count(Department.id))) == 0


def test_a_bearer_header_does_not_skip_csrf_where_the_cookie_authenticates(client, world):
    """Outside /api/ the session cookie signs the request in whatever Authorization says, so a
    forged form with any bearer header is still refused."""
    world.user("alice", Role.ADMIN)
    login(client, "alice")
    response = client.post(
        "/admin/departments",
        data={"code": "x1", "name": "某局"},
        headers={"Authorization": "Bearer anything"},
    )
    assert response.status_code == 403
    assert 'data-error-code="csrf_failed"' in response.text
    from wulian.core.auth.models import Department

    assert world.scalar(sa.select(sa.func.count(Department.id))) == 0


def test_login_form_without_csrf_is_refused(client, world):
    world.user("alice", Role.ANALYST)
    client.get("/login")
    response = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert response.status_code == 403
    assert "wulian_session" not in response.headers.get("set-cookie", "")


def test_csrf_token_from_another_browser_is_refused(make_client, world):
    world.user("alice", Role.ANALYST)
    other = make_client()
    stolen = page_csrf(other, "/login")
    victim = make_client()
    victim.get("/login")
    response = victim.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": stolen}
    )
    assert response.status_code == 403


def test_cookie_api_writes_accept_the_csrf_header(client, world):
    world.user("alice", Role.ADMIN)
    login(client, "alice")
    token = page_csrf(client, "/")
    response = client.post(
        "/api/v1/departments",
        json={"code": "science", "name": "科技局"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "科技局"


def test_generated_password_must_be_changed_before_anything_else(client, world):
    world.user("bob", Role.ANALYST, must_change_password=True)
    response = login(client, "bob")
    assert response.headers["location"] == "/account/password"
    assert client.get("/cockpit").headers["location"] == "/account/password"
    api = client.get("/api/v1/zone/summary")
    assert api.status_code == 403
    assert api.json()["code"] == "password_change_required"

    weak = post_form(
        client,
        "/account/password",
        {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
        page="/account/password",
    )
    assert weak.status_code == 422
    assert "密码长度至少 10 位" in weak.text

    mismatch = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "New-Secret-2026",
            "confirm_password": "New-Secret-2027",
        },
        page="/account/password",
    )
    assert "两次输入的新密码不一致" in mismatch.text

    done = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "New-Secret-2026",
            "confirm_password": "New-Secret-2026",
        },
        page="/account/password",
    )
    assert done.status_code == 303
    assert client.get("/cockpit").status_code == 200
    assert world.get_user("bob").must_change_password is False


def test_malformed_json_gets_a_chinese_problem(client, world, settings):
    world.user("alice", Role.ADMIN)
    token = world.token("t", ["zone:read"], settings.session_secret)
    response = client.post(
        "/api/v1/departments",
        content=b'{"code": "x",',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "malformed_json"
    assert "JSON" in body["detail"]


def test_invalid_fields_are_named_in_chinese(client, world, settings):
    world.user("alice", Role.ADMIN)
    login(client, "alice")
    token = page_csrf(client, "/")
    response = client.post(
        "/api/v1/users", json={"role": "wizard"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_input"
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert fields["username"] == "缺少必填字段"
    assert fields["role"] == "取值不在允许范围内"


def test_oversized_request_is_refused_before_it_is_read(client, world, settings):
    token = world.token("t", ["zone:read"], settings.session_secret)
    big = b"{" + b" " * (settings.max_request_bytes + 10) + b"}"
    response = client.post(
        "/api/v1/departments",
        content=big,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    page = client.post(
        "/login",
        content=b"a=" + b"x" * (settings.max_request_bytes + 10),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert page.status_code == 413
    assert "请求内容过大" in page.text


def test_oversized_streamed_request_is_refused(client, settings):
    def chunks():
        for _ in range(10):
            yield b"x" * (settings.max_request_bytes // 4)

    response = client.post(
        "/api/v1/departments", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_unknown_page_and_method_get_chinese_answers(client, world):
    world.user("alice", Role.ANALYST)
    login(client, "alice")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert "页面或资源不存在" in page.text
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api.json()["code"] == "not_found"
    method = client.delete("/api/v1/me", headers={"X-CSRF-Token": page_csrf(client, "/")})
    assert method.status_code == 405
    assert method.json()["code"] == "method_not_allowed"


def test_open_redirect_after_login_is_refused(client, world):
    world.user("alice", Role.ANALYST)
    token = page_csrf(client, "/login")
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        client.cookies.clear()
        token = page_csrf(client, "/login")
        response = client.post(
            "/login",
            data={"username": "alice", "password": PASSWORD, "next": target, "csrf_token": token},
        )
        assert response.headers["location"] == "/"
    client.cookies.clear()
    token = page_csrf(client, "/login")
    response = client.post(
        "/login",
        data={"username": "alice", "password": PASSWORD, "next": "/cockpit", "csrf_token": token},
    )
    assert response.headers["location"] == "/cockpit"


def test_responses_carry_security_headers(client):
    response = client.get("/login")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    assert len(response.headers["x-request-id"]) == 32
