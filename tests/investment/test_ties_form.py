"""The 链上往来 form names every problem in one round: an unconfirmed suspect amount together
with the other mistakes, a year that is not a year with the rest, several problems as a numbered
list with the input kept; the list's 删除 asks first, naming the tie."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.investment.test_atlas import mapped
from tests.investment.test_ties import _count, _create
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput

__all__ = ["mapped"]


def test_a_suspect_amount_is_named_with_the_other_mistakes(world, mapped):
    with pytest.raises(InvalidInput) as caught:
        _create(world, "officer_a", zone_firm="无此企业", direction="买", amount_wan="0.5")
    error = caught.value
    assert error.message.startswith("有 3 处问题")
    assert [p["field"] for p in error.extra["problems"]] == ["zone_firm", "direction", "amount_wan"]
    assert "疑似按亿元填写（按亿元即 5000 万元）" in error.extra["problems"][2]["message"]
    with pytest.raises(InvalidInput, match=r"^年往来金额不足 1 万元"):  # alone: as before
        _create(world, "officer_a", amount_wan="0.5")
    assert _count(world) == 0
    _create(world, "officer_a", amount_wan="0.5", confirm_amount=True)  # confirmed: it stands
    assert _count(world) == 1


def test_the_page_lists_every_problem_numbered_and_keeps_the_input(world, mapped, make_client):
    client = make_client()
    login(client, "officer_a")
    token = page_csrf(client, "/investment/ties")
    form = {"csrf_token": token, "zone_firm": "图谱电芯有限公司", "direction": "buys",
            "partner": "", "product": "隔膜基膜", "amount_wan": "0.5", "year": "25",
            "source": "走访"}  # fmt: skip
    page = client.post("/investment/ties", data=form)
    assert page.status_code == 422
    text = html.unescape(page.text)
    assert 'id="form-problems"' in text
    items = text.split("<li data-field=")[1:]
    assert [i.split('"')[1] for i in items] == ["partner", "amount_wan", "year"]
    assert "请填写往来企业" in items[0]
    assert "疑似按亿元填写" in items[1]
    assert "年度应为四位数字" in items[2]
    assert 'value="0.5"' in page.text
    assert 'value="隔膜基膜"' in page.text
    assert _count(world) == 0
    refused = world.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action.like("%refused%")))  # fmt: skip
    assert refused == 1


def test_the_delete_button_asks_naming_the_tie(world, mapped, make_client):
    _create(world, "officer_a")
    client = make_client()
    login(client, "officer_a")
    text = html.unescape(client.get("/investment/ties").text)
    assert ('data-confirm="确定删除这条往来吗？图谱电芯有限公司 采购自 园外塑料有限公司'
            "（隔膜基膜，2025 年）") in text  # fmt: skip
