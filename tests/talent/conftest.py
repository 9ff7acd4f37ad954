"""A small zone for the talent domain: the talent office and another department with an officer
each, an analyst, an administrator, two firms with a user each, and a test key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from stdnum.cn import ric

from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor, Role
from wulian.enterprises.uscc import synthetic
from wulian.talent import service
from wulian.talent.crypto import Keys

TODAY = dt.date(2026, 6, 30)
TEST_KEY = "00112233445566778899aabbccddeeff" * 2  # tests only; production reads the settings
KEYS = Keys.from_master(TEST_KEY)


def identity(serial: int, born: dt.date = dt.date(1990, 5, 17), region: str = "330802") -> str:
    """A well-formed 居民身份证号 (GB 11643 check digit) for a synthetic person."""
    body = f"{region}{born:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


@dataclass
class Zone:
    office: int
    other_dept: int
    firm_a: int
    firm_b: int

    def actor(self, world, username: str) -> Actor:
        return auth_service.actor_for_user(world.get_user(username))


@pytest.fixture
def zone(world) -> Zone:
    office = world.department(service.OFFICE_CODE, "人才工作领导小组办公室")
    other = world.department("investment", "投资促进局（招商）")
    firm_a = world.enterprise("衢州锂测材料有限公司", code=synthetic(3101))
    firm_b = world.enterprise("衢州特纸科技有限公司", code=synthetic(3102))
    world.user("talent_officer", Role.OFFICER, department_id=office)
    world.user("other_officer", Role.OFFICER, department_id=other)
    world.user("analyst", Role.ANALYST)
    world.user("admin", Role.ADMIN)
    world.user("firm_a_user", Role.ENTERPRISE, enterprise_id=firm_a)
    world.user("firm_b_user", Role.ENTERPRISE, enterprise_id=firm_b)
    return Zone(office, other, firm_a, firm_b)


def person(world, actor: Actor, *, today: dt.date = TODAY, **fields) -> int:
    values = {
        "name": "王晓明", "identity_number": identity(1), "education": "硕士",
        "major": "材料科学与工程", "skills": ["正极材料", "电化学"], "salary_yuan": 250_000,
        "consents": {"employment": dt.date(2026, 6, 1)},
    } | fields  # fmt: skip
    data = service.NewPerson(**values)
    return world.run(
        lambda s: service.create_person(s, actor=actor, keys=KEYS, today=today, data=data).id
    )


@pytest.fixture
def settings(settings, shared_data):
    """The app's settings with the test key and the occupation table beside the checkout."""
    return settings.model_copy(
        update={
            "talent_key": SecretStr(TEST_KEY),
            "occupations_file": shared_data / "occupations" / "csco2022.csv",
        }
    )
