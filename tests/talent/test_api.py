"""The talent JSON API (/api/v1/talent/…): people (masked, checked and audited as the pages are;
a firm its own staff only), programme rounds and the applications a caller may see, and the staff
and posts imports (all rows or none, problems with row, column and value). Per role, and with a
firm's API token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.talent.conftest import TODAY, identity, person
from tests.talent.test_imports import STAFF_HEADERS, book, staff_row
from tests.talent.test_programmes import _apply, _attempt
from tests.talent.test_programmes import setup as setup
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput
from wulian.talent.crypto import mask
from wulian.talent.models import Person

from tests.conftest import SYSTEM  # isort: skip


def _count(world, action: str) -> int:
    return int(world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == action)))


@pytest.fixture
def two(world, zone):
    a = person(world, zone.actor(world, "firm_a_user"), identity_number=identity(31))
    b = person(world, zone.actor(world, "firm_b_user"), identity_number=identity(32),
               name="周敏")  # fmt: skip
    return a, b


def _as(make_client, username: str | None):
    client = make_client()
    if username:
        login(client, username)
    return client


def test_the_office_reads_people_masked_and_every_read_is_audited(world, zone, two, make_client):
    a, b = two
    client = _as(make_client, "talent_officer")
    before = _count(world, "talent.people_read")
    listed = client.get("/api/v1/talent/people")
    assert listed.status_code == 200
    body = listed.json()
    assert {p["id"] for p in body} == {a, b}
    assert identity(31) not in listed.text
    assert {p["identity_masked"] for p in body} == {mask(identity(31)), mask(identity(32))}
    assert "birth_date" not in body[0]
    assert _count(world, "talent.people_read") == before + 1
    one = client.get(f"/api/v1/talent/people/{b}")
    assert one.status_code == 200
    assert one.json()["name"] == "周敏"
    assert one.json()["consents"][0]["purpose"] == "employment"
    assert _count(world, "talent.person_read") == 1


def test_a_firm_reads_its_own_staff_only(world, zone, two, make_client):
    a, b = two
    client = _as(make_client, "firm_a_user")
    assert [p["id"] for p in client.get("/api/v1/talent/people").json()] == [a]
    assert client.get(f"/api/v1/talent/people/{a}").status_code == 200
    other = client.get(f"/api/v1/talent/people/{b}")  # the same answer as an unknown id
    missing = client.get(f"/api/v1/talent/people/{b + 1000}")
    assert (other.status_code, missing.status_code) == (404, 404)
    same = {"request_id": None, "instance": None}
    assert other.json() | same == missing.json() | same
    assert other.json()["detail"] == "没有这条人员记录"
    assert client.get(f"/api/v1/talent/people?firm={zone.firm_b}").status_code == 403
    assert _count(world, "talent.refused") == 2  # the other firm's person once, as not found
    attempt = world.scalar(
        sa.select(AuditEntry.after).where(
            AuditEntry.action == "talent.refused", AuditEntry.object_id == str(b)
        )
    )
    assert attempt["code"] == "not_found"


@pytest.mark.parametrize("username", ["other_officer", "analyst"])
def test_other_departments_are_refused_people(world, zone, two, make_client, username):
    client = _as(make_client, username)
    refused = client.get("/api/v1/talent/people")
    assert refused.status_code == 403
    assert "人才办" in refused.json()["detail"]
    assert client.get(f"/api/v1/talent/people/{two[0]}").status_code == 403
    assert _count(world, "talent.refused") == 2
    assert _count(world, "talent.people_read") == 0


def test_anonymous_gets_nothing(world, zone, two, make_client):
    client = _as(make_client, None)
    assert client.get("/api/v1/talent/people").status_code == 401
    assert client.get(f"/api/v1/talent/people/{two[0]}").status_code == 401
    assert client.get("/api/v1/talent/programmes").status_code == 401
    refused = client.post("/api/v1/talent/import/staff", files={"file": ("a.xlsx", b"")})
    assert refused.status_code in (401, 403)  # no session, no token: not signed in or no CSRF
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_a_firms_token_reads_and_imports_its_own_staff(world, zone, two, make_client, settings):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    token = world.token("人事系统", ["talent:staff", "enterprises:read"], settings.session_secret,
                        enterprise_id=zone.firm_a)  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    client = _as(make_client, None)
    assert [p["id"] for p in client.get("/api/v1/talent/people", headers=headers).json()] == [
        two[0]
    ]
    assert client.get(f"/api/v1/talent/people/{two[1]}", headers=headers).status_code == 404
    data = book(STAFF_HEADERS, [staff_row(41, name="钱一")])
    done = client.post("/api/v1/talent/import/staff", headers=headers,
                       files={"file": ("名单.xlsx", data)})  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.json()["committed"] is True
    assert world.scalar(sa.select(Person.enterprise_id).where(Person.name == "钱一")) == zone.firm_a
    with pytest.raises(InvalidInput, match="须绑定一家企业"):
        world.token("无企业", ["talent:staff"], settings.session_secret)
    with pytest.raises(InvalidInput, match="须绑定一家企业"):
        world.token("无企业", ["desk:submit", "zone:read"], settings.session_secret)


def test_an_import_with_one_bad_row_writes_nothing_and_says_where(world, zone, make_client):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    client = _as(make_client, "firm_a_user")
    bad_id = identity(52)[:-1] + ("0" if identity(52)[-1] != "0" else "1")
    data = book(STAFF_HEADERS, [staff_row(51, name="钱一"), staff_row(52, name="孙二", id=bad_id)])
    csrf = {"csrf_token": page_csrf(client, "/talent")}  # a signed-in browser's form
    answer = client.post(
        "/api/v1/talent/import/staff", files={"file": ("名单.xlsx", data)}, data=csrf
    )
    assert answer.status_code == 422
    body = answer.json()
    assert body["committed"] is False
    (problem,) = body["problems"]
    assert problem["row"] == 3
    assert problem["column"] == "身份证号"
    assert problem["value"] == mask(bad_id)
    assert "校验位错误" in problem["reason"]
    assert bad_id not in answer.text
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    good = book(STAFF_HEADERS, [staff_row(51)])
    checked = client.post(
        "/api/v1/talent/import/staff", files={"file": ("名单.xlsx", good)},
        data={"check_only": "true"} | csrf,
    )  # fmt: skip
    assert checked.status_code == 200
    assert (checked.json()["checked_only"], checked.json()["committed"]) == (True, False)
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    other = client.post("/api/v1/talent/import/staff", files={"file": ("名单.xlsx", data)},
                        data={"firm": str(zone.firm_b)} | csrf)  # fmt: skip
    assert other.status_code == 403
    officer = _as(make_client, "other_officer")
    refused = officer.post(
        "/api/v1/talent/import/staff", files={"file": ("名单.xlsx", data)},
        data={"firm": str(zone.firm_a), "csrf_token": page_csrf(officer, "/talent")},
    )  # fmt: skip
    assert refused.status_code == 403
    assert _count(world, "talent.refused") == 2


def test_programme_applications_as_each_caller_may_see_them(world, zone, setup, make_client):
    own = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    other = _attempt(world, zone, "firm_b_user", _apply(setup["round"], setup["b1"]))
    path = f"/api/v1/talent/programmes/rounds/{setup['round']}/applications"
    rounds = _as(make_client, "firm_a_user").get("/api/v1/talent/programmes")
    assert rounds.status_code == 200
    assert rounds.json()[0]["programme_name"] == "南孔精英计划"
    assert rounds.json()[0]["applications"] == 2
    users = ("talent_officer", "expert_1", "firm_a_user", "firm_b_user", "other_officer")
    seen = {u: _as(make_client, u).get(path) for u in users}
    assert {a["id"] for a in seen["talent_officer"].json()} == {own, other}
    assert {a["id"] for a in seen["expert_1"].json()} == {own, other}
    assert [a["id"] for a in seen["firm_a_user"].json()] == [own]
    assert [a["id"] for a in seen["firm_b_user"].json()] == [other]
    assert seen["other_officer"].status_code == 403
    assert "评审专家" in seen["other_officer"].json()["detail"]
    assert seen["firm_a_user"].json()[0]["average"] is None
    assert _count(world, "talent.programme_refused") == 1
    assert TODAY
