"""The policy tables: policy files as versions, evaluation runs with their outcomes, payouts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.runs import EvaluationRun
from wulian.core.specversions import SpecVersion


class PolicyVersion(SpecVersion, Base):
    """One version of a policy file (code = the policy id; an edit is a new version)."""

    __tablename__ = "policy_versions"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    category: Mapped[str] = mapped_column(sa.String(8), default="")
    document: Mapped[str] = mapped_column(sa.String(200), default="")


class PolicyRun(EvaluationRun, Base):
    """Every firm of the zone against the newest version of every policy, for one period."""

    __tablename__ = "policy_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    versions: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # code → version id
    skipped: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # code → why
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # code → status → n


class PolicyOutcome(Base):
    """A firm against a policy in a run (written in bulk; the run's audit entry covers them)."""

    __tablename__ = "policy_outcomes"
    __audit__ = False
    __table_args__ = (
        sa.UniqueConstraint("run_id", "policy_code", "enterprise_id"),
        sa.Index("ix_policy_outcomes_run_policy_status", "run_id", "policy_code", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("policy_runs.id", ondelete="CASCADE"), index=True
    )
    policy_code: Mapped[str] = mapped_column(sa.String(64))
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))  # eligible | ineligible | unknown
    amount: Mapped[float | None]
    score: Mapped[float | None]
    missing: Mapped[list[str]] = mapped_column(JSONType, default=list)  # input keys
    failed: Mapped[list[str]] = mapped_column(JSONType, default=list)  # condition keys
    worst: Mapped[float | None]  # the largest shortfall of a failed condition
    near: Mapped[bool] = mapped_column(default=False)  # in the cultivation pool
    mode: Mapped[str | None] = mapped_column(sa.String(8))  # 免申即享 | 快申快享
    supply: Mapped[list[str]] = mapped_column(JSONType, default=list)  # to supply or verify


class Payout(Base):
    """An approved payout (兑现): once per firm, policy and period, whatever the run."""

    __tablename__ = "policy_payouts"
    __table_args__ = (sa.UniqueConstraint("policy_code", "period", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))  # the run's period, YYYY
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_runs.id"))
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("policy_versions.id"))
    amount: Mapped[float | None]
    mode: Mapped[str] = mapped_column(sa.String(8))
    approved_by: Mapped[str] = mapped_column(sa.String(100))
    approved_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    run: Mapped[PolicyRun] = relationship()
