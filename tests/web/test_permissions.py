"""The permission matrix: each role can do what it should and is refused what it should not,
for pages and for the API, and a refusal leaks none of the protected data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from stdnum.cn import uscc

from tests.conftest import SYSTEM, login, page_csrf
from wulian.core.errors import MissingScope, PasswordChangeRequired, PermissionDenied
from wulian.core.permissions import Actor, Permission, Role
from wulian.reference import service as reference_service


def valid_uscc(body: str) -> str:
    return body + uscc.calc_check_digit(body)


FIRM_A = ("甲材料科技有限公司", valid_uscc("91330800MA28F3A00"))
FIRM_B = ("乙锂电机密有限公司", valid_uscc("91330800MA28F3B00"))
# Strings that must never appear in a refusal or in another firm's view.
SECRETS = [FIRM_B[0], FIRM_B[1], "root-admin", "银行机密令牌"]

WHO = ["analyst", "officer", "enterprise", "anon", "tok_zone", "tok_firm", "tok_ents", "admin"]


@dataclass
class Caller:
    client: TestClient
    bearer: str | None = None
    signed_in: bool = False

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {}
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        elif self.signed_in and method != "GET":
            headers["X-CSRF-Token"] = page_csrf(self.client, "/")
        return self.client.request(method, path, json=body, headers=headers)


@pytest.fixture
def callers(world, make_client, settings) -> dict[str, Any]:
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    science = world.department("science", "科技局")
    firm_a = world.enterprise(*FIRM_A)
    firm_b = world.enterprise(*FIRM_B, in_zone=False)
    world.user("root-admin", Role.ADMIN)
    world.user("analyst1", Role.ANALYST)
    world.user("officer1", Role.OFFICER, department_id=science)
    world.user("firm-a", Role.ENTERPRISE, enterprise_id=firm_a)
    secret = settings.session_secret
    result: dict[str, Any] = {"ids": {"A": firm_a, "B": firm_b}}
    for who, username in [
        ("admin", "root-admin"),
        ("analyst", "analyst1"),
        ("officer", "officer1"),
        ("enterprise", "firm-a"),
    ]:
        browser = make_client()
        assert login(browser, username).status_code == 303
        result[who] = Caller(browser, signed_in=True)
    result["anon"] = Caller(make_client())
    result["tok_zone"] = Caller(make_client(), world.token("银行机密令牌", ["zone:read"], secret))
    result["tok_firm"] = Caller(
        make_client(), world.token("企业系统", ["enterprises:read"], secret, firm_a)
    )
    result["tok_ents"] = Caller(
        make_client(), world.token("名录接口", ["enterprises:read"], secret)
    )
    return result


def _expand(path: str, ids: dict[str, int]) -> str:
    return path.replace("{A}", str(ids["A"])).replace("{B}", str(ids["B"]))


def _check(
    callers: dict[str, Any],
    method: str,
    path: str,
    expected: dict[str, int],
    body: dict[str, Any] | None = None,
) -> None:
    path = _expand(path, callers["ids"])
    for who in WHO:
        if who not in expected:
            continue
        response = callers[who].call(method, path, body)
        want = expected[who]
        assert response.status_code == want, (
            f"{who} {method} {path}: {response.status_code} {response.text[:300]}"
        )
        if want in (401, 403):
            for secret in SECRETS:
                assert secret not in response.text, f"{who} {path} leaked {secret!r}"
            if path.startswith("/api/"):
                problem = response.json()
                assert response.headers["content-type"].startswith("application/problem+json")
                assert problem["status"] == want
                assert problem["detail"]
            else:
                assert (
                    "没有权限" in response.text
                    or "安全校验" in response.text
                    or "只能查看" in response.text
                )
        if who in ("enterprise", "tok_firm") and want == 200:
            for secret in SECRETS[:2]:
                assert secret not in response.text, f"{who} saw another firm on {path}"


ALL_STAFF_PAGE = {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 403, "anon": 303}
EVERY_USER_PAGE = {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303}
ADMIN_PAGE = {"admin": 200, "analyst": 403, "officer": 403, "enterprise": 403, "anon": 303}

PAGES = [
    ("/", {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303}),
    ("/cockpit", ALL_STAFF_PAGE),
    ("/chains/industry", ALL_STAFF_PAGE),
    ("/chains/service", ALL_STAFF_PAGE),
    (
        "/enterprises",
        {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303},
    ),
    (
        "/enterprises/{A}",
        {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303},
    ),
    ("/enterprises/{B}", ALL_STAFF_PAGE),
    ("/enterprises/duplicates", ALL_STAFF_PAGE),
    (
        "/enterprises/export.xlsx",
        {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303},
    ),
    (
        "/enterprises/{A}/history?metric=revenue&period=2024",
        {"admin": 200, "analyst": 200, "officer": 200, "enterprise": 200, "anon": 303},
    ),
    ("/enterprises/{B}/history?metric=revenue&period=2024", ALL_STAFF_PAGE),
    ("/imports", {"admin": 200, "analyst": 403, "officer": 200, "enterprise": 403, "anon": 303}),
    ("/reviews", {"admin": 200, "analyst": 403, "officer": 200, "enterprise": 403, "anon": 303}),
    ("/notifications", EVERY_USER_PAGE),
    ("/account/notifications", EVERY_USER_PAGE),
    ("/admin/users", ADMIN_PAGE),
    ("/admin/departments", ADMIN_PAGE),
    ("/admin/tokens", ADMIN_PAGE),
    ("/admin/audit", ADMIN_PAGE),
    ("/admin/audit/export.xlsx", ADMIN_PAGE),
    ("/admin/aliases", ADMIN_PAGE),
]


@pytest.mark.parametrize(("path", "expected"), PAGES, ids=[p for p, _ in PAGES])
def test_pages(callers, path, expected):
    _check(callers, "GET", path, expected)


def _api(
    admin: int,
    analyst: int,
    officer: int,
    enterprise: int,
    tok_zone: int,
    tok_firm: int,
    tok_ents: int,
    anon: int = 401,
) -> dict[str, int]:
    return {
        "admin": admin,
        "analyst": analyst,
        "officer": officer,
        "enterprise": enterprise,
        "anon": anon,
        "tok_zone": tok_zone,
        "tok_firm": tok_firm,
        "tok_ents": tok_ents,
    }


API_READS = [
    ("/api/v1/me", _api(200, 200, 200, 200, 200, 200, 200)),
    ("/api/v1/zone/summary", _api(200, 200, 200, 403, 200, 403, 403)),
    ("/api/v1/enterprises", _api(200, 200, 200, 200, 403, 200, 200)),
    ("/api/v1/enterprises/{A}", _api(200, 200, 200, 200, 403, 200, 200)),
    ("/api/v1/enterprises/{B}", _api(200, 200, 200, 403, 403, 403, 200)),
    ("/api/v1/enterprises?sort=-staff&size=small", _api(200, 200, 200, 200, 403, 200, 200)),
    ("/api/v1/reviews", _api(200, 403, 200, 403, 403, 403, 403)),
    ("/api/v1/chain-memberships", _api(200, 200, 200, 403, 403, 403, 403)),  # firms: names
    ("/api/v1/innovation/runs", _api(200, 200, 200, 200, 200, 200, 403)),
    ("/api/v1/policies/runs", _api(200, 200, 200, 403, 200, 403, 403)),
    ("/api/v1/departments", _api(200, 200, 200, 403, 200, 403, 403)),
    ("/api/v1/users", _api(200, 403, 403, 403, 403, 403, 403)),
    ("/api/v1/tokens", _api(200, 403, 403, 403, 403, 403, 403)),
    ("/api/v1/audit", _api(200, 403, 403, 403, 403, 403, 403)),
    # a user's own notifications: an API token has none
    ("/api/v1/notifications", _api(200, 200, 200, 200, 403, 403, 403)),
    ("/api/v1/notifications/unread-count", _api(200, 200, 200, 200, 403, 403, 403)),
]


@pytest.mark.parametrize(("path", "expected"), API_READS, ids=[p for p, _ in API_READS])
def test_api_reads(callers, path, expected):
    _check(callers, "GET", path, expected)


ADMIN_WRITE = _api(201, 403, 403, 403, 403, 403, 403, anon=403)  # anon: no CSRF, no token
API_WRITES = [
    ("/api/v1/users", {"username": "newbie", "role": "analyst"}),
    ("/api/v1/enterprises", {"name": "新登记企业"}),
    ("/api/v1/departments", {"code": "talent", "name": "人才办"}),
    ("/api/v1/tokens", {"name": "新令牌", "scopes": ["zone:read"]}),
]


@pytest.mark.parametrize(("path", "body"), API_WRITES, ids=[p for p, _ in API_WRITES])
def test_api_writes(callers, world, path, body):
    before = world.scalar(__import__("sqlalchemy").text("SELECT count(*) FROM audit_log"))
    _check(callers, "POST", path, ADMIN_WRITE, body)
    after = world.scalar(__import__("sqlalchemy").text("SELECT count(*) FROM audit_log"))
    assert after == before + 1  # only the administrator's write happened, and it was audited


def test_missing_scope_names_the_scope_needed(callers):
    response = callers["tok_ents"].call("GET", "/api/v1/zone/summary")
    problem = response.json()
    assert problem["code"] == "missing_scope"
    assert problem["required_scopes"] == ["zone:read"]
    assert "zone:read" in problem["detail"]


def test_enterprise_user_lists_only_their_firm(callers):
    response = callers["enterprise"].call("GET", "/api/v1/enterprises")
    names = [item["name"] for item in response.json()["items"]]
    assert names == [FIRM_A[0]]
    page = callers["enterprise"].call("GET", "/enterprises")
    assert FIRM_A[0] in page.text


def test_revoked_and_invalid_tokens_are_refused(callers, world, settings):
    token = callers["tok_zone"].bearer
    assert callers["tok_zone"].call("GET", "/api/v1/zone/summary").status_code == 200
    revoke = callers["admin"].call("GET", "/api/v1/tokens").json()
    token_id = next(t["id"] for t in revoke if t["name"] == "银行机密令牌")
    assert callers["admin"].call("POST", f"/api/v1/tokens/{token_id}/revoke").status_code == 200
    again = callers["tok_zone"].call("GET", "/api/v1/zone/summary")
    assert again.status_code == 401
    assert again.json()["code"] == "invalid_token"
    for bad in [token[:-1] + ("a" if token[-1] != "a" else "b"), "wlt_nonsense", "Basic abc"]:
        response = callers["anon"].client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {bad}" if "Basic" not in bad else bad}
        )
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"


# ---------------------------------------------------------------- actor rules, without a database


def test_actor_rules():
    officer = Actor(
        kind="user",
        id=1,
        label="o",
        role=Role.OFFICER,
        department_id=7,
        permissions=frozenset({Permission.ZONE_READ, Permission.ENTERPRISES_READ}),
    )
    officer.require_department(7)
    with pytest.raises(PermissionDenied):
        officer.require_department(8)
    firm = Actor(
        kind="user",
        id=2,
        label="e",
        role=Role.ENTERPRISE,
        enterprise_id=3,
        permissions=frozenset({Permission.ENTERPRISES_READ}),
    )
    firm.require_enterprise(3)
    with pytest.raises(PermissionDenied):
        firm.require_enterprise(4)
    with pytest.raises(PermissionDenied):
        firm.require_department(7)
    token = Actor(kind="token", id=3, label="t", permissions=frozenset())
    with pytest.raises(MissingScope):
        token.require(Permission.ZONE_READ)
    pending = Actor(
        kind="user", id=4, label="p", permissions=frozenset(Permission), must_change_password=True
    )
    with pytest.raises(PasswordChangeRequired):
        pending.require(Permission.ZONE_READ)
