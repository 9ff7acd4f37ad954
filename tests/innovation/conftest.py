"""A small zone for innovation points: twelve firms, two years of facts, a hand-checkable spec."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import SYSTEM
from wulian.core.permissions import Role
from wulian.enterprises import facts
from wulian.enterprises.uscc import synthetic
from wulian.innovation import service
from wulian.reference import service as reference_service

AS_OF = dt.date(2025, 4, 30)

MINI = """\
id: mini
name: 测试积分
department: science
unit: enterprise_id
cohort:
  column: revenue
  name: 阶段
  missing_label: 未分阶段
  bands:
    - {label: 小, below: 5000}
    - {label: 大, min: 5000}
indicators:
  - {key: rd_intensity, name: 研发费用占营业收入比例, parent: tech, weight: 2, unit: 比例}
  - {key: rd_expense_growth, name: 研发费用增速, parent: tech, unit: 比例}
  - {key: invention_patent_applications, name: 发明专利申请量, parent: output, unit: 件}
aggregates:
  - {key: tech, name: 技术创新, parent: points, weight: 3}
  - {key: output, name: 创新产出, parent: points}
  - {key: points, name: 创新积分}
pipeline:
  - {stage: normalise, method: minmax, range: [0, 100], within: cohort}
  - {stage: aggregate}
  - {stage: round, digits: 2}
  - {stage: rank, ties: min, within: cohort}
  - stage: band
    within: cohort
    bands:
      - {label: 领跑榜, top: 0.1}
      - {label: 竞跑榜, top: 0.2}
"""


def expected_points(i: int) -> float:
    """Firm i of the small stage: R&D intensity (i+1)% scores i/9×100, growth is the same for
    all (the middle, 50), patents i score i/9×100; tech = (2a + b)/3, points = (3 tech + out)/4."""
    a = i / 9 * 100
    tech = (2 * a + 50) / 3
    return round((3 * tech + a) / 4, 2)


@pytest.fixture
def zone(world):
    """Firms 0–9 in the small stage, one big firm, one without revenue; facts for 2023–2024."""
    world.run(lambda s: reference_service.sync_metrics(s, actor=SYSTEM))
    world.run(lambda s: service.install_shipped(s, actor=SYSTEM))
    world.department()  # science: the bureau that runs the spec below
    ids = [world.enterprise(f"测试创新{i:02d}有限公司", code=synthetic(100 + i)) for i in range(12)]

    def write(session):
        for i, enterprise_id in enumerate(ids):
            revenue = 100.0 * (i + 1) if i < 10 else (90000.0 if i == 10 else None)
            rd = float((i + 1) ** 2) if i < 10 else 800.0
            for period in ("2023", "2024"):
                values = {
                    "rd_expense": rd,
                    "invention_patent_applications": float(i % 10),
                    "revenue": revenue,
                }
                for key, value in values.items():
                    if value is None:
                        continue
                    facts.record(
                        session,
                        actor=SYSTEM,
                        enterprise_id=enterprise_id,
                        metric_key=key,
                        period=period,
                        value=value,
                        source="stats",
                        as_of=AS_OF,
                    )
        base = service.latest_version(session, code="national")
        return service.save_spec(
            session, actor=SYSTEM, text=MINI, based_on_id=base.id, copy=True
        ).id

    spec_id = world.run(write)
    world.user("analyst1", Role.ANALYST, department_id=world.department())
    world.user("officer1", Role.OFFICER, department_id=world.department())
    world.user("firm0", Role.ENTERPRISE, enterprise_id=ids[0])
    world.user("firm9", Role.ENTERPRISE, enterprise_id=ids[9])
    return {"ids": ids, "spec": spec_id}


def actor_of(world, username):
    """The actor of a user, as the web layer builds it."""
    from wulian.core.auth import service as auth_service

    return auth_service.actor_for_user(world.get_user(username))
