"""Writes follow ownership: a policy's payouts are approved, and its files edited, only by its
department (主管部门) or an administrator; a reported value is verified only by the department
that owns its metric. Each role × department pair, on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from tests.policy.conftest import actor_of
from wulian.core.errors import InvalidInput, PermissionDenied
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Fact, FactSource, FactStatus
from wulian.policy import service
from wulian.policy.models import Payout, PolicyVersion
from wulian.reference.models import Metric


@pytest.fixture
def people(world, zone):
    """Next to the zone's science analyst and officer: an economy officer and analyst, an
    analyst of no department, an administrator."""
    economy = world.department("economy", "经济信息化局")
    world.user("officer_economy", Role.OFFICER, department_id=economy)
    world.user("analyst_economy", Role.ANALYST, department_id=economy)
    world.user("analyst_nowhere", Role.ANALYST)
    world.user("admin1", Role.ADMIN)
    return {name: actor_of(world, name) for name in (
        "admin1", "officer1", "officer_economy", "analyst1", "analyst_economy",
        "analyst_nowhere", "firm0",
    )}  # fmt: skip


# rd_subsidy is the science bureau's (科技局): officer1 and analyst1 are of that bureau.
APPROVE = {
    "admin1": True,
    "officer1": True,
    "officer_economy": False,  # another department, with the approve permission
    "analyst1": False,  # the right department, without the approve permission
    "analyst_economy": False,
    "analyst_nowhere": False,
    "firm0": False,
}


@pytest.mark.parametrize(("who", "allowed"), APPROVE.items())
def test_payouts_are_approved_by_the_policys_department(world, zone, people, who, allowed):
    run_id = world.run(lambda s: service.create_run(s, actor=SYSTEM, period=2024).id)

    def approve(session):
        return service.approve(
            session, actor=people[who], run_id=run_id, code="rd_subsidy",
            enterprise_ids=[zone["ids"][0]],
        )  # fmt: skip

    if allowed:
        world.run(approve)
        assert world.scalar(sa.select(sa.func.count()).select_from(Payout)) == 1
        return
    with pytest.raises(PermissionDenied) as refused:
        world.run(approve)
    if who == "officer_economy":
        assert "科技局" in str(refused.value)  # the message names the owner
    assert world.scalar(sa.select(sa.func.count()).select_from(Payout)) == 0


def test_a_policy_names_its_department_on_its_pages(world, zone, people):
    policy = world.run(lambda s: service.current_policy(s, "rd_subsidy"))
    assert policy.department == "science"
    assert world.run(lambda s: service.department_name(s, policy)) == "科技局"
    assert world.run(lambda s: service.may_approve(s, actor=people["officer1"], policy=policy))
    assert not world.run(
        lambda s: service.may_approve(s, actor=people["officer_economy"], policy=policy)
    )


EDIT = {
    "admin1": True,
    "analyst1": True,
    "analyst_economy": False,
    "analyst_nowhere": False,
    "officer1": False,  # officers do not edit policy files
}


def _text(world, code):
    query = sa.select(PolicyVersion).where(PolicyVersion.code == code)
    return world.run(lambda s: s.scalars(query.order_by(PolicyVersion.version.desc())).first())


@pytest.mark.parametrize(("who", "allowed"), EDIT.items())
def test_a_policy_file_is_edited_by_its_department(world, zone, people, who, allowed):
    base = _text(world, "rd_subsidy")
    text = base.text.replace("单个企业每年最高\n  100万元", "单个企业每年最高\n  100万元。")

    def save(session):
        return service.save_version(session, actor=people[who], text=text, based_on_id=base.id)

    if allowed:
        assert world.run(save).version == 2
    else:
        with pytest.raises(PermissionDenied):
            world.run(save)


def test_handing_a_policy_to_another_department_is_for_administrators(world, zone, people):
    base = _text(world, "rd_subsidy")
    moved = base.text.replace("department: science", "department: economy")
    with pytest.raises(PermissionDenied, match="只有系统管理员可以更改主管部门"):
        world.run(
            lambda s: service.save_version(
                s, actor=people["analyst1"], text=moved, based_on_id=base.id
            )
        )
    unknown = base.text.replace("department: science", "department: nowhere")
    with pytest.raises(InvalidInput, match="不是已有的部门代码"):
        world.run(
            lambda s: service.save_version(
                s, actor=people["admin1"], text=unknown, based_on_id=base.id
            )
        )
    row = world.run(
        lambda s: service.save_version(s, actor=people["admin1"], text=moved, based_on_id=base.id)
    )
    assert service.parse(row.text).department == "economy"


def _reported(world):
    """The firm's own report of R&D expense (science owns rd_expense) waiting for review."""
    query = (
        sa.select(Fact.id)
        .join(Metric, Metric.id == Fact.metric_id)
        .join(FactSource, FactSource.id == Fact.source_id)
        .where(FactSource.code == facts.SELF_REPORT)
        .where(
            Fact.status == FactStatus.REPORTED.value, Fact.is_current, Metric.key == "rd_expense"
        )
    )
    found = world.run(lambda s: list(s.scalars(query)))
    assert found
    return found[0]


VERIFY = {
    "admin1": True,
    "officer1": True,  # science owns 研发费用
    "officer_economy": False,
    "analyst1": False,  # no verify permission
    "firm0": False,
}


@pytest.mark.parametrize(("who", "allowed"), VERIFY.items())
def test_reported_values_are_verified_by_the_metrics_department(world, zone, people, who, allowed):
    fact_id = _reported(world)
    assert world.run(lambda s: s.get(Fact, fact_id).metric.owner) == "science"
    for action in (
        lambda s: facts.verify(s, actor=people[who], fact_id=fact_id),
        lambda s: facts.reject(s, actor=people[who], fact_id=fact_id, reason="与报表不符"),
    ):
        if allowed:
            world.run(action)
            return
        with pytest.raises(PermissionDenied):
            world.run(action)
    status = world.run(lambda s: s.get(Fact, fact_id).status)
    assert status == FactStatus.REPORTED.value


def test_each_officer_sees_the_reviews_of_their_department(world, zone, people):
    fact_id = _reported(world)
    science = world.run(
        lambda s: [f.id for f in facts.pending_reviews(s, actor=people["officer1"]).items]
    )
    economy = world.run(
        lambda s: [f.id for f in facts.pending_reviews(s, actor=people["officer_economy"]).items]
    )
    everyone = world.run(
        lambda s: [f.id for f in facts.pending_reviews(s, actor=people["admin1"]).items]
    )
    assert fact_id in science
    assert fact_id in everyone
    assert fact_id not in economy
