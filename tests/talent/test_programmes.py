"""Talent programmes (人才项目): a firm applies for its own staff before the deadline, the round's
experts score once each within range without seeing others' scores first, the talent office sees
the average and the ranking and decides the award, and the instalments are paid through the
policy run once their milestone is confirmed. Refused steps say why, change nothing and are
audited. Recognised talent and awardees who agreed get the talent benefit in the policy run."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.talent.conftest import KEYS, TODAY, identity, person
from wulian.core import audit
from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import User
from wulian.core.db import session_factory
from wulian.core.errors import WulianError
from wulian.core.permissions import Role
from wulian.policy import service as policy
from wulian.reference import service as reference_service
from wulian.talent import portrait, programmes, service
from wulian.talent.models import Authorisation, Person, Recognition
from wulian.talent.programme_models import AwardInstalment, ProgrammeApplication, ProgrammeReview

CRITERIA = [("merit", "业绩成果", 40.0), ("plan", "项目计划", 30.0), ("fit", "产业契合", 30.0)]
SUMMARY = "主持磷酸锰铁锂正极材料产业化，授权发明专利 5 件，拟在园区建设中试线"
ALL = ("employment", "recognition", "benefits")


@pytest.fixture
def setup(world, zone):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: policy.install_shipped(s, actor=SYSTEM))
    world.user("expert_1", Role.OFFICER, department_id=zone.other_dept)
    world.user("expert_2", Role.ANALYST)
    office = zone.actor(world, "talent_officer")

    def create(session):
        item = programmes.create_programme(
            session, actor=office, code="nankong", name="南孔精英计划", summary="",
            min_award_yuan=200_000, max_award_yuan=5_000_000, criteria=CRITERIA,
        )  # fmt: skip
        return programmes.create_round(
            session, actor=office, programme_id=item.id, name="2026 年第一批",
            opens_on=dt.date(2026, 6, 1), closes_on=dt.date(2026, 7, 15),
            reviewers=["expert_1", "expert_2"],
        ).id  # fmt: skip

    round_id = world.run(create)
    firm_a = zone.actor(world, "firm_a_user")
    consents = dict.fromkeys(ALL, dt.date(2026, 6, 1))
    a1 = person(world, firm_a, identity_number=identity(11), name="李海涛", consents=consents)
    a2 = person(world, firm_a, identity_number=identity(12), name="赵子琪", consents=consents)
    b1 = person(
        world, zone.actor(world, "firm_b_user"), identity_number=identity(21), name="周敏",
        consents=consents,
    )  # fmt: skip
    return {"round": round_id, "a1": a1, "a2": a2, "b1": b1}


def _attempt(world, zone, username, action, attempt="人才项目"):
    """Run action as a request would: a refusal rolls back and is recorded on its own."""
    actor = zone.actor(world, username)
    with session_factory(world.engine)() as session:
        audit.track(session, actor)
        try:
            result = action(session, actor)
            session.commit()
            return result
        except WulianError as error:
            programmes.refused(session, actor=actor, attempt=attempt, error=error)
            return error


def _count(world, model) -> int:
    return int(world.scalar(sa.select(sa.func.count()).select_from(model)))


def _refusals(world) -> list[dict]:
    with session_factory(world.engine)() as session:
        return list(
            session.scalars(
                sa.select(AuditEntry.after).where(AuditEntry.action == "talent.programme_refused")
            )
        )


def _apply(round_id, person_id, today=TODAY):
    return lambda s, a: (
        programmes.apply(
            s, actor=a, round_id=round_id, person_id=person_id, summary=SUMMARY, today=today
        ).id
    )


def _score(application_id, **scores):
    return lambda s, a: (
        programmes.score(s, actor=a, application_id=application_id, scores=scores).id
    )


def test_a_firm_applies_for_its_own_staff_before_the_deadline_only(world, zone, setup):
    applied = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert isinstance(applied, int)
    # another firm's person: refused, nothing written, audited
    error = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["b1"]))
    assert isinstance(error, WulianError)
    assert "本企业在职人员" in error.message
    # after the deadline
    late = _attempt(
        world, zone, "firm_a_user", _apply(setup["round"], setup["a2"], dt.date(2026, 7, 16))
    )
    assert isinstance(late, WulianError)
    assert "2026-07-15 截止" in late.message
    # twice
    again = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert isinstance(again, WulianError)
    assert "不能重复申报" in again.message
    # another department cannot apply
    other = _attempt(world, zone, "other_officer", _apply(setup["round"], setup["a2"]))
    assert isinstance(other, WulianError)
    assert "人才办" in other.message
    assert _count(world, ProgrammeApplication) == 1
    messages = [r["message"] for r in _refusals(world)]
    assert len(messages) == 4
    assert any("截止" in m for m in messages)
    # the refusals kept in the audit trail name the person by number, never by name
    names = world.run(lambda s: [p.name for p in s.scalars(sa.select(Person))])
    assert not [m for m in messages for name in names if name in m]
    # the talent office applies for anyone, on the last day
    by_office = _attempt(
        world, zone, "talent_officer", _apply(setup["round"], setup["b1"], dt.date(2026, 7, 15))
    )
    assert isinstance(by_office, int)


def test_experts_score_once_within_range_and_see_others_only_after_scoring(world, zone, setup):
    app = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    app2 = _attempt(world, zone, "talent_officer", _apply(setup["round"], setup["b1"]))
    assert _attempt(world, zone, "expert_1", _score(app, merit=36, plan=25, fit=27))
    # out of range, twice, not an expert: refused, nothing written
    bad = _attempt(world, zone, "expert_2", _score(app, merit=45, plan=25, fit=27))
    assert isinstance(bad, WulianError)
    assert "“业绩成果”的评分应在 0 到 40 之间" in bad.message
    twice = _attempt(world, zone, "expert_1", _score(app, merit=30, plan=20, fit=20))
    assert isinstance(twice, WulianError)
    assert "不能重复评分" in twice.message
    stranger = _attempt(world, zone, "other_officer", _score(app, merit=30, plan=20, fit=20))
    assert isinstance(stranger, WulianError)
    assert "不是本批次的评审专家" in stranger.message
    firm = _attempt(world, zone, "firm_a_user", _score(app, merit=30, plan=20, fit=20))
    assert isinstance(firm, WulianError)
    assert _count(world, ProgrammeReview) == 1
    assert len(_refusals(world)) == 4

    def seen(username):
        return world.run(
            lambda s: programmes.round_applications(
                s, actor=zone.actor(world, username), round_id=setup["round"]
            )[2]
        )

    before = {v.id: v for v in seen("expert_2")}
    assert before[app].scores == []
    assert before[app].average is None
    assert before[app].reviews == 1
    assert _attempt(world, zone, "expert_2", _score(app, merit=30, plan=20, fit=25))
    after = {v.id: v for v in seen("expert_2")}
    assert sorted(s.total for s in after[app].scores) == [75, 88]
    assert _attempt(world, zone, "expert_1", _score(app2, merit=20, plan=20, fit=20))
    # the office: every score, the average and the ranking
    ranked = seen("talent_officer")
    assert [(v.id, v.rank, v.average) for v in ranked] == [(app, 1, 81.5), (app2, 2, 60.0)]
    # the firm: its own application, no scores
    own = seen("firm_a_user")
    assert [v.id for v in own] == [app]
    assert own[0].scores == []
    assert own[0].average is None


DECIDED = dt.date(2026, 7, 20)  # after the round closed (2026-07-15)


def _award(application_id, amount, parts, today=DECIDED):
    return lambda s, a: programmes.decide(
        s, actor=a, application_id=application_id, award=True, note="", amount_yuan=amount,
        instalments=[programmes.Instalment(y, v, m) for y, v, m in parts], today=today,
    ).id  # fmt: skip


def test_only_the_talent_office_awards_in_range_and_instalments_are_paid_through_the_policy_run(
    world, zone, setup
):
    app = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert _attempt(world, zone, "expert_1", _score(app, merit=36, plan=25, fit=27))
    assert _attempt(world, zone, "expert_2", _score(app, merit=34, plan=24, fit=26))
    plan = [(2026, 400_000, "中试线建成"), (2027, 300_000, "量产"), (2028, 300_000, "营收达标")]
    other = _attempt(world, zone, "other_officer", _award(app, 1_000_000, plan))
    assert isinstance(other, WulianError)
    assert "只有人才办工作人员可以决定" in other.message
    firm = _attempt(world, zone, "firm_a_user", _award(app, 1_000_000, plan))
    assert isinstance(firm, WulianError)
    big = _attempt(world, zone, "talent_officer", _award(app, 6_000_000, plan))
    assert isinstance(big, WulianError)
    assert "20 万元到 500 万元" in big.message
    wrong = _attempt(world, zone, "talent_officer", _award(app, 1_200_000, plan))
    assert isinstance(wrong, WulianError)
    assert "应等于资助金额 120 万元" in wrong.message
    assert _count(world, AwardInstalment) == 0
    assert world.scalar(sa.select(ProgrammeApplication.state)) == "submitted"
    assert len(_refusals(world)) == 4
    assert _attempt(world, zone, "talent_officer", _award(app, 1_000_000, plan))

    admin = zone.actor(world, "admin")

    def run_2026():
        def go(s):
            run = policy.create_run(s, actor=admin, period=2026)
            return run.id, {
                (o.policy_code, o.enterprise_id): (o.status, o.amount, o.mode)
                for o in s.scalars(
                    sa.select(policy_outcome()).where(policy_outcome().run_id == run.id)
                )
            }

        return world.run(go)

    # the milestone not yet confirmed: nothing due
    _, outcomes = run_2026()
    assert outcomes.get(("talent_award", zone.firm_a), ("ineligible",))[0] != "eligible"
    first = world.scalar(sa.select(AwardInstalment.id).where(AwardInstalment.seq == 1))

    def confirm(s, a):
        return programmes.confirm_milestone(s, actor=a, instalment_id=first, today=TODAY).id

    assert isinstance(_attempt(world, zone, "firm_a_user", confirm), WulianError)
    assert _attempt(world, zone, "talent_officer", confirm) == first
    run_id, outcomes = run_2026()
    assert outcomes[("talent_award", zone.firm_a)] == ("eligible", 40.0, "免申即享")
    # approved by the talent office in the policy domain; the instalment then shows as paid
    world.run(
        lambda s: policy.approve(
            s, actor=zone.actor(world, "talent_officer"), run_id=run_id, code="talent_award",
            enterprise_ids=[zone.firm_a],
        )
    )  # fmt: skip
    view = world.run(
        lambda s: programmes.get_application(
            s, actor=zone.actor(world, "talent_officer"), application_id=app
        )
    )
    assert [(i.year, i.state) for i in view.instalments] == [
        (2026, "已兑现"), (2027, "待确认里程碑"), (2028, "待确认里程碑")
    ]  # fmt: skip
    # an instalment confirmed after its year would never be paid: refused, nothing changed
    second = world.scalar(sa.select(AwardInstalment.id).where(AwardInstalment.seq == 2))
    late = _attempt(
        world, zone, "talent_officer",
        lambda s, a: programmes.confirm_milestone(
            s, actor=a, instalment_id=second, today=dt.date(2028, 1, 15)
        ),
    )  # fmt: skip
    assert isinstance(late, WulianError)
    assert "2027 年，该年已过" in late.message
    met = sa.select(AwardInstalment.met_on).where(AwardInstalment.id == second)
    assert world.scalar(met) is None


def policy_outcome():
    from wulian.policy.models import PolicyOutcome

    return PolicyOutcome


def _recognised(world, zone, person_id):
    """person_id recognised by firm A (authorised directly) and confirmed by the talent office."""

    def write(session):
        grant = Authorisation(
            enterprise_id=zone.firm_a, year=2025, quota=2, granted_on=TODAY,
            expires_on=TODAY + dt.timedelta(days=364), reasons=[], created_by="test",
        )  # fmt: skip
        session.add(grant)
        session.flush()
        return grant.id

    world.run(write)
    firm = zone.actor(world, "firm_a_user")
    office = zone.actor(world, "talent_officer")
    rid = world.run(
        lambda s: (
            service.submit_recognition(
                s, actor=firm, person_id=person_id, grade="E", evidence=SUMMARY, today=TODAY
            ).id
        )
    )
    world.run(
        lambda s: service.decide_recognition(
            s, actor=office, recognition_id=rid, approve=True, note="", today=TODAY
        )
    )


def test_recognised_talent_who_agreed_get_the_benefit_in_the_policy_run(world, zone, setup):
    _recognised(world, zone, setup["a1"])
    admin = zone.actor(world, "admin")
    world.run(lambda s: policy.create_run(s, actor=admin, period=2026))
    benefits = world.run(
        lambda s: policy.firm_benefits(s, actor=admin, enterprise_id=zone.firm_a).outcomes
    )
    line = next(b for b in benefits if b.title == "认定人才安居补贴")
    assert (line.status, line.amount, line.mode) == ("eligible", 2.0, "免申即享")
    # the portrait shows that this person counts, and the benefit of the run
    shown = world.run(
        lambda s: portrait.portrait(
            s, actor=zone.actor(world, "talent_officer"), keys=KEYS, person_id=setup["a1"],
            today=TODAY,
        )
    )  # fmt: skip
    assert shown.counted
    assert shown.full
    assert [(b.code, b.amount) for b in shown.benefits] == [("talent_recognised", 2.0)]
    assert [r.state for r in shown.recognitions] == ["approved"]


def test_without_the_consent_to_benefits_a_person_does_not_count(world, zone, setup):
    firm = zone.actor(world, "firm_a_user")
    pid = person(
        world, firm, identity_number=identity(31), name="钱多多",
        consents=dict.fromkeys(("employment", "recognition"), dt.date(2026, 6, 1)),
    )  # fmt: skip
    _recognised(world, zone, pid)
    counts = world.run(
        lambda s: service.benefit_inputs(
            s, actor=zone.actor(world, "admin"), source="recognised", year=2026
        )
    )
    assert counts.get(zone.firm_a, 0) == 0
    assert world.scalar(sa.select(Recognition.state)) == "approved"


def test_the_portrait_per_role_and_every_read_audited(world, zone, setup):
    def look(username, pid):
        def go(session, actor):
            return portrait.portrait(session, actor=actor, keys=KEYS, person_id=pid, today=TODAY)

        return _attempt(world, zone, username, go)

    office = look("talent_officer", setup["a1"])
    assert office.full
    assert "*" in office.person.identity_masked
    firm = look("firm_a_user", setup["a1"])
    assert not isinstance(firm, WulianError)
    assert not firm.full
    for username in ("firm_b_user", "other_officer", "analyst"):
        assert isinstance(look(username, setup["a1"]), WulianError), username
    reads = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.portrait_read")
    )
    assert reads == 2


def test_talent_requests_at_the_desk_are_routed_to_the_talent_office_and_linked_to_own_staff(
    world, zone, setup
):
    from wulian.desk import service as desk

    world.run(lambda s: desk.install_shipped(s, actor=SYSTEM))

    def ask(person_id, category="talent_schooling"):
        def go(session, actor):
            return desk.submit(
                session, actor=actor, title="人才子女入学", category=category,
                description="我司认定人才的子女今年秋季需要就近入读小学，请协调学位",
                attributes={"talent_person": str(person_id), "stage": "小学"},
            ).id  # fmt: skip

        return go

    wrong = _attempt(world, zone, "firm_a_user", ask(setup["b1"]))
    assert isinstance(wrong, WulianError)
    assert f"人员编号 {setup['b1']} 不是本企业登记的人员" in wrong.message
    from wulian.desk.models import DeskRequest

    assert _count(world, DeskRequest) == 0
    made = _attempt(world, zone, "firm_a_user", ask(setup["a1"]))
    assert isinstance(made, int)
    routed = world.scalar(sa.select(DeskRequest.routed_department_id).where(DeskRequest.id == made))
    assert routed == zone.office
    # the portrait lists it (as far as the viewer may see the desk: the firm, an administrator)
    shown = world.run(
        lambda s: portrait.portrait(
            s, actor=zone.actor(world, "firm_a_user"), keys=KEYS, person_id=setup["a1"],
            today=TODAY,
        )
    )  # fmt: skip
    assert [(r[1], r[2]) for r in shown.requests] == [("人才子女入学", "人才子女就学")]
    other = world.run(
        lambda s: portrait.portrait(
            s, actor=zone.actor(world, "admin"), keys=KEYS, person_id=setup["a2"],
            today=TODAY,
        )
    )  # fmt: skip
    assert other.requests == []


def test_a_pool_person_without_a_firm_is_refused_at_application_and_at_award(world, zone, setup):
    """Awards are paid through the person's firm: a pool person without a zone firm cannot be
    applied for (a clear message, nothing written, audited), and an application made before
    the rule (or whose person left the firm) still cannot be awarded."""
    office = zone.actor(world, "talent_officer")
    pool = person(
        world, office, identity_number=identity(51), name="郑一鸣",
        consents=dict.fromkeys(ALL, dt.date(2026, 6, 1)),
    )  # fmt: skip
    refused = _attempt(world, zone, "talent_officer", _apply(setup["round"], pool))
    assert isinstance(refused, WulianError)
    assert f"人员 #{pool} 是人才库人员，没有登记所在的园区企业" in refused.message
    assert "请先登记此人所在的企业" in refused.message
    assert "郑一鸣" not in refused.message
    assert _count(world, ProgrammeApplication) == 0
    assert any("人才库人员" in r.get("message", "") for r in _refusals(world))
    chosen = world.run(
        lambda s: programmes.candidates(s, actor=office, keys=KEYS, round_id=setup["round"],
                                        search="郑一")[0]
    )  # fmt: skip
    assert [(c.id, c.reason) for c in chosen] == [(pool, "人才库人员（无单位），须先登记所在企业")]
    # an application without a firm (made before the rule): the award is refused as well
    app = world.run(
        lambda s: s.add(
            ProgrammeApplication(
                round_id=setup["round"], person_id=pool, enterprise_id=None, summary=SUMMARY,
                state="submitted", submitted_on=TODAY, created_by="talent_officer",
            )
        ) or s.scalar(sa.select(ProgrammeApplication.id))
    )  # fmt: skip
    assert _attempt(world, zone, "expert_1", _score(app, merit=30, plan=20, fit=20))
    assert _attempt(world, zone, "expert_2", _score(app, merit=28, plan=20, fit=20))
    refused = _attempt(
        world, zone, "talent_officer", _award(app, 200_000, [(2026, 200_000, "到岗")])
    )
    assert isinstance(refused, WulianError)
    assert "请先登记此人所在的企业" in refused.message
    assert _count(world, AwardInstalment) == 0


def test_a_wrong_award_names_every_problem_at_once(world, zone, setup):
    app = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert _attempt(world, zone, "expert_1", _score(app, merit=36, plan=25, fit=27))
    assert _attempt(world, zone, "expert_2", _score(app, merit=34, plan=24, fit=26))
    refused = _attempt(
        world, zone, "talent_officer",
        _award(app, 100_000_000, [(2019, 300_000, "中试"), (2027, 0, "")]),
    )  # fmt: skip
    assert isinstance(refused, WulianError)
    problems = refused.extra["problems"]
    assert len(problems) == 4
    assert refused.message.startswith("资助决定有 4 处问题，未保存：1. ")
    assert "资助金额应在" in problems[0]
    assert "10000 万元" in problems[0]
    assert problems[1] == "各期金额合计 30 万元，应等于资助金额 10000 万元"
    assert "第 1 行的兑现年度 2019" in problems[2]
    assert "第 2 行须有大于 0 的金额和里程碑" in problems[3]
    assert _count(world, AwardInstalment) == 0


def test_the_retention_sweep_keeps_a_running_award_and_then_removes_it_audited(world, zone, setup):
    app = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert _attempt(world, zone, "expert_1", _score(app, merit=36, plan=25, fit=27))
    assert _attempt(world, zone, "expert_2", _score(app, merit=34, plan=24, fit=26))
    plan = [(2026, 500_000, "中试线建成"), (2030, 500_000, "量产")]
    assert _attempt(world, zone, "talent_officer", _award(app, 1_000_000, plan))

    def sweep(day):
        return world.run(lambda s: service.sweep_retention(s, actor=SYSTEM, today=day))

    # every record's retention ends on 2029-06-30 (three years); the award runs into 2030
    during = sweep(dt.date(2029, 7, 1))
    assert (during.removed, during.kept) == (2, 1)
    assert _count(world, AwardInstalment) == 2
    after = sweep(dt.date(2031, 1, 1))
    assert (after.removed, after.kept) == (1, 0)
    assert _count(world, AwardInstalment) == 0
    assert _count(world, ProgrammeApplication) == 0
    deleted = world.scalar(
        sa.select(sa.func.count()).where(
            AuditEntry.action == "delete", AuditEntry.object_type == "talent_award_instalments"
        )
    )
    assert deleted == 2  # each row deleted through the audit trail, not by the cascade


def test_a_decision_waits_for_the_deadline_and_every_expert_and_no_expert_decides(
    world, zone, setup
):
    """No award before the round closes, nor before every expert of the round has scored, nor
    by one of the round's experts (who also works in the talent office); milestones are
    confirmed in their year and in order."""
    app = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    assert _attempt(world, zone, "expert_1", _score(app, merit=36, plan=25, fit=27))
    plan = [(2026, 400_000, "中试线建成"), (2027, 300_000, "量产"), (2028, 300_000, "营收达标")]
    early = _attempt(world, zone, "talent_officer", _award(app, 1_000_000, plan, today=TODAY))
    assert isinstance(early, WulianError)
    assert "2026-07-15 截止申报，截止后再作决定" in early.message
    waiting = _attempt(world, zone, "talent_officer", _award(app, 1_000_000, plan))
    assert isinstance(waiting, WulianError)
    assert "还有 1 位评审专家未评分（已评 1 位）" in waiting.message
    assert _attempt(world, zone, "expert_2", _score(app, merit=34, plan=24, fit=26))
    office = zone.office  # expert_1 moves to the talent office, and stays an expert

    def move(session):
        session.get(User, world.get_user("expert_1").id).department_id = office

    world.run(move)
    expert = _attempt(world, zone, "expert_1", _award(app, 1_000_000, plan))
    assert isinstance(expert, WulianError)
    assert "回避" in expert.message
    twice = [(2026, 500_000, "中试线建成"), (2026, 500_000, "量产")]
    same_year = _attempt(world, zone, "talent_officer", _award(app, 1_000_000, twice))
    assert isinstance(same_year, WulianError)
    assert "资助计划第 1、2 行同在 2026 年" in same_year.message
    assert world.scalar(sa.select(ProgrammeApplication.state)) == "submitted"
    assert _attempt(world, zone, "talent_officer", _award(app, 1_000_000, plan))
    ids = list(world.run(lambda s: s.scalars(
        sa.select(AwardInstalment.id).order_by(AwardInstalment.seq)).all()))  # fmt: skip

    def confirm(instalment_id, day):
        return lambda s, a: (
            programmes.confirm_milestone(s, actor=a, instalment_id=instalment_id, today=day).id
        )

    ahead = _attempt(world, zone, "talent_officer", confirm(ids[2], DECIDED))
    assert isinstance(ahead, WulianError)
    assert "安排在 2028 年，到该年里程碑达成后再确认" in ahead.message
    skipped = _attempt(world, zone, "talent_officer", confirm(ids[1], dt.date(2027, 3, 1)))
    assert isinstance(skipped, WulianError)
    assert "第 1 期的里程碑还没有确认，请按顺序确认" in skipped.message
    assert _attempt(world, zone, "talent_officer", confirm(ids[0], DECIDED)) == ids[0]


def test_equal_averages_share_a_rank(world, zone, setup):
    """Two applicants scored 78.0 both rank 1; the next is 3rd (1, 1, 3), not 1, 2, 3."""
    first = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a1"]))
    second = _attempt(world, zone, "firm_a_user", _apply(setup["round"], setup["a2"]))
    third = _attempt(world, zone, "firm_b_user", _apply(setup["round"], setup["b1"]))
    assert _attempt(world, zone, "expert_1", _score(second, merit=30, plan=20, fit=28))
    assert _attempt(world, zone, "expert_1", _score(first, merit=28, plan=25, fit=25))
    assert _attempt(world, zone, "expert_1", _score(third, merit=20, plan=20, fit=20))
    ranked = world.run(
        lambda s: programmes.round_applications(
            s, actor=zone.actor(world, "talent_officer"), round_id=setup["round"]
        )[2]
    )
    assert [(v.id, v.rank, v.average) for v in ranked] == [
        (first, 1, 78.0), (second, 1, 78.0), (third, 3, 60.0)
    ]  # fmt: skip
