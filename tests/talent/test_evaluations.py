"""Talent evaluations as runs: the talent office runs, publishes and reads them; a firm reads its
own staff's published results only; another officer is refused and the attempt audited; every
read is audited; people without the 人才认定 consent are not evaluated."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.talent.conftest import TODAY, identity, person
from tests.talent.test_imports import atlas  # noqa: F401 (a fixture)
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.talent import evaluations
from wulian.talent.models import EvaluationResult, EvaluationSpecVersion, Person

CONSENT = {"employment": dt.date(2026, 6, 1), "recognition": dt.date(2026, 6, 1)}


@pytest.fixture
def staff(world, zone):
    """Firm A: a doctor (class E, 七维 points); firm B: a national-programme engineer (class B);
    firm A: someone without the 人才认定 consent (not evaluated)."""
    firm_a = zone.actor(world, "firm_a_user")
    firm_b = zone.actor(world, "firm_b_user")
    doctor = person(
        world, firm_a, name="李博", identity_number=identity(11), education="博士",
        salary_yuan=300_000, consents=CONSENT, experience_years=8, position_level="core",
        achievements=4, title_level="副高级",
    )  # fmt: skip
    leader = person(
        world, firm_b, name="赵国", identity_number=identity(12), education="硕士",
        consents=CONSENT, honour_level="national", title_level="正高级",
    )  # fmt: skip
    unconsented = person(world, firm_a, name="钱未", identity_number=identity(13))
    return doctor, leader, unconsented


def _run(world, zone, publish=True) -> int:
    office = zone.actor(world, "talent_officer")

    def run(session):
        made = evaluations.create_run(session, actor=office, today=TODAY)
        if publish:
            evaluations.publish(session, actor=office, run_id=made.id, today=TODAY)
        return made.id

    return world.run(run)


def _audits(world, action: str) -> int:
    return world.scalar(sa.select(sa.func.count()).where(AuditEntry.action == action))


def test_the_office_runs_and_every_consenting_person_is_evaluated(world, zone, staff):
    doctor, leader, _unconsented = staff
    run_id = _run(world, zone, publish=False)
    rows = {
        r.person_id: r
        for r in world.run(
            lambda s: list(
                s.scalars(sa.select(EvaluationResult).where(EvaluationResult.run_id == run_id))
            )
        )
    }
    assert set(rows) == {doctor, leader}  # no consent to 人才认定: not evaluated
    assert rows[doctor].grade == "E"
    assert rows[doctor].score == 71.7  # the hand-worked example of the engine tests
    assert rows[leader].grade == "B"
    assert _audits(world, "talent.evaluation_run") == 1


def test_run_refused_for_others(world, zone, staff):
    for user in ("other_officer", "analyst", "firm_a_user"):
        actor = zone.actor(world, user)
        with pytest.raises(PermissionDenied):
            world.run(lambda s, a=actor: evaluations.create_run(s, actor=a, today=TODAY))


def test_no_consenting_people_is_a_clear_message(world, zone):
    office = zone.actor(world, "talent_officer")
    with pytest.raises(InvalidInput, match="人才认定"):
        world.run(lambda s: evaluations.create_run(s, actor=office, today=TODAY))


def test_a_firm_sees_its_own_staff_in_published_runs_only(world, zone, staff):
    doctor, leader, _ = staff
    draft = _run(world, zone, publish=False)
    firm_a = zone.actor(world, "firm_a_user")
    with pytest.raises(NotFound):
        world.run(lambda s: evaluations.results(s, actor=firm_a, run_id=draft))
    published = _run(world, zone)
    page = world.run(lambda s: evaluations.results(s, actor=firm_a, run_id=published))
    assert [e.person_id for e in page.items] == [doctor]
    _, own = world.run(lambda s: evaluations.person_result(s, actor=firm_a, person_id=doctor))
    assert own is not None
    assert own.grade == "E"
    with pytest.raises(PermissionDenied):
        world.run(lambda s: evaluations.person_result(s, actor=firm_a, person_id=leader))


def test_other_officer_is_refused(world, zone, staff):
    doctor, _, _ = staff
    run_id = _run(world, zone)
    other = zone.actor(world, "other_officer")
    with pytest.raises(PermissionDenied, match="人才办"):
        world.run(lambda s: evaluations.results(s, actor=other, run_id=run_id))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: evaluations.person_result(s, actor=other, person_id=doctor))


def test_the_office_filters_by_class_and_reads_are_audited(world, zone, staff):
    doctor, leader, _ = staff
    run_id = _run(world, zone)
    office = zone.actor(world, "talent_officer")
    page = world.run(lambda s: evaluations.results(s, actor=office, run_id=run_id, grade="B"))
    assert [e.person_id for e in page.items] == [leader]
    assert page.counts["B"] == 1
    assert page.counts["E"] == 1
    every = world.run(lambda s: evaluations.results(s, actor=office, run_id=run_id))
    assert [e.person_id for e in every.items] == [leader, doctor]  # class B before E
    assert _audits(world, "talent.people_read") == 2
    with pytest.raises(InvalidInput, match="没有“X”这个类别"):
        world.run(lambda s: evaluations.results(s, actor=office, run_id=run_id, grade="X"))
    world.run(lambda s: evaluations.person_result(s, actor=office, person_id=doctor))
    assert _audits(world, "talent.evaluation_read") == 1


def test_withdrawn_runs_are_not_shown_to_firms(world, zone, staff):
    doctor, _, _ = staff
    run_id = _run(world, zone)
    office = zone.actor(world, "talent_officer")
    world.run(lambda s: evaluations.withdraw(s, actor=office, run_id=run_id, reason="数据有误"))
    firm_a = zone.actor(world, "firm_a_user")
    run, result = world.run(lambda s: evaluations.person_result(s, actor=firm_a, person_id=doctor))
    assert (run, result) == (None, None)


def test_new_fields_are_checked(world, zone):
    firm_a = zone.actor(world, "firm_a_user")
    with pytest.raises(InvalidInput, match="工作年限应为 0–60 年"):
        person(world, firm_a, experience_years=70)
    with pytest.raises(InvalidInput, match="职称“教授级”不在可选范围内"):
        person(world, firm_a, title_level="教授级")
    with pytest.raises(InvalidInput, match="6 位行政区划代码"):
        person(world, firm_a, region_code="3308")
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_the_spec_is_versioned_and_edited_by_the_office_only(world, zone, staff):
    office = zone.actor(world, "talent_officer")
    other = zone.actor(world, "other_officer")
    row = world.run(lambda s: evaluations.current_spec(s, actor=office))
    base_id, text = row.id, row.text
    edited = text.replace("weight: 20, unit: 等级", "weight: 30, unit: 等级")
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: evaluations.SPECS.save(s, actor=other, text=edited, based_on_id=base_id)
        )
    saved = world.run(
        lambda s: evaluations.SPECS.save(s, actor=office, text=edited, based_on_id=base_id).version
    )
    assert saved == 2
    run_id = _run(world, zone, publish=False)
    doctor, _, _ = staff
    score = world.scalar(
        sa.select(EvaluationResult.score).where(
            EvaluationResult.run_id == run_id, EvaluationResult.person_id == doctor
        )
    )
    assert score != 71.7  # the new weights were used
    assert (
        world.scalar(
            sa.select(evaluations.EvaluationRunRow.spec_version).where(
                evaluations.EvaluationRunRow.id == run_id
            )
        )
        == "2"
    )


def test_pages_by_role(make_client, world, zone, staff):
    doctor, _leader, _ = staff
    office = make_client()
    login(office, "talent_officer")
    token = page_csrf(office, "/talent/evaluations")
    made = office.post("/talent/evaluations", data={"csrf_token": token})
    assert made.status_code == 303
    run_path = made.headers["location"]
    published = office.post(f"{run_path}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    listed = office.get(run_path + "?grade=B")
    assert "赵国" in listed.text
    assert "李博" not in listed.text
    page = office.get(f"/talent/people?person={doctor}")
    assert "71.7" in page.text
    assert "E 类 高级人才" in page.text
    assert "5–10 年（含下限）：60 分" in page.text
    other = make_client()
    login(other, "other_officer")
    assert other.get(run_path).status_code == 403
    assert other.get("/talent/evaluations").status_code == 403
    firm = make_client()
    login(firm, "firm_a_user")
    own = firm.get(run_path)
    assert own.status_code == 200
    assert "李博" in own.text
    assert "赵国" not in own.text
    assert "E 类 高级人才" in firm.get(f"/talent/people?person={doctor}").text
    assert _audits(world, "talent.refused") >= 2


def test_the_staff_list_takes_the_new_columns_checked_per_cell(world, atlas):  # noqa: F811
    from tests.talent.test_imports import STAFF_HEADERS, book, run, staff_row

    actor = atlas.actor(world, "firm_a_user")
    headers = [*STAFF_HEADERS, "工作年限（年）", "所在地", "职称", "职务层级", "荣誉与人才计划",
               "创新成果（项）"]  # fmt: skip
    good = [*staff_row(1), "8", "330802", "副高级", "技术骨干", "市级", "3"]
    bad_years = [*staff_row(2, name="李娜"), "八年", "330802", "", "", "", ""]
    bad_title = [*staff_row(3, name="周强"), "3", "", "教授", "", "", ""]
    report = run(world, actor, book(headers, [good, bad_years, bad_title]), dry_run=True)
    problems = {(p.row, p.column, p.value): p.reason for p in report.problems}
    assert problems[(3, "工作年限（年）", "八年")] == "应为整数"
    assert "职称“教授”不在可选范围内" in problems[(4, "职称", "教授")]
    assert world.scalar(sa.select(sa.func.count()).select_from(Person)) == 0
    done = run(world, actor, book(headers, [good]))
    assert done.committed
    stored = world.run(
        lambda s: s.execute(
            sa.select(Person.experience_years, Person.region_code, Person.title_level,
                      Person.position_level, Person.honour_level, Person.achievements)
        ).one()
    )  # fmt: skip
    assert tuple(stored) == (8, "330802", "deputy_senior", "core", "city", 3)


def test_matching_gets_recorded_years_and_region(world, zone):
    """Years of work and a recorded region reach the matching engine; not recorded stays
    unknown (empty), never 0; a recorded region comes before the firm's."""
    from wulian.talent import matching

    firm_a = zone.actor(world, "firm_a_user")
    known = person(world, firm_a, identity_number=identity(21), experience_years=6,
                   region_code="330803")  # fmt: skip
    unknown = person(world, firm_a, name="李娜", identity_number=identity(22))

    def frame(s):
        people = [s.get(Person, known), s.get(Person, unknown)]
        return matching.people_frame(people, {zone.firm_a: "330802"})

    people = world.run(frame)
    assert people["experience_years"].to_list() == ["6", ""]
    assert people["location"].to_list() == ["330803", "330802"]


def test_the_spec_pages(make_client, world, zone):
    office_actor = zone.actor(world, "talent_officer")
    spec_id = world.run(lambda s: evaluations.current_spec(s, actor=office_actor).id)
    office = make_client()
    login(office, "talent_officer")
    listed = office.get("/talent/evaluation/specs")
    assert listed.status_code == 200
    assert "七维人才评价" in listed.text
    shown = office.get(f"/talent/evaluation/specs/{spec_id}")
    assert shown.status_code == 200
    assert "experience_years" in shown.text
    token = page_csrf(office, f"/talent/evaluation/specs/{spec_id}")
    broken = office.post(
        f"/talent/evaluation/specs/{spec_id}",
        data={"csrf_token": token, "text": "id: talent_seven\nname: 坏\n"},
    )
    assert broken.status_code == 422  # refused with the file's problems; nothing saved
    assert "index" in broken.text
    assert world.scalar(sa.select(sa.func.count()).select_from(EvaluationSpecVersion)) == 1
    firm = make_client()
    login(firm, "firm_a_user")
    assert firm.get("/talent/evaluation/specs").status_code == 403


def test_the_portrait_shows_the_published_evaluation(world, zone, staff):
    from tests.talent.conftest import KEYS
    from wulian.talent import portrait

    doctor, _leader, unconsented = staff

    def sections(username, pid):
        actor = zone.actor(world, username)
        return world.run(
            lambda s: {
                sec.title: dict(sec.lines)
                for sec in portrait.portrait(
                    s, actor=actor, keys=KEYS, person_id=pid, today=TODAY
                ).sections
            }
        )

    assert sections("talent_officer", doctor)["人才评价"] == {"七维得分": "尚无已发布的人才评价"}
    _run(world, zone, publish=False)  # a draft is not shown
    assert sections("firm_a_user", doctor)["人才评价"] == {"七维得分": "尚无已发布的人才评价"}
    _run(world, zone)
    shown = sections("firm_a_user", doctor)["人才评价"]
    assert shown["七维得分"] == "71.7"
    assert shown["人才分类目录"].startswith("E")
    assert (
        "不在最新一次已发布的评价中"
        in sections("talent_officer", unconsented)["人才评价"]["七维得分"]
    )


def test_the_grade_list_keeps_to_complete_apart_from_below_the_catalogue(world, zone, staff):
    """A–E first, then every 待补充 person together, then those below the catalogue, each group
    by 七维 points: a high-scoring person below the catalogue does not come between two 待补充
    people."""
    doctor, leader, _ = staff
    firm_a = zone.actor(world, "firm_a_user")
    below = person(
        world, firm_a, name="孙满", identity_number=identity(21), education="本科",
        salary_yuan=150_000, consents=CONSENT, experience_years=20, position_level="executive",
        achievements=12, title_level="无职称", honour_level="无",
    )  # fmt: skip  # none of A–E can hold, all known: 未达到, many points
    pending_low = person(
        world, firm_a, name="周待", identity_number=identity(22), education="本科",
        salary_yuan=None, consents=CONSENT, experience_years=1, position_level="staff",
        achievements=0,
    )  # fmt: skip  # no title nor honour: a class could hold, 待补充
    pending_high = person(
        world, firm_a, name="吴待", identity_number=identity(23), education="硕士",
        salary_yuan=None, consents=CONSENT, experience_years=12, position_level="middle",
        achievements=5,
    )  # fmt: skip
    run_id = _run(world, zone)
    office = zone.actor(world, "talent_officer")
    listed = world.run(lambda s: evaluations.results(s, actor=office, run_id=run_id))
    order = [(i.person_id, i.grade_label) for i in listed.items]
    assert [pid for pid, _ in order] == [leader, doctor, pending_high, pending_low, below]
    assert [label for _, label in order][2:] == ["待补充", "待补充", "未达到目录标准"]
    scores = {i.person_id: i.score for i in listed.items}
    assert scores[pending_high] > scores[pending_low]
    assert scores[below] > scores[pending_low]  # more points, still after every 待补充


def test_the_current_run_is_the_one_person_pages_read(make_client, world, zone, staff):
    """Two published runs: the last published is 当前 on the list and its page, the other says
    which run superseded it; the person page and the portrait read the current one."""
    first = _run(world, zone)
    second = _run(world, zone)
    draft = _run(world, zone, publish=False)
    office_actor = zone.actor(world, "talent_officer")
    current = world.run(lambda s: evaluations.latest_published(s).id)
    assert current == second
    listed = world.run(
        lambda s: [
            r.id for r in [evaluations.current_of(evaluations.run_list(s, actor=office_actor))] if r
        ]
    )
    assert listed == [second]
    office = make_client()
    login(office, "talent_officer")
    page = office.get("/talent/evaluations")
    assert page.status_code == 200
    assert page.text.count(">当前</span>") == 1
    assert f"已被第 {second} 次评价取代" in page.text
    assert f'当前结果：<a href="/talent/evaluations/{second}">' in page.text
    old = office.get(f"/talent/evaluations/{first}")
    assert f'本次评价已被<a href="/talent/evaluations/{second}">第 {second} 次评价</a>取代' in (
        old.text
    )
    assert "这是当前的人才评价结果" in office.get(f"/talent/evaluations/{second}").text
    assert "这是当前" not in office.get(f"/talent/evaluations/{draft}").text
    firm = make_client()
    login(firm, "firm_a_user")
    assert firm.get("/talent/evaluations").text.count(">当前</span>") == 1


def _form_fields(spec_text: str) -> dict[str, str]:
    """The form as the page fills it from a spec text."""
    from wulian.talent import sevenform

    form = sevenform.form_of(spec_text)
    fields = {"min_known": str(form.min_known)}
    for d in form.dimensions:
        fields[f"weight_{d.key}"] = f"{d.weight:g}"
        for n, b in enumerate(d.bands):
            for part, value in (("min", b.min), ("below", b.below), ("points", b.points)):
                fields[f"band_{d.key}_{n}_{part}"] = "" if value is None else f"{value:g}"
    return fields


def test_the_weights_and_bands_form_saves_a_new_version(world, zone, staff):
    """The office changes weights and a table on the form: a new version (the old one stays),
    the file still checks, and the next run scores with it."""
    from wulian.talent import sevenform

    office = zone.actor(world, "talent_officer")
    base = world.run(lambda s: evaluations.current_spec(s, actor=office))
    fields = _form_fields(base.text)
    fields |= {"weight_education_rank": "15", "weight_title_rank": "15"}  # still 100 in all
    # experience: a new top band (≥ 20 years: 100), 15–20 now 90
    fields |= {
        "band_experience_years_4_below": "20",
        "band_experience_years_4_points": "90",
        "band_experience_years_5_min": "20",
        "band_experience_years_5_points": "100",
    }
    saved = world.run(
        lambda s: evaluations.save_form(s, actor=office, spec_id=base.id, fields=fields).id
    )
    rows = world.run(
        lambda s: [(r.id, r.version, r.note) for r in s.scalars(
            sa.select(EvaluationSpecVersion).order_by(EvaluationSpecVersion.id))]
    )  # fmt: skip
    assert rows == [(base.id, 1, "平台内置方案"), (saved, 2, "按表单修改权重和分档")]
    text = world.scalar(
        sa.select(EvaluationSpecVersion.text).where(EvaluationSpecVersion.id == saved)
    )
    assert text.startswith("# 七维人才评价")  # the file's comments are kept
    form = sevenform.form_of(text)
    weights = {d.key: d.weight for d in form.dimensions}
    assert weights["education_rank"] == 15
    assert weights["title_rank"] == 15
    years = next(d for d in form.dimensions if d.key == "experience_years").bands
    assert [(b.min, b.below, b.points) for b in years[-2:]] == [(15, 20, 90), (20, None, 100)]
    run_id = _run(world, zone, publish=False)
    assert world.scalar(sa.select(sa.func.count()).where(EvaluationResult.run_id == run_id)) == 2
    from wulian.talent.models import EvaluationRunRow

    assert (
        world.scalar(sa.select(EvaluationRunRow.spec_version).where(EvaluationRunRow.id == run_id))
        == "2"
    )


def test_the_form_names_every_problem_in_chinese_and_saves_nothing(world, zone, staff):
    office = zone.actor(world, "talent_officer")
    base = world.run(lambda s: evaluations.current_spec(s, actor=office))
    fields = _form_fields(base.text)
    fields |= {
        "weight_education_rank": "30",  # the weights add up to 110
        "band_experience_years_1_min": "2",  # overlaps the first band (below 3)
        "band_salary_floor_2_min": "25",  # a gap after 10–20
        "band_position_rank_1_points": "120",  # beyond 100
        "band_title_rank_2_below": "1",  # lower bound 2 above upper bound 1
        "weight_honour_rank": "十",  # not a number
    }
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: evaluations.save_form(s, actor=office, spec_id=base.id, fields=fields))
    problems = refused.value.extra["problems"]
    assert problems[0] == "“荣誉与人才计划”的权重应为数字，填写的是“十”"
    fields["weight_honour_rank"] = "10"
    with pytest.raises(InvalidInput) as refused:
        world.run(lambda s: evaluations.save_form(s, actor=office, spec_id=base.id, fields=fields))
    problems = refused.value.extra["problems"]
    text = "\n".join(problems)
    assert "各维度权重合计应为 100，现为 110" in text
    assert "“工作年限”第 2 档的下限 2 小于第 1 档的上限 3：两档重叠" in text
    assert "“年薪下限”第 3 档的下限 25 大于第 2 档的上限 20：20–25 之间没有分数" in text
    assert "“职务层级”第 2 档的分数应在 0–100 之间，填写的是 120" in text
    assert "“专业技术职称”第 3 档的下限 2 应小于上限 1" in text
    assert world.scalar(sa.select(sa.func.count()).select_from(EvaluationSpecVersion)) == 1
    other = zone.actor(world, "other_officer")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: evaluations.save_form(s, actor=other, spec_id=base.id, fields=fields))


def test_the_form_page(make_client, world, zone):
    office_actor = zone.actor(world, "talent_officer")
    spec_id = world.run(lambda s: evaluations.current_spec(s, actor=office_actor).id)
    office = make_client()
    login(office, "talent_officer")
    assert (
        f"/talent/evaluation/specs/{spec_id}/form"
        in office.get(f"/talent/evaluation/specs/{spec_id}").text
    )
    page = office.get(f"/talent/evaluation/specs/{spec_id}/form")
    assert page.status_code == 200
    assert "硕士研究生" in page.text  # the coded bands say what they cover
    token = page_csrf(office, f"/talent/evaluation/specs/{spec_id}/form")
    text = world.scalar(sa.select(EvaluationSpecVersion.text))
    fields = _form_fields(text) | {"weight_education_rank": "25", "csrf_token": token}
    wrong = office.post(f"/talent/evaluation/specs/{spec_id}/form", data=fields)
    assert wrong.status_code == 422
    assert "各维度权重合计应为 100，现为 105" in wrong.text
    assert 'value="25"' in wrong.text  # shown again as typed
    fields["weight_education_rank"] = "20"
    fields["weight_title_rank"] = "10"
    same = office.post(f"/talent/evaluation/specs/{spec_id}/form", data=fields)
    assert same.status_code == 422  # nothing changed: no new version, and the page says so
    assert "内容与最新版本相同，没有保存新版本" in same.text
    fields["band_honour_rank_1_points"] = "65"
    ok = office.post(f"/talent/evaluation/specs/{spec_id}/form", data=fields)
    assert ok.status_code == 303
    other = make_client()
    login(other, "other_officer")
    assert other.get(f"/talent/evaluation/specs/{spec_id}/form").status_code == 403


def _diff_changes(world, spec_id: int) -> tuple[list[str], list[str]]:
    """The removed and added lines of a version's diff against the version it was made from,
    as the version page shows them."""
    from wulian.core import specversions

    def lines(s):
        row = s.get(EvaluationSpecVersion, spec_id)
        return specversions.diff(specversions.previous(s, EvaluationSpecVersion, row), row)

    shown = world.run(lines)
    return [t for k, t in shown if k == "del"], [t for k, t in shown if k == "add"]


def test_a_form_save_changes_only_the_lines_of_the_values_changed(world, zone, staff):
    """The version page's diff after a form save shows what changed, not the whole file: two
    weights moved → two lines; one band's points → one line; a band added → its lines only.
    The file's comments and layout stay as stored."""
    office = zone.actor(world, "talent_officer")
    base = world.run(lambda s: evaluations.current_spec(s, actor=office))
    fields = _form_fields(base.text) | {"weight_education_rank": "15", "weight_title_rank": "15"}
    weights = world.run(
        lambda s: evaluations.save_form(s, actor=office, spec_id=base.id, fields=fields).id
    )
    removed, added = _diff_changes(world, weights)
    assert removed == [
        "-    - {key: education_rank, name: 学历, parent: seven, weight: 20, unit: 等级}",
        "-    - {key: title_rank, name: 专业技术职称, parent: seven, weight: 10, unit: 等级}",
    ]
    assert added == [
        "+    - {key: education_rank, name: 学历, parent: seven, weight: 15, unit: 等级}",
        "+    - {key: title_rank, name: 专业技术职称, parent: seven, weight: 15, unit: 等级}",
    ]
    stored = world.scalar(
        sa.select(EvaluationSpecVersion.text).where(EvaluationSpecVersion.id == weights)
    )
    expected = base.text.replace(
        "学历, parent: seven, weight: 20", "学历, parent: seven, weight: 15"
    )
    expected = expected.replace(
        "职称, parent: seven, weight: 10", "职称, parent: seven, weight: 15"
    )
    assert stored == expected  # the rest as stored, comments and layout too

    # one band's points: one line
    fields = _form_fields(stored) | {"band_honour_rank_1_points": "65"}
    points = world.run(
        lambda s: evaluations.save_form(s, actor=office, spec_id=weights, fields=fields).id
    )
    removed, added = _diff_changes(world, points)
    assert removed == ["-        - {min: 1, below: 2, points: 60}"]
    assert added == ["+        - {min: 1, below: 2, points: 65}"]

    # a band added at the top of 工作年限 (15–20: 90, ≥ 20: 100): the last row changes, one added
    stored = world.scalar(
        sa.select(EvaluationSpecVersion.text).where(EvaluationSpecVersion.id == points)
    )
    fields = _form_fields(stored) | {
        "band_experience_years_4_below": "20", "band_experience_years_4_points": "90",
        "band_experience_years_5_min": "20", "band_experience_years_5_points": "100",
    }  # fmt: skip
    more = world.run(
        lambda s: evaluations.save_form(s, actor=office, spec_id=points, fields=fields).id
    )
    removed, added = _diff_changes(world, more)
    assert removed == ["-        - {min: 15, points: 100}"]
    assert added == [
        "+        - {min: 15, below: 20, points: 90}",
        "+        - {min: 20, points: 100}",
    ]


def test_a_spec_written_differently_is_still_saved_right():
    """A text whose tables the form cannot edit in place (one table for two dimensions) is
    written out whole, with the form's values."""
    from wulian.talent import evaluation, sevenform

    text = evaluation.shipped_text()
    form = sevenform.form_of(text)
    form.dimensions[0].weight = 25
    form.dimensions[1].weight = 10
    out = sevenform.write(text, form)
    assert out.count("\n") == text.count("\n")  # edited in place
    assert sevenform.form_of(out).dimensions[0].weight == 25
    flow = text.replace(
        "      steps:\n        - {below: 2, points: 10}\n        - {min: 2, below: 3, points: 30}\n"
        "        - {min: 3, below: 4, points: 50}\n        - {min: 4, below: 5, points: 70}\n"
        "        - {min: 5, below: 6, points: 85}\n        - {min: 6, points: 100}\n",
        "      steps: [{below: 2, points: 10}, {min: 2, below: 3, points: 30}, {min: 3, below: 4,"
        " points: 50}, {min: 4, below: 5, points: 70}, {min: 5, below: 6, points: 85},"
        " {min: 6, points: 100}]\n",
    )
    assert flow != text
    form = sevenform.form_of(flow)
    form.dimensions[0].bands[0].points = 15
    out = sevenform.write(flow, form)
    assert "steps: [{below: 2, points: 15}, {min: 2, below: 3, points: 30}" in out
    assert len(out.splitlines()) == len(flow.splitlines())


def test_a_wrong_form_is_shown_again_as_typed_with_every_problem(make_client, world, zone):
    """Bad values stay in their boxes (marked), every problem listed, nothing saved."""
    office_actor = zone.actor(world, "talent_officer")
    spec_id = world.run(lambda s: evaluations.current_spec(s, actor=office_actor).id)
    office = make_client()
    login(office, "talent_officer")
    token = page_csrf(office, f"/talent/evaluation/specs/{spec_id}/form")
    text = world.scalar(sa.select(EvaluationSpecVersion.text))
    fields = _form_fields(text) | {
        "csrf_token": token, "weight_honour_rank": "十", "band_position_rank_1_points": "abc",
        "band_experience_years_5_min": "20", "band_experience_years_5_points": "1oo",
        "note": "试改",
    }  # fmt: skip
    wrong = office.post(f"/talent/evaluation/specs/{spec_id}/form", data=fields)
    assert wrong.status_code == 422
    page = wrong.text
    assert 'name="weight_honour_rank" value="十"' in page
    assert 'name="band_position_rank_1_points" value="abc"' in page
    assert 'name="band_experience_years_5_min" value="20"' in page  # the new row kept too
    assert 'name="band_experience_years_5_points" value="1oo"' in page
    assert page.count('aria-invalid="true"') == 3
    assert "“荣誉与人才计划”的权重应为数字，填写的是“十”" in page
    assert "“职务层级”第 2 档的分数应为数字，填写的是“abc”" in page
    assert 'value="试改"' in page
    assert world.scalar(sa.select(sa.func.count()).select_from(EvaluationSpecVersion)) == 1


def test_the_salary_dimension_has_a_clean_name_and_older_results_stay_readable(
    make_client, world, zone, staff
):
    """The shipped spec calls the salary dimension 年薪下限 (shown 年薪下限（万元）); an evaluation
    published under the older name still shows its own names after the new file is installed."""
    from wulian.core import specversions
    from wulian.talent import evaluation

    office = zone.actor(world, "talent_officer")
    old = evaluation.shipped_text().replace("name: 年薪下限,", "name: 年薪（档次下限）,")

    def install_old(s):
        s.add(EvaluationSpecVersion(
            code=evaluations.CODE, version=1, text=old, note="平台内置方案", shipped=True,
            created_by="系统", name=evaluation.load(old).name,
        ))  # fmt: skip
        s.flush()

    world.run(install_old)
    run_id = _run(world, zone)
    done = world.run(
        lambda s: specversions.install(s, evaluations.SHIPPED_SPECS, created_by="系统")
    )
    assert done.updated == [evaluations.CODE]
    _, result = world.run(
        lambda s: evaluations.person_result(s, actor=office, person_id=staff[0], run_id=run_id)
    )
    names = [d["name"] for d in result.dimensions]
    assert "年薪（档次下限）" in names  # as evaluated
    client = make_client()
    login(client, "talent_officer")
    assert client.get(f"/talent/evaluations/{run_id}").status_code == 200
    newest = world.run(lambda s: evaluations.current_spec(s, actor=office).id)
    form = client.get(f"/talent/evaluation/specs/{newest}/form")
    assert "<h2>年薪下限（万元）</h2>" in form.text
    assert "档次下限" not in form.text


def test_the_lowest_salary_band_reads_as_the_band_not_a_floor_of_0(make_client, world, zone):
    """Someone in the band 10 万元以下 is shown so on the person page (the 七维 row and the
    catalogue's near miss), never as “年薪下限 0 万元”."""
    low = person(
        world, zone.actor(world, "firm_a_user"), name="孙低", identity_number=identity(21),
        education="硕士", salary_yuan=60_000, consents=CONSENT, experience_years=3,
        title_level="无职称", honour_level="none",
    )  # fmt: skip
    _run(world, zone)
    client = make_client()
    login(client, "talent_officer")
    page = client.get(f"/talent/people?person={low}").text
    dimensions = page.split('id="seven-dimensions"')[1].split("</table>")[0]
    assert "<td>10 万元以下</td>" in dimensions
    near = page.split('id="catalogue-near"')[1].split("</p>")[0]
    assert "年薪档次 10 万元以下" in near
    assert "下限 0 万元" not in page


def test_the_version_page_says_in_words_what_changed(make_client, world, zone, staff):
    """Above the raw diff (folded away for experts) the version page lists what changed in
    plain Chinese: weights, a band's points, bands added."""
    office = zone.actor(world, "talent_officer")
    base = world.run(lambda s: evaluations.current_spec(s, actor=office))
    fields = _form_fields(base.text)
    fields |= {"weight_education_rank": "25", "weight_title_rank": "5"}
    fields |= {"band_salary_floor_1_points": "50"}  # the second band: 40 → 50
    fields |= {
        "band_experience_years_4_below": "20",
        "band_experience_years_5_min": "20",
        "band_experience_years_5_points": "100",
    }
    saved = world.run(
        lambda s: evaluations.save_form(s, actor=office, spec_id=base.id, fields=fields).id
    )
    client = make_client()
    login(client, "talent_officer")
    page = client.get(f"/talent/evaluation/specs/{saved}?saved=1").text
    summary = page.split('id="diff-summary"')[1].split("</ul>")[0]
    assert "<li>学历：权重 20 → 25</li>" in summary
    assert "<li>专业技术职称：权重 10 → 5</li>" in summary
    assert "<li>年薪下限：第 2 档分数 40 → 50</li>" in summary
    assert "工作年限：分档由 5 档改为 6 档" in summary
    assert "工作年限：增加一档（≥ 20 年：100 分）" in summary
    assert "@@" not in summary
    assert page.index('id="diff-summary"') < page.index('<details id="diff-raw">')
    assert page.index('<details id="diff-raw">') < page.index('id="diff"')
    # the shipped first version has nothing before it: no summary
    assert 'id="diff-summary"' not in client.get(f"/talent/evaluation/specs/{base.id}").text


def test_the_form_lists_problems_in_its_order_and_marks_every_box_named(make_client, world, zone):
    """The problems come in the order of the form's boxes (weights, 至少已知的维度数, then the
    tables from the top), and every box a problem is about is marked, numbers out of range too,
    not only values that are not numbers."""
    office_actor = zone.actor(world, "talent_officer")
    spec_id = world.run(lambda s: evaluations.current_spec(s, actor=office_actor).id)
    office = make_client()
    login(office, "talent_officer")
    token = page_csrf(office, f"/talent/evaluation/specs/{spec_id}/form")
    text = world.scalar(sa.select(EvaluationSpecVersion.text))
    fields = _form_fields(text) | {
        "csrf_token": token, "band_experience_years_1_points": "abc", "min_known": "9",
        "band_education_rank_2_points": "150", "weight_title_rank": "-5",
    }  # fmt: skip
    wrong = office.post(f"/talent/evaluation/specs/{spec_id}/form", data=fields)
    assert wrong.status_code == 422
    page = wrong.text
    listed = page.split('id="problems"')[1].split("</ol>")[0]
    expected = [
        "“专业技术职称”的权重不能为负数（-5）",
        "各维度权重合计应为 100，现为 85",
        "至少已知的维度数应为 1–7 的整数",
        "“学历”第 3 档的分数应在 0–100 之间，填写的是 150",
        "“工作年限”第 2 档的分数应为数字，填写的是“abc”",
    ]
    at = [listed.index(t) for t in expected]
    assert at == sorted(at)
    for name, value in (
        ("weight_title_rank", "-5"),
        ("min_known", "9"),
        ("band_education_rank_2_points", "150"),
        ("band_experience_years_1_points", "abc"),
    ):
        assert f'name="{name}" value="{value}"' in page
        box = page.split(f'name="{name}"')[1].split(">")[0]
        assert 'aria-invalid="true"' in box
    assert page.count('aria-invalid="true"') == 4
    assert world.scalar(sa.select(sa.func.count()).select_from(EvaluationSpecVersion)) == 1
    css = office.get("/static/css/app.css").text
    assert 'input[aria-invalid="true"]' in css
