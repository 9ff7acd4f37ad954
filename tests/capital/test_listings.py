"""The listing pipeline as its users meet it: one stage at a time (新三板 from 股改 on), a board
before 上市, counts by year, stage and board; only the finance office moves firms; a firm sees its
own status."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.capital.conftest import TODAY
from wulian.capital import listings
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied


def add(world, actor, firm="衢州锂测材料有限公司", **fields):
    return int(world.run(lambda s: listings.add(s, actor=actor, today=TODAY, firm=firm,
                                                **fields).id))  # fmt: skip


def move(world, actor, case_id, to_stage, on=None, board=""):
    return world.run(lambda s: listings.advance(s, actor=actor, today=TODAY, case_id=case_id,
                                                to_stage=to_stage, on=on, board=board))  # fmt: skip


def test_a_firm_moves_one_stage_at_a_time_to_its_listing(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 1, 10))
    with pytest.raises(InvalidInput, match="不能直接转到“申报”（可转到：股改）"):
        move(world, fin, case, "filing")
    with pytest.raises(InvalidInput, match="不能直接转到“新三板挂牌”"):
        move(world, fin, case, "neeq")
    with pytest.raises(InvalidInput, match="应在 2024-01-10 与今天之间"):
        move(world, fin, case, "shareholding", on=dt.date(2023, 12, 1))
    day = dt.date(2024, 3, 1)
    for stage in ("shareholding", "tutoring", "filing", "review", "registered"):
        move(world, fin, case, stage, on=day)
        day += dt.timedelta(days=60)
    with pytest.raises(InvalidInput, match="上市须选择板块"):
        move(world, fin, case, "listed", on=day)
    move(world, fin, case, "listed", on=dt.date(2025, 6, 18), board="star")
    with pytest.raises(InvalidInput, match="可转到：无（已完成）"):
        move(world, fin, case, "neeq")
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert counts.listed == 1
    assert counts.by_year == {2025: 1}
    assert counts.by_board["star"] == 1
    assert counts.recent == 1


def test_neeq_counts_apart_from_listings_and_only_zone_firms_enter(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, firm="衢州硅测科技有限公司")
    move(world, fin, case, "shareholding")
    move(world, fin, case, "neeq")
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert (counts.listed, counts.by_stage["neeq"], counts.by_board["neeq"]) == (0, 1, 1)
    with pytest.raises(InvalidInput, match="不在园区内"):
        add(world, fin, firm="上海外测电子有限公司")
    with pytest.raises(Conflict, match="已在上市梯队中"):
        add(world, fin, firm="衢州硅测科技有限公司")


def test_only_the_finance_office_moves_firms_and_a_firm_sees_its_own(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin)
    with pytest.raises(PermissionDenied, match="只有金融办"):
        move(world, zone.actor(world, "inv1"), case, "shareholding")
    firm_user = zone.actor(world, "firm_user")
    own = world.run(lambda s: listings.firm_case(s, actor=firm_user, enterprise_id=zone.firm))
    assert own.stage == "reserve"
    with pytest.raises(PermissionDenied):
        world.run(lambda s: listings.firm_case(s, actor=firm_user, enterprise_id=zone.firm_b))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: listings.cases(s, actor=firm_user))


def test_stages_reached_are_rewarded_through_the_policies_payouts(world, zone):
    from tests.conftest import SYSTEM
    from wulian.policy import service as policy

    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, case, "tutoring", on=dt.date(2025, 9, 1))
    move(world, fin, case, "filing", on=dt.date(2026, 2, 1))
    world.run(lambda s: policy.install_shipped(s, actor=SYSTEM))
    run_2025 = world.run(lambda s: policy.create_run(s, actor=SYSTEM, period="2025").id)
    run_2026 = world.run(lambda s: policy.create_run(s, actor=SYSTEM, period="2026").id)
    staff = zone.actor(world, "analyst")

    def outcome(run_id, firm):
        rows = world.run(lambda s: policy.payout_list(
            s, actor=staff, run_id=run_id, code="listing_reward",
            filters=policy.PayoutFilters(status="eligible")).lines.items)  # fmt: skip
        return {line.enterprise.id: line.outcome.amount for line in rows}.get(firm)

    # 2025: 股改 30 + 辅导备案 50 (the platform's default amounts), one payout for the year
    assert outcome(run_2025, zone.firm) == 80.0
    assert outcome(run_2026, zone.firm) == 100.0  # 申报受理
    assert outcome(run_2025, zone.firm_b) is None  # no stage on the pipeline: not reached

    def approve(actor):
        return world.run(
            lambda s: [
                p.amount
                for p in policy.approve(
                    s, actor=actor, run_id=run_2025, code="listing_reward",
                    enterprise_ids=[zone.firm],
                )
            ]
        )  # fmt: skip

    with pytest.raises(PermissionDenied):  # the finance office approves its policy's payouts
        approve(zone.actor(world, "inv1"))
    assert approve(fin) == [80.0]
    with pytest.raises(Conflict, match="不能重复兑现"):
        approve(fin)
