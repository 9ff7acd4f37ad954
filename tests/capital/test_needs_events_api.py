"""The JSON API of financing needs and 银企对接 events, per role: the finance office reads and
writes; other staff with the finance permission read; another department's officer may not
write; a firm reads and registers its own needs only and sees no event; writes are audited,
refusals recorded, bad input refused in Chinese with the field."""

from __future__ import annotations

import sqlalchemy as sa

from tests.capital.test_pages import signed_in
from tests.conftest import page_csrf
from wulian.capital.models import FinancingNeed, MatchEvent, MatchOutcome
from wulian.core.audit.models import AuditEntry

FIRMS = ["衢州锂测材料有限公司", "衢州硅测科技有限公司"]


def api(make_client, username):
    client = signed_in(make_client, username)
    return client, {"X-CSRF-Token": page_csrf(client, "/")}


def count(world, model):
    return world.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_finance_office_registers_and_reads_needs_and_events(world, zone, make_client):
    client, csrf = api(make_client, "fin1")
    made = client.post("/api/v1/capital/needs", headers=csrf, json={
        "firm": "衢州硅测科技有限公司", "amount_wan": "800", "purpose": "设备购置",
        "term_months": 24, "deadline": "2026-12-31"})  # fmt: skip
    assert made.status_code == 201, made.text
    need = made.json()
    assert (need["amount_yuan"], need["amount_wan"], need["status"]) == (8_000_000, "800", "open")
    assert client.get(f"/api/v1/capital/needs/{need['id']}").json()["firm_name"] == FIRMS[1]
    assert [n["id"] for n in client.get("/api/v1/capital/needs?status=open").json()] == [
        need["id"]]  # fmt: skip
    moved = client.post(f"/api/v1/capital/needs/{need['id']}/status", headers=csrf,
                        json={"status": "matching"})  # fmt: skip
    assert moved.json()["status"] == "matching"
    body = {"name": "2026 年锂电产业链银企对接会", "held_on": "2026-05-20",
            "lenders": ["衢州某银行", "衢州农商银行"], "firms": FIRMS}  # fmt: skip
    created = client.post("/api/v1/capital/events", headers=csrf, json=body)
    assert created.status_code == 201, created.text
    event_id = created.json()["id"]
    assert created.json()["firms"] == [zone.firm, zone.firm_b]
    result = client.post(f"/api/v1/capital/events/{event_id}/outcomes", headers=csrf, json={
        "firm": FIRMS[1], "lender": "衢州某银行", "need_id": need["id"], "granted_wan": "800",
        "disbursed_wan": "500"})  # fmt: skip
    assert result.status_code == 201, result.text
    detail = client.get(f"/api/v1/capital/events/{event_id}").json()
    assert detail["totals"] == {"firms": 2, "intentions": 1, "granted_yuan": 8_000_000,
                                "disbursed_yuan": 5_000_000, "firms_granted": 1}  # fmt: skip
    assert detail["outcomes"][0]["firm_name"] == FIRMS[1]
    listed = client.get("/api/v1/capital/events").json()
    assert listed[0]["totals"]["granted_yuan"] == 8_000_000
    # the writes are in the audit trail, as the officer's
    kinds = set(world.run(lambda s: s.scalars(sa.select(AuditEntry.object_type).where(
        AuditEntry.actor_label.like("%fin1%"))).all()))  # fmt: skip
    assert {"capital_needs", "capital_events", "capital_event_outcomes"} <= kinds


def test_bad_input_is_refused_in_chinese_with_the_field(world, zone, make_client):
    client, csrf = api(make_client, "fin1")
    bad = client.post("/api/v1/capital/needs", headers=csrf, json={
        "firm": FIRMS[0], "amount_wan": "0.5", "purpose": "流动资金"})  # fmt: skip
    assert bad.status_code == 422
    assert bad.json()["field"] == "amount_wan"
    assert "疑似按亿元填写" in bad.json()["detail"]
    missing = client.post("/api/v1/capital/needs", headers=csrf, json={"firm": FIRMS[0]})
    assert missing.status_code == 422
    assert "“融资金额（万元）”" in missing.json()["detail"]
    outside = client.post("/api/v1/capital/events", headers=csrf, json={
        "name": "对接会", "held_on": "2026-05-20", "lenders": ["衢州某银行"],
        "firms": ["上海外测电子有限公司"]})  # fmt: skip
    assert outside.status_code == 422
    assert (outside.json()["field"], outside.json()["detail"]) == (
        "firms", "企业“上海外测电子有限公司”不在园区内")  # fmt: skip
    assert count(world, FinancingNeed) == count(world, MatchEvent) == 0
    refused = world.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "capital.refused"))  # fmt: skip
    assert refused == 2  # the two refused by the service (the shape error never reached it)


def test_other_staff_read_but_cannot_write(world, zone, make_client):
    fin, fin_csrf = api(make_client, "fin1")
    fin.post(
        "/api/v1/capital/events",
        headers=fin_csrf,
        json={"name": "对接会", "held_on": "2026-05-20", "lenders": ["衢州某银行"], "firms": FIRMS},
    )
    for who in ("analyst", "inv1"):
        client, csrf = api(make_client, who)
        assert client.get("/api/v1/capital/events").status_code == 200
        assert client.get("/api/v1/capital/needs").status_code == 200
        refused = client.post("/api/v1/capital/needs", headers=csrf, json={
            "firm": FIRMS[0], "amount_wan": "500", "purpose": "流动资金"})  # fmt: skip
        assert refused.status_code == 403
        event_id = world.scalar(sa.select(MatchEvent.id))
        refused = client.post(f"/api/v1/capital/events/{event_id}/outcomes", headers=csrf,
                              json={"firm": FIRMS[0], "lender": "衢州某银行"})  # fmt: skip
        assert refused.status_code == 403
    assert count(world, FinancingNeed) == count(world, MatchOutcome) == 0
    attempts = world.run(lambda s: s.scalars(sa.select(AuditEntry.after).where(
        AuditEntry.action == "capital.refused")).all())  # fmt: skip
    assert {a["attempt"] for a in attempts} == {"登记融资需求（接口）", "登记银企对接成效（接口）"}


def test_a_firm_reads_and_registers_only_its_own_needs(world, zone, make_client):
    fin, fin_csrf = api(make_client, "fin1")
    theirs = fin.post("/api/v1/capital/needs", headers=fin_csrf, json={
        "firm": FIRMS[1], "amount_wan": "300", "purpose": "流动资金"}).json()  # fmt: skip
    client, csrf = api(make_client, "firm_user")
    own = client.post("/api/v1/capital/needs", headers=csrf, json={
        "firm": FIRMS[1], "amount_wan": "500", "purpose": "研发投入"})  # fmt: skip
    assert own.status_code == 201
    assert own.json()["enterprise_id"] == zone.firm  # its own firm, whatever is typed
    assert [n["id"] for n in client.get("/api/v1/capital/needs").json()] == [own.json()["id"]]
    assert client.get(f"/api/v1/capital/needs/{theirs['id']}").status_code == 403
    assert client.get("/api/v1/capital/events").status_code == 403
    moved = client.post(f"/api/v1/capital/needs/{own.json()['id']}/status", headers=csrf,
                        json={"status": "met"})  # fmt: skip
    assert moved.status_code == 403
    assert world.scalar(sa.select(FinancingNeed.status).where(
        FinancingNeed.id == own.json()["id"])) == "open"  # fmt: skip


def test_tokens_read_by_scope(world, zone, client, settings):
    secret = settings.session_secret
    reader = world.token("金融报表", ["finance:read"], secret)
    other = world.token("其他", ["zone:read"], secret)
    ok = client.get("/api/v1/capital/events", headers={"Authorization": f"Bearer {reader}"})
    assert ok.status_code == 200
    refused = client.get("/api/v1/capital/needs", headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 403
