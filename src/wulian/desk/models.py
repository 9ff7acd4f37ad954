"""The request desk's tables: configuration versions, requests, their event trail, attachments
and follow-up questionnaires."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.specversions import SpecVersion


class DeskConfigVersion(SpecVersion, Base):
    """One version of the desk's configuration file (states, actions, routes, deadlines …)."""

    __tablename__ = "desk_configs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)


class DeskRequest(Base):
    """One enterprise request (诉求). Its state, department and deadlines follow from its events;
    the columns here are kept current for queues and statistics."""

    __tablename__ = "desk_requests"
    __table_args__ = (
        sa.Index("ix_desk_requests_state_due", "state", "due_at"),
        sa.Index("ix_desk_requests_department_state", "department_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    config_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_configs.id"))
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    suggested_category: Mapped[str | None] = mapped_column(sa.String(32))
    suggested_score: Mapped[float | None]
    priority: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[str] = mapped_column(sa.String(16))
    chain: Mapped[str | None] = mapped_column(sa.String(48), index=True)
    common: Mapped[bool] = mapped_column(default=False)  # 共性诉求 of a chain's firms
    channel: Mapped[str] = mapped_column(sa.String(16))  # portal | api | hotline | visit
    contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(30), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(sa.String(32))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    routed_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[dt.datetime | None]
    due_at: Mapped[dt.datetime | None]  # the nearest running deadline
    due_clock: Mapped[str | None] = mapped_column(sa.String(16))
    clocks: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # key → status …
    warn_at: Mapped[dt.datetime | None]  # when the nearest deadline becomes due soon
    # Some clock was counted on days no official source decides (暂定; which one: clocks[key]
    # ["provisional"]): counted again when the State Council's notice for that year is entered.
    provisional: Mapped[bool] = mapped_column(default=False, index=True)
    warned_at: Mapped[dt.datetime | None]
    escalated_at: Mapped[dt.datetime | None]
    rating: Mapped[int | None]
    rating_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    rated_at: Mapped[dt.datetime | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_requests.id"))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_requests.id"))
    reopened: Mapped[int] = mapped_column(default=0)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012  (concurrent updates refused)

    events: Mapped[list[DeskEvent]] = relationship(
        back_populates="request", order_by="DeskEvent.id", lazy="raise_on_sql"
    )


class DeskEvent(Base):
    """One step in a request's life: who did what, when, from which state to which."""

    __tablename__ = "desk_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_requests.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(sa.String(32))
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str] = mapped_column(sa.String(32))
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(sa.String(100))
    from_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    public: Mapped[bool] = mapped_column(default=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    request: Mapped[DeskRequest] = relationship(back_populates="events")


class DeskAttachment(Base):
    """A file attached to a request, stored outside the database under its SHA-256."""

    __tablename__ = "desk_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_requests.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("desk_events.id"))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(300))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeskSurvey(Base):
    """The follow-up questionnaire (回访) of a closed request."""

    __tablename__ = "desk_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("desk_requests.id"), index=True)
    due_at: Mapped[dt.datetime] = mapped_column(index=True)
    answered_at: Mapped[dt.datetime | None]
    answered_by: Mapped[str | None] = mapped_column(sa.String(100))
    channel: Mapped[str | None] = mapped_column(sa.String(16))  # portal | phone | visit
    solved: Mapped[bool | None]
    satisfaction: Mapped[int | None]  # 1–5
    comment: Mapped[str] = mapped_column(sa.String(500), default="")
