"""Firms' financing needs as their users meet them: a firm registers its own need, the finance
office any zone firm's, a request of the desk's 融资需求 category becomes a linked need once, and
an xlsx list is imported all or nothing with row, column and value; amounts off by 10⁴ are
refused with the other reading; a firm sees only its own needs."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from tests.capital.conftest import TODAY
from tests.conftest import SYSTEM
from wulian.capital import needs
from wulian.capital.models import FinancingNeed
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.desk import service as desk


def need(world, actor, firm="衢州锂测材料有限公司", amount="500", purpose="流动资金", **fields):
    data = needs.NewNeed(firm=firm, amount_wan=amount, purpose=purpose, **fields)
    return int(world.run(lambda s: needs.create(s, actor=actor, today=TODAY, data=data).id))


def count(world):
    return world.scalar(sa.select(sa.func.count()).select_from(FinancingNeed))


def test_a_firm_registers_its_own_need_and_sees_only_its_own(world, zone):
    firm_user = zone.actor(world, "firm_user")
    own = need(world, firm_user, firm="衢州硅测科技有限公司", term_months="12",
               collateral="知识产权质押", deadline=dt.date(2026, 9, 30))  # fmt: skip
    row = world.run(lambda s: s.get(FinancingNeed, own))
    assert (row.enterprise_id, row.amount_yuan, row.term_months) == (zone.firm, 5_000_000, 12)
    assert row.status == "open"
    fin = zone.actor(world, "fin1")
    need(world, fin, firm="衢州硅测科技有限公司", amount="2000")
    assert [n.id for n in world.run(lambda s: needs.needs(s, actor=firm_user))] == [own]
    assert len(world.run(lambda s: needs.needs(s, actor=zone.actor(world, "analyst")))) == 2
    other = world.scalar(sa.select(FinancingNeed.id).where(FinancingNeed.id != own))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: needs.need_or_raise(s, actor=firm_user, need_id=other))
    with pytest.raises(PermissionDenied, match="只有金融办"):
        need(world, zone.actor(world, "inv1"))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: needs.set_status(s, actor=firm_user, need_id=own, status="met"))


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"amount": "0.5"}, "疑似按亿元填写（按亿元即 5000 万元）"),
        ({"amount": "2000000"}, "疑似按元填写"),
        ({"amount": "五百"}, "不是数字"),
        ({"purpose": " "}, "请填写资金用途"),
        ({"term_months": "0"}, "期限“0”应为 1–360 个月"),
        ({"term_months": "²"}, "期限“²”应为 1–360 个月"),  # a digit, but not a number
        ({"deadline": dt.date(2026, 1, 1)}, "早于今天"),
        ({"firm": "上海外测电子有限公司"}, "不在园区内"),
        ({"firm": "不存在公司"}, "企业名录里没有“不存在公司”"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_is_written(world, zone, fields, words):
    with pytest.raises(InvalidInput, match=re.escape(words)):
        need(world, zone.actor(world, "fin1"), **fields)
    assert count(world) == 0


def test_a_desk_financing_request_becomes_a_linked_need_once(world, zone):
    world.run(lambda s: desk.install_shipped(s, actor=SYSTEM))
    firm_user = zone.actor(world, "firm_user")

    def submit(session, category="financing", attributes=None):
        return desk.submit(
            session, actor=firm_user, title="扩产需要流动资金贷款", category=category,
            description="订单增加，需要 800 万元流动资金贷款，可提供专利质押。",
            attributes=attributes if attributes is not None else
            {"amount_wan": 800, "purpose": "流动资金"},
        ).id  # fmt: skip

    request_id = world.run(submit)
    fin = zone.actor(world, "fin1")
    tracking = world.run(lambda s: desk.get_or_raise(s, actor=SYSTEM, request_id=request_id)
                         .tracking_no)  # fmt: skip
    with pytest.raises(InvalidInput, match=f"^诉求 {tracking} 未分派给金融办"):  # not yet handed
        world.run(lambda s: needs.from_desk(s, actor=fin, today=TODAY, request_id=tracking))
    for step in (desk.Command("accept"), desk.Command("assign", department="finance")):
        world.run(lambda s, step=step: desk.act(s, actor=SYSTEM, request_id=request_id, step=step))
    made = world.run(lambda s: needs.from_desk(s, actor=fin, today=TODAY,
                                               request_id=f" {tracking.lower()} ",
                                               collateral="专利质押").id)  # fmt: skip
    row = world.run(lambda s: s.get(FinancingNeed, made))
    assert (row.amount_yuan, row.purpose, row.source) == (8_000_000, "流动资金", "desk")
    assert row.desk_request_id == request_id
    for typed in (tracking, str(request_id), request_id):  # the internal number works too
        with pytest.raises(Conflict, match=f"诉求 {tracking} 已登记为融资需求 {made}"):
            world.run(lambda s, typed=typed: needs.from_desk(s, actor=fin, today=TODAY,
                                                             request_id=typed))  # fmt: skip
    for typed, words in (("QH99999999999", "没有编号为 QH99999999999 的诉求"),
                         ("第4件", "诉求编号“第4件”无效：请填写受理编号")):  # fmt: skip
        with pytest.raises(InvalidInput, match=words):
            world.run(lambda s, typed=typed: needs.from_desk(s, actor=fin, today=TODAY,
                                                             request_id=typed))  # fmt: skip
    other = world.run(lambda s: submit(s, category="power", attributes={"capacity_kva": 400}))
    for step in (desk.Command("accept"), desk.Command("assign", department="finance")):
        world.run(lambda s, step=step: desk.act(s, actor=SYSTEM, request_id=other, step=step))
    with pytest.raises(InvalidInput, match="不是“融资需求”类诉求"):
        world.run(lambda s: needs.from_desk(s, actor=fin, today=TODAY, request_id=other))
    assert count(world) == 1


def book(rows, headers=("企业名称", "融资金额（万元）", "资金用途", "期限（月）", "可提供担保",
                        "需求截止日期")) -> bytes:  # fmt: skip
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def load(world, actor, data, dry_run=False):
    return world.run(
        lambda s: needs.import_needs(
            s, actor=actor, today=TODAY, data=data, filename="needs.xlsx", dry_run=dry_run
        )
    )


def test_the_import_is_all_or_nothing_with_row_column_and_value(world, zone):
    fin = zone.actor(world, "fin1")
    bad = book([
        ("衢州锂测材料有限公司", "500", "流动资金", "12", "信用", "2026-12-31"),
        ("衢州硅测科技有限公司", "0.3", "设备购置", "", "", ""),
        ("衢州硅测科技有限公司", "300", "技术改造", "十二", "", ""),
        ("衢州硅测科技有限公司", "300", "技术改造", "", "", "明年"),
    ])  # fmt: skip
    report = load(world, fin, bad)
    assert not report.committed
    found = [(p.row, p.column, p.value) for p in report.problems]
    assert found == [(3, "融资金额（万元）", "0.3"), (4, "期限（月）", "十二"),
                     (5, "需求截止日期", "明年")]  # fmt: skip
    assert "疑似按亿元填写" in report.problems[0].reason
    assert count(world) == 0
    good = book([
        ("衢州锂测材料有限公司", "500", "流动资金", "12", "信用", "2026-12-31"),
        ("衢州硅测科技有限公司", "1,200", "设备购置", "36", "设备抵押", ""),
    ])  # fmt: skip
    checked = load(world, fin, good, dry_run=True)
    assert (checked.created, checked.committed, count(world)) == (2, False, 0)
    done = load(world, fin, good)
    assert (done.committed, done.total_yuan, count(world)) == (True, 17_000_000, 2)
    several = load(
        world, fin, book([("不存在的公司", "500", "流动资金", "十二", "", "2026/13/01")])
    )
    assert sorted((p.row, p.column, p.value) for p in several.problems) == sorted(
        [
            (2, "需求截止日期", "2026/13/01"),
            (2, "企业名称", "不存在的公司"),
            (2, "期限（月）", "十二"),
        ]
    )  # every problem of a row, not only the first
    assert count(world) == 2
    short = book([("衢州锂测材料有限公司", "500")], headers=("企业名称", "融资金额（万元）"))
    missing = load(world, fin, short)
    assert [p.reason for p in missing.problems] == ["缺少“资金用途”列"]
    with pytest.raises(PermissionDenied):
        load(world, zone.actor(world, "firm_user"), good)


def test_the_same_need_sent_twice_from_the_form_is_registered_once(world, zone):
    firm_user = zone.actor(world, "firm_user")
    first = need(world, firm_user, firm="", amount="300")
    with pytest.raises(Conflict, match=f"刚刚已登记了同一笔融资需求（编号 {first}）"):
        need(world, firm_user, firm="", amount="300")
    assert count(world) == 1
    need(world, firm_user, firm="", amount="300", purpose="设备购置")  # another need
    assert count(world) == 2


def test_a_firm_user_who_must_change_the_password_first_cannot_register_a_need(world, zone):
    from wulian.core.errors import PasswordChangeRequired
    from wulian.core.permissions import Role

    world.user("firm_new", Role.ENTERPRISE, enterprise_id=zone.firm, must_change_password=True)
    with pytest.raises(PasswordChangeRequired):
        need(world, zone.actor(world, "firm_new"), firm="", amount="300")
    assert count(world) == 0


def test_the_needs_page_takes_the_request_number_users_see(world, zone, make_client):
    """The officer types the 受理编号 shown on the desk (QH…); one not handed to 金融办 is named
    with the form kept (not a 403 page), and the refused attempt is recorded."""
    from tests.capital.test_form_problems import refusals
    from tests.capital.test_pages import signed_in
    from tests.conftest import page_csrf

    world.run(lambda s: desk.install_shipped(s, actor=SYSTEM))
    firm_user = zone.actor(world, "firm_user")
    request_id, tracking = world.run(lambda s: (lambda r: (r.id, r.tracking_no))(desk.submit(
        s, actor=firm_user, title="扩产需要流动资金贷款", category="financing",
        description="订单增加，需要 3800 万元流动资金贷款。",
        attributes={"amount_wan": 3800, "purpose": "流动资金"})))  # fmt: skip
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital/needs")
    form = {"csrf_token": token, "request_id": tracking, "term_months": "12",
            "collateral": "专利质押"}  # fmt: skip
    page = client.post("/capital/needs/from-desk", data=form)
    assert page.status_code == 422
    assert f"诉求 {tracking} 未分派给金融办" in page.text
    assert f'value="{tracking}"' in page.text
    assert 'value="专利质押"' in page.text
    assert count(world) == 0
    assert refusals(world) == 1
    for step in (desk.Command("accept"), desk.Command("assign", department="finance")):
        world.run(lambda s, step=step: desk.act(s, actor=SYSTEM, request_id=request_id, step=step))
    made = client.post("/capital/needs/from-desk", data=form)
    assert made.status_code == 303
    row = world.scalar(sa.select(FinancingNeed))
    assert (row.desk_request_id, row.amount_yuan, row.term_months) == (request_id, 38_000_000, 12)
    again = client.post("/capital/needs/from-desk", data=form | {"request_id": str(request_id)})
    assert again.status_code == 409
    assert f"诉求 {tracking} 已登记为融资需求 {row.id}" in again.text
    assert count(world) == 1
