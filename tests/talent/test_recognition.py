"""企业人才自主评价: the rules decide which firms may recognise talent; an authorised firm submits
within its quota and before expiry; only the talent office confirms (认账). A refused step says
why in Chinese, changes nothing, and the attempt is audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.talent.conftest import TODAY, identity, person
from wulian.core.audit.models import AuditEntry
from wulian.core.db import session_factory
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.enterprises import facts
from wulian.reference import service as reference_service
from wulian.talent import authorise, service
from wulian.talent.models import Authorisation, Recognition

EVIDENCE = "高级工程师职称；主持磷酸锰铁锂正极材料中试，授权发明专利 3 件"


def _facts(world, firm: int, *, rd: float, staff: float, tech: float, revenue_1: float | None):
    values = {"2025": {"rd_expense": rd, "revenue": 10000.0, "staff_total": staff,
                       "tech_staff": tech},
              "2024": {"revenue": revenue_1}}  # fmt: skip

    def write(session):
        for period, items in values.items():
            for key, value in items.items():
                if value is not None:
                    facts.record(
                        session, actor=SYSTEM, enterprise_id=firm, metric_key=key, period=period,
                        value=value, source="stats", as_of=dt.date(2026, 4, 30),
                    )  # fmt: skip

    world.run(write)


@pytest.fixture(autouse=True)
def catalogue(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))


@pytest.fixture
def firms(world, zone):
    _facts(world, zone.firm_a, rd=400, staff=30, tech=6, revenue_1=9000)  # quota 30 × 5% → 2
    _facts(world, zone.firm_b, rd=100, staff=200, tech=30, revenue_1=9000)  # R&D 1%: not met
    return zone


def _authorise(world, zone, today=TODAY):
    office = zone.actor(world, "talent_officer")
    return world.run(
        lambda s: [a.enterprise_id for a in service.authorise_firms(
            s, actor=office, year=2025, today=today)]
    )  # fmt: skip


def _recognise(world, zone, pid, *, today=TODAY, grade="E", user="firm_a_user"):
    actor = zone.actor(world, user)
    return world.run(
        lambda s: (
            service.submit_recognition(
                s, actor=actor, person_id=pid, grade=grade, evidence=EVIDENCE, today=today
            ).id
        )
    )


def _staff(world, zone, serial, name="王晓明", purposes=("employment", "recognition")):
    return person(
        world, zone.actor(world, "firm_a_user"), identity_number=identity(serial), name=name,
        consents=dict.fromkeys(purposes, dt.date(2026, 6, 1)),
    )  # fmt: skip


def _attempt(world, zone, username, action, attempt):
    """Run action as a request would: a refusal rolls back and is recorded on its own."""
    actor = zone.actor(world, username)
    with session_factory(world.engine)() as session:
        try:
            action(session, actor)
            session.commit()
        except WulianError as error:
            service.recognition_refused(session, actor=actor, attempt=attempt, error=error)
            return error
    return None


def test_the_rules_decide_which_firms_may_recognise_talent_with_reasons(world, firms):
    results = world.run(
        lambda s: service.eligibility(
            s, actor=firms.actor(world, "analyst"), year=2025,
        )
    )  # fmt: skip
    by_firm = {r.enterprise_id: r for r in results}
    assert by_firm[firms.firm_a].status == "eligible"
    assert by_firm[firms.firm_a].quota == 2
    assert by_firm[firms.firm_b].status == "ineligible"
    assert any("✗ 研发投入强度不低于3%" in line for line in by_firm[firms.firm_b].lines)
    assert any("研发投入强度：1%" in line for line in by_firm[firms.firm_b].lines)
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.eligibility(s, actor=firms.actor(world, "firm_a_user"), year=2025)
        )


def test_missing_data_is_unknown_and_not_authorised(world, zone):
    _facts(world, zone.firm_a, rd=400, staff=30, tech=6, revenue_1=None)
    results = world.run(
        lambda s: service.eligibility(s, actor=SYSTEM, year=2025, enterprise_ids=[zone.firm_a])
    )
    assert results[0].status == "unknown"
    assert any("缺少数据" in line for line in results[0].lines)
    assert _authorise(world, zone) == []


def test_the_shipped_rule_set_passes_its_own_cases():
    assert authorise.policy().id == "talent_authorisation"
    assert authorise.quota_of(1000) == 20
    assert authorise.quota_of(3) == 1


def test_only_the_talent_office_authorises_and_once_a_year(world, firms):
    with pytest.raises(PermissionDenied, match="人才办"):
        world.run(
            lambda s: service.authorise_firms(
                s, actor=firms.actor(world, "other_officer"), year=2025, today=TODAY
            )
        )
    assert _authorise(world, firms) == [firms.firm_a]
    assert _authorise(world, firms) == []  # in force: not granted twice
    expires = world.scalar(sa.select(Authorisation.expires_on))
    assert expires == dt.date(2027, 6, 29)
    assert _authorise(world, firms, today=dt.date(2027, 6, 30)) == [firms.firm_a]  # re-evaluated


def test_a_firm_recognises_within_quota_and_the_office_confirms(world, firms):
    _authorise(world, firms)
    first = _recognise(world, firms, _staff(world, firms, 1))
    second = _recognise(world, firms, _staff(world, firms, 2, name="李娜"), grade="D")
    third = _staff(world, firms, 3, name="赵磊")
    error = _attempt(
        world, firms, "firm_a_user",
        lambda s, a: service.submit_recognition(
            s, actor=a, person_id=third, grade="E", evidence=EVIDENCE, today=TODAY
        ),
        "submit",
    )  # fmt: skip
    assert isinstance(error, PermissionDenied)
    assert "名额 2 名已用完" in error.message
    assert world.scalar(sa.select(sa.func.count()).select_from(Recognition)) == 2
    refused = world.scalar(
        sa.select(AuditEntry.after).where(AuditEntry.action == "talent.recognition_refused")
    )
    assert "名额" in refused["message"]
    office = firms.actor(world, "talent_officer")
    world.run(
        lambda s: service.decide_recognition(
            s, actor=office, recognition_id=first, approve=True, note="", today=TODAY
        )
    )
    world.run(
        lambda s: service.decide_recognition(
            s, actor=office, recognition_id=second, approve=False, note="佐证材料不全",
            today=TODAY,
        )
    )  # fmt: skip
    views = world.run(lambda s: service.list_recognitions(s, actor=office))
    assert {(v.person_name, v.state_label) for v in views} == {
        ("王晓明", "已认账"),
        ("李娜", "已退回"),
    }
    _recognise(world, firms, third)  # a returned recognition frees its place in the quota


def test_an_officer_outside_the_talent_office_cannot_confirm(world, firms):
    _authorise(world, firms)
    rid = _recognise(world, firms, _staff(world, firms, 1))
    for username in ("other_officer", "analyst", "firm_a_user"):
        error = _attempt(
            world, firms, username,
            lambda s, a: service.decide_recognition(
                s, actor=a, recognition_id=rid, approve=True, note="", today=TODAY
            ),
            "approve",
        )  # fmt: skip
        assert isinstance(error, PermissionDenied)
    assert world.scalar(sa.select(Recognition.state)) == "submitted"
    attempts = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.recognition_refused")
    )
    assert attempts == 3
    assert service.OFFICE_APPROVES in str(
        world.scalar(
            sa.select(AuditEntry.after).where(AuditEntry.action == "talent.recognition_refused")
        )
    )


def test_after_expiry_nothing_is_submitted(world, firms):
    _authorise(world, firms)
    pid = _staff(world, firms, 1)
    with pytest.raises(PermissionDenied, match="已于 2027-06-29 到期"):
        _recognise(world, firms, pid, today=dt.date(2027, 6, 30))
    assert world.scalar(sa.select(sa.func.count()).select_from(Recognition)) == 0
    _recognise(world, firms, pid, today=dt.date(2027, 6, 29))  # the last day still counts


def test_unauthorised_firms_other_firms_people_consent_and_grade(world, firms):
    pid = _staff(world, firms, 1)
    with pytest.raises(PermissionDenied, match="尚未获得"):
        _recognise(world, firms, pid)
    _authorise(world, firms)
    with pytest.raises(NotFound):
        _recognise(world, firms, pid, user="firm_b_user")
    with pytest.raises(InvalidInput, match="D 类、E 类"):
        _recognise(world, firms, pid, grade="A")
    no_consent = _staff(world, firms, 2, name="李娜", purposes=("employment",))
    with pytest.raises(InvalidInput, match="未同意"):
        _recognise(world, firms, no_consent)
    assert world.scalar(sa.select(sa.func.count()).select_from(Recognition)) == 0
