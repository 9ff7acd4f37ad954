"""Notifications: written in the caller's transaction, read only by the user they are for.

`notify` adds one row per recipient in the session of the change that caused it, so a change
that rolls back leaves no notification behind. Email and SMS are never sent from a request:
`notify` marks a row's channel "pending" when the user gave an address and wants that kind by
that channel, and the outbox (`outbox.deliver`, run after each sweep of `wulian serve`) sends
what was committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth import service as auth_service
from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.notify.kinds import KINDS, Kind, kind_or_raise
from wulian.core.notify.models import PENDING, Notification, NotificationPreference
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Role

PER_PAGE = 20


def notify(
    session: Session,
    *,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    skip: int | None = None,
) -> list[Notification]:
    """Notify each active user of user_ids (but skip, usually whoever acted) in the caller's
    transaction; email and SMS are queued for the outbox as each user chose."""
    spec = kind_or_raise(kind)
    ids = sorted({i for i in user_ids if i != skip})
    if not ids:
        return []
    users = session.execute(
        sa.select(User.id, User.email, User.phone).where(User.id.in_(ids), User.is_active)
    ).all()
    chosen = _choices(session, [u.id for u in users], spec)
    rows = []
    for user in users:
        email, sms = chosen[user.id]
        rows.append(
            Notification(
                user_id=user.id, kind=kind, title=title[:200], body=body, link=link[:500],
                email_state=PENDING if email and user.email else None,
                sms_state=PENDING if sms and user.phone else None,
            )
        )  # fmt: skip
    session.add_all(rows)
    session.flush()
    return rows


def notify_department(
    session: Session, *, department_id: int | None, skip: int | None = None, **what: str
) -> list[Notification]:
    """Notify the officers of a department (see `notify` for what)."""
    if department_id is None:
        return []
    ids = session.scalars(
        sa.select(User.id).where(User.department_id == department_id, User.role == Role.OFFICER)
    ).all()
    return notify(session, user_ids=ids, skip=skip, **what)


def notify_department_code(
    session: Session, *, code: str | None, skip: int | None = None, **what: str
) -> list[Notification]:
    """Notify the officers of the department with that code (a spec's or a metric's owner)."""
    if not code:
        return []
    department_id = session.scalar(sa.select(Department.id).where(Department.code == code))
    return notify_department(session, department_id=department_id, skip=skip, **what)


def notify_enterprises(
    session: Session,
    *,
    enterprise_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
) -> list[Notification]:
    """Notify the users of each firm in enterprise_ids; "{enterprise_id}" in link becomes the
    firm's id (each firm's own page)."""
    ids = sorted(set(enterprise_ids))
    if not ids:
        return []
    users = session.execute(
        sa.select(User.enterprise_id, User.id)
        .where(User.enterprise_id.in_(ids), User.role == Role.ENTERPRISE)
        .order_by(User.enterprise_id, User.id)
    ).all()
    by_firm: dict[int, list[int]] = {}
    for firm, user in users:
        if firm is not None:
            by_firm.setdefault(firm, []).append(user)
    rows: list[Notification] = []
    for firm, user_ids in by_firm.items():
        rows += notify(
            session, user_ids=user_ids, kind=kind, title=title, body=body,
            link=link.replace("{enterprise_id}", str(firm)),
        )  # fmt: skip
    return rows


def _choices(session: Session, user_ids: list[int], spec: Kind) -> dict[int, tuple[bool, bool]]:
    rows = session.execute(
        sa.select(
            NotificationPreference.user_id,
            NotificationPreference.email,
            NotificationPreference.sms,
        ).where(
            NotificationPreference.user_id.in_(user_ids), NotificationPreference.kind == spec.key
        )
    ).all()
    chosen = {r.user_id: (r.email, r.sms) for r in rows}
    return {i: chosen.get(i, (spec.email, spec.sms)) for i in user_ids}


# ---------------------------------------------------------------- the user's own


def _own(actor: Actor) -> int:
    if actor.kind != "user" or actor.id is None:
        raise PermissionDenied("通知只发给登录的用户本人")
    return actor.id


def get_all(
    session: Session, *, actor: Actor, page: int = 1, unread_only: bool = False
) -> Page[Notification]:
    """The actor's own notifications, newest first."""
    query = sa.select(Notification).where(Notification.user_id == _own(actor))
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc())
    return paginate(session, query, page=page, per_page=PER_PAGE)


def unread_count(session: Session, *, user_id: int) -> int:
    """How many notifications of the user are unread (the header's bell)."""
    count = session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )
    return int(count or 0)


def count_unread(session: Session, *, actor: Actor) -> int:
    """How many of the actor's own notifications are unread."""
    return unread_count(session, user_id=_own(actor))


def get_or_raise(session: Session, *, actor: Actor, notification_id: int) -> Notification:
    """One of the actor's notifications; another user's is as if it did not exist."""
    row = session.get(Notification, notification_id)
    if row is None or row.user_id != _own(actor):
        raise NotFound("通知不存在")
    return row


def mark_read(
    session: Session, *, actor: Actor, notification_id: int, now: dt.datetime | None = None
) -> Notification:
    """Mark one of the actor's notifications read (reading it twice keeps the first time)."""
    row = get_or_raise(session, actor=actor, notification_id=notification_id)
    if row.read_at is None:
        row.read_at = now or utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> int:
    """Mark every unread notification of the actor read; how many were."""
    result = session.execute(
        sa.update(Notification)
        .where(Notification.user_id == _own(actor), Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


# ---------------------------------------------------------------- preferences


def preferences(session: Session, *, actor: Actor) -> dict[str, tuple[bool, bool]]:
    """Per kind, whether the actor gets it by email and by SMS."""
    user_id = _own(actor)
    rows = session.scalars(
        sa.select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    ).all()
    chosen = {r.kind: (r.email, r.sms) for r in rows}
    return {key: chosen.get(key, (k.email, k.sms)) for key, k in KINDS.items()}


def contact(session: Session, *, actor: Actor) -> tuple[str, str]:
    """The actor's email address and mobile number ("" when not given)."""
    user = session.get(User, _own(actor))
    if user is None:
        raise NotFound("用户不存在")
    return user.email or "", user.phone or ""


def update_preferences(
    session: Session,
    *,
    actor: Actor,
    email_address: str,
    phone: str,
    email_kinds: Iterable[str],
    sms_kinds: Iterable[str],
) -> None:
    """Save the actor's address, number and choice of kinds by email and by SMS."""
    user = session.get(User, _own(actor))
    if user is None:
        raise NotFound("用户不存在")
    address, number = auth_service.clean_contact(email_address, phone)
    by_email, by_sms = set(email_kinds), set(sms_kinds)
    unknown = (by_email | by_sms) - KINDS.keys()
    if unknown:
        raise InvalidInput(f"没有这类通知：{'、'.join(sorted(unknown))}", field="kinds")
    user.email, user.phone = address, number
    existing = {
        r.kind: r
        for r in session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for key in KINDS:
        row = existing.get(key)
        if row is None:
            row = NotificationPreference(user_id=user.id, kind=key)
            session.add(row)
        row.email, row.sms = key in by_email, key in by_sms
    session.flush()
