"""Likely duplicates (a record without a credit code under a variant of a firm's name) and merging
them: facts and titles move, nothing is lost, two coded firms are never merged, all audited."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from wulian.core.audit.models import AuditEntry
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.enterprises import facts, service
from wulian.enterprises.models import Enterprise, EnterpriseTag, Fact
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service


@pytest.fixture
def pair(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    keep = world.enterprise("衢州甲材料有限公司", code=synthetic(21))
    drop = world.enterprise("衢州甲材料有限责任公司")  # from an old ledger, no code

    def profile(session):
        kept, dropped = session.get(Enterprise, keep), session.get(Enterprise, drop)
        kept.staff_size = 120
        dropped.staff_size = 95  # the kept firm's own value stays
        dropped.legal_rep = "张示例"  # fills a blank
        dropped.land_area = 32.5
        kept.tags.append(EnterpriseTag(tag="guishang"))
        dropped.tags.append(EnterpriseTag(tag="guishang"))
        dropped.tags.append(EnterpriseTag(tag="gaoxin", number="GR202433000123"))

    world.run(profile)
    return keep, drop


def put(world, firm, metric, value, period="2024", source="stats"):
    world.run(
        lambda s: facts.record(
            s,
            actor=SYSTEM,
            enterprise_id=firm,
            metric_key=metric,
            period=period,
            value=value,
            source=source,
            as_of=dt.date(2025, 3, 1),
        )
    )


def test_a_ledger_record_merges_into_the_coded_firm(world, pair):
    keep, drop = pair
    put(world, keep, "revenue", 5000.0)
    put(world, drop, "revenue", 4800.0)  # clashes: the kept firm's value from stats stays current
    put(world, drop, "staff_total", 118)
    put(world, drop, "revenue", 4700.0, period="2023")
    groups = world.run(
        lambda s: [[e.id for e in g] for g in service.likely_duplicates(s, actor=SYSTEM)]
    )
    assert groups == [[keep, drop]]

    result = world.run(
        lambda s: (lambda r: (r.facts_moved, r.facts_superseded, r.tags_moved, r.fields_filled))(
            service.merge(s, actor=SYSTEM, keep_id=keep, drop_id=drop)
        )
    )
    assert result == (3, 1, 1, ["legal_rep", "land_area"])
    assert world.scalar(sa.select(Enterprise.id).where(Enterprise.id == drop)) is None
    kept = world.run(
        lambda s: (
            lambda e: (e.former_names, e.legal_rep, e.staff_size, sorted(t.tag for t in e.tags))
        )(s.get(Enterprise, keep))
    )
    assert kept == (["衢州甲材料有限责任公司"], "张示例", 120, ["gaoxin", "guishang"])
    matrix = world.run(
        lambda s: facts.build_matrix(
            s, actor=SYSTEM, metrics=["revenue", "staff_total"], period="2024"
        ).frame.to_dicts()
    )
    assert matrix == [{"enterprise_id": keep, "revenue": 5000.0, "staff_total": 118.0}]
    # Nothing is lost: the clashing value is history of the kept firm.
    values = world.run(
        lambda s: sorted(
            (f.period, f.value, f.is_current)
            for f in s.scalars(sa.select(Fact).where(Fact.enterprise_id == keep))
            if f.metric_key == "revenue"
        )
    )
    assert values == [("2023", 4700.0, True), ("2024", 4800.0, False), ("2024", 5000.0, True)]
    assert world.run(lambda s: service.likely_duplicates(s, actor=SYSTEM)) == []
    entry = world.run(
        lambda s: (lambda e: (e.object_id, e.before["dropped"]["name"], e.after["facts_moved"]))(
            s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "enterprise.merge")).one()
        )
    )
    assert entry == (str(keep), "衢州甲材料有限责任公司", 3)


def test_merges_that_would_lose_or_confuse_data_are_refused(world, pair):
    keep, drop = pair
    other = world.enterprise("衢州甲材料(集团)有限公司", code=synthetic(22))

    def merge(keep_id, drop_id, actor=SYSTEM):
        return world.run(lambda s: service.merge(s, actor=actor, keep_id=keep_id, drop_id=drop_id))

    with pytest.raises(Conflict, match="两家不同的企业"):
        merge(keep, other)
    with pytest.raises(InvalidInput, match="保留有统一社会信用代码"):
        merge(drop, keep)
    with pytest.raises(InvalidInput, match="合并到它自己"):
        merge(drop, drop)
    world.user("ledger-firm", Role.ENTERPRISE, enterprise_id=drop)
    with pytest.raises(Conflict, match="企业账号"):
        merge(keep, drop)
    officer = Actor(
        kind="user", id=9, label="o", role=Role.OFFICER, permissions=ROLE_PERMISSIONS[Role.OFFICER]
    )
    with pytest.raises(PermissionDenied):
        merge(keep, drop, actor=officer)
    # Every refusal left both records as they were.
    names = world.run(lambda s: sorted(s.scalars(sa.select(Enterprise.name))))
    assert "衢州甲材料有限责任公司" in names
    assert (
        world.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "enterprise.merge")
        )
        == 0
    )
