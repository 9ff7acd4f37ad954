"""Annual tasks: the administrator sets a team's task for a year; the page and the dashboard set
what the team achieved against it; parts not set are unknown, never 0; only the administrator
writes; the atlas's plan form offers only staff of 招商 teams and the administrators."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.investment.conftest import TODAY, lead
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.investment import service, tasks
from wulian.investment.models import AnnualTask


@pytest.fixture
def app(app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 10, 0, tzinfo=dt.UTC)
    return app


def set_task(world, zone, username, **parts):
    values = {"year": 2026, "team_id": zone.team_a, "signed": "4", "signed_yi": "50",
              "started": ""} | parts  # fmt: skip
    actor = zone.actor(world, username)
    return world.run(lambda s: tasks.set_task(s, actor=actor, **values))


def count_tasks(world):
    return world.scalar(sa.select(sa.func.count()).select_from(AnnualTask))


def test_achieved_against_task_with_the_quarter_and_unknown_parts(world, zone):
    set_task(world, zone, "admin", signed="4", signed_yi="50", started="")
    officer = zone.actor(world, "officer_a")
    lead(world, officer, name="签约一", amount_yi="12.5", stage="signed",
         lead_on=dt.date(2026, 1, 5), signed_on=dt.date(2026, 2, 1))  # fmt: skip
    lead(world, officer, name="去年签约", amount_yi="3", stage="signed",
         lead_on=dt.date(2025, 1, 5), signed_on=dt.date(2025, 12, 1))  # fmt: skip
    started = lead(world, officer, name="开工项目", amount_yi="7.5", stage="land",
                   lead_on=dt.date(2026, 1, 5), signed_on=dt.date(2026, 3, 1))  # fmt: skip
    world.run(
        lambda s: service.move(s, actor=officer, today=TODAY, project_id=started,
                               to_stage="started", expected_stage="land", on=dt.date(2026, 5, 2))
    )  # fmt: skip
    lead(world, zone.actor(world, "officer_b"), name="B组签约", amount_yi="1", stage="signed",
         lead_on=dt.date(2026, 4, 1), signed_on=dt.date(2026, 4, 2))  # fmt: skip
    analyst = zone.actor(world, "analyst")
    got = world.run(lambda s: tasks.progress(s, actor=analyst, year=2026, today=TODAY))
    assert got.quarter == 2
    assert got.time_share == 0.5
    rows = {r.team_id: r for r in got.rows}
    a, b = rows[zone.team_a], rows[zone.team_b]
    assert (a.signed, a.signed_wan, a.started) == (2, 200_000, 1)  # 12.5 + 7.5 亿元
    assert (a.task_signed, a.task_signed_wan, a.task_started) == (4, 500_000, None)
    assert tasks.Progress.share(a.signed, a.task_signed) == 0.5
    assert tasks.Progress.share(a.started, a.task_started) is None  # no task: unknown, not 0
    assert (b.signed, b.task_signed, b.task_signed_wan) == (1, None, None)  # no task at all
    past = world.run(lambda s: tasks.progress(s, actor=analyst, year=2025, today=TODAY))
    assert past.quarter == 4
    assert [(r.team_id, r.signed, r.task_signed) for r in past.rows] == [(zone.team_a, 1, None)]


def test_setting_again_replaces_the_years_task(world, zone):
    set_task(world, zone, "admin", signed="4")
    set_task(world, zone, "admin", signed="6", signed_yi="", started="2")
    row = world.scalar(sa.select(AnnualTask))
    assert (row.task_signed, row.task_signed_wan, row.task_started) == (6, None, 2)
    assert count_tasks(world) == 1


@pytest.mark.parametrize(
    ("parts", "message"),
    [
        ({"signed": "-1"}, "签约项目数“-1”应为不小于 0 的整数"),
        ({"signed": "三"}, "应为不小于 0 的整数"),
        ({"signed_yi": "600000"}, "疑似按万元填写"),
        ({"signed": "", "signed_yi": "", "started": ""}, "请至少填写一项任务"),
        ({"year": 1999}, "年份 1999 不正确"),
    ],
)
def test_bad_input_is_refused_in_chinese_and_nothing_written(world, zone, parts, message):
    with pytest.raises(InvalidInput) as refused:
        set_task(world, zone, "admin", **parts)
    assert message in refused.value.message
    assert count_tasks(world) == 0


@pytest.mark.parametrize("username", ["officer_a", "analyst", "firm_user"])
def test_only_the_administrator_sets_tasks(world, zone, username):
    with pytest.raises(PermissionDenied):
        set_task(world, zone, username)
    assert count_tasks(world) == 0


def test_the_page_sets_a_task_and_the_dashboard_shows_it(world, zone, make_client):
    admin = make_client()
    login(admin, "admin")
    token = page_csrf(admin, "/investment/tasks?year=2026")
    sent = admin.post(
        "/investment/tasks",
        data={"csrf_token": token, "year": "2026", "team_id": str(zone.team_a), "signed": "5",
              "signed_yi": "80", "started": ""},
    )  # fmt: skip
    assert sent.status_code == 303
    page = admin.get(sent.headers["location"])
    assert "年度任务已保存" in page.text
    assert "0 / 5" in page.text
    assert "0 / 80" in page.text
    assert "未下达" in page.text
    assert "第二季度（时间进度 50%" in page.text
    bad = admin.post(
        "/investment/tasks",
        data={"csrf_token": token, "year": "2026", "team_id": str(zone.team_a), "signed": "x"},
    )
    assert bad.status_code == 422
    assert "应为不小于 0 的整数" in bad.text
    officer = make_client()
    login(officer, "officer_a")
    dashboard = officer.get("/investment/dashboard?year=2026")
    assert "年度任务完成情况" in dashboard.text
    assert "0 / 5" in dashboard.text
    assert 'id="task-form"' not in officer.get("/investment/tasks").text
    token = page_csrf(officer, "/investment/tasks")
    refused = officer.post(
        "/investment/tasks",
        data={"csrf_token": token, "year": "2026", "team_id": str(zone.team_a), "signed": "50"},
    )
    assert refused.status_code == 403
    assert world.scalar(sa.select(AnnualTask.task_signed)) == 5
    audited = world.scalar(
        sa.select(sa.func.count()).select_from(AuditEntry)
        .where(AuditEntry.action == "investment.refused")
    )  # fmt: skip
    assert audited == 2
    firm = make_client()
    login(firm, "firm_user")
    assert firm.get("/investment/tasks").status_code == 403


def test_the_plan_form_offers_staff_of_investment_teams_and_administrators(world, zone):
    other = world.department("economy", "经济发展局")
    world.user("economist", Role.OFFICER, department_id=other)
    actor = zone.actor(world, "officer_a")
    names = {u.username for u in world.run(lambda s: tasks.investment_officers(s, actor=actor))}
    assert {"officer_a", "officer_a2", "officer_b", "admin"} <= names
    assert "economist" not in names
    assert "firm_user" not in names
    set_task(world, zone, "admin", team_id=other)  # a team given a task is a 招商 team
    names = {u.username for u in world.run(lambda s: tasks.investment_officers(s, actor=actor))}
    assert "economist" in names
