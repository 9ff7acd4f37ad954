"""The enterprise registry: the only module that reads and writes the enterprise tables."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.models import Enterprise
from wulian.enterprises.names import clean_name, name_key


def get(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise | None:
    """The enterprise with enterprise_id, if actor may see it."""
    actor.require_enterprise(enterprise_id)
    return session.get(Enterprise, enterprise_id)


def get_or_raise(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise:
    """The enterprise with enterprise_id, or NotFound; PermissionDenied if actor may not see it."""
    enterprise = get(session, actor=actor, enterprise_id=enterprise_id)
    if enterprise is None:
        raise NotFound(f"企业不存在：{enterprise_id}")
    return enterprise


def get_by_uscc(session: Session, *, code: str) -> Enterprise | None:
    """The enterprise registered under a unified social credit code, if any."""
    return session.scalar(
        sa.select(Enterprise).where(Enterprise.uscc == uscc_check.normalise(code))
    )


def get_by_uscc_or_raise(session: Session, *, code: str) -> Enterprise:
    """The enterprise registered under code, or a clear error."""
    enterprise = get_by_uscc(session, code=code)
    if enterprise is None:
        raise NotFound(f"没有统一社会信用代码为 {code} 的企业")
    return enterprise


def id_for_uscc(session: Session, *, code: str | None) -> int | None:
    """The id of the enterprise registered under code; None when no code is given."""
    if code is None or not code.strip():
        return None
    return get_by_uscc_or_raise(session, code=code.strip()).id


def get_all(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    in_zone: bool | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Enterprise]:
    """Enterprises visible to actor, filtered by name or code, by name."""
    actor.require(Permission.ENTERPRISES_READ)
    query = sa.select(Enterprise)
    if actor.enterprise_id is not None:
        query = query.where(Enterprise.id == actor.enterprise_id)
    if q:
        term = q.strip()
        query = query.where(
            sa.or_(
                Enterprise.name.contains(term, autoescape=True),
                Enterprise.uscc == term.upper(),
            )
        )
    if in_zone is not None:
        query = query.where(Enterprise.in_zone == in_zone)
    query = query.order_by(Enterprise.name, Enterprise.id)
    return paginate(session, query, page=page, per_page=per_page)


def create(
    session: Session, *, actor: Actor, name: str, code: str | None = None, in_zone: bool = True
) -> Enterprise:
    """Register an enterprise; the code, when given, must be valid and not yet registered."""
    actor.require(Permission.ENTERPRISES_WRITE)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("企业名称不能为空，且不超过 200 个字", field="name")
    normalised = uscc_check.normalise(code) if code else None
    if normalised and session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == normalised)):
        raise Conflict(f"统一社会信用代码已登记：{normalised}", field="uscc")
    enterprise = Enterprise(
        name=clean_name(name), name_key=name_key(name), uscc=normalised, in_zone=in_zone
    )
    session.add(enterprise)
    session.flush()
    return enterprise


@dataclass(frozen=True)
class RegistryCounts:
    in_zone: int
    external: int


def counts(session: Session, *, actor: Actor) -> RegistryCounts:
    """How many enterprises are in the zone and outside it (investment-promotion candidates)."""
    actor.require(Permission.ZONE_READ)
    query = sa.select(Enterprise.in_zone, sa.func.count()).group_by(Enterprise.in_zone)
    rows: dict[bool, int] = {bool(in_zone): count for in_zone, count in session.execute(query)}
    return RegistryCounts(in_zone=rows.get(True, 0), external=rows.get(False, 0))
