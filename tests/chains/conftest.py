"""A small zone for the chain atlas: the shipped chains and eight firms around the lithium chain's
cathode, with two years of revenue, one anchor firm, one firm without revenue, and one external
firm as an investment target."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import SYSTEM
from wulian.chains import service
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.models import Enterprise, EnterpriseTag
from wulian.enterprises.uscc import synthetic
from wulian.reference import service as reference_service

AS_OF = dt.date(2026, 4, 30)
SCOPE = "一般项目：{}研发；{}制造；{}销售；技术服务、技术开发。"

# name, main products, business scope words, in zone, revenue 2024, revenue 2025, anchor
FIRMS = [
    ("锂测正极一", "磷酸铁锂正极", "磷酸铁锂", True, 80_000.0, 100_000.0, True),
    ("锂测正极二", None, "三元材料、磷酸锰铁锂", True, 20_000.0, 18_000.0, False),
    ("锂测正极三", "磷酸铁锂正极、锰酸锂", "锰酸锂", True, None, None, False),
    ("锂测前驱体", "磷酸铁", "三元前驱体", True, 5_000.0, 6_000.0, False),
    ("锂测电芯", "方形电芯、圆柱电池", "动力电池", True, 30_000.0, 36_000.0, False),
    ("锂测含糊", None, "电子产品", True, 1_000.0, 1_000.0, False),
    ("锂测园外隔膜", "湿法隔膜、陶瓷涂覆隔膜", "锂电池隔膜", False, None, 50_000.0, False),
    ("锂测无文本", None, None, True, 500.0, 600.0, False),
]


def actor_of(world, username):
    return auth_service.actor_for_user(world.get_user(username))


@pytest.fixture
def atlas(world):
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))
    ids = [
        world.enterprise(f"{name}有限公司", code=synthetic(700 + i), in_zone=in_zone)
        for i, (name, _, _, in_zone, *_) in enumerate(FIRMS)
    ]

    def write(session):
        for enterprise_id, (_, products, words, _, before, now, anchor) in zip(
            ids, FIRMS, strict=True
        ):
            firm = session.get(Enterprise, enterprise_id)
            firm.main_products = products
            firm.business_scope = SCOPE.format(words, words, words) if words else None
            if anchor:
                session.add(EnterpriseTag(enterprise_id=enterprise_id, tag="lianzhu"))
            for period, value in (("2024", before), ("2025", now)):
                if value is None:
                    continue  # unknown, not zero
                for key, factor in (("revenue", 1.0), ("rd_expense", 0.05),
                                    ("industrial_value_added", 0.2)):  # fmt: skip
                    facts.record(
                        session, actor=SYSTEM, enterprise_id=enterprise_id, metric_key=key,
                        period=period, value=value * factor, source="stats", as_of=AS_OF,
                    )  # fmt: skip

    world.run(write)
    office = world.department("chain-office", "产业链专班（链长办）")
    world.user("analyst1", Role.ANALYST)
    world.user("officer1", Role.OFFICER, department_id=office)
    world.user("firm0", Role.ENTERPRISE, enterprise_id=ids[0])
    return {"ids": ids, "names": {i: f[0] for i, f in zip(ids, FIRMS, strict=True)}}


def place(world, threshold=service.THRESHOLD):
    return world.run(lambda s: service.place(s, actor=SYSTEM, threshold=threshold).counts)


def memberships(world):
    """enterprise id → (chain.node, source, status)"""
    import sqlalchemy as sa

    from wulian.chains.models import ChainMembership

    def read(session):
        rows = session.execute(
            sa.select(ChainMembership.enterprise_id, ChainMembership.chain, ChainMembership.node,
                      ChainMembership.source, ChainMembership.status, ChainMembership.id)
        ).all()  # fmt: skip
        return {e: (f"{c}.{n}", src, st, mid) for e, c, n, src, st, mid in rows}

    return world.run(read)
