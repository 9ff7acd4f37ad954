"""A chain's anchor firms are those holding the 链主 title on 31 December of the year (the
registry's one rule for titles held on a date): an expired title no longer makes an anchor."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tests.chains.conftest import place
from tests.conftest import SYSTEM
from wulian.chains import service
from wulian.enterprises.models import EnterpriseTag


def anchors(world, year):
    frame = world.run(lambda s: service.member_frame(s, actor=SYSTEM, chain="lithium", year=year))
    return set(frame.filter("anchor")["enterprise_id"].to_list())


def test_an_expired_anchor_title_does_not_count(world, atlas):
    place(world)
    anchor = atlas["ids"][0]
    assert anchors(world, 2025) == {anchor}  # a title without dates: held

    def expire(session):
        tag = session.scalar(
            sa.select(EnterpriseTag).where(
                EnterpriseTag.enterprise_id == anchor, EnterpriseTag.tag == "lianzhu"
            )
        )
        tag.valid_to = dt.date(2025, 6, 30)

    world.run(expire)
    assert anchors(world, 2025) == set()
    assert anchors(world, 2024) == {anchor}
    state = world.run(lambda s: service.state(s, actor=SYSTEM, chain="lithium"))
    assert state.year == 2025
    assert state.health.node("cathode").anchors == []


def test_the_members_of_some_nodes_are_the_member_frames_firms_on_them(world, atlas):
    """node_members (what 链上往来 reads per gap) names the same zone firms as member_frame on the
    same nodes, without reading their figures; a node nobody is on gives none."""
    place(world)
    frame = world.run(lambda s: service.member_frame(s, actor=SYSTEM, chain="lithium", year=2025))
    nodes = sorted(set(frame["node"].to_list()))
    assert nodes
    for some in (nodes[:1], nodes, [*nodes[1:], "no-such-node"]):
        expected = set(frame.filter(frame["node"].is_in(some))["enterprise_id"].to_list())
        got = world.run(
            lambda s, some=some: service.node_members(s, actor=SYSTEM, chain="lithium", nodes=some)
        )
        assert got == expected
    assert (
        world.run(lambda s: service.node_members(s, actor=SYSTEM, chain="lithium", nodes=[]))
        == set()
    )


def test_the_chain_of_many_firms_is_each_firm_s_chain_of(world, atlas):
    """chains_of (read by the capital figures per chain) picks, per firm, what chain_of picks:
    confirmed before automatic, then the surer placement, then the older; a proposal waiting
    for review, a rejection or no membership gives none."""
    from wulian.chains.models import ChainMembership

    ids = atlas["ids"]

    def write(session):
        rows = [
            (ids[0], "lithium", "cathode", "placed", 0.9),
            (ids[0], "fluorosilicon", "x1", "confirmed", None),  # confirmed wins over surer
            (ids[1], "lithium", "cathode", "placed", 0.4),
            (ids[1], "fluorosilicon", "x1", "placed", 0.8),  # the surer automatic one
            (ids[2], "lithium", "cathode", "review", 0.9),  # not counted
            (ids[3], "lithium", "cathode", "rejected", None),
        ]
        for firm, chain, node, status, confidence in rows:
            session.add(
                ChainMembership(
                    enterprise_id=firm, chain=chain, node=node, source="model", status=status,
                    confidence=confidence,
                )
            )  # fmt: skip

    world.run(write)
    many = world.run(lambda s: service.chains_of(s, ids=[*ids, 10**9]))
    one = {
        i: c for i in ids if (c := world.run(lambda s, i=i: service.chain_of(s, enterprise_id=i)))
    }
    assert many == one == {ids[0]: "fluorosilicon", ids[1]: "fluorosilicon"}
