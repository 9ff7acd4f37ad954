"""Matchmaking events (银企对接) as their users meet them: an event with its lenders and firms,
outcomes per firm × lender × product (a linked loan gives its amounts), the event's totals and the
totals by year and chain, the open needs matched to products to propose whom to invite; only the
finance office writes; a firm sees its own outcomes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_products import KEJI, product
from tests.capital.test_products import firm_data as firm_data  # the fixture
from wulian.capital import events, loans, needs
from wulian.capital.models import FinancingNeed, MatchOutcome
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied

LENDERS = "衢州某银行、衢州农商银行"
FIRMS = "衢州锂测材料有限公司、衢州硅测科技有限公司"


def event(world, actor, name="2026 年锂电产业链银企对接会", **fields):
    values = {"held_on": dt.date(2026, 5, 20), "lenders": LENDERS, "firms": FIRMS} | fields
    return int(world.run(lambda s: events.create_event(s, actor=actor, today=TODAY, name=name,
                                                       **values).id))  # fmt: skip


def outcome(world, actor, event_id, **fields):
    data = events.NewOutcome(**({"firm": "衢州锂测材料有限公司", "lender": "衢州某银行"} | fields))
    return world.run(lambda s: events.record(s, actor=actor, event_id=event_id, data=data).id)


def test_outcomes_add_up_to_the_event_and_by_year_and_chain(world, zone):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    loan = loans.NewLoan(firm="衢州硅测科技有限公司", lender="衢州农商银行", granted="800",
                         disbursed="600", granted_on=dt.date(2026, 6, 1))  # fmt: skip
    loan_id = world.run(lambda s: loans.register(s, actor=fin, today=TODAY, data=loan).id)
    outcome(world, fin, first, granted_wan="1000", disbursed_wan="500")
    outcome(world, fin, first, lender="衢州农商银行")  # an intention only
    outcome(world, fin, first, firm="衢州硅测科技有限公司", lender="衢州农商银行", loan_id=loan_id)
    linked = world.scalar(sa.select(MatchOutcome).where(MatchOutcome.loan_id == loan_id))
    assert (linked.granted_yuan, linked.disbursed_yuan) == (8_000_000, 6_000_000)
    totals = world.run(lambda s: events.event_totals(s, actor=fin, event_id=first))
    assert (totals.firms, totals.intentions, totals.granted, totals.disbursed) == (
        2, 3, 18_000_000, 11_000_000)  # fmt: skip
    assert len(totals.firms_granted) == 2
    older = event(world, fin, name="2025 年银企对接会", held_on=dt.date(2025, 11, 3),
                  firms="衢州锂测材料有限公司")  # fmt: skip
    outcome(world, fin, older, granted_wan="200", disbursed_wan="200")
    summary = world.run(lambda s: events.summary(s, actor=zone.actor(world, "analyst")))
    assert list(summary.by_year) == [2026, 2025]
    assert (summary.by_year[2026].granted, summary.by_year[2025].granted) == (18_000_000, 2_000_000)
    assert (summary.by_year[2026].events, summary.by_year[2026].firms) == (1, 2)
    assert sum(t.granted for t in summary.by_chain.values()) == 20_000_000


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"firm": "上海外测电子有限公司"}, "不是本次活动的参会企业"),
        ({"lender": "外地银行"}, "“外地银行”不是本次活动的参会机构"),
        ({"granted_wan": "0.2"}, "疑似按亿元填写"),
        ({"granted_wan": "100", "disbursed_wan": "300"}, "放款金额 300 万元大于授信金额 100 万元"),
        ({"disbursed_wan": "300"}, "已放款的须填写授信金额"),
    ],
)
def test_bad_outcomes_are_refused_and_nothing_is_written(world, zone, fields, words):
    fin = zone.actor(world, "fin1")
    first = event(world, fin)
    with pytest.raises(InvalidInput, match=re.escape(words)):
        outcome(world, fin, first, **fields)
    assert world.scalar(sa.select(sa.func.count()).select_from(MatchOutcome)) == 0


def test_an_event_needs_lenders_and_zone_firms_and_outcomes_are_recorded_once(world, zone):
    fin = zone.actor(world, "fin1")
    with pytest.raises(InvalidInput, match="请至少填写一家参会银行"):
        event(world, fin, lenders=" ")
    with pytest.raises(InvalidInput, match="不在园区内"):
        event(world, fin, firms="上海外测电子有限公司")
    first = event(world, fin)
    outcome(world, fin, first)
    with pytest.raises(Conflict, match="已登记"):
        outcome(world, fin, first)


def test_only_the_finance_office_writes_and_a_firm_sees_its_own_outcomes(world, zone):
    fin = zone.actor(world, "fin1")
    with pytest.raises(PermissionDenied, match="只有金融办"):
        event(world, zone.actor(world, "inv1"))
    first = event(world, fin)
    with pytest.raises(PermissionDenied, match="只有金融办"):
        outcome(world, zone.actor(world, "inv1"), first)
    with pytest.raises(PermissionDenied):
        outcome(world, zone.actor(world, "analyst"), first)
    outcome(world, fin, first, granted_wan="300")
    outcome(world, fin, first, firm="衢州硅测科技有限公司", granted_wan="100")
    firm_user = zone.actor(world, "firm_user")
    own = world.run(lambda s: events.firm_outcomes(s, actor=firm_user, enterprise_id=zone.firm))
    assert [o.granted_yuan for o in own] == [3_000_000]
    with pytest.raises(PermissionDenied):
        world.run(lambda s: events.firm_outcomes(s, actor=firm_user, enterprise_id=zone.firm_b))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: events.events(s, actor=firm_user))


@pytest.mark.usefixtures("firm_data")
def test_open_needs_are_matched_to_products_to_propose_whom_to_invite(world, zone):
    fin = zone.actor(world, "fin1")
    product(world, fin, "科技贷", KEJI, max_wan="1000")
    product(world, fin, "大额科技贷", KEJI, min_wan="2000")
    small = needs.NewNeed(firm="衢州锂测材料有限公司", amount_wan="500", purpose="流动资金")
    other = needs.NewNeed(firm="衢州硅测科技有限公司", amount_wan="500", purpose="设备购置")
    for data in (small, other):
        world.run(lambda s, data=data: needs.create(s, actor=fin, today=TODAY, data=data))
    found = world.run(lambda s: events.invitations(s, actor=fin, today=TODAY))
    by_firm = {p.need.firm_name: [m.product.name for m in p.matches] for p in found.proposals}
    # the firm with figures qualifies for the product whose range holds 500 万元; the firm
    # without figures nearly qualifies (its data is missing: unknown, not zero)
    assert by_firm["衢州锂测材料有限公司"] == ["科技贷"]
    assert found.lenders == {"衢州某银行": 2}
    assert "衢州锂测材料有限公司" in found.firms
    # an intention recorded on a need at an event: it is being matched, no longer proposed
    first = next(p.need for p in found.proposals if p.need.firm_name == "衢州锂测材料有限公司")
    outcome(world, fin, event(world, fin), need_id=first.id)
    assert world.scalar(sa.select(FinancingNeed.status).where(FinancingNeed.id == first.id)) == (
        "matching"
    )
    again = world.run(lambda s: events.invitations(s, actor=fin, today=TODAY))
    assert [p.need.firm_name for p in again.proposals] == ["衢州硅测科技有限公司"]


def test_no_outcome_for_an_event_to_come_nor_credit_without_an_intention(world, zone):
    """An event still to come has no outcomes yet; 无意向 with credit granted is refused, not
    silently saved as an intention; nothing is written either time."""
    fin = zone.actor(world, "fin1")
    coming = event(world, fin, name="下月的对接会", held_on=TODAY + dt.timedelta(days=5))
    data = events.NewOutcome(firm="衢州锂测材料有限公司", lender="衢州某银行", granted_wan="300")
    with pytest.raises(InvalidInput, match="还没有开，活动之后再登记对接成效"):
        world.run(lambda s: events.record(s, actor=fin, event_id=coming, data=data, today=TODAY))
    past = event(world, fin)
    with pytest.raises(InvalidInput, match="选了“无意向”，却填了授信或放款金额"):
        outcome(world, fin, past, intention=False, granted_wan="300", disbursed_wan="100")
    assert world.scalar(sa.select(sa.func.count()).select_from(MatchOutcome)) == 0
    outcome(world, fin, past, intention=False)
    assert world.scalar(sa.select(MatchOutcome.intention)) is False
