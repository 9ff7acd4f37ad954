"""The needs and matchmaking pages as people use them: a firm registers its need on the page and
sees only its own; the finance office registers an event with the proposed firms, records an
outcome and sees the totals; a bad amount is refused in Chinese and recorded; other staff read but
cannot write; a firm cannot open the events."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.conftest import login, page_csrf
from wulian.capital.models import FinancingNeed, MatchOutcome
from wulian.core.audit.models import AuditEntry


@pytest.fixture
def app(app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
    return app


def signed_in(make_client, username):
    client = make_client()
    login(client, username)
    return client


def test_needs_to_an_event_to_its_outcome_totals(world, zone, make_client):
    firm = signed_in(make_client, "firm_user")
    token = page_csrf(firm, "/capital/needs")
    response = firm.post("/capital/needs", data={
        "csrf_token": token, "amount_wan": "1200", "purpose": "设备购置", "term_months": "36",
        "collateral": "设备抵押"})  # fmt: skip
    assert response.status_code == 303
    own = firm.get("/capital/needs")
    assert "1,200" in own.text
    assert "设备购置" in own.text
    assert firm.get("/capital/events").status_code == 403

    fin = signed_in(make_client, "fin1")
    token = page_csrf(fin, "/capital/needs")
    fin.post("/capital/needs", data={"csrf_token": token, "firm": "衢州硅测科技有限公司",
                                     "amount_wan": "300", "purpose": "流动资金"})  # fmt: skip
    assert "300" not in firm.get("/capital/needs").text.split('id="needs"')[1].split("</table>")[0]
    events_page = fin.get("/capital/events")
    assert events_page.status_code == 200
    assert "建议邀请" in events_page.text
    token = page_csrf(fin, "/capital/events")
    response = fin.post("/capital/events", data={
        "csrf_token": token, "name": "2026 年上半年银企对接会", "held_on": "2026-05-20",
        "lenders": "衢州某银行、衢州农商银行",
        "firms": "衢州锂测材料有限公司、衢州硅测科技有限公司"})  # fmt: skip
    assert response.status_code == 303
    url = response.headers["location"].split("?")[0]
    token = page_csrf(fin, url)
    bad = fin.post(f"{url}/outcomes", data={
        "csrf_token": token, "firm": str(zone.firm), "lender": "衢州某银行",
        "granted_wan": "0.12"})  # fmt: skip
    assert bad.status_code == 422
    assert "疑似按亿元填写" in bad.text
    assert world.scalar(sa.select(sa.func.count()).select_from(MatchOutcome)) == 0
    assert world.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry)
        .where(AuditEntry.action == "capital.refused")
    ) == 1  # fmt: skip
    for firm_id, lender, granted, disbursed in (
        (zone.firm, "衢州某银行", "1000", "800"), (zone.firm_b, "衢州农商银行", "250", ""),
    ):  # fmt: skip
        done = fin.post(f"{url}/outcomes", data={
            "csrf_token": token, "firm": str(firm_id), "lender": lender,
            "granted_wan": granted, "disbursed_wan": disbursed})  # fmt: skip
        assert done.status_code == 303
    page = fin.get(url)
    totals = page.text.split('id="event-totals"')[1].split("</section>")[0]
    assert "1,250" in totals
    assert "800" in totals
    listing = fin.get("/capital/events").text
    assert "1,250" in listing.split('id="events-years"')[1]
    firm_page = firm.get(f"/capital/firms/{zone.firm}")
    assert "1,000" in firm_page.text.split('id="firm-outcomes"')[1]
    assert "250" not in firm_page.text.split('id="firm-outcomes"')[1].split("</table>")[0]


def test_other_staff_read_but_cannot_write(world, zone, make_client):
    analyst = signed_in(make_client, "inv1")
    assert analyst.get("/capital/needs").status_code == 200
    token = page_csrf(analyst, "/capital/needs")
    refused = analyst.post("/capital/needs", data={
        "csrf_token": token, "firm": "衢州硅测科技有限公司", "amount_wan": "300",
        "purpose": "流动资金"})  # fmt: skip
    assert refused.status_code == 403
    assert world.scalar(sa.select(sa.func.count()).select_from(FinancingNeed)) == 0
    assert analyst.get("/capital/needs/import").status_code == 403


def test_the_needs_import_checks_then_writes(world, zone, make_client):
    fin = signed_in(make_client, "fin1")
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "融资金额（万元）", "资金用途"])
    ws.append(["衢州锂测材料有限公司", "500", "流动资金"])
    ws.append(["衢州硅测科技有限公司", "0.05", "技术改造"])
    out = io.BytesIO()
    wb.save(out)
    token = page_csrf(fin, "/capital/needs/import")
    files = {"file": ("needs.xlsx", out.getvalue())}
    page = fin.post("/capital/needs/import", data={"csrf_token": token}, files=files)
    assert "疑似按亿元填写" in page.text
    assert "未写入任何数据" in page.text
    assert "融资金额（万元）" in page.text.split('id="needs-problems"')[1]
    assert world.scalar(sa.select(sa.func.count()).select_from(FinancingNeed)) == 0
    template = fin.get("/capital/needs/import/template.xlsx")
    assert template.status_code == 200


def test_the_credit_specs_are_listed_with_their_versions(world, zone, make_client):
    from tests.conftest import SYSTEM
    from wulian.capital import knowledge

    world.run(lambda s: knowledge.SPECS.install(s, actor=SYSTEM))
    page = signed_in(make_client, "fin1").get("/capital/credit/specs")
    assert page.status_code == 200
    assert "重庆模式" in page.text
    assert "湖北" in page.text or "七项指标" in page.text
    assert signed_in(make_client, "firm_user").get("/capital/credit/specs").status_code == 403
