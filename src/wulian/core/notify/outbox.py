"""Sending the email and SMS of committed notifications, outside any request.

`deliver` claims pending rows in one short transaction, sends them with no transaction open,
then records the outcome in another: a notification whose change rolled back was never written,
so it is never sent, and no request waits on a mail server. A row claimed by a delivery that
died is claimed again after `STALE` (at least once: such a message may arrive twice). A message
the server refuses is tried again at the next delivery, up to `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from wulian.core.auth.models import User
from wulian.core.db import unit_of_work, utcnow
from wulian.core.notify.kinds import KINDS
from wulian.core.notify.models import FAILED, PENDING, SENDING, SENT, Notification
from wulian.core.notify.senders import EmailSender, SendFailed, SmsSender, SmtpSender, sms_sender
from wulian.core.settings import Settings

log = logging.getLogger(__name__)
BATCH = 200
MAX_ATTEMPTS = 5
STALE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class Delivered:
    sent: int = 0
    failed: int = 0  # failed this time (tried again later unless out of attempts)


@dataclass(frozen=True)
class _Job:
    id: int
    address: str
    subject: str
    body: str


def _state(channel: str) -> sa.orm.InstrumentedAttribute[str | None]:
    return Notification.email_state if channel == "email" else Notification.sms_state


def _claim(
    sessions: sessionmaker[Session], channel: str, at: dt.datetime, limit: int
) -> list[_Job]:
    state = _state(channel)
    contact = User.email if channel == "email" else User.phone
    with unit_of_work(sessions) as session:
        ids = session.scalars(
            sa.select(Notification.id)
            .where(
                sa.or_(
                    state == PENDING,
                    sa.and_(state == SENDING, Notification.claimed_at < at - STALE),
                )
            )
            .order_by(Notification.id)
            .limit(limit)
        ).all()
        if not ids:
            return []
        # the guard on the state makes a concurrent delivery claim each row at most once
        claimable = sa.or_(
            state == PENDING, sa.and_(state == SENDING, Notification.claimed_at < at - STALE)
        )
        claimed = session.scalars(
            sa.update(Notification)
            .where(Notification.id.in_(ids), claimable)
            .values({state: SENDING, Notification.claimed_at: at})
            .returning(Notification.id),
            execution_options={"synchronize_session": False},
        ).all()
        rows = session.execute(
            sa.select(Notification, contact)
            .join(User, User.id == Notification.user_id)
            .where(Notification.id.in_(claimed))
            .order_by(Notification.id)
        ).all()
        return [_Job(n.id, address or "", n.title, _body(n)) for n, address in rows]


def _body(n: Notification) -> str:
    kind = KINDS.get(n.kind)
    lines = [n.title]
    if n.body:
        lines += ["", n.body]
    if n.link:
        lines += ["", f"查看：{n.link}"]
    lines += [
        "",
        f"（{kind.label if kind else '通知'}。可在平台“我的通知 → 通知设置”中更改接收方式。）",
    ]
    return "\n".join(lines)


def deliver(
    sessions: sessionmaker[Session],
    *,
    email: EmailSender | None,
    sms: SmsSender | None,
    base_url: str = "",
    now: dt.datetime | None = None,
    limit: int = BATCH,
) -> Delivered:
    """Send pending email (when email is on) and SMS; record what was sent."""
    sent = failed = 0
    channels: list[tuple[str, Callable[[_Job], None]]] = []
    if email is not None:
        channels.append(
            ("email", lambda j: email.send(j.address, j.subject, _with_base(j.body, base_url)))
        )
    if sms is not None:
        channels.append(("sms", lambda j: sms.send(j.address, j.subject)))
    for channel, send in channels:
        jobs = _claim(sessions, channel, now or utcnow(), limit)
        outcome: dict[int, bool] = {}
        for job in jobs:
            try:
                if not job.address:
                    raise SendFailed("没有联系地址")
                send(job)
                outcome[job.id] = True
            except Exception as error:  # a provider's failure of any kind: tried again later
                log.warning("通知 %s 发送失败（%s）：%s", job.id, channel, error)
                outcome[job.id] = False
        if outcome:
            _record(sessions, channel, outcome)
        sent += sum(outcome.values())
        failed += len(outcome) - sum(outcome.values())
    return Delivered(sent, failed)


def _with_base(body: str, base_url: str) -> str:
    if not base_url:
        return body
    return body.replace("查看：/", f"查看：{base_url.rstrip('/')}/")


def _record(sessions: sessionmaker[Session], channel: str, outcome: dict[int, bool]) -> None:
    state = _state(channel)
    with unit_of_work(sessions) as session:
        done = [i for i, ok in outcome.items() if ok]
        if done:
            session.execute(
                sa.update(Notification).where(Notification.id.in_(done)).values({state: SENT}),
                execution_options={"synchronize_session": False},
            )
        for i in (i for i, ok in outcome.items() if not ok):
            row = session.get(Notification, i)
            if row is None:
                continue
            row.attempts += 1
            setattr(row, channel + "_state", FAILED if row.attempts >= MAX_ATTEMPTS else PENDING)


@dataclass(frozen=True)
class Outbox:
    """The senders the settings name, ready to deliver (email only when `smtp_host` is set)."""

    email: EmailSender | None
    sms: SmsSender | None
    base_url: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> Outbox:
        return cls(SmtpSender.from_settings(settings), sms_sender(settings), settings.base_url)

    def deliver(self, sessions: sessionmaker[Session], now: dt.datetime | None = None) -> Delivered:
        return deliver(sessions, email=self.email, sms=self.sms, base_url=self.base_url, now=now)
