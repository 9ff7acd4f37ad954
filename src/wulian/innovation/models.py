"""Innovation-points tables: versioned specs, evaluation runs, their results, objections made
during public notice, and firms' consent to share their scores with banks."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.runs import PublishedRun
from wulian.core.specversions import SpecVersion


class SpecKind(StrEnum):
    INDEX = "index"  # an index spec (engines/index)
    CREDIT = "credit"  # a credit-tier spec (innovation/credit.py)


class InnovationSpec(SpecVersion, Base):
    """One version of a spec file. Versions are never edited: an edit is a new version."""

    __tablename__ = "innovation_specs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    kind: Mapped[str] = mapped_column(sa.String(16))


class InnovationRun(PublishedRun, Base):
    """An evaluation: a spec version on a period's facts, with its result rows."""

    __tablename__ = "innovation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(sa.ForeignKey("innovation_specs.id"), index=True)
    credit_spec_id: Mapped[int | None] = mapped_column(sa.ForeignKey("innovation_specs.id"))
    firms: Mapped[int]  # in scope
    scored: Mapped[int]  # with points
    missing_values: Mapped[int]  # unknown inputs across all firms and indicators
    # cohort → {"size": n, "median": {key: v}, "p75": {key: v}} over indicators and aggregates
    cohort_stats: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    spec: Mapped[InnovationSpec] = relationship(foreign_keys=[spec_id])
    credit_spec: Mapped[InnovationSpec | None] = relationship(foreign_keys=[credit_spec_id])


class InnovationResult(Base):
    """A firm's result in a run (written in bulk with the run; the run's audit entry covers it)."""

    __tablename__ = "innovation_results"
    __audit__ = False
    __table_args__ = (
        sa.UniqueConstraint("run_id", "enterprise_id"),
        sa.Index("ix_innovation_results_run_cohort_rank", "run_id", "cohort", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("innovation_runs.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    cohort: Mapped[str] = mapped_column(sa.String(40))
    points: Mapped[float | None]
    rank: Mapped[int | None]
    cohort_size: Mapped[int]
    percentile: Mapped[float | None]  # share of the cohort scoring at most as much, 0–100
    band: Mapped[str | None] = mapped_column(sa.String(40))
    credit_line: Mapped[float | None]  # 万元
    # {"scores": {aggregate: v}, "raw": {indicator: v}, "normalised": {...},
    #  "contribution": {...}, "imputed": [keys]}
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class ObjectionOutcome(StrEnum):
    OPEN = "open"
    UPHELD = "upheld"  # the objection is right; the bureau corrects the data and runs again
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {"open": "待答复", "upheld": "成立", "rejected": "不成立"}[self.value]


class Objection(Base):
    """An objection to a run's result raised during its public notice, and its answer."""

    __tablename__ = "innovation_objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("innovation_runs.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    text: Mapped[str] = mapped_column(sa.String(2000))
    submitted_by: Mapped[str] = mapped_column(sa.String(100))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    outcome: Mapped[str] = mapped_column(sa.String(16), default=ObjectionOutcome.OPEN.value)
    answer: Mapped[str | None] = mapped_column(sa.String(2000))
    answered_by: Mapped[str | None] = mapped_column(sa.String(100))
    answered_at: Mapped[dt.datetime | None]


class CreditConsent(Base):
    """Whether a firm lets partner banks read its innovation points through the API."""

    __tablename__ = "innovation_credit_consents"

    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), primary_key=True)
    granted: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[str] = mapped_column(sa.String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
