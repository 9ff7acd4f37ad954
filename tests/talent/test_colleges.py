"""Partner colleges: majors mapped to chain nodes, graduates and retention per year against the
target; unknown counts stay unknown; bad input is refused in Chinese and changes nothing; only
the talent office writes, zone staff read, firms are refused; the xlsx import is all or nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, csrf_from, login, page_csrf
from tests.talent.test_imports import book
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.demo import colleges as demo_colleges
from wulian.talent import colleges, events, service
from wulian.talent.colleges import Cohort, College, Major

HEADERS = colleges.TEMPLATE
TABLE = {"6-11-01-01": "化工原料准备工", "2-02-29-03": "电池工程技术人员"}


@pytest.fixture
def atlas(world, zone):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    return zone


def _major(world, actor, **over):
    def make(s):
        college = colleges.add_college(s, actor=actor, name=over.pop("college", "衢州职业技术学院"))
        values = {"name": "应用化工技术", "chain": "氟硅新材料", "node": "含氟聚合物",
                  "occupation_code": "6-11-01-01"} | over  # fmt: skip
        return colleges.add_major(s, actor=actor, college_id=college.id, table=TABLE, **values).id

    return world.run(make)


def test_retention_per_year_against_the_target_and_unknown_is_not_zero(world, atlas):
    office = atlas.actor(world, "talent_officer")
    major = _major(world, office)
    world.run(lambda s: colleges.record_cohort(
        s, actor=office, major_id=major, year=2026, graduates=120, employed=50,
        retained=45))  # fmt: skip
    world.run(lambda s: colleges.record_cohort(
        s, actor=office, major_id=major, year=2025, graduates="100", employed="",
        retained=""))  # fmt: skip
    world.run(lambda s: colleges.set_target(s, actor=office, year=2026, rate="40"))
    view = world.run(lambda s: colleges.overview(s, actor=atlas.actor(world, "analyst")))
    y2026, y2025 = view.years
    assert (y2026.year, y2026.graduates, y2026.retained, y2026.rate) == (
        2026,
        120,
        45,
        Decimal("37.5"),
    )
    assert (y2026.target, y2026.target_set) == (Decimal("40"), True)
    assert (y2025.retained, y2025.rate, y2025.employed) == (None, None, None)
    assert (y2025.target, y2025.target_set) == (Decimal(30), False)  # the default
    assert view.rows[0].met is False
    assert [(n.chain_name, n.node_name, n.year, n.graduates) for n in view.nodes] == [
        ("氟硅新材料", "含氟聚合物", 2026, 120)
    ]
    assert colleges.default_target(2030) == 45
    assert colleges.default_target(2028) == 39


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"graduates": -1}, "毕业生人数不能为负数"),
        ({"graduates": 10, "retained": 11}, "留在园区人数 11 超过毕业生人数 10"),
        ({"graduates": 10, "employed": 12}, "区内企业就业人数 12 超过毕业生人数 10"),
        ({"graduates": "十"}, "毕业生人数“十”不是整数"),
        ({"graduates": 10, "year": 1890}, "年度 1890 应在 2000–2100 之间"),
    ],
)
def test_bad_counts_are_refused_and_nothing_changes(world, atlas, fields, message):
    office = atlas.actor(world, "talent_officer")
    major = _major(world, office)
    values = {"year": 2026} | fields
    with pytest.raises(InvalidInput) as error:
        world.run(lambda s: colleges.record_cohort(s, actor=office, major_id=major, **values))
    assert message in error.value.message
    assert world.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"node": "不存在的环节"}, "产业链“氟硅新材料”没有“不存在的环节”这个环节"),
        ({"chain": "造船"}, "没有“造船”这条产业链"),
        ({"occupation_code": "6-99-99-99"}, "职业分类大典（2022）中没有职业代码“6-99-99-99”"),
    ],
)
def test_unknown_node_or_occupation_is_refused(world, atlas, over, message):
    office = atlas.actor(world, "talent_officer")
    with pytest.raises(InvalidInput) as error:
        _major(world, office, **over)
    assert message in error.value.message
    assert world.scalar(sa.select(sa.func.count()).select_from(Major)) == 0


def test_only_the_office_writes_staff_read_firms_are_refused(world, atlas):
    for username in ("other_officer", "analyst", "firm_a_user"):
        with pytest.raises(PermissionDenied):
            world.run(lambda s, u=username: colleges.add_college(
                s, actor=atlas.actor(world, u), name="某学院"))  # fmt: skip
    assert world.scalar(sa.select(sa.func.count()).select_from(College)) == 0
    world.run(lambda s: colleges.overview(s, actor=atlas.actor(world, "other_officer")))
    with pytest.raises(PermissionDenied) as refused:
        world.run(lambda s: colleges.overview(s, actor=atlas.actor(world, "firm_a_user")))
    assert refused.value.message == colleges.STAFF_ONLY


def test_the_import_writes_every_row_or_none(world, atlas):
    office = atlas.actor(world, "talent_officer")
    good = ["衢州职业技术学院", "应用化工技术", "氟硅新材料", "含氟聚合物", "6-11-01-01", "2026",
            "120", "40", "38"]  # fmt: skip
    bad = ["衢州职业技术学院", "新能源汽车技术", "锂电新材料", "", "", "2026", "80", "", "90"]
    data = book(HEADERS, [good, bad])
    report = world.run(lambda s: colleges.run_import(
        s, actor=office, data=data, filename="院校.xlsx", table=TABLE))  # fmt: skip
    assert not report.committed
    [problem] = report.problems
    assert (problem.row, problem.column, problem.value) == (3, "留在园区人数", "90")
    assert "留在园区人数 90 超过毕业生人数 80" in problem.reason
    assert world.scalar(sa.select(sa.func.count()).select_from(College)) == 0

    bad[-1] = ""
    report = world.run(lambda s: colleges.run_import(
        s, actor=office, data=book(HEADERS, [good, bad]), filename="院校.xlsx",
        table=TABLE))  # fmt: skip
    assert report.committed
    assert report.created == 2
    assert world.scalar(sa.select(sa.func.count()).select_from(Major)) == 2
    assert world.scalar(sa.select(Cohort.retained).where(Cohort.graduates == 80)) is None
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "talent.import_colleges")
        )
        == 1
    )
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(AuditEntry.object_type == "talent_college_cohorts")
        )
        >= 2
    )


def test_the_import_names_a_missing_column(world, atlas):
    office = atlas.actor(world, "talent_officer")
    data = book(["院校", "专业", "毕业年度"], [["衢州职业技术学院", "应用化工技术", "2026"]])
    report = world.run(lambda s: colleges.run_import(s, actor=office, data=data, filename="a.xlsx"))
    assert [p.reason for p in report.problems] == ["缺少“毕业生人数”列"]


def test_the_page_shows_a_dash_for_unknown_retention_and_refuses_a_firm(make_client, world, atlas):
    office = make_client()
    login(office, "talent_officer")
    token = page_csrf(office, "/talent/colleges")
    office.post("/talent/colleges", data={"csrf_token": token, "name": "衢州职业技术学院"})
    cid = world.scalar(sa.select(College.id))
    page = office.get("/talent/colleges")
    added = office.post(f"/talent/colleges/{cid}/majors", data={
        "csrf_token": csrf_from(page.text), "name": "应用化工技术", "chain": "氟硅新材料",
        "node": "含氟聚合物"})  # fmt: skip
    assert added.status_code == 303
    mid = world.scalar(sa.select(Major.id))
    bad = office.post(f"/talent/colleges/majors/{mid}/cohorts", data={
        "csrf_token": csrf_from(page.text), "year": "2026", "graduates": "10",
        "retained": "11"})  # fmt: skip
    assert bad.status_code == 422
    assert "留在园区人数 11 超过毕业生人数 10" in bad.text
    assert world.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 0
    office.post(f"/talent/colleges/majors/{mid}/cohorts", data={
        "csrf_token": csrf_from(bad.text), "year": "2026", "graduates": "10"})  # fmt: skip
    shown = office.get("/talent/colleges").text
    years = shown.split('id="college-years"')[1].split("</table>")[0]
    assert "<td>2026</td>" in years
    assert "—" in years

    firm = make_client()
    login(firm, "firm_a_user")
    assert firm.get("/talent/colleges").status_code == 403


def test_the_demo_has_two_colleges_three_years_and_a_past_event(world, atlas):
    office = atlas.actor(world, "talent_officer")
    for title in ("电池工艺工程师", "质量检验员", "有机硅合成工"):
        data = service.NewPost(title=title, openings=3, enterprise_id=atlas.firm_a)
        world.run(lambda s, d=data: service.create_post(s, actor=office, data=d))
    today = dt.date(2026, 6, 30)
    made = world.run(lambda s: demo_colleges.build(s, actor=SYSTEM, today=today))
    assert (made.colleges, made.cohorts, made.events) == (2, 15, 1)
    view = world.run(lambda s: colleges.overview(s, actor=office))
    assert [y.year for y in view.years] == [2025, 2024, 2023]
    assert view.years[0].rate is None  # the latest year not yet surveyed: unknown
    assert view.years[2].rate == Decimal("30.0")
    [event] = world.run(lambda s: events.list_events(s, actor=office))
    assert event.ends_on < today
    assert event.intentions is not None
    assert event.signings is None  # one post's signings unknown
    again = world.run(lambda s: demo_colleges.build(s, actor=SYSTEM, today=today))
    assert again.colleges == 0


def test_the_import_page_lists_problems_and_writes_nothing(make_client, world, atlas):
    office = make_client()
    login(office, "talent_officer")
    template = office.get("/talent/colleges/template.xlsx")
    assert template.status_code == 200
    row = [
        "衢州职业技术学院",
        "应用化工技术",
        "氟硅新材料",
        "不存在的环节",
        "",
        "2026",
        "10",
        "",
        "",
    ]
    token = page_csrf(office, "/talent/colleges")
    checked = office.post(
        "/talent/colleges/import", data={"csrf_token": token},
        files={"file": ("院校.xlsx", book(HEADERS, [row]), "application/octet-stream")},
    )  # fmt: skip
    assert checked.status_code == 422
    assert "产业链“氟硅新材料”没有“不存在的环节”这个环节" in checked.text
    assert "未写入任何数据" in checked.text
    assert world.scalar(sa.select(sa.func.count()).select_from(College)) == 0
    row[3] = "含氟聚合物"
    done = office.post(
        "/talent/colleges/import", data={"csrf_token": token},
        files={"file": ("院校.xlsx", book(HEADERS, [row]), "application/octet-stream")},
    )  # fmt: skip
    assert "已导入 1 行" in done.text
    assert world.scalar(sa.select(Cohort.graduates)) == 10

    analyst = make_client()
    login(analyst, "analyst")
    refused = analyst.post(
        "/talent/colleges/import", data={"csrf_token": page_csrf(analyst, "/talent/colleges")},
        files={"file": ("院校.xlsx", book(HEADERS, [row]), "application/octet-stream")},
    )  # fmt: skip
    assert refused.status_code == 403
    assert world.scalar(sa.select(sa.func.count()).select_from(Cohort)) == 1
