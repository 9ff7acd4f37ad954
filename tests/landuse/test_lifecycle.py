"""A 亩均效益 run follows the one run lifecycle: a draft may go on public notice (公示), during
which the zone's firms see their own class; it is published once the notice has ended (or, as
before, straight from a draft), and any run can be withdrawn, which takes its lists out of the
year's official ones. Every step is audited. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, login, post_form
from tests.landuse.conftest import actor_of
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Role
from wulian.landuse import service

DAY = dt.date(2025, 6, 2)


def draft(world, zone, period=2024):
    return world.run(
        lambda s: service.create_run(s, actor=SYSTEM, spec_id=zone["spec"], period=period).id
    )


def status(world, run_id):
    return world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=run_id).status)


def test_notice_then_publication_after_it_ends(world, zone):
    run_id = draft(world, zone)
    firm = actor_of(world, "firm0")
    analyst = actor_of(world, "analyst1")
    assert world.run(lambda s: service.get_runs(s, actor=firm)) == []
    with pytest.raises(InvalidInput, match="公示期应为 1–30 天"):
        world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, days=0))
    world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, days=5, today=DAY))
    run = world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=run_id))
    assert (run.status, run.notice_from, run.notice_until, run.period, run.year) == (
        "notice", DAY, dt.date(2025, 6, 6), "2024", 2024
    )  # fmt: skip
    # during the notice a firm sees the run and its own card, and nothing is official yet
    assert [r.id for r in world.run(lambda s: service.get_runs(s, actor=firm))] == [run_id]
    own = world.run(
        lambda s: service.card(s, actor=firm, run_id=run_id, enterprise_id=zone["ids"][0]).result
    )
    assert own.grade == "D"
    standing = world.run(lambda s: service.standing_up_to(s, actor=SYSTEM, year=2024))
    assert standing == {}
    with pytest.raises(Conflict, match="2025年06月06日 结束，结束后才能发布"):
        world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=DAY))
    with pytest.raises(Conflict, match="只有草稿可以公示；本评价公示中"):
        world.run(lambda s: service.start_notice(s, actor=analyst, run_id=run_id, today=DAY))
    later = dt.date(2025, 6, 7)
    world.run(lambda s: service.publish(s, actor=analyst, run_id=run_id, today=later))
    assert status(world, run_id) == "published"
    standing = world.run(lambda s: service.standing_up_to(s, actor=SYSTEM, year=2024))
    assert standing[zone["ids"][0]]["grade"] == "D"
    actions = world.run(
        lambda s: s.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == "landuse_runs", AuditEntry.object_id == str(run_id))
            .order_by(AuditEntry.id)
        ).all()
    )
    steps = [a for a in actions if a.startswith("landuse.")]
    assert steps == ["landuse.run", "landuse.notice", "landuse.publish"]


def test_withdrawal_takes_the_lists_out_and_hides_the_run_from_firms(world, zone):
    first = draft(world, zone)
    world.run(lambda s: service.publish(s, actor=SYSTEM, run_id=first))
    second = draft(world, zone)
    world.run(lambda s: service.publish(s, actor=SYSTEM, run_id=second))
    firm = actor_of(world, "firm0")
    newest = world.run(lambda s: service.published_grades(s, actor=SYSTEM, year=2024, page=1)[0])
    assert newest.id == second
    with pytest.raises(InvalidInput, match="请填写撤回原因"):
        world.run(lambda s: service.withdraw(s, actor=SYSTEM, run_id=second, reason=" "))
    world.run(lambda s: service.withdraw(s, actor=SYSTEM, run_id=second, reason="用地数据有误"))
    run = world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=second))
    assert (run.status, run.note) == ("withdrawn", "撤回：用地数据有误")
    # the year's official lists are the other published run's again
    newest = world.run(lambda s: service.published_grades(s, actor=SYSTEM, year=2024, page=1)[0])
    assert newest.id == first
    with pytest.raises(NotFound):
        world.run(lambda s: service.get_run_or_raise(s, actor=firm, run_id=second))
    with pytest.raises(Conflict, match="本评价已撤回"):
        world.run(lambda s: service.withdraw(s, actor=SYSTEM, run_id=second, reason="再撤"))
    with pytest.raises(Conflict, match="只有草稿或公示中的评价可以发布；本评价已撤回"):
        world.run(lambda s: service.publish(s, actor=SYSTEM, run_id=second))


def test_the_run_page_offers_each_step_to_its_department_only(world, zone, client, make_client):
    run_id = draft(world, zone)
    officer = make_client()
    login(officer, "officer1")
    page = officer.get(f"/landuse/runs/{run_id}").text
    assert "开始公示" not in page
    assert "撤回" not in page
    login(client, "analyst1")
    page = client.get(f"/landuse/runs/{run_id}").text
    assert "开始公示" in page
    assert "核对无误，正式发布" in page
    response = post_form(
        client, f"/landuse/runs/{run_id}/notice", {"days": "7"}, page=f"/landuse/runs/{run_id}"
    )
    assert response.status_code == 303
    page = client.get(f"/landuse/runs/{run_id}").text
    assert "公示中" in page
    assert "公示期" in page
    assert "公示结束，正式发布" in page
    early = post_form(client, f"/landuse/runs/{run_id}/publish", {}, page=f"/landuse/runs/{run_id}")
    assert early.status_code == 409
    assert "结束后才能发布" in early.text
    gone = post_form(
        client, f"/landuse/runs/{run_id}/withdraw", {"reason": "重新核对"},
        page=f"/landuse/runs/{run_id}",
    )  # fmt: skip
    assert gone.status_code == 303
    assert "已撤回" in client.get(f"/landuse/runs/{run_id}").text


def test_a_run_on_notice_waits_on_the_home_of_the_firms_it_rates_only(world, zone):
    run_id = draft(world, zone)
    world.run(lambda s: service.start_notice(s, actor=SYSTEM, run_id=run_id, today=DAY))
    rated = actor_of(world, "firm0")
    outsider_id = world.enterprise("亩均无关有限公司")
    world.user("firm_outside", Role.ENTERPRISE, enterprise_id=outsider_id)
    outsider = actor_of(world, "firm_outside")
    mine = world.run(lambda s: service.waiting(s, actor=rated))
    assert [(t.label, t.href) for t in mine] == [
        (
            "2024 年度亩均效益评价公示中（至 2025-06-08）",
            f"/landuse/runs/{run_id}/firms/{zone['ids'][0]}",
        )
    ]
    assert world.run(lambda s: service.waiting(s, actor=outsider)) == []
    later = dt.datetime(2025, 6, 20, 2, tzinfo=dt.UTC)
    analyst = actor_of(world, "analyst1")
    ready = world.run(lambda s: service.waiting(s, actor=analyst, now=later))
    assert [t.label for t in ready] == ["2024 年度亩均效益评价公示期已满，可以发布"]
