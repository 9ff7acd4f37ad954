"""The pipeline's pages and API as people use them: the list with its filters and export, a new
lead, a project's moves, refusals shown in Chinese and recorded, and no page for a firm's user."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.investment.conftest import lead
from wulian.core.audit.models import AuditEntry
from wulian.investment.models import InvestmentProject, StageEvent


@pytest.fixture
def app(app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
    return app


def signed_in(make_client, username):
    client = make_client()
    login(client, username)
    return client


def test_new_lead_form_creates_a_project_and_shows_it(world, zone, make_client):
    client = signed_in(make_client, "officer_a")
    page = client.get("/investment/new")
    assert page.status_code == 200
    assert "登记新线索" in page.text
    token = page_csrf(client, "/investment/new")
    response = client.post(
        "/investment/new",
        data={"csrf_token": token, "name": "氟硅新材料项目", "amount_yi": "35.2",
              "firm_name": "浙江某氟硅有限公司", "source": "expo", "chain": "fluorosilicon",
              "team_id": str(zone.team_a), "lead_on": "2026-06-01"},
    )  # fmt: skip
    assert response.status_code == 303
    detail = client.get(response.headers["location"])
    assert "项目已登记" in detail.text
    assert "35.2 亿元" in detail.text
    listing = client.get("/investment?chain=fluorosilicon")
    assert "氟硅新材料项目" in listing.text


def test_a_lead_in_wan_is_refused_in_chinese_nothing_written_and_audited(world, zone, make_client):
    client = signed_in(make_client, "officer_a")
    token = page_csrf(client, "/investment/new")
    response = client.post(
        "/investment/new",
        data={"csrf_token": token, "name": "错单位项目", "amount_yi": "120000",
              "firm_name": "某公司", "source": "business"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "疑似按万元填写（按万元即 12 亿元）" in response.text
    assert 'value="错单位项目"' in response.text  # the form comes back filled in
    assert world.scalar(sa.select(sa.func.count()).select_from(InvestmentProject)) == 0
    refused = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "investment.refused")
    )
    assert refused == 1


def test_moving_on_the_project_page_and_a_jump_refused(world, zone, make_client):
    pid = lead(world, zone.actor(world, "officer_a"), lead_on=dt.date(2026, 6, 1))
    client = signed_in(make_client, "officer_a")
    page = client.get(f"/investment/{pid}")
    assert 'id="move"' in page.text
    token = page_csrf(client, f"/investment/{pid}")
    jump = client.post(
        f"/investment/{pid}/move",
        data={"csrf_token": token, "to_stage": "signed", "expected_stage": "lead"},
    )
    assert jump.status_code == 422
    assert "不允许从“线索”直接转到“签约”" in jump.text
    done = client.post(
        f"/investment/{pid}/move",
        data={"csrf_token": token, "to_stage": "contact", "expected_stage": "lead",
              "on": "2026-06-10"},
    )  # fmt: skip
    assert done.status_code == 303
    page = client.get(done.headers["location"])
    assert "阶段已更新为“接洽”" in page.text
    assert world.scalar(sa.select(sa.func.count()).select_from(StageEvent)) == 2


def test_another_teams_officer_sees_no_move_form_and_is_refused(world, zone, make_client):
    pid = lead(world, zone.actor(world, "officer_a"))
    client = signed_in(make_client, "officer_b")
    page = client.get(f"/investment/{pid}")
    assert page.status_code == 200
    assert 'id="move"' not in page.text
    token = page_csrf(client, f"/investment/{pid}")
    refused = client.post(
        f"/investment/{pid}/move",
        data={"csrf_token": token, "to_stage": "contact", "expected_stage": "lead"},
    )
    assert refused.status_code == 403
    assert "只有该小组的工作人员或系统管理员可以修改" in refused.text
    stage = world.scalar(sa.select(InvestmentProject.stage).where(InvestmentProject.id == pid))
    assert stage == "lead"
    assert (
        world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "investment.refused"))
        == 1
    )


def test_the_list_flags_stale_leads_and_exports(world, zone, make_client):
    lead(world, zone.actor(world, "officer_a"), name="久未跟进项目", lead_on=dt.date(2026, 3, 1))
    client = signed_in(make_client, "analyst")
    page = client.get("/investment?stale=1")
    assert "久未跟进项目" in page.text
    assert "停滞" in page.text
    assert 'id="new-lead"' not in page.text  # analysts read only
    bad = client.get("/investment?band=huge")
    assert bad.status_code == 422
    assert "投资规模档" in bad.text
    export = client.get("/investment/export.xlsx?stale=1")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/vnd.openxmlformats")


def test_an_enterprise_user_gets_no_pipeline(world, zone, make_client):
    lead(world, zone.actor(world, "officer_a"))
    client = signed_in(make_client, "firm_user")
    for path in ("/investment", "/investment/new", "/investment/export.xlsx", "/investment/1",
                 "/investment/stages", "/api/v1/investment/projects"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    assert "项目库" not in client.get("/").text


def test_the_stage_table_is_edited_by_an_administrator_only(world, zone, make_client):
    officer = signed_in(make_client, "officer_a")
    assert 'id="stage-lead"' not in officer.get("/investment/stages").text
    token = page_csrf(officer, "/investment/stages")
    denied = officer.post(
        "/investment/stages/lead", data={"csrf_token": token, "name": "线索", "next_keys": "visit"}
    )
    assert denied.status_code == 403
    admin = signed_in(make_client, "admin")
    token = page_csrf(admin, "/investment/stages")
    saved = admin.post(
        "/investment/stages/lead",
        data={"csrf_token": token, "name": "项目线索", "next_keys": ["contact", "visit"],
              "stale_days": "14"},
    )  # fmt: skip
    assert saved.status_code == 303
    assert "项目线索" in admin.get("/investment/stages").text


def test_the_api_lists_creates_and_moves_with_the_same_checks(world, zone, make_client):
    client = signed_in(make_client, "officer_a")
    token = page_csrf(client, "/investment")
    headers = {"X-CSRF-Token": token}
    created = client.post(
        "/api/v1/investment/projects", headers=headers,
        json={"name": "API 项目", "amount_yi": "10", "source": "platform", "firm_name": "某公司"},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["amount_wan"] == 100_000
    assert body["band"] == "10"
    assert body["amount_yi"] == "10"
    pid = body["id"]
    jump = client.post(
        f"/api/v1/investment/projects/{pid}/move", headers=headers,
        json={"to_stage": "capacity", "expected_stage": "lead"},
    )  # fmt: skip
    assert jump.status_code == 422
    assert jump.headers["content-type"].startswith("application/problem+json")
    refused = sa.select(sa.func.count()).where(AuditEntry.action == "investment.refused")
    assert world.scalar(refused) == 1
    moved = client.post(
        f"/api/v1/investment/projects/{pid}/move", headers=headers,
        json={"to_stage": "contact", "expected_stage": "lead"},
    )  # fmt: skip
    assert moved.status_code == 200
    assert moved.json()["stage"] == "contact"
    listing = client.get("/api/v1/investment/projects?stage=contact").json()
    assert listing["total"] == 1
    detail = client.get(f"/api/v1/investment/projects/{pid}").json()
    assert [e["to_stage"] for e in detail["history"]] == ["lead", "contact"]
    assert len(client.get("/api/v1/investment/stages").json()) == 10


def test_a_token_needs_the_investment_scope(world, zone, client, settings):
    lead(world, zone.actor(world, "officer_a"))
    secret = settings.session_secret
    plain = world.token("报表", ["zone:read"], secret)
    refused = client.get(
        "/api/v1/investment/projects", headers={"Authorization": f"Bearer {plain}"}
    )
    assert refused.status_code == 403
    allowed = world.token("招商报表", ["investment:read"], secret)
    ok = client.get("/api/v1/investment/projects", headers={"Authorization": f"Bearer {allowed}"})
    assert ok.status_code == 200
    assert ok.json()["total"] == 1


def test_editing_details_is_checked_and_kept_to_the_team(world, zone, make_client):
    pid = lead(world, zone.actor(world, "officer_a"))
    client = signed_in(make_client, "officer_a")
    token = page_csrf(client, f"/investment/{pid}")
    fields = {"csrf_token": token, "revision": "1", "amount_yi": "12.5", "source": "expo",
              "chain": "lithium", "node": "cathode", "note": "已二次拜访"}  # fmt: skip
    wrong_unit = client.post(f"/investment/{pid}/edit", data={**fields, "amount_yi": "125000"})
    assert wrong_unit.status_code == 422
    assert "疑似按万元填写" in wrong_unit.text
    saved = client.post(f"/investment/{pid}/edit", data=fields)
    assert saved.status_code == 303
    project = world.scalar(sa.select(InvestmentProject).where(InvestmentProject.id == pid))
    assert (project.source, project.node, project.amount_wan) == ("expo", "cathode", 125_000)
    stale = client.post(f"/investment/{pid}/edit", data={**fields, "note": "旧页面"})
    assert stale.status_code == 409  # the page showed revision 1; it is 2 now
    assert "刚被其他人修改过" in stale.text
    other = signed_in(make_client, "officer_b")
    token = page_csrf(other, f"/investment/{pid}")
    denied = other.post(
        f"/investment/{pid}/edit", data={**fields, "csrf_token": token, "revision": "2"}
    )
    assert denied.status_code == 403
    assert world.scalar(sa.select(InvestmentProject.note).where(InvestmentProject.id == pid)) == (
        "已二次拜访"
    )
    refusals = sa.select(sa.func.count()).where(AuditEntry.action == "investment.refused")
    assert world.scalar(refusals) == 3


def test_a_firms_page_lists_its_projects_for_investment_staff_only(world, zone, make_client):
    lead(world, zone.actor(world, "officer_a"), name="二期扩产项目", firm=zone.firm_code,
         firm_name="", amount_yi="3.5", reinvestment=True)  # fmt: skip
    lead(world, zone.actor(world, "officer_a"), name="另一家企业的项目")
    staff = signed_in(make_client, "analyst")
    page = staff.get(f"/enterprises/{zone.firm}").text
    assert 'id="firm-investment"' in page
    assert "二期扩产项目" in page
    assert "3.5" in page
    assert "另一家企业的项目" not in page
    firm = signed_in(make_client, "firm_user")
    own = firm.get(f"/enterprises/{zone.firm}")
    assert own.status_code == 200
    assert 'id="firm-investment"' not in own.text  # an enterprise never sees the pipeline
