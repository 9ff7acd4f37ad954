"""A firm put on the listing pipeline by mistake is removed by the finance office with a reason,
audited, its stage facts set to not reached; a listed or quoted firm, or one whose listing reward
was paid, is not removed; nobody else removes. A 新三板 firm goes on through 创新层 and the
北交所's stages to 上市 on 北交所, one stage at a time."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_listing_corrections import stage_facts, withdraw
from tests.capital.test_listings import add, move
from tests.conftest import SYSTEM
from wulian.capital import listings
from wulian.capital.models import ListingCase
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied


def remove(world, actor, case_id, reason="误列入"):
    return world.run(lambda s: listings.remove(s, actor=actor, case_id=case_id, reason=reason))


def cases(world):
    return world.scalar(sa.select(sa.func.count()).select_from(ListingCase))


def test_a_firm_listed_by_mistake_is_removed_with_a_reason_and_audited(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    with pytest.raises(InvalidInput, match="请填写移出上市梯队的原因"):
        remove(world, fin, case, reason="  ")
    remove(world, fin, case, reason="企业名称相近，误选")
    assert cases(world) == 0
    assert stage_facts(world, zone.firm, "listing_shareholding") == {"2025": 0.0}
    entry = world.scalar(sa.select(AuditEntry).where(
        AuditEntry.action == "capital.listing_removed"))  # fmt: skip
    assert entry.after == {"reason": "企业名称相近，误选"}
    assert entry.before["stage_dates"] == {"reserve": "2024-11-01", "shareholding": "2025-03-01"}
    add(world, fin, firm="衢州锂测材料有限公司")  # may be put on the list again, rightly
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert counts.by_stage["reserve"] == 1


def test_a_listed_or_quoted_or_rewarded_firm_is_not_removed(world, zone):
    from wulian.policy import service as policy

    fin = zone.actor(world, "fin1")
    quoted = add(world, fin, firm="衢州硅测科技有限公司", on=dt.date(2024, 11, 1))
    move(world, fin, quoted, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, quoted, "neeq", on=dt.date(2026, 3, 1))
    with pytest.raises(
        Conflict, match="已在新三板挂牌（现处于“新三板挂牌”，2026-03-01 起），不能移出上市梯队"
    ):
        remove(world, fin, quoted)
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    world.run(lambda s: policy.install_shipped(s, actor=SYSTEM))
    run = world.run(lambda s: policy.create_run(s, actor=SYSTEM, period="2025").id)
    world.run(lambda s: policy.approve(s, actor=fin, run_id=run, code="listing_reward",
                                       enterprise_ids=[zone.firm]))  # fmt: skip
    with pytest.raises(
        Conflict, match=r"2025 年度的上市奖励已经兑现（30 万元）.*企业不能移出上市梯队"
    ):
        remove(world, fin, case)
    assert cases(world) == 2
    assert stage_facts(world, zone.firm, "listing_shareholding") == {"2025": 1.0}


def test_a_listed_firm_is_not_removed(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 1, 10))
    day = dt.date(2024, 3, 1)
    for stage in ("shareholding", "tutoring", "filing", "review", "registered"):
        move(world, fin, case, stage, on=day)
    move(world, fin, case, "listed", on=day, board="star")
    with pytest.raises(
        Conflict,
        match="已上市（现处于“上市”，2024-03-01 起），不能移出上市梯队；如是误登记，请先撤回该阶段",
    ):
        remove(world, fin, case)


@pytest.mark.parametrize("who", ["inv1", "analyst", "firm_user"])
def test_only_the_finance_office_removes(world, zone, who):
    fin = zone.actor(world, "fin1")
    case = add(world, fin)
    with pytest.raises(PermissionDenied):
        remove(world, zone.actor(world, who), case)
    assert cases(world) == 1


def test_the_page_removes_after_asking_and_refuses_others(world, zone, make_client):
    from tests.capital.test_pages import signed_in
    from tests.conftest import page_csrf

    fin = zone.actor(world, "fin1")
    case = add(world, fin)
    quoted = add(world, fin, firm="衢州硅测科技有限公司", on=dt.date(2025, 1, 5))
    move(world, fin, quoted, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, quoted, "neeq", on=dt.date(2025, 6, 1))
    client = signed_in(make_client, "fin1")
    page = client.get("/capital/listings")
    assert 'id="listing-remove" data-confirm="确定将所选企业移出上市梯队吗' in page.text
    token = page_csrf(client, "/capital/listings")
    other = signed_in(make_client, "inv1")
    refused = other.post("/capital/listings/remove", data={
        "csrf_token": page_csrf(other, "/"), "case_id": case, "reason": "x"})  # fmt: skip
    assert refused.status_code == 403
    kept = client.post("/capital/listings/remove", data={
        "csrf_token": token, "case_id": quoted, "reason": "误列入"})  # fmt: skip
    assert kept.status_code == 409
    assert "已在新三板挂牌" in kept.text
    firm = world.scalar(sa.select(ListingCase.enterprise_id).where(ListingCase.id == case))
    shown = f"{case}:{firm}"  # what the page's select sends: the case and its firm
    removal = page.text.split('id="listing-remove"')[1].split("</form>")[0]
    assert f'<option value="{shown}">' in removal
    correction = page.text.split('id="listing-correct"')[1].split("</form>")[0]
    assert f'<option value="{case}">' in correction  # the other forms send the case alone
    stale = client.post("/capital/listings/remove", data={
        "csrf_token": token, "case_id": f"{case}:{firm + 1000}", "reason": "误列入"})  # fmt: skip
    assert stale.status_code == 409  # a case that is not the firm the page showed: kept
    assert cases(world) == 2
    gone = client.post("/capital/listings/remove", data={
        "csrf_token": token, "case_id": shown, "reason": "误列入"})  # fmt: skip
    assert gone.status_code == 303
    assert cases(world) == 1
    again = client.post("/capital/listings/remove", data={
        "csrf_token": token, "case_id": shown, "reason": "误列入"})  # fmt: skip
    assert again.status_code == 409
    assert "所选企业已不在上市梯队中（已移出，或页面已过期）" in again.text
    tried = world.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "capital.refused", AuditEntry.object_type == "capital_listings")
    )
    assert tried == 4  # another office's, the quoted firm's, the stale form's, the second click's


def test_a_neeq_firm_goes_on_through_the_innovation_tier_to_the_bse(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 1, 10))
    move(world, fin, case, "shareholding", on=dt.date(2024, 3, 1))
    move(world, fin, case, "neeq", on=dt.date(2024, 8, 1))
    assert listings.allowed_next("neeq") == ["neeq_innovation"]
    with pytest.raises(InvalidInput, match="不能直接转到“北交所辅导备案”（可转到：新三板创新层）"):
        move(world, fin, case, "bse_tutoring")
    move(world, fin, case, "neeq_innovation", on=dt.date(2025, 5, 1))
    with pytest.raises(InvalidInput, match="板块为北交所，不能选“科创板”"):
        move(world, fin, case, "bse_tutoring", on=dt.date(2025, 6, 1), board="star")
    day = dt.date(2025, 6, 1)
    for stage in ("bse_tutoring", "bse_filing", "bse_review", "bse_registered"):
        move(world, fin, case, stage, on=day)
        day += dt.timedelta(days=60)
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert (counts.listed, counts.by_stage["bse_registered"], counts.by_board["neeq"]) == (0, 1, 1)
    move(world, fin, case, "listed", on=dt.date(2026, 3, 18))  # the board is 北交所's
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert (row.stage, row.board, row.listed_on) == ("listed", "bse", dt.date(2026, 3, 18))
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert (counts.listed, counts.by_board["bse"], counts.by_board["neeq"]) == (1, 1, 0)
    assert counts.by_year == {2026: 1}
    # the 北交所 path's 辅导备案 and 申报 are the stages the listing reward reads
    assert stage_facts(world, zone.firm, "listing_tutoring") == {"2025": 1.0}
    assert stage_facts(world, zone.firm, "listing_listed") == {"2026": 1.0}
    # a 上市 recorded by mistake is withdrawn: back on 新三板 at 北交所注册
    withdraw(world, fin, case)
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert (row.stage, row.board, row.listed_on) == ("bse_registered", "neeq", dt.date(2024, 8, 1))
    assert stage_facts(world, zone.firm, "listing_listed") == {"2026": 0.0}


def test_a_stage_reached_on_the_main_path_is_not_rewarded_again_on_the_bse_path(world, zone):
    """辅导备案 (2025) for the main board, then 新三板 and the 北交所 path's 辅导备案 (2026): the
    listing reward reads 辅导备案 once, in 2025; the 北交所 stage is recorded all the same."""
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 1, 10))
    move(world, fin, case, "shareholding", on=dt.date(2024, 3, 1))
    move(world, fin, case, "tutoring", on=dt.date(2025, 2, 1))
    move(world, fin, case, "neeq", on=dt.date(2025, 8, 1))
    move(world, fin, case, "neeq_innovation", on=dt.date(2025, 11, 1))
    move(world, fin, case, "bse_tutoring", on=dt.date(2026, 1, 15))
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert row.stage == "bse_tutoring"
    assert stage_facts(world, zone.firm, "listing_tutoring") == {"2025": 1.0}


def test_a_bse_listing_waits_for_twelve_months_on_neeq(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2025, 1, 10))
    move(world, fin, case, "shareholding", on=dt.date(2025, 2, 1))
    move(world, fin, case, "neeq", on=dt.date(2025, 3, 1))
    day = dt.date(2025, 4, 1)
    for stage in ("neeq_innovation", "bse_tutoring", "bse_filing", "bse_review", "bse_registered"):
        move(world, fin, case, stage, on=day)
        day += dt.timedelta(days=30)
    with pytest.raises(
        InvalidInput,
        match="于 2025-03-01 在新三板挂牌，在北交所上市须连续挂牌满十二个月（2026-03-01 起）",
    ):
        move(world, fin, case, "listed", on=dt.date(2026, 2, 28))
    move(world, fin, case, "listed", on=dt.date(2026, 3, 1))
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert (row.stage, row.board) == ("listed", "bse")
