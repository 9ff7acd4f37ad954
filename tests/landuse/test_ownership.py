"""A 亩均效益 evaluation is the economy bureau's (its spec names the department): runs and their
publication by that bureau's analysts or an administrator only."""

from __future__ import annotations

import pytest

from tests.conftest import SYSTEM, login
from tests.landuse.conftest import actor_of
from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Role
from wulian.landuse import service

WHO = {"admin1": True, "analyst1": True, "analyst_science": False, "analyst_nowhere": False}


@pytest.mark.parametrize(("who", "allowed"), WHO.items())
def test_runs_and_publication_belong_to_the_specs_department(world, zone, who, allowed):
    world.user("admin1", Role.ADMIN)
    world.user("analyst_science", Role.ANALYST, department_id=world.department())
    world.user("analyst_nowhere", Role.ANALYST)
    actor = actor_of(world, who)

    def run(session, actor=actor):
        return service.create_run(session, actor=actor, spec_id=zone["spec"], period=2024).id

    if allowed:
        run_id = world.run(run)
        world.run(lambda s: service.publish(s, actor=actor, run_id=run_id))
        return
    with pytest.raises(PermissionDenied, match="经济信息化局"):
        world.run(run)
    run_id = world.run(lambda s: run(s, actor=SYSTEM))
    with pytest.raises(PermissionDenied):
        world.run(lambda s: service.publish(s, actor=actor, run_id=run_id))
    status = world.run(lambda s: service.get_run_or_raise(s, actor=SYSTEM, run_id=run_id).status)
    assert status == "draft"


def test_pages_offer_running_and_publishing_only_to_the_department(
    client, make_client, world, zone
):
    world.user("analyst_science", Role.ANALYST, department_id=world.department())
    run_id = world.run(
        lambda s: service.create_run(s, actor=SYSTEM, spec_id=zone["spec"], period=2024).id
    )
    login(client, "analyst1")
    assert 'id="new-run"' in client.get("/landuse").text
    assert f'action="/landuse/runs/{run_id}/publish"' in client.get(f"/landuse/runs/{run_id}").text
    other = make_client()
    login(other, "analyst_science")
    assert 'id="new-run"' not in other.get("/landuse").text
    page = other.get(f"/landuse/runs/{run_id}")
    assert page.status_code == 200
    assert f'action="/landuse/runs/{run_id}/publish"' not in page.text
