"""Recruitment events (人才周): the posts offered, intentions and signings per post, totals per
event and per chain; unknown stays unknown; bad counts are refused in Chinese and change nothing;
the talent office writes, zone staff see everything, a firm sees only its own posts' figures."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM, csrf_from, login, page_csrf
from wulian.chains import service as chains
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.talent import events, service
from wulian.talent.events import Event, EventPost


@pytest.fixture
def fair(world, zone):
    """An event with three posts: two of firm A (lithium), one of firm B (fluorosilicon)."""
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    office = zone.actor(world, "talent_officer")

    def post(firm: int, title: str, openings: int, chain: str) -> int:
        data = service.NewPost(title=title, openings=openings, enterprise_id=firm, chain=chain)
        return world.run(lambda s: service.create_post(s, actor=office, data=data).id)

    posts = [
        post(zone.firm_a, "电池工艺工程师", 5, "锂电新材料"),
        post(zone.firm_a, "质量检验员", 3, "锂电新材料"),
        post(zone.firm_b, "有机硅合成工", 4, "氟硅新材料"),
    ]
    event = world.run(
        lambda s: events.create_event(
            s, actor=office, name="衢州人才周·西安站", starts_on="2026-04-20",
            ends_on="2026-04-22", place="西安交通大学", candidates="1200",
        ).id
    )  # fmt: skip
    for pid, wanted, signed in zip(posts, (30, 12, 20), (6, None, 5), strict=True):
        world.run(
            lambda s, p=pid, w=wanted, g=signed: events.record_post(
                s, actor=office, event_id=event, post_id=p, intentions=w, signings=g
            )
        )
    return zone, event, posts


def test_totals_per_event_and_per_chain_keep_unknown_unknown(world, fair):
    zone, _event, _ = fair
    [view] = world.run(lambda s: events.list_events(s, actor=zone.actor(world, "analyst")))
    assert (view.openings, view.intentions, view.signings, view.candidates) == (12, 62, None, 1200)
    totals = {c.chain_name: (c.posts, c.openings, c.intentions, c.signings) for c in view.chains}
    assert totals == {"锂电新材料": (2, 8, 42, None), "氟硅新材料": (1, 4, 20, 5)}


def test_a_firm_sees_only_its_own_posts_figures(world, fair):
    zone, _event, _ = fair
    [view] = world.run(lambda s: events.list_events(s, actor=zone.actor(world, "firm_b_user")))
    assert [(p.title, p.intentions, p.signings) for p in view.posts] == [("有机硅合成工", 20, 5)]
    assert (view.intentions, view.signings, view.candidates) == (20, 5, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"intentions": 3, "signings": 4}, "签约人数 4 超过意向人数 3"),
        ({"intentions": -2}, "意向人数不能为负数"),
        ({"signings": "1.5"}, "签约人数“1.5”应为整数"),
    ],
)
def test_bad_counts_are_refused_and_nothing_changes(world, fair, fields, message):
    zone, event, posts = fair
    office = zone.actor(world, "talent_officer")
    before = world.scalar(sa.select(EventPost.intentions).where(EventPost.post_id == posts[0]))
    with pytest.raises(InvalidInput) as error:
        world.run(lambda s: events.record_post(
            s, actor=office, event_id=event, post_id=posts[0], **fields))  # fmt: skip
    assert message in error.value.message
    assert world.scalar(sa.select(EventPost.intentions).where(EventPost.post_id == posts[0])) == (
        before
    )


def test_an_unknown_post_or_reversed_dates_are_refused(world, fair):
    zone, event, _ = fair
    office = zone.actor(world, "talent_officer")
    with pytest.raises(InvalidInput, match="没有编号为 999 的岗位"):
        world.run(lambda s: events.record_post(s, actor=office, event_id=event, post_id=999))
    with pytest.raises(InvalidInput, match="结束日期 2026-04-01 早于开始日期 2026-04-20"):
        world.run(lambda s: events.create_event(
            s, actor=office, name="某活动", starts_on="2026-04-20",
            ends_on="2026-04-01"))  # fmt: skip
    with pytest.raises(InvalidInput, match="应聘人数不能为负数"):
        world.run(lambda s: events.create_event(
            s, actor=office, name="某活动", starts_on=dt.date(2026, 5, 1),
            ends_on=dt.date(2026, 5, 1), candidates=-1))  # fmt: skip
    assert world.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


def test_only_the_talent_office_writes(world, fair):
    zone, event, posts = fair
    for username in ("other_officer", "analyst", "firm_a_user"):
        with pytest.raises(PermissionDenied):
            world.run(lambda s, u=username: events.record_post(
                s, actor=zone.actor(world, u), event_id=event, post_id=posts[0],
                intentions=99))  # fmt: skip
    assert world.scalar(sa.select(EventPost.intentions).where(EventPost.post_id == posts[0])) == 30


def test_the_pages(make_client, world, fair):
    _zone, event, posts = fair
    office = make_client()
    login(office, "talent_officer")
    page = office.get(f"/talent/events/{event}")
    assert page.status_code == 200
    assert 'id="event-intentions">62<' in page.text
    assert 'id="event-signings">—<' in page.text
    bad = office.post(f"/talent/events/{event}/posts", data={
        "csrf_token": csrf_from(page.text), "post_id": str(posts[1]), "intentions": "12",
        "signings": "13"})  # fmt: skip
    assert bad.status_code == 422
    assert "签约人数 13 超过意向人数 12" in bad.text
    done = office.post(f"/talent/events/{event}/posts", data={
        "csrf_token": csrf_from(page.text), "post_id": str(posts[1]), "intentions": "12",
        "signings": "2"})  # fmt: skip
    assert done.status_code == 303
    assert 'id="event-signings">13<' in office.get(f"/talent/events/{event}").text
    assert (
        world.scalar(
            sa.select(sa.func.count()).where(
                AuditEntry.object_type == "talent_event_posts", AuditEntry.actor_kind == "user"
            )
        )
        >= 1
    )

    firm = make_client()
    login(firm, "firm_a_user")
    mine = firm.get(f"/talent/events/{event}").text
    assert "电池工艺工程师" in mine
    assert "有机硅合成工" not in mine
    assert "1200" not in mine
    token = page_csrf(firm, "/talent/events")
    refused = firm.post(f"/talent/events/{event}/posts", data={
        "csrf_token": token, "post_id": str(posts[0]), "intentions": "1"})  # fmt: skip
    assert refused.status_code == 403
    assert events.OFFICE_WRITES in refused.text
