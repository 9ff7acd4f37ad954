"""A 银企对接 event, an event's outcome or a financing need typed with several mistakes is refused
with every one of them at once (each naming its field and value, in Chinese), on the service, on
the pages (the input kept in the form) and in the JSON API (422 with the list); nothing is
written, and the refused attempt is recorded."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_events import event
from tests.capital.test_pages import signed_in
from tests.conftest import page_csrf
from wulian.capital import events, needs
from wulian.capital.models import FinancingNeed, MatchEvent, MatchOutcome
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput


def count(world, model):
    return world.scalar(sa.select(sa.func.count()).select_from(model))


def refusals(world):
    return world.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "capital.refused"))  # fmt: skip


def test_an_event_with_several_mistakes_names_them_all(world, zone):
    fin = zone.actor(world, "fin1")
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: events.create_event(
            s, actor=fin, today=TODAY, name=" ", held_on=dt.date(2030, 1, 1), lenders="",
            firms="上海外测电子有限公司、没有这家公司"))  # fmt: skip
    error = refused.value
    assert error.message.startswith("银企对接活动有 5 处问题，未保存：1. 活动名称不能为空")
    for words in (
        "活动日期 2030-01-01 过远",
        "请至少填写一家参会银行",
        "企业“上海外测电子有限公司”不在园区内",
        "企业名录里没有“没有这家公司”",
    ):
        assert words in error.message
    assert [p["field"] for p in error.extra["problems"]] == [
        "name", "held_on", "lenders", "firms", "firms"]  # fmt: skip
    assert error.extra["problems"][4]["value"] == "没有这家公司"
    assert count(world, MatchEvent) == 0
    # one mistake alone reads as before
    with pytest.raises(InvalidInput, match=r"^请填写活动日期$"):
        world.run(
            lambda s: events.create_event(
                s,
                actor=fin,
                today=TODAY,
                name="对接会",
                held_on=None,
                lenders="衢州某银行",
                firms="",
            )
        )


def test_an_outcome_with_several_mistakes_names_them_all(world, zone):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    data = events.NewOutcome(firm="上海外测电子有限公司", lender="外地银行", granted_wan="0.2",
                             loan_id=999, product_id=998)  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: events.record(s, actor=fin, event_id=first, data=data, today=TODAY))
    error = refused.value
    assert error.message.startswith("对接成效有 5 处问题，未保存：")
    for words in (
        "企业“上海外测电子有限公司”不是本次活动的参会企业",
        "机构“外地银行”不是本次活动的参会机构",
        "产品：没有编号为 998 的融资产品",
        "授信金额“0.2”万元不足 1 万元",
        "贷款编号：没有编号为 999 的贷款",
    ):
        assert words in error.message
    assert {p["field"] for p in error.extra["problems"]} == {
        "firm", "lender", "product_id", "granted_wan", "loan_id"}  # fmt: skip
    assert count(world, MatchOutcome) == 0
    # amounts that contradict each other are named with the other mistakes
    data = events.NewOutcome(firm="衢州锂测材料有限公司", lender="外地银行", intention=False,
                             disbursed_wan="300")  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: events.record(s, actor=fin, event_id=first, data=data, today=TODAY))
    assert [p["field"] for p in refused.value.extra["problems"]] == [
        "lender", "intention", "granted_wan"]  # fmt: skip


def test_a_need_with_several_mistakes_names_them_all(world, zone):
    fin = zone.actor(world, "fin1")
    data = needs.NewNeed(firm="上海外测电子有限公司", amount_wan="0.5", purpose="",
                         term_months="999", deadline=dt.date(2026, 1, 1))  # fmt: skip
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: needs.create(s, actor=fin, today=TODAY, data=data))
    error = refused.value
    assert error.message.startswith(
        "融资需求有 5 处问题，未保存：1. 企业“上海外测电子有限公司”不在园区内"
    )
    for words in ("融资金额“0.5”万元不足 1 万元", "请填写资金用途", "期限“999”应为 1–360 个月",
                  "需求截止日期 2026-01-01 早于今天"):  # fmt: skip
        assert words in error.message
    assert count(world, FinancingNeed) == 0


def test_the_pages_show_every_problem_and_keep_what_was_typed(world, zone, make_client):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital/events")
    page = client.post("/capital/events", data={
        "csrf_token": token, "name": "锂电对接会", "held_on": "2026-13-01", "lenders": "",
        "firms": "衢州锂测材料有限公司、没有这家公司"})  # fmt: skip
    assert page.status_code == 422
    assert page.text.count("<li data-field=") == 3
    for words in ("日期“2026-13-01”格式应为 YYYY-MM-DD", "请至少填写一家参会银行", "没有这家公司"):
        assert words in page.text
    assert 'value="锂电对接会"' in page.text
    assert "衢州锂测材料有限公司、没有这家公司</textarea>" in page.text
    assert count(world, MatchEvent) == 1
    page = client.post(f"/capital/events/{first}/outcomes", data={
        "csrf_token": token, "firm": str(zone.firm), "lender": "衢州某银行", "intention": "0",
        "granted_wan": "800", "disbursed_wan": "900", "loan_id": "abc"})  # fmt: skip
    assert page.status_code == 422
    assert page.text.count("<li data-field=") == 3
    for words in ("贷款编号“abc”无效", "选了“无意向”", "放款金额 900 万元大于授信金额 800 万元"):
        assert words in page.text
    assert '<option value="0" selected>无</option>' in page.text
    assert 'value="900"' in page.text
    page = client.post("/capital/needs", data={
        "csrf_token": token, "firm": "没有这家公司", "amount_wan": "五百", "purpose": "流动资金",
        "term_months": "0"})  # fmt: skip
    assert page.status_code == 422
    assert page.text.count("<li data-field=") == 3
    assert 'value="流动资金"' in page.text
    assert 'value="五百"' in page.text
    page = client.post(
        "/capital/needs/from-desk",
        data={
            "csrf_token": token,
            "request_id": "x",
            "term_months": "400",
            "collateral": "设备抵押",
        },
    )
    assert page.status_code == 422
    assert "诉求编号“x”无效" in page.text
    assert "期限“400”应为 1–360 个月" in page.text
    assert 'value="设备抵押"' in page.text
    assert count(world, MatchOutcome) == count(world, FinancingNeed) == 0
    assert refusals(world) == 4


def test_the_api_answers_422_with_every_problem(world, zone, make_client):
    client = signed_in(make_client, "fin1")
    csrf = {"X-CSRF-Token": page_csrf(client, "/")}
    bad = client.post(
        "/api/v1/capital/events",
        headers=csrf,
        json={
            "name": "",
            "held_on": "2026-05-20",
            "lenders": [],
            "firms": ["上海外测电子有限公司"],
        },
    )
    assert bad.status_code == 422
    body = bad.json()
    assert body["detail"].startswith("银企对接活动有 3 处问题")
    assert [p["field"] for p in body["problems"]] == ["name", "lenders", "firms"]
    need = client.post(
        "/api/v1/capital/needs",
        headers=csrf,
        json={
            "firm": "衢州锂测材料有限公司",
            "amount_wan": "0.5",
            "purpose": "",
            "term_months": 999,
        },
    )
    assert need.status_code == 422
    assert [p["field"] for p in need.json()["problems"]] == [
        "amount_wan", "purpose", "term_months"]  # fmt: skip
    assert count(world, MatchEvent) == count(world, FinancingNeed) == 0
    assert refusals(world) == 2
