"""Amounts as users type them: the field's own unit may follow the number (“50万” in a 万元
field, “1.5亿” in a 亿元 field), another unit is refused naming the field's unit, exponent notation
(“1e3”) is refused; an event outcome with 无意向 names the conflict together with an amount's own
problem, in one round, on the service and on the page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_events import event, outcome
from tests.capital.test_form_problems import refusals
from tests.capital.test_pages import signed_in
from tests.conftest import page_csrf
from wulian.capital import needs, service
from wulian.capital.models import FinancingNeed, MatchOutcome
from wulian.core.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "unit", "yuan"),
    [("50万", "万元", 500_000), ("50 万元", "万元", 500_000), ("1,200万元", "万元", 12_000_000),
     ("3800", "万元", 38_000_000), ("1.5亿", "亿元", 150_000_000), ("2 亿元", "亿元", 200_000_000),
     ("12.5", "亿元", 1_250_000_000), ("５０万", "万元", 500_000), ("１.５亿", "亿元", 150_000_000),
     ("１２．５", "亿元", 1_250_000_000)],
)  # fmt: skip
def test_the_fields_own_unit_may_follow_the_number(text, unit, yuan):
    assert service.parse_money(text, unit, field="f", label="金额") == yuan


@pytest.mark.parametrize(
    ("text", "unit", "words"),
    [("500元", "万元", "金额“500元”的单位不对：本栏按万元填写"),
     ("5亿", "万元", "金额“5亿”的单位不对：本栏按万元填写，5亿即 50000 万元，请填“50000”"),
     ("5000万", "亿元", "金额“5000万”的单位不对：本栏按亿元填写，5000万即 0.5 亿元，请填“0.5”"),
     ("5万", "亿元", "5万即 0.0005 亿元，请填“0.0005”"),
     ("3千万", "万元", "单位不对：本栏按万元填写，3千万即 3000 万元"),
     ("1.5亿万", "亿元", "请换算成亿元（如“12.5”或“12.5亿元”）"),
     ("1e3", "万元", "金额“1e3”请写成普通数字（如 1000 或 12.5），不要用科学计数法"),
     ("2.5E2万", "万元", "不要用科学计数法"),
     ("8百", "万元", "金额“8百”不是数字（单位：万元）"),
     ("五十万", "万元", "不是数字"), ("0x10", "万元", "不是数字"), ("nan", "万元", "不是数字"),
     ("５０x", "万元", "不是数字")],
)  # fmt: skip
def test_other_units_and_exponents_are_refused_naming_the_unit(text, unit, words):
    with pytest.raises(InvalidInput, match=re.escape(words)) as refused:
        service.parse_money(text, unit, field="f", label="金额")
    assert refused.value.extra["field"] == "f"


def test_a_need_typed_as_50_wan_is_registered(world, zone):
    fin = zone.actor(world, "fin1")
    data = needs.NewNeed(firm="衢州锂测材料有限公司", amount_wan="50万", purpose="流动资金")
    world.run(lambda s: needs.create(s, actor=fin, today=TODAY, data=data))
    assert world.scalar(sa.select(FinancingNeed.amount_yuan)) == 500_000
    data = needs.NewNeed(firm="衢州锂测材料有限公司", amount_wan="1e4", purpose="设备")
    with pytest.raises(InvalidInput, match="融资金额“1e4”请写成普通数字"):
        world.run(lambda s: needs.create(s, actor=fin, today=TODAY, data=data))


def test_no_intention_with_amounts_is_named_with_the_amounts_problems(world, zone):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    with pytest.raises(InvalidInput) as refused:
        outcome(world, fin, first, intention=False, granted_wan="8百", disbursed_wan="900")
    problems = refused.value.extra["problems"]
    assert [p["field"] for p in problems] == ["granted_wan", "intention"]
    assert "授信金额“8百”不是数字" in problems[0]["message"]
    assert problems[1]["message"].startswith("选了“无意向”，却填了授信或放款金额")
    with pytest.raises(InvalidInput, match="授信金额“1e3”请写成普通数字"):
        outcome(world, fin, first, granted_wan="1e3")
    assert world.scalar(sa.select(sa.func.count()).select_from(MatchOutcome)) == 0
    outcome(world, fin, first, granted_wan="1000万", disbursed_wan="800万元")
    assert world.scalar(sa.select(MatchOutcome.granted_yuan)) == 10_000_000


def test_the_outcome_page_shows_both_problems_at_once(world, zone, make_client):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, f"/capital/events/{first}")
    page = client.post(f"/capital/events/{first}/outcomes", data={
        "csrf_token": token, "firm": str(zone.firm), "lender": "衢州某银行", "intention": "0",
        "granted_wan": "8百", "disbursed_wan": "900"})  # fmt: skip
    assert page.status_code == 422
    assert page.text.count("<li data-field=") == 2
    assert "授信金额“8百”不是数字" in page.text
    assert "选了“无意向”" in page.text
    assert 'value="8百"' in page.text
    assert refusals(world) == 1
    assert world.scalar(sa.select(sa.func.count()).select_from(MatchOutcome)) == 0
