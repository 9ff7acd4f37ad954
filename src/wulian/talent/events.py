"""Recruitment events (人才周, campus fairs): an event's dates and place, the zone firms' posts it
offered (existing talent posts), its candidates, and per post the intentions and signings
(counts only, no personal data); totals per event and per chain.

A count not given is unknown (None), never zero; a total over unknown counts shows "—". The talent
office writes; zone staff with talent.read see every figure; a firm's user sees only the figures
of its own posts. Every table is audited through its `__audit__` flag.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from wulian.chains import service as chains_service
from wulian.core.db import Base, utcnow
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.talent import colleges, service
from wulian.talent.models import Post

OFFICE_WRITES = "人才周活动由人才办工作人员登记"


class Event(Base):
    """A recruitment event (人才周) at a university or elsewhere."""

    __tablename__ = "talent_events"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    starts_on: Mapped[dt.date]
    ends_on: Mapped[dt.date]
    place: Mapped[str] = mapped_column(sa.String(200), default="")  # place or university
    candidates: Mapped[int | None]  # None: unknown
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class EventPost(Base):
    """A post offered at an event, with the intentions (意向) and signings (签约) it brought."""

    __tablename__ = "talent_event_posts"
    __table_args__ = (sa.UniqueConstraint("event_id", "post_id", name="uq_talent_event_post"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_events.id"), index=True)
    post_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_posts.id"), index=True)
    intentions: Mapped[int | None]
    signings: Mapped[int | None]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def require_write(session: Session, actor: Actor) -> None:
    actor.require(Permission.TALENT_WRITE)
    if not service.in_office(session, actor):
        raise PermissionDenied(OFFICE_WRITES)


def _day(value: dt.date | str, label: str, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip().replace("/", "-")[:10])
    except ValueError:
        raise InvalidInput(
            f"{label}“{value}”格式应为 YYYY-MM-DD", field=name, value=str(value)
        ) from None


def create_event(
    session: Session, *, actor: Actor, name: str, starts_on: dt.date | str,
    ends_on: dt.date | str, place: str = "", candidates: int | str | None = None,
) -> Event:  # fmt: skip
    """Enter an event, checked in full before it is written."""
    require_write(session, actor)
    title = name.strip()
    if not title or len(title) > 100:
        raise InvalidInput("活动名称不能为空，且不超过 100 个字", field="name", value=title[:100])
    start = _day(starts_on, "开始日期", "starts_on")
    end = _day(ends_on, "结束日期", "ends_on")
    if end < start:
        raise InvalidInput(
            f"结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}", field="ends_on"
        )
    if len(place.strip()) > 200:
        raise InvalidInput("地点不超过 200 个字", field="place")
    event = Event(
        name=title, starts_on=start, ends_on=end, place=place.strip(),
        candidates=colleges._count(candidates, "应聘人数", "candidates"), created_by=actor.label,
    )  # fmt: skip
    session.add(event)
    session.flush()
    return event


def record_post(
    session: Session, *, actor: Actor, event_id: int, post_id: int,
    intentions: int | str | None = None, signings: int | str | None = None,
) -> EventPost:  # fmt: skip
    """Link a post to an event (or correct its figures): signings cannot exceed intentions."""
    require_write(session, actor)
    if session.get(Event, event_id) is None:
        raise NotFound("没有这场活动")
    if session.get(Post, post_id) is None:
        raise InvalidInput(f"没有编号为 {post_id} 的岗位", field="post_id", value=str(post_id))
    wanted = colleges._count(intentions, "意向人数", "intentions")
    signed = colleges._count(signings, "签约人数", "signings")
    if wanted is not None and signed is not None and signed > wanted:
        raise InvalidInput(
            f"签约人数 {signed} 超过意向人数 {wanted}", field="signings", value=str(signed)
        )
    found = session.scalar(
        sa.select(EventPost).where(EventPost.event_id == event_id, EventPost.post_id == post_id)
    )
    if found is None:
        found = EventPost(event_id=event_id, post_id=post_id, created_by=actor.label)
        session.add(found)
    found.intentions, found.signings = wanted, signed
    session.flush()
    return found


# ---------------------------------------------------------------- reading


def _sum(values: list[int | None]) -> int | None:
    return None if None in values else sum(v or 0 for v in values)


@dataclass
class PostFigures:
    post_id: int
    title: str
    firm: str
    chain_name: str
    openings: int
    intentions: int | None
    signings: int | None


@dataclass
class ChainTotal:
    chain_name: str
    posts: int = 0
    openings: int = 0
    intentions: int | None = 0
    signings: int | None = 0


@dataclass
class EventView:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    place: str
    candidates: int | None
    posts: list[PostFigures] = field(default_factory=list)
    chains: list[ChainTotal] = field(default_factory=list)

    @property
    def openings(self) -> int:
        return sum(p.openings for p in self.posts)

    @property
    def intentions(self) -> int | None:
        return _sum([p.intentions for p in self.posts])

    @property
    def signings(self) -> int | None:
        return _sum([p.signings for p in self.posts])


def list_events(session: Session, *, actor: Actor, event_id: int | None = None) -> list[EventView]:
    """Events, newest first, with their posts' figures and totals per chain; a firm's user sees
    only its own posts (and not the candidates, which are the event's)."""
    actor.require(Permission.TALENT_READ)
    firm = actor.enterprise_id
    query = sa.select(Event).order_by(Event.starts_on.desc(), Event.id.desc())
    if event_id is not None:
        query = query.where(Event.id == event_id)
    found = list(session.scalars(query))
    if event_id is not None and not found:
        raise NotFound("没有这场活动")
    links = sa.select(EventPost, Post).join(Post, Post.id == EventPost.post_id)
    links = links.where(EventPost.event_id.in_([e.id for e in found])).order_by(EventPost.id)
    if firm is not None:
        links = links.where(Post.enterprise_id == firm)
    rows = session.execute(links).all()
    firms = read.names(session, {p.enterprise_id for _, p in rows})
    chain_names = {c.spec.id: c.spec.name for c in chains_service.chains(session, actor=actor)}
    views = {
        e.id: EventView(
            e.id, e.name, e.starts_on, e.ends_on, e.place,
            e.candidates if firm is None else None,
        )
        for e in found
    }  # fmt: skip
    for link, post in rows:
        views[link.event_id].posts.append(
            PostFigures(
                post.id, post.title, firms.get(post.enterprise_id, ""),
                chain_names.get(post.chain or "", post.chain or "未归链"), post.openings,
                link.intentions, link.signings,
            )
        )  # fmt: skip
    for view in views.values():
        totals: dict[str, ChainTotal] = {}
        for p in view.posts:
            total = totals.setdefault(p.chain_name, ChainTotal(p.chain_name))
            total.posts += 1
            total.openings += p.openings
            total.intentions = _sum([total.intentions, p.intentions])
            total.signings = _sum([total.signings, p.signings])
        view.chains = sorted(totals.values(), key=lambda t: -t.openings)
    return [views[e.id] for e in found]


def shown(value: int | None) -> str:
    return "—" if value is None else str(value)
