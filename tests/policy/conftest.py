"""A small zone for the policy module: firms whose R&D, revenue and titles put them on every
side of the shipped policies, with facts for 2023 and 2024 from trusted and untrusted sources."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import SYSTEM
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Enterprise, EnterpriseTag
from wulian.enterprises.uscc import synthetic
from wulian.policy import service
from wulian.reference import service as reference_service

AS_OF = dt.date(2025, 4, 30)

# name, rd 2023, rd 2024, rd 2024 source, tags
FIRMS = [
    ("政策甲", 400.0, 500.0, "stats", ("guishang",)),  # +100 → 10 万元, 免申即享
    ("政策乙", 400.0, 600.0, "self", ("guishang",)),  # self-reported → 快申快享
    ("政策丙", None, 500.0, "stats", ("guishang",)),  # last year unknown → 待补充
    ("政策丁", 500.0, 300.0, "stats", ("guishang",)),  # R&D fell → 不符合
    ("政策戊", 100.0, 3000.0, "stats", ("gaoxin",)),  # +2900 → capped at 100 万元
]


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    ids = [
        world.enterprise(f"{name}科技有限公司", code=synthetic(500 + i))
        for i, (name, *_) in enumerate(FIRMS)
    ]

    def write(session):
        for enterprise_id, (_, rd_last, rd, source, tags) in zip(ids, FIRMS, strict=True):
            firm = session.get(Enterprise, enterprise_id)
            firm.founded_on = dt.date(2016, 5, 1)
            firm.chain = "电子信息"
            for tag in tags:
                session.add(EnterpriseTag(enterprise_id=enterprise_id, tag=tag))
            values = {
                "2023": {"rd_expense": rd_last, "revenue": 9000.0},
                "2024": {"rd_expense": rd, "revenue": 10000.0, "staff_total": 200.0,
                         "tech_staff": 24.0, "total_assets": 15000.0, "total_cost": 9000.0,
                         "ip_class1_count": 0.0, "ip_class2_count": 2.0,
                         "provincial_platforms": 0.0, "tax_paid": 300.0,
                         "new_graduates_hired": 3.0},
            }  # fmt: skip
            for period, items in values.items():
                for key, value in items.items():
                    if value is None:
                        continue
                    facts.record(
                        session, actor=SYSTEM, enterprise_id=enterprise_id, metric_key=key,
                        period=period, value=value,
                        source=source if (key == "rd_expense" and period == "2024") else "stats",
                        as_of=AS_OF,
                    )  # fmt: skip
        service.install_shipped(session, actor=SYSTEM)

    world.run(write)
    world.user("analyst1", Role.ANALYST, department_id=world.department())
    world.user("officer1", Role.OFFICER, department_id=world.department())
    world.user("firm0", Role.ENTERPRISE, enterprise_id=ids[0])
    return {"ids": ids}


def actor_of(world, username):
    from wulian.core.auth import service as auth_service

    return auth_service.actor_for_user(world.get_user(username))
