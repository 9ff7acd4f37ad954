"""亩均效益 tables: versioned spec files, yearly evaluation runs and each firm's result."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType
from wulian.core.runs import PublishedRun
from wulian.core.specversions import SpecVersion


class LanduseSpec(SpecVersion, Base):
    """One version of a 亩均效益 spec file (an edit is a new version)."""

    __tablename__ = "landuse_specs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)


class LanduseRun(PublishedRun, Base):
    """One year's evaluation: a spec version on that year's facts and registry."""

    __tablename__ = "landuse_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int] = mapped_column(sa.ForeignKey("landuse_specs.id"), index=True)
    benchmarks: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # group → item → v
    averages: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # group → item → v
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # status/class → n

    spec: Mapped[LanduseSpec] = relationship()


class LanduseResult(Base):
    """A firm's result in a run (written in bulk with the run; the run's audit entry covers it)."""

    __tablename__ = "landuse_results"
    __audit__ = False
    __table_args__ = (
        sa.UniqueConstraint("run_id", "enterprise_id"),
        sa.Index("ix_landuse_results_run_grade", "run_id", "group", "grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("landuse_runs.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    group: Mapped[str] = mapped_column(sa.String(8))  # above 规上 | below 规下
    status: Mapped[str] = mapped_column(sa.String(16))  # rated | T | rented | out | incomplete
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    score: Mapped[float | None]
    rank: Mapped[int | None]
    size: Mapped[int | None]  # firms ranked in the group
    grade: Mapped[str | None] = mapped_column(sa.String(8))  # A, B, C, D or T
    low: Mapped[bool] = mapped_column(default=False)  # 亩均税收 below the line
    tax_per_mu: Mapped[float | None]
    value_added_per_mu: Mapped[float | None]
    # item → {"value", "benchmark", "ratio", "points", "weight", "averaged"}; "bonus" → points
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
