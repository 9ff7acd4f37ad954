"""The authorisation rules' results are stored: the talent office evaluates (again) explicitly,
the page lists the stored run a page at a time and does not evaluate on view."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.talent.conftest import TODAY
from tests.talent.test_recognition import _facts
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import PermissionDenied
from wulian.talent import authorisation_runs, authorise
from wulian.talent.models import AuthorisationResult, AuthorisationRun


@pytest.fixture
def firms(world, zone):
    from tests.conftest import SYSTEM
    from wulian.reference import service as reference_service

    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    _facts(world, zone.firm_a, rd=400, staff=30, tech=6, revenue_1=9000)
    _facts(world, zone.firm_b, rd=100, staff=200, tech=30, revenue_1=9000)
    return zone


def test_the_office_evaluates_and_the_results_are_kept(world, firms):
    office = firms.actor(world, "talent_officer")
    run_id = world.run(
        lambda s: authorisation_runs.evaluate(s, actor=office, year=2025, today=TODAY).id
    )
    listed = world.run(lambda s: authorisation_runs.results(s, actor=office, run_id=run_id))
    by_firm = {r.enterprise_id: r for r in listed.items}
    assert by_firm[firms.firm_a].status == "eligible"
    assert by_firm[firms.firm_a].quota == 2
    assert by_firm[firms.firm_b].status == "ineligible"
    assert any("研发投入强度" in line for line in by_firm[firms.firm_b].lines)
    assert listed.counts == {"eligible": 1, "ineligible": 1, "unknown": 0}
    only = world.run(
        lambda s: authorisation_runs.results(s, actor=office, run_id=run_id, status="eligible")
    )
    assert [r.enterprise_id for r in only.items] == [firms.firm_a]
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "talent.authorisation_run")
        )
        == 1
    )


def test_only_the_office_evaluates(world, firms):
    for user in ("other_officer", "firm_a_user"):
        actor = firms.actor(world, user)
        with pytest.raises(PermissionDenied):
            world.run(
                lambda s, a=actor: authorisation_runs.evaluate(s, actor=a, year=2025, today=TODAY)
            )
    firm = firms.actor(world, "firm_a_user")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: authorisation_runs.latest(s, actor=firm, year=2025))
    assert world.scalar(sa.select(sa.func.count()).select_from(AuthorisationRun)) == 0


def test_the_page_reads_the_stored_run_and_does_not_evaluate(
    make_client, world, firms, monkeypatch
):
    office = make_client()
    login(office, "talent_officer")
    first = office.get("/talent/authorisations?year=2025")
    assert "尚未按 2025 年度数据评价" in first.text
    token = page_csrf(office, "/talent/authorisations?year=2025")
    done = office.post(
        "/talent/authorisations/evaluate", data={"csrf_token": token, "year": "2025"}
    )
    assert done.status_code == 303
    calls = []
    original = authorise.evaluate_frame
    monkeypatch.setattr(
        authorise, "evaluate_frame", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    page = office.get("/talent/authorisations?year=2025")
    assert "衢州锂测材料有限公司" in page.text
    assert "符合 1 家" in page.text
    assert calls == []  # viewing does not evaluate again
    assert world.scalar(sa.select(sa.func.count()).select_from(AuthorisationResult)) == 2
    other = make_client()
    login(other, "other_officer")
    assert other.get("/talent/authorisations?year=2025").status_code == 200  # staff read
    token = page_csrf(other, "/talent/authorisations?year=2025")
    refused = other.post(
        "/talent/authorisations/evaluate", data={"csrf_token": token, "year": "2025"}
    )
    assert refused.status_code == 403
    assert world.scalar(sa.select(sa.func.count()).select_from(AuthorisationRun)) == 1


def test_authorising_uses_the_stored_evaluation(world, firms, monkeypatch):
    """Once the office evaluated a year, authorising grants from the stored results (what the
    page showed) without evaluating every firm again."""
    from wulian.talent import service

    office = firms.actor(world, "talent_officer")
    world.run(lambda s: authorisation_runs.evaluate(s, actor=office, year=2025, today=TODAY))

    def refuse(*args, **kwargs):
        raise AssertionError("evaluated again")

    monkeypatch.setattr(authorise, "evaluate", refuse)
    granted = world.run(
        lambda s: [
            (a.enterprise_id, a.quota)
            for a in service.authorise_firms(s, actor=office, year=2025, today=TODAY)
        ]
    )
    assert granted == [(firms.firm_a, 2)]


def test_a_record_without_data_is_not_evaluated_and_can_still_be_merged(world, firms):
    from tests.conftest import SYSTEM
    from wulian.enterprises import service as enterprises

    duplicate = world.enterprise("衢州锂测材料 有限公司")  # a ledger record without a code
    office = firms.actor(world, "talent_officer")
    run_id = world.run(
        lambda s: authorisation_runs.evaluate(s, actor=office, year=2025, today=TODAY).id
    )
    listed = world.run(lambda s: authorisation_runs.results(s, actor=office, run_id=run_id))
    assert sorted(r.enterprise_id for r in listed.items) == sorted([firms.firm_a, firms.firm_b])
    world.run(lambda s: enterprises.merge(s, actor=SYSTEM, keep_id=firms.firm_a, drop_id=duplicate))
    assert world.scalar(sa.select(sa.func.count()).select_from(AuthorisationResult)) == 2


def test_several_evaluations_of_a_year_mark_the_current_one(make_client, world, firms):
    """Two stored evaluations of 2025: the newest is 当前 (authorising reads it), the older is
    listed as superseded and can still be opened; the reasons of a failed check say what fell
    short ("低于"), not the threshold as if it held."""
    office_actor = firms.actor(world, "talent_officer")
    first, second = (
        world.run(lambda s: authorisation_runs.evaluate(s, actor=office_actor, year=2025,
                                                        today=TODAY).id)
        for _ in range(2)
    )  # fmt: skip
    listed = world.run(lambda s: [r.id for r in authorisation_runs.of_year(s, actor=office_actor,
                                                                           year=2025)])  # fmt: skip
    assert listed == [second, first]
    office = make_client()
    login(office, "talent_officer")
    page = office.get("/talent/authorisations?year=2025")
    assert page.status_code == 200
    assert page.text.count(">当前</span>") == 2  # the table's row and the line above the results
    assert f"已被第 {second} 次取代" in page.text
    assert f"第 {second} 次（正在查看）" in page.text
    old = office.get(f"/talent/authorisations?year=2025&run={first}")
    assert f"被取代的旧评价（第 {first} 次）" in old.text
    assert f"第 {first} 次（正在查看）" in old.text
    assert "，低于 " in page.text  # firm B's R&D intensity falls short
    firm = firms.actor(world, "firm_a_user")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: authorisation_runs.of_year(s, actor=firm, year=2025))
