"""Chain specs: the shipped atlases, their versions (who may edit which chain), the N个一
items, and the departments that manage each chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import spec as chain_spec
from wulian.chains.models import (
    ChainItem,
    ChainSpecRow,
)
from wulian.core import specversions
from wulian.core.auth.models import Department
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission

SHIPPED = (
    "fluorosilicon",
    "lithium",
    "electronic_chemicals",
    "special_paper",
    "chips_sensors",
    "biomedicine",
)

THRESHOLD = 0.3  # a model proposal below this confidence goes to review (see the guide)

ANCHOR_TAG = "lianzhu"

ITEM_STATUSES = ("未启动", "推进中", "已落实")

MIN_PRODUCT_CHARS = 3  # shorter typical products are too generic for the rule


def shipped_text(code: str) -> str:
    return resources.files("wulian.chains").joinpath(f"specs/{code}.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str, filename: str = "产业链文件") -> chain_spec.ChainSpec:
    """A chain spec from its text (parsed once per text)."""
    return chain_spec.load(text, filename)


STAFF_ONLY = "企业用户只能查看本企业的产业链位置"


def managed(session: Session, actor: Actor) -> set[str]:
    """The codes of the chains this actor manages: every chain for administrators and the
    system; for an officer, the chains whose spec names the officer's department as office."""
    if not actor.has(Permission.CHAINS_MANAGE) or actor.enterprise_id is not None:
        return set()
    everything = actor.answers_for_all
    if not everything and actor.department_id is None:
        return set()
    own = _department(session, actor)
    return {
        row.code
        for row in newest_versions(session)
        if everything or (own is not None and parse(row.text).office == own.code)
    }


def _department(session: Session, actor: Actor) -> Department | None:
    return session.get(Department, actor.department_id) if actor.department_id else None


def can_place(session: Session, actor: Actor, managed_by_actor: set[str] | None = None) -> bool:
    """Whether this actor may place firms: placement proposes on every chain. managed_by_actor:
    what `managed` gave for this actor, where the caller has it already."""
    codes = {row.code for row in newest_versions(session)}
    mine = managed(session, actor) if managed_by_actor is None else managed_by_actor
    return bool(codes) and codes <= mine


def require_manage(session: Session, actor: Actor, *codes: str) -> None:
    """Raise unless this actor manages every one of the chains codes."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    allowed = managed(session, actor)
    for code in codes:
        if code not in allowed:
            raise PermissionDenied(_not_yours(session, code))


def _not_yours(session: Session, code: str) -> str:
    rows = [r for r in newest_versions(session) if r.code == code]
    if not rows:
        return f"没有编号为“{code}”的产业链"
    spec = parse(rows[0].text)
    office = spec.office and session.scalar(
        sa.select(Department.name).where(Department.code == spec.office)
    )
    if office:
        return f"产业链“{spec.name}”由{office}管理，本部门不能修改"
    return f"产业链“{spec.name}”没有指定管理部门，只有管理员可以修改"


def firm_text(name: str, products: str | None, scope: str | None) -> str:
    """What the classifier reads of a firm: its name, main products and business scope."""
    parts = [name]
    if products:
        parts.append(f"主营产品：{products}")
    if scope:
        parts.append(f"经营范围：{scope}")
    return "；".join(parts)


SHIPPED_SPECS = specversions.Shipped(
    key="chains",
    label="产业链文件",
    model=ChainSpecRow,
    files=lambda: {code: shipped_text(code) for code in SHIPPED},
    describe=lambda session, code, text: {"name": parse(text, f"{code}.yaml").name},
    installed=lambda session, code, text: _sync_items(
        session, Actor.system(label="平台内置产业链"), parse(text, f"{code}.yaml")
    ),
)


def install_shipped(session: Session, *, actor: Actor) -> specversions.Installed:
    """Load the shipped chain specs that are not in the database yet (as version 1), with their
    N个一 items. Officers may load those their department is the office of."""
    actor.require(Permission.CHAINS_MANAGE)
    own = _department(session, actor)
    if not actor.answers_for_all:
        for code, text in SHIPPED_SPECS.files().items():
            shipped = parse(text, f"{code}.yaml")
            if own is None or shipped.office != own.code:
                raise PermissionDenied(f"内置产业链“{shipped.name}”不由本部门管理，请管理员载入")
    done = specversions.install(session, SHIPPED_SPECS, created_by=actor.label)
    for code, text in SHIPPED_SPECS.files().items():  # items of specs installed before, too
        _sync_items(session, actor, parse(text, f"{code}.yaml"))
    return done


def _may_read_specs(actor: Actor) -> None:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)


def _check_spec(
    session: Session, actor: Actor, base: ChainSpecRow, text: str, copy: bool
) -> specversions.Checked:
    """An officer edits the chains of the officer's department and may start a new chain only
    with that department as its office; handing a chain to another department is for
    administrators."""
    model = parse(text)
    _check_office(session, actor, model, None if copy else parse(base.text))
    return specversions.Checked(model.id, model.name)


SPECS = specversions.SpecKind(
    model=ChainSpecRow, what="产业链文件", write=Permission.CHAINS_MANAGE,
    may_read=_may_read_specs, check=_check_spec,
    shipped=SHIPPED_SPECS,
    saved=lambda session, actor, row: _sync_items(session, actor, parse(row.text)),
    may_edit=lambda session, actor, row: row.code in managed(session, actor),
)  # fmt: skip

# versions of the chain specs, and saving a new one (new N个一 items join the chain's list)
get_specs = SPECS.listed

get_spec_or_raise = SPECS.get

save_spec = SPECS.save


def _check_office(
    session: Session, actor: Actor, new: chain_spec.ChainSpec, old: chain_spec.ChainSpec | None
) -> None:
    if new.office is not None and (
        session.scalar(sa.select(Department.id).where(Department.code == new.office)) is None
    ):
        raise InvalidInput(f"office（管理部门）“{new.office}”不是已有的部门代码", field="text")
    if actor.answers_for_all:
        return
    own = _department(session, actor)
    if old is not None:
        require_manage(session, actor, old.id)
        current = next((r for r in newest_versions(session) if r.code == old.id), None)
        if new.office != (parse(current.text) if current else old).office:
            raise PermissionDenied("只有管理员可以更改产业链的管理部门（office）")
    elif own is None or new.office != own.code:
        code = own.code if own else "本部门代码"
        raise PermissionDenied(f"新建的产业链须由本部门管理：请写 office: {code}")


def _sync_items(session: Session, actor: Actor, spec: chain_spec.ChainSpec) -> None:
    have = set(session.scalars(sa.select(ChainItem.key).where(ChainItem.chain == spec.id)))
    for position, item in enumerate(spec.items):
        if item.key not in have:
            session.add(
                ChainItem(
                    chain=spec.id, key=item.key, name=item.name, position=position,
                    owner=item.owner, status=item.status, note=item.note, updated_by=actor.label,
                )
            )  # fmt: skip
    session.flush()


@dataclass(frozen=True)
class Chain:
    row: ChainSpecRow
    spec: chain_spec.ChainSpec


def chains(session: Session, *, actor: Actor) -> list[Chain]:
    """The atlas: the newest version of every chain spec, in the shipped order."""
    actor.require(Permission.ENTERPRISES_READ)
    order = {code: i for i, code in enumerate(SHIPPED)}
    rows = sorted(newest_versions(session), key=lambda r: (order.get(r.code, len(order)), r.code))
    return [Chain(row, parse(row.text)) for row in rows]


def newest_versions(session: Session) -> list[ChainSpecRow]:
    """The newest version of every chain spec."""
    newest: dict[str, ChainSpecRow] = {}
    for row in specversions.versions(session, ChainSpecRow):
        newest.setdefault(row.code, row)
    return list(newest.values())


def chain_or_raise(session: Session, *, actor: Actor, code: str) -> Chain:
    for chain in chains(session, actor=actor):
        if chain.spec.id == code:
            return chain
    raise NotFound(f"没有编号为“{code}”的产业链")


def node_or_raise(chain: Chain, key: str) -> chain_spec.Node:
    for node in chain.spec.nodes:
        if node.key == key:
            return node
    raise NotFound(f"产业链“{chain.spec.name}”没有编号为“{key}”的环节")


def checked_position(
    session: Session, *, actor: Actor, chain: str, node: str = ""
) -> tuple[str | None, str | None]:
    """A chain and node typed on a form, checked (stripped; blank as None): a node without a
    chain, an unknown chain or a node the chain does not have is refused in Chinese."""
    chain, node = chain.strip(), node.strip()
    if not chain:
        if node:
            raise InvalidInput("填写了环节，请同时选择产业链", field="chain")
        return None, None
    try:
        found = chain_or_raise(session, actor=actor, code=chain)
        if node:
            node_or_raise(found, node)
    except NotFound as error:
        raise InvalidInput(error.message, field="node" if node else "chain") from None
    return chain, node or None


def get_items(session: Session, *, actor: Actor, chain: str) -> list[ChainItem]:
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    query = sa.select(ChainItem).where(ChainItem.chain == chain).order_by(ChainItem.position)
    return list(session.scalars(query))


def update_item(
    session: Session, *, actor: Actor, item_id: int, owner: str, status: str, note: str
) -> ChainItem:
    """Change an N个一 item's owner, status and note."""
    actor.require(Permission.CHAINS_MANAGE)
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    item = session.get(ChainItem, item_id)
    if item is None:
        raise NotFound(f"工作事项不存在：{item_id}")
    require_manage(session, actor, item.chain)
    if status not in ITEM_STATUSES:
        raise InvalidInput(
            f"状态只能是{'、'.join(ITEM_STATUSES)}，不能是“{status}”", field="status"
        )
    owner, note = owner.strip(), note.strip()
    if len(owner) > 60:
        raise InvalidInput("责任单位最多 60 个字", field="owner")
    if len(note) > 300:
        raise InvalidInput("备注最多 300 个字", field="note")
    item.owner, item.status, item.note, item.updated_by = owner, status, note, actor.label
    session.flush()
    return item
