"""亩均效益 specs: the shipped spec files, their versions, and who may read and write them."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from sqlalchemy.orm import Session

from wulian.core import specversions
from wulian.core.auth import service as auth_service
from wulian.core.permissions import Actor, Permission
from wulian.landuse import spec as landuse_spec
from wulian.landuse.models import LanduseSpec

SHIPPED = ("huangyan",)

RENTED_TAG = "zudi"  # 租用土地

BUILDING_TAG = "zaijian"  # 重大项目在建

GRADE_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "T": 4}

LOW_CANDIDATES = ("rated", "rented", "incomplete")  # the statuses the low-efficiency line reads


def shipped_text(code: str) -> str:
    return resources.files("wulian.landuse").joinpath(f"specs/{code}.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str, filename: str = "方案文件") -> landuse_spec.LanduseSpec:
    """A spec from its text (parsed once per text)."""
    return landuse_spec.load(text, filename)


STAFF_ONLY = "企业用户只能查看本企业已发布的评价结果"

SHIPPED_SPECS = specversions.Shipped(
    key="landuse",
    label="亩均效益评价方案",
    model=LanduseSpec,
    files=lambda: {code: shipped_text(code) for code in SHIPPED},
    describe=lambda session, code, text: {"name": parse(text, f"{code}.yaml").name},
)


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: LanduseSpec, text: str, copy: bool
) -> specversions.Checked:
    model = parse(text)
    current = parse((specversions.latest(session, LanduseSpec, base.code) or base).text)
    auth_service.check_owner_change(
        session, actor=actor, new=model.department, old=current.department, copy=copy,
        what=f"评价方案“{model.name if copy else current.name}”",
    )  # fmt: skip
    return specversions.Checked(model.id, model.name)


SPECS = specversions.SpecKind(
    model=LanduseSpec, what="评价方案", write=Permission.ANALYSES_WRITE,
    may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS,
    may_edit=lambda session, actor, row: auth_service.may_act(
        session, actor=actor, permission=Permission.ANALYSES_WRITE,
        department=parse(row.text).department,
    ),
)  # fmt: skip

# versions of the spec files, and saving a new one (refused with the line when invalid)
get_specs = SPECS.listed
get_spec_or_raise = SPECS.get
save_spec = SPECS.save
install_shipped = SPECS.install  # the shipped files, for one who may write
