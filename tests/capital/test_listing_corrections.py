"""Correcting the listing pipeline: the finance office corrects a stage's day, board or
intermediaries, or withdraws a stage recorded by mistake, with a reason, audited; the registry
facts the listing-reward policy reads follow; a stage whose reward was paid is not corrected."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.capital.conftest import TODAY
from tests.capital.test_listings import add, move
from tests.conftest import SYSTEM
from wulian.capital import listings
from wulian.capital.models import ListingCase
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.enterprises import facts


def correct(world, actor, case_id, stage, reason="录入有误", **fields):
    return world.run(lambda s: listings.correct(s, actor=actor, today=TODAY, case_id=case_id,
                                                stage=stage, reason=reason, **fields))  # fmt: skip


def withdraw(world, actor, case_id, reason="误登记"):
    return world.run(lambda s: listings.withdraw(s, actor=actor, today=TODAY, case_id=case_id,
                                                 reason=reason))  # fmt: skip


def stage_facts(world, firm, metric):
    """period → the current value the policies read."""

    def read(session):
        frame = facts.build_matrix(session, actor=SYSTEM, metrics=[metric], period="2025",
                                   enterprise_ids=[firm], in_zone=None).frame  # fmt: skip
        later = facts.build_matrix(session, actor=SYSTEM, metrics=[metric], period="2026",
                                   enterprise_ids=[firm], in_zone=None).frame  # fmt: skip
        out = {}
        for period, f in (("2025", frame), ("2026", later)):
            rows = f.to_dicts()
            if rows and rows[0].get(metric) is not None:
                out[period] = rows[0][metric]
        return out

    return world.run(read)


def test_a_stage_day_moved_to_another_year_moves_its_reward_fact(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 12, 20))
    move(world, fin, case, "tutoring", on=dt.date(2026, 3, 1))
    assert stage_facts(world, zone.firm, "listing_shareholding") == {"2025": 1.0}
    between = "应在 2024-11-01（“上市后备”）与 2026-03-01（“辅导备案”）之间"
    with pytest.raises(InvalidInput, match=between):
        correct(world, fin, case, "shareholding", on=dt.date(2026, 3, 2))
    with pytest.raises(InvalidInput, match="请填写更正或撤回的原因"):
        correct(world, fin, case, "shareholding", reason=" ", on=dt.date(2026, 1, 5))
    with pytest.raises(InvalidInput, match="没有“申报”阶段的记录"):
        correct(world, fin, case, "filing", on=dt.date(2026, 1, 5))
    correct(world, fin, case, "shareholding", on=dt.date(2026, 1, 5), intermediaries="某证券")
    # 2025: not reached (0, the policy pays nothing); 2026: reached
    assert stage_facts(world, zone.firm, "listing_shareholding") == {"2025": 0.0, "2026": 1.0}
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert row.stage_dates["shareholding"] == "2026-01-05"
    assert row.intermediaries == "某证券"
    entry = world.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "capital.listing_corrected")
    )
    assert entry.after["reason"] == "录入有误"
    assert entry.before["stage_dates"]["shareholding"] == "2025-12-20"


def test_a_wrong_stage_is_withdrawn_back_to_the_one_before(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, case, "neeq", on=dt.date(2026, 2, 1))
    assert stage_facts(world, zone.firm, "listing_neeq") == {"2026": 1.0}
    withdraw(world, fin, case)
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert (row.stage, row.board, row.listed_on) == ("shareholding", None, None)
    assert "neeq" not in row.stage_dates
    assert stage_facts(world, zone.firm, "listing_neeq") == {"2026": 0.0}
    counts = world.run(lambda s: listings.counts(s, actor=fin, today=TODAY))
    assert counts.by_stage["neeq"] == 0
    withdraw(world, fin, case)
    with pytest.raises(InvalidInput, match="没有可撤回的阶段"):
        withdraw(world, fin, case)
    entry = world.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "capital.listing_withdrawn")
        .order_by(AuditEntry.id)
    )
    assert (entry.after["withdrawn"], entry.after["reason"]) == ("neeq", "误登记")


def test_only_the_finance_office_corrects(world, zone):
    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    for who in ("inv1", "analyst", "firm_user"):
        with pytest.raises(PermissionDenied):
            correct(world, zone.actor(world, who), case, "shareholding", on=dt.date(2025, 4, 1))
        with pytest.raises(PermissionDenied):
            withdraw(world, zone.actor(world, who), case)
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert row.stage_dates["shareholding"] == "2025-03-01"


def test_a_stage_whose_reward_was_paid_is_not_corrected(world, zone):
    from wulian.policy import service as policy

    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    world.run(lambda s: policy.install_shipped(s, actor=SYSTEM))
    run = world.run(lambda s: policy.create_run(s, actor=SYSTEM, period="2025").id)
    world.run(lambda s: policy.approve(s, actor=fin, run_id=run, code="listing_reward",
                                       enterprise_ids=[zone.firm]))  # fmt: skip
    with pytest.raises(Conflict, match="2025 年度的上市奖励已经兑现（30 万元），其“股改”阶段记录"):
        correct(world, fin, case, "shareholding", on=dt.date(2025, 4, 1))
    with pytest.raises(Conflict, match="已经兑现"):
        withdraw(world, fin, case)
    # nor may another stage move into the year paid (its payout would leave that stage out)
    move(world, fin, case, "tutoring", on=dt.date(2026, 2, 1))
    with pytest.raises(Conflict, match="2025 年度的上市奖励已经兑现，“辅导备案”不能改到该年度"):
        correct(world, fin, case, "tutoring", on=dt.date(2025, 12, 1))
    withdraw(world, fin, case)  # 辅导备案 (2026, not paid) may be withdrawn
    # the intermediaries are no ground of the payout: they may be corrected
    correct(world, fin, case, "shareholding", intermediaries="某会计师事务所")
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert (row.stage, row.stage_dates["shareholding"]) == ("shareholding", "2025-03-01")
    assert stage_facts(world, zone.firm, "listing_shareholding") == {"2025": 1.0}


def test_the_page_corrects_and_withdraws(world, zone, make_client):
    from tests.capital.test_pages import signed_in
    from tests.conftest import page_csrf

    fin = zone.actor(world, "fin1")
    case = add(world, fin, on=dt.date(2024, 11, 1))
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    client = signed_in(make_client, "fin1")
    token = page_csrf(client, "/capital/listings")
    bad = client.post("/capital/listings/correct", data={
        "csrf_token": token, "case_id": case, "stage": "shareholding", "on": "2025-04-01",
        "reason": ""})  # fmt: skip
    assert bad.status_code == 422
    assert "请填写更正或撤回的原因" in bad.text
    ok = client.post("/capital/listings/correct", data={
        "csrf_token": token, "case_id": case, "stage": "shareholding", "on": "2025-04-01",
        "reason": "日期录错"})  # fmt: skip
    assert ok.status_code == 303
    assert "2025-04-01" in client.get("/capital/listings").text
    form = {"csrf_token": token, "case_id": f"{case}:shareholding", "reason": "误登记"}
    gone = client.post("/capital/listings/withdraw", data=form)
    assert gone.status_code == 303
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert row.stage == "reserve"
    # the same form again (a double click): the stage it showed is gone, nothing else is taken
    move(world, fin, case, "shareholding", on=dt.date(2025, 3, 1))
    move(world, fin, case, "tutoring", on=dt.date(2025, 9, 1))
    form["case_id"] = f"{case}:tutoring"
    assert client.post("/capital/listings/withdraw", data=form).status_code == 303
    again = client.post("/capital/listings/withdraw", data=form)
    assert again.status_code == 409
    assert "不是页面上的“辅导备案”" in again.text
    row = world.scalar(sa.select(ListingCase).where(ListingCase.id == case))
    assert row.stage == "shareholding"
    for odd in ("²", "9" * 20):
        bad = client.post("/capital/listings/withdraw", data=form | {"case_id": odd})
        assert bad.status_code == 422
    other = signed_in(make_client, "inv1")
    refused = other.post("/capital/listings/withdraw", data={
        "csrf_token": page_csrf(other, "/"), "case_id": case, "reason": "x"})  # fmt: skip
    assert refused.status_code == 403
