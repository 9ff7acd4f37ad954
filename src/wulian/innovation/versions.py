"""Innovation-points specs: the shipped spec files (index and credit-tier), their versions, and
who may read and write them.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from sqlalchemy.orm import Session

from wulian.core import runs, specversions
from wulian.core.auth import service as auth_service
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor, Permission
from wulian.engines.index import spec as index_spec
from wulian.engines.index.spec import IndexSpec
from wulian.innovation import credit, evaluate
from wulian.innovation.models import (
    InnovationSpec,
    SpecKind,
)
from wulian.reference.catalogue import shipped as shipped_metrics

SHIPPED: tuple[tuple[str, SpecKind], ...] = (
    ("national", SpecKind.INDEX),
    ("binjiang", SpecKind.INDEX),
    ("longwan", SpecKind.INDEX),
    ("credit", SpecKind.CREDIT),
)

NOTICE_DAYS = runs.NOTICE_DAYS

VISIBLE_TO_FIRMS = runs.PUBLIC


def shipped_text(code: str) -> str:
    """The text of a spec file shipped with the platform."""
    return resources.files("wulian.innovation").joinpath(f"specs/{code}.yaml").read_text("utf-8")


def parse(kind: str, text: str, filename: str = "方案文件") -> IndexSpec | credit.CreditSpec:
    """A spec of kind from text, validated (index specs also against the metric catalogue)."""
    if kind == SpecKind.CREDIT:
        return credit.load(text, filename)
    model = index_spec.load(text, filename)
    evaluate.check_columns(model, text, filename, (m.key for m in shipped_metrics()))
    return model


@lru_cache(maxsize=64)
def _parsed(kind: str, text: str, filename: str) -> IndexSpec | credit.CreditSpec:
    """parse, remembered: stored versions never change and the models are immutable."""
    return parse(kind, text, filename)


def index_model(spec: InnovationSpec) -> IndexSpec:
    """The index spec stored in a version (stored versions were validated when saved)."""
    model = _parsed(SpecKind.INDEX, spec.text, f"{spec.code} v{spec.version}")
    if not isinstance(model, IndexSpec):
        raise InvalidInput(f"“{spec.name}”不是指数评价方案", field="spec")
    return model


def credit_model(spec: InnovationSpec) -> credit.CreditSpec:
    """The credit-tier spec stored in a version."""
    model = _parsed(SpecKind.CREDIT, spec.text, f"{spec.code} v{spec.version}")
    if not isinstance(model, credit.CreditSpec):
        raise InvalidInput(f"“{spec.name}”不是授信方案", field="credit_spec")
    return model


def _describe(session: Session, code: str, text: str) -> dict[str, object]:
    kind = dict(SHIPPED)[code]
    return {"name": parse(kind, text, f"{code}.yaml").name, "kind": kind.value}


SHIPPED_SPECS = specversions.Shipped(
    key="innovation",
    label="创新积分评价方案",
    model=InnovationSpec,
    files=lambda: {code: shipped_text(code) for code, _ in SHIPPED},
    describe=_describe,
)


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: InnovationSpec, text: str, copy: bool
) -> specversions.Checked:
    model = parse(base.kind, text, "方案文件")
    if isinstance(model, IndexSpec):
        current = index_model(specversions.latest(session, InnovationSpec, base.code) or base)
        auth_service.check_owner_change(
            session, actor=actor, new=model.department, old=current.department, copy=copy,
            what=f"评价方案“{model.name if copy else current.name}”",
        )  # fmt: skip
    return specversions.Checked(model.id, model.name, {"kind": base.kind})


SPECS = specversions.SpecKind(
    model=InnovationSpec, what="评价方案", write=Permission.ANALYSES_WRITE,
    may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS, may_edit=lambda session, actor, row: _may_edit(session, actor, row),
)  # fmt: skip


def _may_edit(session: Session, actor: Actor, row: InnovationSpec) -> bool:
    model = parse(row.kind, row.text, f"{row.code}.yaml")
    if not isinstance(model, IndexSpec):  # credit tiers have no owning department
        return actor.has(Permission.ANALYSES_WRITE) and actor.enterprise_id is None
    return auth_service.may_act(
        session, actor=actor, permission=Permission.ANALYSES_WRITE, department=model.department
    )


# versions of the spec files, and saving a new one (refused with the line when invalid)
get_specs = SPECS.listed
get_spec_or_raise = SPECS.get
save_spec = SPECS.save
install_shipped = SPECS.install  # the shipped files, for one who may write


def latest_version(session: Session, *, code: str) -> InnovationSpec | None:
    """The newest version of code."""
    return specversions.latest(session, InnovationSpec, code)


def diff(older: InnovationSpec | None, newer: InnovationSpec) -> list[tuple[str, str]]:
    """The lines of a unified diff from older to newer, each with its kind."""
    return specversions.diff(older, newer)


def previous_version(session: Session, spec: InnovationSpec) -> InnovationSpec | None:
    """The version spec was made from (for a copy, the spec it copied)."""
    return specversions.previous(session, InnovationSpec, spec)


STAFF_ONLY = "企业用户只能查看公示和发布的结果"
