"""Values waiting for review are told to the department that owns the metric: an imported value
stored beside a verified one, once per import, with their count."""

from __future__ import annotations

import sqlalchemy as sa

from tests.enterprises.test_import_safety import VERIFIED, put, tax_file, zone  # noqa: F401
from tests.enterprises.test_imports import A, run_facts
from wulian.core.db import session_factory
from wulian.core.notify.models import Notification
from wulian.core.permissions import Role


def test_an_imported_value_beside_a_verified_one_is_told_to_the_owner(world, zone):  # noqa: F811
    economy = world.department("economy", "经信局")  # revenue's owner in the metric catalogue
    reviewer = world.user("econ1", Role.OFFICER, department_id=economy)
    world.user("sci1", Role.OFFICER, department_id=world.department("science", "科技局"))
    put(world, zone["a"], VERIFIED)
    run_facts(world, tax_file([A, "衢州甲材料有限公司", 6687]), confirm_rows={2})
    run_facts(world, tax_file([A, "衢州甲材料有限公司", 6687]))  # unchanged: nothing new waits
    with session_factory(world.engine)() as session:
        got = session.execute(
            sa.select(Notification.user_id, Notification.kind, Notification.title,
                      Notification.link)
        ).all()  # fmt: skip
    assert [tuple(r) for r in got] == [
        (reviewer, "facts.review", "导入数据待审核：1 个数值", "/reviews")
    ]
