"""The talent map across years (demand of the posts entered each year, supply on record at its end)
with the change from the year before, and the graduates partner colleges add per chain node."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, login
from tests.talent.conftest import identity, person
from wulian.chains import service as chains
from wulian.core.errors import PermissionDenied
from wulian.talent import colleges, service
from wulian.talent.models import Person, Post


def _dated(world, model, ids, year):
    def move(s):
        s.execute(
            sa.update(model)
            .where(model.id.in_(ids))
            .values(created_at=dt.datetime(year, 3, 1, tzinfo=dt.UTC))
        )

    world.run(move)


@pytest.fixture
def history(world, zone):
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    firm = zone.actor(world, "firm_a_user")

    def posts(s, openings):
        return service.create_post(
            s, actor=firm, data=service.NewPost(
                title="正极材料研发工程师", openings=openings, occupation_code="2-02-29-03",
                chain="lithium", node="cathode"),
        ).id  # fmt: skip

    old = world.run(lambda s: posts(s, 3))
    new = world.run(lambda s: posts(s, 5))
    _dated(world, Post, [old], 2025)
    _dated(world, Post, [new], 2026)
    p1 = person(world, firm, identity_number=identity(1), chain="lithium", node="cathode",
                occupation_code="2-02-29-03")  # fmt: skip
    p2 = person(world, firm, identity_number=identity(2), chain="lithium", node="cathode",
                occupation_code="2-02-29-03")  # fmt: skip
    _dated(world, Person, [p1], 2025)
    _dated(world, Person, [p2], 2026)
    return zone


def test_demand_and_supply_per_year_with_the_change(world, history):
    officer = history.actor(world, "other_officer")  # counts only: any zone staff
    years, rows = world.run(lambda s: service.talent_trends(s, actor=officer))
    assert years == [2025, 2026]
    (row,) = rows
    assert row.node_name == "正极材料"
    assert row.years == {2025: (3, 1), 2026: (5, 2)}  # supply: on record at the year's end
    assert row.change(years) == (2, 1)
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.talent_trends(s, actor=history.actor(world, "firm_a_user")))


def test_the_map_page_shows_the_trend_and_the_graduates(world, history, make_client):
    office = history.actor(world, "talent_officer")

    def graduates(s):
        college = colleges.add_college(s, actor=office, name="衢州职业技术学院")
        major = colleges.add_major(s, actor=office, college_id=college.id, name="应用化工技术",
                                   chain="lithium", node="cathode")  # fmt: skip
        colleges.record_cohort(s, actor=office, major_id=major.id, year=2026, graduates=120)

    world.run(graduates)
    # a second occupation on the same node: its row does not count the graduates again
    world.run(
        lambda s: service.create_post(
            s, actor=history.actor(world, "firm_a_user"), data=service.NewPost(
                title="电池工艺工程师", openings=2, occupation_code="2-02-07-04",
                chain="lithium", node="cathode"),
        )
    )  # fmt: skip
    client = make_client()
    login(client, "analyst")
    page = client.get("/talent/map")
    assert page.status_code == 200
    assert 'id="talent-trends"' in page.text
    assert "2025 需求" in page.text
    assert '<td class="num trend-demand">+2</td>' in page.text
    assert '<td class="num trend-supply">+1</td>' in page.text
    assert page.text.count("120 <span") == 1  # the node's graduates of the latest year, once
    assert "同上" in page.text.split('id="talent-map"')[-1].split("</table>")[0]
    firm = make_client()
    login(firm, "firm_a_user")
    assert firm.get("/talent/map").status_code == 403


def test_without_dated_data_there_is_no_trend(world, zone):
    years, rows = world.run(
        lambda s: service.talent_trends(s, actor=zone.actor(world, "talent_officer"))
    )
    assert (years, rows) == ([], [])
