"""An innovation-points evaluation is the science bureau's (its spec names the department): runs,
notice, objections and publication by that bureau's analysts or an administrator only."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import SYSTEM
from tests.innovation.conftest import actor_of
from tests.innovation.test_service import DAY, run_of
from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Role
from wulian.innovation import service

WHO = {"admin1": True, "analyst1": True, "analyst_economy": False, "analyst_nowhere": False}


@pytest.fixture
def people(world, zone):
    world.user("admin1", Role.ADMIN)
    economy = world.department("economy", "经济信息化局")
    world.user("analyst_economy", Role.ANALYST, department_id=economy)
    world.user("analyst_nowhere", Role.ANALYST)
    return {name: actor_of(world, name) for name in WHO}


@pytest.mark.parametrize(("who", "allowed"), WHO.items())
def test_runs_notice_and_publication_belong_to_the_specs_department(
    world, zone, people, who, allowed
):
    actor = people[who]
    if not allowed:
        with pytest.raises(PermissionDenied, match="科技局"):
            run_of(world, zone, actor=actor)
    run_id = run_of(world, zone, actor=actor if allowed else SYSTEM)
    steps = [
        lambda s: service.start_notice(s, actor=actor, run_id=run_id, today=DAY),
        lambda s: service.withdraw(s, actor=actor, run_id=run_id, reason="数据有误"),
    ]
    for step in steps:
        if allowed:
            world.run(step)
        else:
            with pytest.raises(PermissionDenied):
                world.run(step)
    status = world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=run_id).status)
    assert status == ("withdrawn" if allowed else "draft")


def test_objections_are_answered_and_runs_published_by_the_department(world, zone, people):
    run_id = run_of(world, zone)
    world.run(lambda s: service.start_notice(s, actor=SYSTEM, run_id=run_id, today=DAY))
    firm = actor_of(world, "firm0")
    objection = world.run(
        lambda s: service.raise_objection(
            s, actor=firm, run_id=run_id, enterprise_id=zone["ids"][0], text="研发费用应为 12 万元",
            today=DAY,
        ).id
    )  # fmt: skip
    outsider = people["analyst_economy"]
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.answer_objection(
                s, actor=outsider, objection_id=objection, outcome="rejected", answer="经核实无误"
            )
        )
    world.run(
        lambda s: service.answer_objection(
            s, actor=people["analyst1"], objection_id=objection, outcome="rejected",
            answer="经核实无误",
        )
    )  # fmt: skip
    after = DAY + dt.timedelta(days=7)
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.publish(s, actor=outsider, run_id=run_id, today=after))
    world.run(lambda s: service.publish(s, actor=people["analyst1"], run_id=run_id, today=after))


def test_only_administrators_hand_a_spec_to_another_department(world, zone, people):
    base = world.run(lambda s: service.get_spec_or_raise(s, actor=SYSTEM, spec_id=zone["spec"]))
    moved = base.text.replace("department: science", "department: economy")
    with pytest.raises(PermissionDenied, match="只有系统管理员"):
        world.run(
            lambda s: service.save_spec(
                s, actor=people["analyst1"], text=moved, based_on_id=zone["spec"]
            )
        )
    with pytest.raises(PermissionDenied):
        world.run(
            lambda s: service.save_spec(
                s, actor=people["analyst_economy"], text=base.text, based_on_id=zone["spec"]
            )
        )
    row = world.run(
        lambda s: service.save_spec(s, actor=people["admin1"], text=moved, based_on_id=zone["spec"])
    )
    assert service.index_model(row).department == "economy"
