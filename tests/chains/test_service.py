"""The chain atlas through its service: placing firms by rule and by model, the review queue,
officers' decisions kept and learnt from, health and gaps from the facts, N个一 items, spec
versions, and what each role may do. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.chains.conftest import actor_of, memberships, place
from tests.conftest import SYSTEM
from wulian.chains import service
from wulian.chains.models import ChainItem, ChainMembership
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import InvalidFile, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Role


def by_name(atlas, placed):
    return {atlas["names"][e]: value for e, value in placed.items()}


def writes(world, actor, membership):
    """Every write on a firm's placement and on the lithium chain's first N个一 item."""
    item = world.run(
        lambda s: s.scalar(sa.select(ChainItem.id).where(ChainItem.chain == "lithium"))
    )
    return (
        lambda s: service.place(s, actor=actor),
        lambda s: service.confirm(s, actor=actor, membership_id=membership),
        lambda s: service.move(s, actor=actor, membership_id=membership, node_code="lithium.cell"),
        lambda s: service.reject(s, actor=actor, membership_id=membership),
        lambda s: service.bulk_confirm(s, actor=actor, membership_ids=[membership]),
        lambda s: service.update_item(s, actor=actor, item_id=item, owner="", status="未启动",
                                      note=""),
    )  # fmt: skip


def test_placement_by_rule_and_model_and_review_below_the_threshold(world, atlas):
    counts = place(world)
    placed = by_name(atlas, memberships(world))
    # typical products of exactly one node: by rule (磷酸铁 inside 磷酸铁锂正极 does not count)
    for name, code in (("锂测正极一", "lithium.cathode"), ("锂测正极三", "lithium.cathode"),
                       ("锂测前驱体", "lithium.precursor"), ("锂测电芯", "lithium.cell"),
                       ("锂测园外隔膜", "lithium.separator")):  # fmt: skip
        assert placed[name][:3] == (code, "rule", "placed"), name
    # 三元材料 in the scope: the model
    assert placed["锂测正极二"][0] == "lithium.cathode"
    assert placed["锂测正极二"][1] == "model"
    assert counts["rule.placed"] == 5
    assert sum(counts.values()) - counts["decided"] == len(atlas["ids"])
    strict = place(world, threshold=0.9999)
    assert strict["model.review"] == 3  # every model proposal now waits for an officer
    queue = world.run(
        lambda s: [m.enterprise.name for m in service.memberships(
            s, actor=SYSTEM, filters=service.Filters(status="review")).items]
    )  # fmt: skip
    assert "锂测正极二有限公司" in queue
    assert "锂测园外隔膜有限公司" not in queue  # external firms are not in the zone queue
    with pytest.raises(InvalidInput, match="阈值"):
        place(world, threshold=1.5)


def test_officer_decisions_are_kept_audited_and_learnt_from(world, atlas):
    place(world)
    officer = actor_of(world, "officer1")
    placed = by_name(atlas, memberships(world))
    vague = placed["锂测含糊"][3]
    empty = placed["锂测无文本"][3]
    note = "实地走访：负极材料"
    world.run(lambda s: service.move(s, actor=officer, membership_id=vague,
                                     node_code="lithium.anode", note=note))  # fmt: skip
    world.run(lambda s: service.reject(s, actor=officer, membership_id=empty, note="贸易企业"))
    again = place(world)
    assert again["decided"] == 2
    after = by_name(atlas, memberships(world))
    assert after["锂测含糊"][:3] == ("lithium.anode", "officer", "confirmed")
    assert after["锂测无文本"][2] == "rejected"
    latest = world.run(lambda s: service.latest_placement(s, actor=SYSTEM).examples)
    assert latest == 1  # the move is a training example; a rejection is not
    row = world.run(lambda s: s.get(ChainMembership, after["锂测含糊"][3]).confirmed_by)
    assert row == "officer1"
    actions = world.run(lambda s: list(s.scalars(sa.select(AuditEntry.action).where(
        AuditEntry.object_type.in_(["chain_memberships", "chain_placements"])))))  # fmt: skip
    assert actions.count("chains.place") == 2
    assert any(a != "chains.place" for a in actions)  # the officer's edits, row by row
    with pytest.raises(NotFound, match="环节"):
        world.run(lambda s: service.move(s, actor=officer, membership_id=vague,
                                         node_code="lithium.nowhere"))  # fmt: skip
    with pytest.raises(NotFound, match="产业链"):
        world.run(lambda s: service.move(s, actor=officer, membership_id=vague,
                                         node_code="steel.cathode"))  # fmt: skip


def test_health_and_gaps_from_the_facts(world, atlas):
    place(world)
    state = world.run(lambda s: service.state(s, actor=SYSTEM, chain="lithium"))
    assert state.year == 2025
    cathode = state.health.node("cathode")
    names = {atlas["names"][i] for i, _ in cathode.anchors}
    assert names == {"锂测正极一"}
    assert cathode.rating == "强"  # an anchor firm
    assert cathode.firms == 3
    assert cathode.revenue == pytest.approx(118_000.0)  # 100,000 + 18,000; the third is unknown
    assert cathode.revenue_unknown == 1
    assert cathode.growth == pytest.approx(118_000 / 100_000 - 1)
    assert cathode.rd_intensity == pytest.approx(0.05)
    assert cathode.hhi == pytest.approx(((100 / 118) ** 2 + (18 / 118) ** 2) * 10_000)
    precursor = state.health.node("precursor")
    assert precursor.rating == "弱"
    assert "1 家企业" in precursor.reason
    separator = state.health.node("separator")
    assert separator.rating == "缺"  # only an external firm makes separators
    assert separator.revenue is None
    # cell: inputs from cathode (0.4), anode, electrolyte (0.1), separator, foil (0.08) and
    # equipment (no share: the mean of the given shares, 0.152)
    assert state.health.node("cell").coverage == pytest.approx(0.4 / (0.4 + 0.1 + 0.1 + 0.08
                                                                      + 0.08 + 0.152))  # fmt: skip
    gaps = {g.node.key: g for g in state.gaps}
    assert "cathode" not in gaps
    assert gaps["separator"].demand == pytest.approx(36_000 * 0.08)
    assert any("电芯制造" in r for r in gaps["separator"].reasons)
    assert [g.importance for g in state.gaps] == sorted(
        (g.importance for g in state.gaps), reverse=True
    )
    candidates = world.run(lambda s: [
        (e.name, revenue) for e, revenue in service.candidates(
            s, actor=SYSTEM, chain="lithium", node="separator", year=2025)
    ])  # fmt: skip
    assert candidates == [("锂测园外隔膜有限公司", 50_000.0)]
    regions = world.run(lambda s: service.regions(s, actor=SYSTEM, chain="lithium"))
    assert sum(r.zone for r in regions) == 5
    assert sum(r.external for r in regions) == 1
    assert 0 < state.health.completeness < 1


def test_items_and_spec_versions(world, atlas):
    officer = actor_of(world, "officer1")
    items = world.run(lambda s: [(i.id, i.key) for i in service.get_items(
        s, actor=officer, chain="lithium")])  # fmt: skip
    assert len(items) == 10
    leader = items[0][0]
    change = {"owner": "管委会主任", "status": "已落实", "note": "已发文"}
    world.run(lambda s: service.update_item(s, actor=officer, item_id=leader, **change))
    item = world.run(lambda s: s.get(ChainItem, leader))
    assert (item.owner, item.status, item.updated_by) == ("管委会主任", "已落实", "officer1")
    with pytest.raises(InvalidInput, match="状态只能是"):
        world.run(lambda s: service.update_item(s, actor=officer, item_id=leader, owner="",
                                                status="完成", note=""))  # fmt: skip

    spec_id = world.run(lambda s: next(c.row.id for c in service.chains(s, actor=SYSTEM)
                                       if c.spec.id == "lithium"))  # fmt: skip
    text = service.shipped_text("lithium")
    cyclic = text.replace("  - {from: application, to: recycling}",
                          "  - {from: application, to: recycling}\n"
                          "  - {from: recycling, to: resource}")  # fmt: skip
    with pytest.raises(InvalidFile, match="成环"):
        world.run(lambda s: service.save_spec(s, actor=officer, text=cyclic, based_on_id=spec_id))
    # a new N个一 item at the end of the items section (other sections follow it)
    items_end = text.index("\nroadmap:")
    extended = (
        text[:items_end] + "\n  - {key: fund, name: 一支产业基金, owner: 金融办}" + text[items_end:]
    )
    row = world.run(lambda s: service.save_spec(s, actor=officer, text=extended,
                                                based_on_id=spec_id).version)  # fmt: skip
    assert row == 2
    keys = world.run(lambda s: [i.key for i in service.get_items(s, actor=officer,
                                                                 chain="lithium")])  # fmt: skip
    assert keys[-1] == "fund"


def test_what_each_role_may_do(world, atlas):
    place(world)
    analyst = actor_of(world, "analyst1")
    firm = actor_of(world, "firm0")
    officer = actor_of(world, "officer1")
    some = next(iter(memberships(world).values()))[3]
    # the analyst reads the atlas but changes nothing
    assert world.run(lambda s: service.state(s, actor=analyst, chain="lithium").year) == 2025
    for act in writes(world, analyst, some):
        with pytest.raises(PermissionDenied):
            world.run(act)
    # a firm sees its own positions and nothing else of the atlas
    own = world.run(lambda s: [p.node for p in service.positions(
        s, actor=firm, enterprise_id=atlas["ids"][0])])  # fmt: skip
    assert own == ["cathode"]
    for act in (
        lambda s: service.positions(s, actor=firm, enterprise_id=atlas["ids"][1]),
        lambda s: service.state(s, actor=firm, chain="lithium"),
        lambda s: service.memberships(s, actor=firm, filters=service.Filters()),
        lambda s: service.confirm(s, actor=firm, membership_id=some),
    ):
        with pytest.raises(PermissionDenied):
            world.run(act)
    # the officer confirms
    done = world.run(lambda s: service.confirm(s, actor=officer, membership_id=some).status)
    assert done == "confirmed"
    with pytest.raises(InvalidInput, match="勾选"):
        world.run(lambda s: service.bulk_confirm(s, actor=officer, membership_ids=[]))
    with pytest.raises(NotFound):
        world.run(lambda s: service.bulk_confirm(s, actor=officer, membership_ids=[some, 10**6]))
    # refused whole: the first of the two was not confirmed again by the failed call
    assert world.run(lambda s: s.get(ChainMembership, some).status) == "confirmed"


def test_a_merged_duplicate_brings_the_officers_decisions_along(world, atlas):
    from wulian.enterprises import service as enterprise_service
    from wulian.enterprises.models import Enterprise

    ledger = world.enterprise("锂测正极二（旧台账）有限公司", code=None)

    def describe(session):
        firm = session.get(Enterprise, ledger)
        firm.main_products = "锂电池隔膜"

    world.run(describe)
    place(world)
    officer = actor_of(world, "officer1")
    placed = memberships(world)
    world.run(lambda s: service.move(s, actor=officer, membership_id=placed[ledger][3],
                                     node_code="lithium.anode"))  # fmt: skip
    keep = atlas["ids"][1]
    world.run(lambda s: enterprise_service.merge(s, actor=SYSTEM, keep_id=keep, drop_id=ledger))
    rows = world.run(lambda s: sorted(
        (m.node, m.status) for m in s.scalars(
            sa.select(ChainMembership).where(ChainMembership.enterprise_id == keep))
    ))  # fmt: skip
    assert ("anode", "confirmed") in rows  # the officer's decision moved over
    assert ledger not in memberships(world)


def test_each_chain_is_managed_by_its_office(world, atlas):
    """Officers manage the chains whose spec names their department as office; other officers
    read them; handing a chain to another department is for administrators."""
    place(world)
    science = world.department("science", "科技局")
    world.user("officer2", Role.OFFICER, department_id=science)
    world.user("admin1", Role.ADMIN)
    office, other, admin = (actor_of(world, u) for u in ("officer1", "officer2", "admin1"))
    lithium = next(m for m in memberships(world).values() if m[0].startswith("lithium."))[3]
    spec_id = world.run(lambda s: next(c.row.id for c in service.chains(s, actor=SYSTEM)
                                       if c.spec.id == "lithium"))  # fmt: skip
    text = service.shipped_text("lithium")
    assert world.run(lambda s: service.managed(s, other)) == set()
    assert world.run(lambda s: service.managed(s, office)) == set(service.SHIPPED)
    assert world.run(lambda s: service.can_place(s, office))
    # another department reads the chain but changes nothing on it
    assert world.run(lambda s: service.state(s, actor=other, chain="lithium").year) == 2025
    for act in (
        *writes(world, other, lithium),
        lambda s: service.save_spec(s, actor=other, text=text + "\n", based_on_id=spec_id),
        lambda s: service.install_shipped(s, actor=other),
    ):  # fmt: skip
        with pytest.raises(PermissionDenied, match=r"不由本部门管理|链长办"):
            world.run(act)
    assert world.run(lambda s: s.get(ChainMembership, lithium).status) != "confirmed"
    # a new chain of one's own is fine; one for another department is not
    copied = text.replace("id: lithium", "id: lithium_b").replace(
        "name: 锂电新材料", "name: 锂电乙"
    )
    with pytest.raises(PermissionDenied, match="office: science"):
        world.run(lambda s: service.save_spec(s, actor=other, text=copied, based_on_id=spec_id,
                                              copy=True))  # fmt: skip
    own = copied.replace("office: chain-office", "office: science")
    world.run(lambda s: service.save_spec(s, actor=other, text=own, based_on_id=spec_id,
                                          copy=True))  # fmt: skip
    assert world.run(lambda s: service.managed(s, other)) == {"lithium_b"}
    # the office cannot give its chain away, nor name a department that does not exist
    handed = text.replace("office: chain-office", "office: science")
    with pytest.raises(PermissionDenied, match="只有管理员"):
        world.run(lambda s: service.save_spec(s, actor=office, text=handed, based_on_id=spec_id))
    with pytest.raises(InvalidInput, match="nowhere"):
        world.run(
            lambda s: service.save_spec(
                s, actor=admin, text=text.replace("chain-office", "nowhere"), based_on_id=spec_id
            )
        )
    # the administrator hands lithium to the science bureau: the rights follow
    world.run(lambda s: service.save_spec(s, actor=admin, text=handed, based_on_id=spec_id))
    assert world.run(lambda s: service.managed(s, other)) == {"lithium", "lithium_b"}
    world.run(lambda s: service.confirm(s, actor=other, membership_id=lithium))
    with pytest.raises(PermissionDenied, match="由科技局管理"):
        world.run(lambda s: service.reject(s, actor=office, membership_id=lithium))
    # placement proposes on every chain: now neither office alone may run it
    assert not world.run(lambda s: service.can_place(s, office))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.place(s, actor=office))
    assert world.run(lambda s: service.can_place(s, admin))
    # a chain without an office is the administrators' alone
    orphan = text.replace("office: chain-office\n", "")
    world.run(lambda s: service.save_spec(s, actor=admin, text=orphan, based_on_id=spec_id))
    with pytest.raises(PermissionDenied, match="没有指定管理部门"):
        world.run(lambda s: service.confirm(s, actor=other, membership_id=lithium))


def test_a_firm_sees_its_places_that_count_not_the_proposals_under_review(world, atlas):
    place(world, threshold=0.9999)  # the model's proposal for 锂测正极二 waits for an officer
    world.user("firm_second", Role.ENTERPRISE, enterprise_id=atlas["ids"][1])
    firm = actor_of(world, "firm_second")

    def nodes(actor):
        return world.run(
            lambda s: [
                (p.node, p.membership.status)
                for p in service.positions(s, actor=actor, enterprise_id=atlas["ids"][1])
            ]
        )

    assert nodes(SYSTEM) == [("cathode", "review")]
    assert nodes(firm) == []
    some = memberships(world)[atlas["ids"][1]][3]
    world.run(lambda s: service.confirm(s, actor=SYSTEM, membership_id=some))
    assert [n for n, _ in nodes(firm)] == [n for n, _ in nodes(SYSTEM)]
