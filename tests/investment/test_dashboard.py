"""The figures: signed projects and investment by quarter, 百亿 projects, the high-tech share of
manufacturing, the funnel with conversion and median days by group, and signing ceremonies."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import login, page_csrf
from tests.investment.conftest import TODAY, lead
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.investment import service


def move(world, actor, pid, to, expected, on):
    world.run(
        lambda s: service.move(
            s, actor=actor, today=TODAY, project_id=pid, to_stage=to, expected_stage=expected,
            on=on,
        )
    )  # fmt: skip


@pytest.fixture
def pipeline(world, zone):
    officer = zone.actor(world, "officer_a")
    big = lead(world, officer, name="百亿项目", amount_yi="155", chain="lithium",
               manufacturing=True, high_tech=True, lead_on=dt.date(2026, 1, 5))  # fmt: skip
    for to, expected, on in [
        ("contact", "lead", dt.date(2026, 1, 15)),
        ("visit", "contact", dt.date(2026, 2, 4)),
        ("negotiation", "visit", dt.date(2026, 2, 14)),
        ("signed", "negotiation", dt.date(2026, 3, 20)),
    ]:
        move(world, officer, big, to, expected, on)
    lead(world, officer, name="二期项目", amount_yi="8.2", stage="signed", reinvestment=True,
         manufacturing=True, lead_on=dt.date(2026, 4, 1), signed_on=dt.date(2026, 5, 6),
         source="fund")  # fmt: skip
    dropped = lead(world, officer, name="放弃项目", amount_yi="3", lead_on=dt.date(2026, 2, 1))
    move(world, officer, dropped, "contact", "lead", dt.date(2026, 2, 11))
    move(world, officer, dropped, "dropped", "contact", dt.date(2026, 3, 1))
    lead(world, officer, name="新线索", amount_yi="1", lead_on=dt.date(2026, 6, 20))
    return big


def test_signed_by_quarter_with_bands_and_manufacturing_share(world, zone, pipeline):
    analyst = zone.actor(world, "analyst")
    d = world.run(lambda s: service.dashboard(s, actor=analyst, year=2026, today=TODAY))
    assert [(q.count, q.amount_wan, q.reinvestment) for q in d.quarters] == [
        (1, 1_550_000, 0), (1, 82_000, 1), (0, 0, 0), (0, 0, 0)
    ]  # fmt: skip
    assert (d.signed, service.yi(d.signed_wan), d.hundred_yi) == (2, "163.2", 1)
    assert (d.manufacturing, d.manufacturing_high_tech, d.high_tech_share) == (2, 1, 0.5)
    other_year = world.run(lambda s: service.dashboard(s, actor=analyst, year=2025, today=TODAY))
    assert other_year.signed == 0


def test_the_funnel_counts_who_reached_each_stage_and_the_median_days(world, zone, pipeline):
    analyst = zone.actor(world, "analyst")
    d = world.run(lambda s: service.dashboard(s, actor=analyst, year=2026, today=TODAY))
    everyone = d.funnel[0]
    assert everyone.group == "全部"
    assert [everyone.reached[k] for k in ("lead", "contact", "visit", "signed", "capacity")] == [
        4,
        3,
        2,
        2,
        0,
    ]  # fmt: skip  (二期 entered at 签约 from its ledger: it passed 考察 too)
    # left 线索 after 10 days (百亿), 10 days (放弃) and 35 days (二期)
    assert everyone.median_days["lead"] == 10
    assert everyone.median_days["contact"] == (20 + 18) / 2
    assert everyone.median_days["capacity"] is None
    by_source = world.run(
        lambda s: service.dashboard(s, actor=analyst, year=2026, today=TODAY, group="source")
    )
    assert {row.group for row in by_source.funnel} == {"全部", "以商招商", "基金招商/以投促引"}
    with pytest.raises(InvalidInput):
        world.run(lambda s: service.dashboard(s, actor=analyst, year=2026, today=TODAY, group="x"))
    firm = zone.actor(world, "firm_user")
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.dashboard(s, actor=firm, year=2026, today=TODAY))


def test_a_signing_ceremony_lists_signed_projects_of_the_officers_team(world, zone, pipeline):
    officer = zone.actor(world, "officer_a")
    event = world.run(
        lambda s: service.create_signing(
            s, actor=officer, today=TODAY, name="2026 年一季度重大项目集中签约",
            held_on=dt.date(2026, 3, 20), place="衢州",
        ).id
    )  # fmt: skip
    unsigned = world.scalar(
        sa.select(sa.text("id")).select_from(sa.text("investment_projects")).where(
            sa.text("name = '新线索'"))
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="尚未签约"):
        world.run(
            lambda s: service.attach(s, actor=officer, signing_id=event, project_ids=[unsigned])
        )
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.attach(
                s, actor=zone.actor(world, "officer_b"), signing_id=event, project_ids=[pipeline]
            )
        )
    world.run(lambda s: service.attach(s, actor=officer, signing_id=event, project_ids=[pipeline]))
    rows = world.run(lambda s: service.signings(s, actor=officer))
    assert [(n, wan) for _, n, wan in rows] == [(1, 1_550_000)]


def test_the_dashboard_and_signing_pages(world, zone, pipeline, make_client, app):
    app.state.clock = lambda: dt.datetime(2026, 6, 30, 2, 0, tzinfo=dt.UTC)
    client = make_client()
    login(client, "officer_a")
    page = client.get("/investment/dashboard?year=2026&group=team")
    assert page.status_code == 200
    assert "163.2" in page.text
    assert 'id="funnel"' in page.text
    api = client.get("/api/v1/investment/dashboard?year=2026").json()
    assert (api["signed"], api["quarters"][0]["amount_yi"]) == (2, "155")
    token = page_csrf(client, "/investment/signings")
    created = client.post(
        "/investment/signings",
        data={"csrf_token": token, "name": "一季度集中签约", "held_on": "2026-03-20"},
    )
    assert created.status_code == 303
    attached = client.post(
        created.headers["location"] + "/attach",
        data={"csrf_token": token, "project_ids": [str(pipeline)]},
    )
    assert attached.status_code == 303
    assert "总投资 <strong>155</strong> 亿元" in client.get(created.headers["location"]).text
    bad = client.post("/investment/signings", data={"csrf_token": token, "name": ""})
    assert bad.status_code == 422
    assert "签约活动名称不能为空" in bad.text
