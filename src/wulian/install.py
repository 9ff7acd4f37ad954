"""A production install: what every database needs besides its schema, from the files that ship
with the platform. `wulian db upgrade` runs it after the migrations; `wulian demo` runs it before
adding the demo zone.

- the department template (the offices the shipped desk configuration, policies and chains name);
  existing departments are never renamed;
- the metric catalogue (reference/data/metrics.yaml), which the header aliases resolve to;
- every declared kind of shipped spec (`SHIPPED`): innovation and 亩均 specs, policies, chain
  atlases, the desk configuration, through `specversions.install`: a spec nobody edited here is
  brought to the newer file, an edited one is left as it is and the newer file is offered on its
  page to be adopted.

Running it again changes nothing. GB/T 4754 is not shipped (operators import the published table
with `wulian reference import gbt4754 FILE`, or pass it to `wulian db upgrade --gbt4754 FILE`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import knowledge as capital_knowledge
from wulian.chains import service as chains_service
from wulian.core import audit, specversions
from wulian.core.auth import service as auth_service
from wulian.core.auth.models import Department
from wulian.core.permissions import Actor
from wulian.desk import service as desk_service
from wulian.innovation import service as innovation_service
from wulian.landuse import service as landuse_service
from wulian.policy import service as policy_service
from wulian.reference import service as reference_service
from wulian.reference.models import Industry
from wulian.talent import evaluations as talent_evaluations

# The offices that run 五链融合 in a zone (see docs/guide/accounts.md); the shipped desk
# configuration routes to these codes.
DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("leaders", "管委会领导"),
    ("chain-office", "产业链专班（链长办）"),
    ("investment", "投资促进局（招商）"),
    ("science", "科技局"),
    ("economy", "经济信息化局"),
    ("business-env", "营商环境办（企业服务中心）"),
    ("talent", "人才办"),
    ("finance", "金融办"),
    ("planning", "自然资源和规划分局"),
    ("approval", "行政审批局"),
    ("transport", "交通运输局"),
)

# Every kind of spec file that ships with the platform, in the order they are installed (policies
# read the metric catalogue; the desk configuration names departments).
SHIPPED: tuple[specversions.Shipped, ...] = (
    innovation_service.SHIPPED_SPECS,
    landuse_service.SHIPPED_SPECS,
    policy_service.SHIPPED_SPECS,
    chains_service.SHIPPED_SPECS,
    desk_service.SHIPPED_SPECS,
    talent_evaluations.SHIPPED_SPECS,
    capital_knowledge.SHIPPED_SPECS,
)


@dataclass
class InstallResult:
    departments: int = 0  # created from the template
    metrics_added: int = 0
    metrics_updated: int = 0
    industries: int | None = None  # GB/T codes imported now; None when not asked
    industries_present: bool = False  # the GB/T table holds codes (after this install)
    specs: list[specversions.Installed] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(
            self.departments or self.metrics_added or self.metrics_updated or self.industries
            or any(s.added or s.updated for s in self.specs)
        )  # fmt: skip

    def offered(self) -> list[tuple[str, str]]:
        """(label, code) of each spec whose newer shipped file waits to be adopted."""
        return [(s.label, code) for s in self.specs for code in s.offered]


def install(session: Session, *, actor: Actor, gbt4754: Path | None = None) -> InstallResult:
    """Bring the database to the shipped reference data and specs (idempotent)."""
    audit.track(session, actor)
    result = InstallResult()
    names = set(session.scalars(sa.select(Department.name)))
    for code, name in DEPARTMENTS:  # a zone that named an office its own way keeps it
        if auth_service.get_department_by_code(session, code=code) is None and name not in names:
            auth_service.create_department(session, actor=actor, code=code, name=name)
            result.departments += 1
    metrics = reference_service.sync_metrics(session, actor=actor)
    result.metrics_added, result.metrics_updated = metrics.added, metrics.updated
    if gbt4754 is not None:
        result.industries = reference_service.import_gbt4754(
            session, actor=actor, notes=gbt4754
        ).industries
    result.industries_present = (
        session.scalar(sa.select(sa.func.count()).select_from(Industry)) or 0
    ) > 0
    for kind in SHIPPED:
        result.specs.append(specversions.install(session, kind, created_by=actor.label))
    if result.changed:
        audit.record(
            session,
            action="install.shipped",
            object_type="platform",
            after={
                "departments": result.departments,
                "metrics": {"added": result.metrics_added, "updated": result.metrics_updated},
                "specs": {
                    s.label: {"added": s.added, "updated": s.updated, "offered": s.offered}
                    for s in result.specs
                },
            },
        )
    return result
