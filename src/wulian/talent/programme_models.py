"""The talent programme tables (人才项目: 南孔精英, 领军人才 …): programmes with their scoring
criteria, rounds with a deadline and their experts, applications for one person, the experts'
scores, and an award's instalments with their milestones.

An award is paid through the policy domain: the instalments due in a year, with their milestone
met, are an input of the policy `talent_award` (see `service.award_due`), so the policy run lists
the firm and the talent office approves the payout there, once per firm and year.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow


class Programme(Base):
    """A talent programme: its award range and the criteria experts score (key, name, max)."""

    __tablename__ = "talent_programmes"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    summary: Mapped[str] = mapped_column(sa.String(1000), default="")
    min_award_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    max_award_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProgrammeRound(Base):
    """One round of a programme (申报批次): applications until the deadline, then review by the
    round's experts (staff user ids)."""

    __tablename__ = "talent_programme_rounds"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_programmes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    opens_on: Mapped[dt.date]
    closes_on: Mapped[dt.date]  # the last day applications are taken
    reviewers: Mapped[list[int]] = mapped_column(JSONType, default=list)  # user ids
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProgrammeApplication(Base):
    """An application of one person to a round (by the person's firm, or by the talent office),
    and the award decision."""

    __tablename__ = "talent_programme_applications"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "person_id", name="uq_talent_application_person"),
    )
    __audit__ = True
    __audit_mask__ = frozenset({"summary"})  # the person's achievements and plans, in free text

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("talent_programme_rounds.id"), index=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_people.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    summary: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))  # submitted | awarded | declined
    submitted_on: Mapped[dt.date]
    amount_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    decided_on: Mapped[dt.date | None]
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="")
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class ProgrammeReview(Base):
    """One expert's scores of one application (criterion key → score), once."""

    __tablename__ = "talent_programme_reviews"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "reviewer_id", name="uq_talent_review_expert"),
    )
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_programme_applications.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reviewer_label: Mapped[str] = mapped_column(sa.String(100))
    scores: Mapped[dict[str, float]] = mapped_column(JSONType, default=dict)
    total: Mapped[float]
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AwardInstalment(Base):
    """One instalment of an award: the year it falls due, its amount and the milestone that must
    be met (confirmed by the talent office) before it is paid."""

    __tablename__ = "talent_award_instalments"
    __table_args__ = (
        sa.UniqueConstraint("application_id", "seq", name="uq_talent_instalment_seq"),
        sa.CheckConstraint("amount_yuan > 0", name="instalment_amount_positive"),
    )
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_programme_applications.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int]
    year: Mapped[int]
    amount_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    milestone: Mapped[str] = mapped_column(sa.String(200))
    met_on: Mapped[dt.date | None]
    met_by: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
