"""The talent programme pages and the portrait as a browser uses them, per role: the talent office
sets up a programme and a round, a firm applies for its own staff (and is told why it cannot for
another firm's), an expert scores (out of range: refused), only the talent office decides; the
portrait shows the identity number masked to the office and the firm, and refuses other firms."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.talent.conftest import identity, person
from wulian.core import calendar
from wulian.core.audit.models import AuditEntry
from wulian.core.auth.models import User
from wulian.core.permissions import Role
from wulian.talent.programme_models import (
    AwardInstalment,
    Programme,
    ProgrammeApplication,
    ProgrammeReview,
    ProgrammeRound,
)

SUMMARY = "主持高端装备控制系统研发，授权发明专利 4 件，拟建联合实验室"
CONSENTS = ("employment", "recognition", "benefits")


def _post(client, page, path, data):
    return client.post(path, data={"csrf_token": page_csrf(client, page)} | data)


def test_programme_pages_per_role(make_client, world, zone):
    world.user("expert_a", Role.OFFICER, department_id=zone.other_dept)
    world.run(
        lambda s: s.execute(
            sa.update(User).where(User.username == "expert_a").values(display_name="钱评审")
        )
    )
    today = calendar.today()
    firm_a = zone.actor(world, "firm_a_user")
    mine = person(
        world, firm_a, identity_number=identity(41), name="孙立新", today=today,
        consents=dict.fromkeys(CONSENTS, today - dt.timedelta(days=5)),
    )  # fmt: skip
    theirs = person(
        world, zone.actor(world, "firm_b_user"), identity_number=identity(42), name="吴敏",
        today=today, consents=dict.fromkeys(CONSENTS, today - dt.timedelta(days=5)),
    )  # fmt: skip

    office = make_client()
    login(office, "talent_officer")
    made = _post(
        office, "/talent/programmes", "/talent/programmes",
        {"code": "lingjun", "name": "领军人才计划", "min_award": "20", "max_award": "500",
         "criteria": "业绩成果，50\n项目计划，50"},
    )  # fmt: skip
    assert made.status_code == 303
    pid = world.scalar(sa.select(Programme.id))
    bad_round = _post(
        office, "/talent/programmes", "/talent/programmes/rounds",
        {"programme_id": str(pid), "name": "第一批", "opens_on": str(today),
         "closes_on": str(today + dt.timedelta(days=30)), "reviewers": "firm_a_user"},
    )  # fmt: skip
    assert bad_round.status_code == 422
    assert "不是在用的园区工作人员账号" in bad_round.text
    made_round = _post(
        office, "/talent/programmes", "/talent/programmes/rounds",
        {"programme_id": str(pid), "name": "第一批", "opens_on": str(today - dt.timedelta(days=1)),
         "closes_on": str(today + dt.timedelta(days=30)), "reviewers": "expert_a"},
    )  # fmt: skip
    assert made_round.status_code == 303
    rid = world.scalar(sa.select(ProgrammeRound.id))
    page = f"/talent/programmes/rounds/{rid}"
    listed = office.get("/talent/programmes")
    assert "20–500 万元" in listed.text  # not 20.0–500.0
    # the office applies by choosing a person by name (identity masked), searchable
    found = office.get(f"{page}?who=吴")
    assert "吴敏 · " + identity(42)[:4] in found.text
    assert identity(42) not in found.text
    assert "孙立新" not in found.text
    assert "共 1 人" in found.text
    long = office.get(f"{page}?who={'吴' + '某' * 80}")  # past the box's 50: cut, not a 422
    assert long.status_code == 200
    assert "没有找到" in long.text

    # a department that is not the talent office cannot set up programmes
    other = make_client()
    login(other, "other_officer")
    refused = _post(
        other, "/talent/programmes", "/talent/programmes",
        {"code": "x", "name": "x", "min_award": "1", "max_award": "2", "criteria": "a，1"},
    )  # fmt: skip
    assert refused.status_code == 403
    assert "只有人才办工作人员可以设立" in refused.text
    assert world.scalar(sa.select(sa.func.count()).select_from(Programme)) == 1

    firm = make_client()
    login(firm, "firm_a_user")
    assert "孙立新" in firm.get(page).text  # the application form lists its own staff
    wrong = _post(firm, page, f"{page}/apply", {"person_id": str(theirs), "summary": SUMMARY})
    assert wrong.status_code == 403
    assert "只能为本企业在职人员申报" in wrong.text
    ok = _post(firm, page, f"{page}/apply", {"person_id": str(mine), "summary": SUMMARY})
    assert ok.status_code == 303
    app_id = world.scalar(sa.select(ProgrammeApplication.id))
    assert world.scalar(sa.select(sa.func.count()).select_from(ProgrammeApplication)) == 1

    expert = make_client()
    login(expert, "expert_a")
    shown = expert.get(page)
    assert "提交评分" in shown.text
    assert SUMMARY in shown.text
    score = f"/talent/programmes/applications/{app_id}/score"
    out = _post(expert, page, score, {"score_c1": "60", "score_c2": "40"})
    assert out.status_code == 422
    assert "应在 0 到 50 之间" in out.text
    assert _post(expert, page, score, {"score_c1": "45", "score_c2": "40"}).status_code == 303
    twice = _post(expert, page, score, {"score_c1": "45", "score_c2": "40"})
    assert twice.status_code == 409
    assert "不能重复评分" in twice.text
    assert world.scalar(sa.select(sa.func.count()).select_from(ProgrammeReview)) == 1
    # the firm never sees the scores; another department cannot open the round
    assert "85" not in firm.get(page).text.split('id="applications"')[1]
    assert other.get(page).status_code == 403

    decide = f"/talent/programmes/applications/{app_id}/decide"
    award = {
        "decision": "award",
        "amount": "100",
        "instalments": "2027，60，实验室建成\n2028，40，成果转化",
    }
    assert _post(other, "/talent/programmes", decide, award).status_code == 403
    assert _post(expert, page, decide, award).status_code == 403
    still_open = _post(office, page, decide, award)
    assert still_open.status_code == 422
    assert "截止申报，截止后再作决定" in still_open.text
    world.run(  # the deadline passes
        lambda s: s.execute(
            sa.update(ProgrammeRound).values(closes_on=today - dt.timedelta(days=1))
        )
    )
    ranked = office.get(page)
    assert "85.0" in ranked.text  # the average, for the talent office
    assert "钱评审（投资促进局（招商）） 85" in ranked.text  # experts by name, not login
    assert "expert_a 85" not in ranked.text
    wrong = _post(
        office, page, decide,
        {"decision": "award", "amount": "一百", "instalments": "2019，60，实验室建成\n坏行"},
    )  # fmt: skip
    assert wrong.status_code == 422
    assert "资助决定有 3 处问题" in wrong.text  # every problem at once
    assert wrong.text.count("<li>资助") == 3
    assert "资助金额应为数字" in wrong.text
    assert "第 2 行“坏行”" in wrong.text
    assert "兑现年度 2019" in wrong.text
    # the award form keeps what was typed, beside the problems
    kept = wrong.text.split(f'id="decide-{app_id}"')[1].split("</form>")[0]
    assert 'name="amount" inputmode="decimal" value="一百"' in kept
    assert ">2019，60，实验室建成\n坏行</textarea>" in kept
    # the error box says whom it is about; every line of the plan is named by its line
    assert f"孙立新（申报 {app_id}）的资助决定有 3 处问题" in wrong.text
    swapped = _post(
        office, page, decide,
        {"decision": "award", "amount": "100", "instalments": "坏行\n2019，100，实验室建成"},
    )  # fmt: skip
    assert swapped.status_code == 422
    assert "资助计划第 1 行“坏行”" in swapped.text
    assert "资助计划第 2 行的兑现年度 2019" in swapped.text
    assert "期的兑现年度" not in swapped.text
    # the decision form is in a row of its own under the applicant, not a squeezed column
    row = ranked.text.split(f'id="application-{app_id}"')[1].split("</tr>")[0]
    assert "decide-form" not in row
    assert f'id="decide-{app_id}"' in ranked.text.split(f'id="forms-{app_id}"')[1]
    assert _post(office, page, decide, award).status_code == 303
    assert world.scalar(sa.select(sa.func.count()).select_from(AwardInstalment)) == 2
    attempts = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.programme_refused")
    )
    assert attempts >= 6

    # the portrait: the office and the firm see the identity number masked, as in the staff
    # list (never whole); others 403
    full = office.get(f"/talent/people/{mine}/portrait")
    assert full.status_code == 200
    assert 'id="identity"' in full.text
    assert "领军人才计划" in full.text
    own = firm.get(f"/talent/people/{mine}/portrait")
    assert own.status_code == 200
    assert 'id="identity"' in own.text
    assert identity(41) not in own.text
    assert identity(41)[-4:] in own.text
    assert "100 万元" in own.text
    assert "100.0 万元" not in own.text
    firm_b = make_client()
    login(firm_b, "firm_b_user")
    # another firm's person: the same 404 as a person that does not exist (no existence leak),
    # recorded as a refused attempt like the person page; zone staff outside the office: 403
    before = world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "talent.refused"))
    probed = firm_b.get(f"/talent/people/{mine}/portrait")
    missing = firm_b.get("/talent/people/999999/portrait")
    assert (probed.status_code, missing.status_code) == (404, 404)
    assert "没有这条人员记录" in probed.text
    assert "领军人才计划" not in probed.text
    refusals = world.run(
        lambda s: [
            (r.object_id, r.after["attempt"], r.after["code"])
            for r in s.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action == "talent.refused")
                .order_by(AuditEntry.id)
                .offset(before)
            )
        ]
    )
    assert refusals == [(str(mine), "查看人才画像", "not_found")]
    assert other.get(f"/talent/people/{mine}/portrait").status_code == 403
    reads = world.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "talent.portrait_read")
    )
    assert reads == 2
