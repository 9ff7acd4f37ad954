"""A small zone for 亩均效益: fifteen firms covering every status, facts for 2023 and 2024."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.conftest import SYSTEM
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Enterprise, EnterpriseTag
from wulian.enterprises.uscc import synthetic
from wulian.landuse import service
from wulian.reference import service as reference_service
from wulian.reference.models import Industry

AS_OF = dt.date(2025, 4, 30)
INDUSTRIES = [  # code, parent, level: a manufacturing, a utility and a service leaf
    ("C", None, 1), ("39", "C", 2), ("398", "39", 3), ("3983", "398", 4),
    ("D", None, 1), ("44", "D", 2), ("441", "44", 3), ("4411", "441", 4),
    ("I", None, 1), ("65", "I", 2), ("651", "65", 3), ("6511", "651", 4),
]  # fmt: skip

# name, 规上, industry, land (亩), tax (万元) in 2024, tags
FIRMS = [
    *((f"亩均测试{i:02d}", True, "3983", 10.0, 60.0 + 40.0 * i, ()) for i in range(8)),
    ("亩均电力", True, "4411", 50.0, 500.0, ()),  # a utility: T
    ("亩均在建", True, "3983", 80.0, 10.0, ("zaijian",)),  # a major project building: T
    ("亩均小厂", False, "3983", 5.0, 40.0, ()),  # 规下 with 5 亩: rated
    ("亩均作坊", False, "3983", 2.0, 10.0, ()),  # 规下 with 2 亩: out of scope
    ("亩均租地", True, "3983", 10.0, 300.0, ("zudi",)),  # rented land: listed apart
    ("亩均无地", True, "3983", 0.0, 300.0, ()),  # zero land: refused with the reason
    ("亩均软件", True, "6511", 3.0, 900.0, ()),  # not an industrial firm: out
]


def write_facts(session, enterprise_id, period, *, tax, land, guishang):
    values = {
        "tax_paid": tax,
        "land_area": land,
        "industrial_value_added": tax * 5,
        "energy_use": tax * 2,
        "emissions": tax / 500,
        "staff_average": 50.0,
        "rd_expense": tax / 2,
        "revenue": tax * 30,
        "electricity_use": None if guishang else tax * 4,
    }
    for key, value in values.items():
        if value is not None:
            facts.record(
                session, actor=SYSTEM, enterprise_id=enterprise_id, metric_key=key,
                period=period, value=value, source="stats", as_of=AS_OF,
            )  # fmt: skip


@pytest.fixture
def zone(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))

    def industries(session):
        for code, parent, level in INDUSTRIES:
            session.add(Industry(code=code, name=f"行业{code}", parent_code=parent, level=level))

    world.run(industries)
    ids = [world.enterprise(f"{name}有限公司", code=synthetic(300 + i)) for i, (name, *_) in
           enumerate(FIRMS)]  # fmt: skip

    def write(session):
        for enterprise_id, (_, guishang, industry, land, tax, tags) in zip(ids, FIRMS, strict=True):
            firm = session.get(Enterprise, enterprise_id)
            firm.industry_code = industry
            firm.founded_on = dt.date(2015, 3, 1)
            firm.land_area = land
            firm.chain = "电子信息" if enterprise_id % 2 else "新材料"
            for tag in (*tags, *(("guishang",) if guishang else ())):
                session.add(EnterpriseTag(enterprise_id=enterprise_id, tag=tag))
            for period, factor in (("2023", 0.5), ("2024", 1.0)):
                write_facts(session, enterprise_id, period, tax=tax * factor, land=land,
                            guishang=guishang)  # fmt: skip
        return specversions_latest(session)

    spec_id = world.run(write)
    world.user("analyst1", Role.ANALYST, department_id=world.department("economy", "经济信息化局"))
    world.user("officer1", Role.OFFICER, department_id=world.department())
    world.user("firm0", Role.ENTERPRISE, enterprise_id=ids[0])
    return {
        "ids": ids,
        "spec": spec_id,
        "names": {i: f"{f[0]}有限公司" for i, f in zip(ids, FIRMS, strict=True)},
    }


def specversions_latest(session):
    from wulian.landuse.models import LanduseSpec

    return session.scalar(sa.select(LanduseSpec.id).where(LanduseSpec.code == "huangyan"))


def actor_of(world, username):
    from wulian.core.auth import service as auth_service

    return auth_service.actor_for_user(world.get_user(username))
