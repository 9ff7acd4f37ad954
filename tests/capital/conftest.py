"""A small zone for the capital chain: the shipped chains, the finance office (金融办) with an
officer, an officer of another office, an analyst, an administrator, two firms of the zone (one
with its enterprise user), a firm outside the zone and a 招商 project of the pipeline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from tests.conftest import SYSTEM
from wulian.capital import service
from wulian.chains import service as chains
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor, Role
from wulian.enterprises.uscc import synthetic
from wulian.investment import service as investment
from wulian.reference import service as reference_service

TODAY = dt.date(2026, 6, 30)


@dataclass
class Zone:
    finance: int
    other: int
    firm: int
    firm_b: int
    outside: int
    project: int

    def actor(self, world, username: str) -> Actor:
        return auth_service.actor_for_user(world.get_user(username))


@pytest.fixture
def zone(world) -> Zone:
    world.run(lambda s: chains.install_shipped(s, actor=SYSTEM))
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))  # listing stages as facts
    finance = world.department("finance", "金融办")
    other = world.department("investment", "投资促进局（招商）")
    firm = world.enterprise("衢州锂测材料有限公司", code=synthetic(4301))
    firm_b = world.enterprise("衢州硅测科技有限公司", code=synthetic(4302))
    outside = world.enterprise("上海外测电子有限公司", code=synthetic(4303), in_zone=False)
    world.user("fin1", Role.OFFICER, department_id=finance)
    world.user("inv1", Role.OFFICER, department_id=other)
    world.user("analyst", Role.ANALYST)
    world.user("admin", Role.ADMIN)
    world.user("firm_user", Role.ENTERPRISE, enterprise_id=firm)
    data = investment.NewProject(
        name="年产 5 万吨正极材料项目", amount_yi="20", source="business",
        firm_name="某新能源科技有限公司", chain="lithium", node="cathode", team_id=other,
    )  # fmt: skip
    project = world.run(lambda s: investment.create(s, actor=SYSTEM, today=TODAY, data=data).id)
    return Zone(finance, other, firm, firm_b, outside, int(project))


def fund(world, actor: Actor, name: str, kind: str = "mother", **fields) -> int:
    data = service.NewFund(name=name, kind=kind, **fields)
    return int(world.run(lambda s: service.create_fund(s, actor=actor, data=data).id))


def commit(world, actor: Actor, fund_id: int, investor: str, kind: str, committed: str,
           paid: str | None = None, unit: str = "亿元") -> int:  # fmt: skip
    return int(
        world.run(
            lambda s: service.add_commitment(
                s, actor=actor, fund_id=fund_id, investor=investor, investor_kind=kind,
                committed=committed, paid_in=paid, unit=unit,
            ).id
        )
    )  # fmt: skip


def invest(world, actor: Actor, **fields) -> int:
    data = service.NewInvestment(**fields)
    return int(world.run(lambda s: service.invest(s, actor=actor, today=TODAY, data=data).id))


def matrix_of(world, actor: Actor) -> service.Matrix:
    return world.run(lambda s: service.matrix(s, actor=actor))  # type: ignore[return-value]
