"""A small zone for the pipeline: the shipped chains, two 招商 teams (departments) with an
officer each, an analyst, an administrator, one registry firm and its enterprise user."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import SYSTEM
from wulian.chains import service as chains
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor, Role
from wulian.enterprises.uscc import synthetic
from wulian.investment import service

TODAY = dt.date(2026, 6, 30)


@dataclass
class Zone:
    team_a: int
    team_b: int
    firm: int
    firm_code: str

    def actor(self, world, username: str) -> Actor:
        return auth_service.actor_for_user(world.get_user(username))


@pytest.fixture
def zone(world) -> Zone:
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    team_a = world.department("investment", "投资促进局（招商）")
    team_b = world.department("invest2", "驻沪招商组")
    code = synthetic(4242)
    firm = world.enterprise("衢州锂测材料有限公司", code=code)
    world.user("officer_a", Role.OFFICER, department_id=team_a)
    world.user("officer_a2", Role.OFFICER, department_id=team_a)
    world.user("officer_b", Role.OFFICER, department_id=team_b)
    world.user("analyst", Role.ANALYST)
    world.user("admin", Role.ADMIN)
    world.user("firm_user", Role.ENTERPRISE, enterprise_id=firm)
    return Zone(team_a, team_b, firm, code)


def lead(world, actor: Actor, *, today: dt.date = TODAY, **fields) -> int:
    values = {"name": "锂电正极材料项目", "amount_yi": "12.5", "source": "business",
              "firm_name": "某新能源科技有限公司"} | fields  # fmt: skip
    data = service.NewProject(**values)
    return world.run(lambda s: service.create(s, actor=actor, today=today, data=data).id)
