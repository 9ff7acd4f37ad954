"""Signing ceremonies (集中签约) and the signed projects put on their lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission
from wulian.investment.models import InvestmentProject, SigningEvent
from wulian.investment.pipeline import _require_write, may_write, require_read


def signings(session: Session, *, actor: Actor) -> list[tuple[SigningEvent, int, int]]:
    """Signing ceremonies, newest first, each with its projects' count and total (万元)."""
    require_read(actor)
    totals = (
        sa.select(
            InvestmentProject.signing_id,
            sa.func.count().label("n"),
            sa.func.sum(InvestmentProject.amount_wan).label("wan"),
        )
        .group_by(InvestmentProject.signing_id)
        .subquery()
    )
    query = (
        sa.select(SigningEvent, totals.c.n, totals.c.wan)
        .outerjoin(totals, totals.c.signing_id == SigningEvent.id)
        .order_by(SigningEvent.held_on.desc(), SigningEvent.id.desc())
    )
    return [(e, int(n or 0), int(wan or 0)) for e, n, wan in session.execute(query)]


def create_signing(
    session: Session, *, actor: Actor, today: dt.date, name: str, held_on: dt.date | None,
    place: str = "",
) -> SigningEvent:  # fmt: skip
    """Enter a signing ceremony (集中签约)."""
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("签约活动名称不能为空，且不超过 100 个字", field="name")
    if held_on is None:
        raise InvalidInput("请填写签约活动日期", field="held_on")
    if held_on > today + dt.timedelta(days=366):
        raise InvalidInput(f"签约活动日期 {held_on} 过远", field="held_on")
    event = SigningEvent(
        name=name, held_on=held_on, place=place.strip()[:100], created_by=actor.label
    )
    session.add(event)
    session.flush()
    return event


def get_signing_or_raise(session: Session, *, actor: Actor, signing_id: int) -> SigningEvent:
    require_read(actor)
    event = session.get(SigningEvent, signing_id)
    if event is None:
        raise NotFound(f"没有编号为 {signing_id} 的签约活动")
    return event


def signing_projects(session: Session, *, actor: Actor, signing_id: int) -> list[InvestmentProject]:
    require_read(actor)
    query = sa.select(InvestmentProject).where(InvestmentProject.signing_id == signing_id)
    return list(session.scalars(query.order_by(InvestmentProject.amount_wan.desc())))


def signable(session: Session, *, actor: Actor) -> list[InvestmentProject]:
    """Signed projects not yet at any ceremony, that actor may change."""
    require_read(actor)
    query = sa.select(InvestmentProject).where(
        InvestmentProject.signed_on.is_not(None), InvestmentProject.signing_id.is_(None)
    )
    rows = session.scalars(query.order_by(InvestmentProject.name_pinyin, InvestmentProject.id))
    return [p for p in rows if may_write(actor, p)]


def attach(session: Session, *, actor: Actor, signing_id: int, project_ids: Sequence[int]) -> int:
    """Put signed projects on a ceremony's list; each must be signed and actor's to change."""
    event = get_signing_or_raise(session, actor=actor, signing_id=signing_id)
    if not project_ids:
        raise InvalidInput("请勾选要列入签约活动的项目", field="project_ids")
    for pid in project_ids:
        project = session.get(InvestmentProject, pid)
        if project is None:
            raise NotFound(f"没有编号为 {pid} 的招商项目")
        _require_write(session, actor, project)
        if project.signed_on is None:
            raise InvalidInput(f"项目“{project.name}”尚未签约，不能列入签约活动")
        if project.signing_id is not None and project.signing_id != event.id:
            raise Conflict(f"项目“{project.name}”已列入另一场签约活动")
        project.signing_id = event.id
    session.flush()
    return len(project_ids)
