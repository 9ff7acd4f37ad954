"""Merge hooks: other domains fold their own rows when the registry merges a duplicate, in the
merge's transaction; a hook that fails undoes the whole merge. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from wulian.chains import hooks as chain_hooks
from wulian.core.audit.models import AuditEntry
from wulian.enterprises import facts, service
from wulian.enterprises.models import Enterprise, EnterpriseTag, Fact
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service


@pytest.fixture
def pair(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    keep = world.enterprise("衢州钩子材料有限公司", code=synthetic(61))
    drop = world.enterprise("衢州钩子材料有限责任公司")

    def write(session):
        session.add(EnterpriseTag(enterprise_id=drop, tag="gaoxin"))
        facts.record(
            session, actor=SYSTEM, enterprise_id=drop, metric_key="revenue", period="2024",
            value=100.0, source="stats", as_of=dt.date(2025, 3, 1),
        )  # fmt: skip

    world.run(write)
    return keep, drop


@pytest.fixture
def hook():
    """Register a hook for one test."""
    registered = []

    def register(fn):
        registered.append(service.on_merge(fn))
        return fn

    yield register
    for fn in registered:
        service.remove_merge_hook(fn)


def test_the_chains_register_their_fold_at_import():
    assert chain_hooks.fold_merged_firm in service._MERGE_HOOKS


def test_a_registered_hook_runs_inside_the_merge(world, pair, hook):
    keep, drop = pair
    seen = []

    @hook
    def record(session, *, kept_id, merged_id, actor):
        # both firms still exist: the hook folds its rows before the duplicate goes
        seen.append((kept_id, merged_id, actor.label, session.get(Enterprise, merged_id).name))

    service.on_merge(record)  # registering twice runs it once
    world.run(lambda s: service.merge(s, actor=SYSTEM, keep_id=keep, drop_id=drop))
    assert seen == [(keep, drop, SYSTEM.label, "衢州钩子材料有限责任公司")]
    assert world.scalar(sa.select(Enterprise.id).where(Enterprise.id == drop)) is None


def test_a_failing_hook_rolls_the_merge_back(world, pair, hook):
    keep, drop = pair

    @hook
    def fail(session, *, kept_id, merged_id, actor):
        session.add(EnterpriseTag(enterprise_id=kept_id, tag="lianzhu"))
        session.flush()
        raise RuntimeError("下游模块出错")

    with pytest.raises(RuntimeError, match="下游模块出错"):
        world.run(lambda s: service.merge(s, actor=SYSTEM, keep_id=keep, drop_id=drop))
    assert world.scalar(sa.select(Enterprise.id).where(Enterprise.id == drop)) == drop
    assert world.scalar(sa.select(Fact.enterprise_id).where(Fact.enterprise_id == drop)) == drop
    assert world.scalar(sa.select(sa.func.count()).select_from(EnterpriseTag).where(
        EnterpriseTag.enterprise_id == keep)) == 0  # fmt: skip
    assert world.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "enterprise.merge")) == 0  # fmt: skip
