"""The pipeline's tables: the stage table an administrator edits, projects, their stage history
and signing ceremonies (集中签约). Money is kept in whole 万元 (integers), never as floats."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wulian.core.db import Base, JSONType, utcnow


class InvestmentStage(Base):
    """One stage of the pipeline (线索, 接洽 … 达产, 终止), in order, with the stages a project
    may move to from it and the days after which a project resting in it is stale."""

    __tablename__ = "investment_stages"

    key: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(40), unique=True)
    position: Mapped[int]
    next_keys: Mapped[list[str]] = mapped_column(JSONType, default=list)
    stale_days: Mapped[int | None]  # None: never stale (达产, 终止)
    signed: Mapped[bool] = mapped_column(default=False)  # reaching it counts as signed (签约)
    closed: Mapped[bool] = mapped_column(default=False)  # dropped: out of the funnel
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class SigningEvent(Base):
    """A signing ceremony (集中签约) and the projects signed at it."""

    __tablename__ = "investment_signings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    held_on: Mapped[dt.date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(sa.String(100), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InvestmentProject(Base):
    """One project from lead to production. The firm is a registry firm (enterprise_id) or a new
    firm known by name (and credit code, if given) until it registers."""

    __tablename__ = "investment_projects"
    __table_args__ = (
        sa.Index("ix_investment_projects_stage_team", "stage", "team_id"),
        sa.Index("ix_investment_projects_name_pinyin", "name_pinyin", "id"),
        sa.CheckConstraint("amount_wan > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_pinyin: Mapped[str] = mapped_column(sa.String(400))
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))  # the registry's name, or the new firm's
    firm_uscc: Mapped[str | None] = mapped_column(sa.String(18))
    reinvestment: Mapped[bool] = mapped_column(
        default=False
    )  # 再投资 / 二期 of a firm already here
    amount_wan: Mapped[int] = mapped_column(sa.BigInteger)  # total investment, 万元
    fixed_asset_wan: Mapped[int | None] = mapped_column(sa.BigInteger)  # of which fixed assets
    industry_code: Mapped[str | None] = mapped_column(sa.String(8))  # GB/T 4754
    manufacturing: Mapped[bool] = mapped_column(default=False)
    high_tech: Mapped[bool] = mapped_column(default=False)
    chain: Mapped[str | None] = mapped_column(sa.String(48), index=True)
    node: Mapped[str | None] = mapped_column(sa.String(64))
    source: Mapped[str] = mapped_column(sa.String(16), index=True)
    fund_name: Mapped[str] = mapped_column(sa.String(100), default="")  # 基金招商 / 以投促引
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    stage: Mapped[str] = mapped_column(sa.ForeignKey("investment_stages.key"))
    stage_since: Mapped[dt.date]
    lead_on: Mapped[dt.date]
    signed_on: Mapped[dt.date | None] = mapped_column(index=True)
    signing_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investment_signings.id"), index=True
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012  (concurrent moves refused)

    events: Mapped[list[StageEvent]] = relationship(
        back_populates="project", order_by="StageEvent.id", lazy="raise_on_sql"
    )


class StageEvent(Base):
    """A project's move from one stage to another (or its entry as a lead), with the day."""

    __tablename__ = "investment_stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investment_projects.id", ondelete="CASCADE"), index=True
    )
    from_stage: Mapped[str | None] = mapped_column(sa.String(32))
    to_stage: Mapped[str] = mapped_column(sa.String(32))
    moved_on: Mapped[dt.date]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    project: Mapped[InvestmentProject] = relationship(back_populates="events")


class ApproachPlan(Base):
    """攻关路径: how a team means to approach a target firm of the 招商图谱 (a gap node of a chain,
    or an application domain for 延链): the contact route (以商招商 through a zone firm that buys
    from or sells to it, a fund, alumni, an event …), the steps, the next follow-up; once the
    firm is ready to talk, the plan becomes a lead of the pipeline (project_id)."""

    __tablename__ = "investment_approach_plans"
    __table_args__ = (sa.Index("ix_investment_approach_plans_gap", "chain", "node"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[str] = mapped_column(sa.String(48))
    node: Mapped[str] = mapped_column(sa.String(64))  # a node key, or an application domain's
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    route: Mapped[str] = mapped_column(sa.String(16))  # a key of approach.ROUTES
    via_enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"))
    fund_name: Mapped[str] = mapped_column(sa.String(100), default="")
    steps: Mapped[str] = mapped_column(sa.Text, default="")
    next_step: Mapped[str] = mapped_column(sa.String(200), default="")
    next_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="planned")
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investment_projects.id", ondelete="SET NULL"), index=True
    )
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class AnnualTask(Base):
    """A team's 招商 task for a year, set by an administrator: signed projects, signed investment
    (万元) and projects started (开工); None where that part of the task is not set."""

    __tablename__ = "investment_annual_tasks"
    __table_args__ = (sa.UniqueConstraint("year", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    task_signed: Mapped[int | None]
    task_signed_wan: Mapped[int | None] = mapped_column(sa.BigInteger)
    task_started: Mapped[int | None]
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProjectDocument(Base):
    """A document of a project (合同, 投资协议, 可研报告 …), stored by core.files under its
    SHA-256 and checked against it when read."""

    __tablename__ = "investment_project_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("investment_projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16))  # a key of documents.KINDS
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    path: Mapped[str] = mapped_column(sa.String(300))
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SupplyTie(Base):
    """A supply tie between a zone firm and an external firm (a registry firm, or one known only
    by name): the zone firm buys the product from it (采购自) or sells the product to it (供货给),
    with the yearly amount (万元) where known, where the fact came from and the year. Entered by
    investment staff; the targets of the 招商图谱 and the 以商招商 route read it."""

    __tablename__ = "investment_supply_ties"
    __table_args__ = (
        sa.UniqueConstraint("zone_enterprise_id", "partner_key", "direction", "product", "year"),
        sa.CheckConstraint("amount_wan IS NULL OR amount_wan >= 0", name="amount_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    zone_enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    partner_enterprise_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("enterprises.id"), index=True
    )
    partner_name: Mapped[str] = mapped_column(sa.String(200))
    partner_key: Mapped[str] = mapped_column(sa.String(220))  # id:N, or name:the name (duplicates)
    direction: Mapped[str] = mapped_column(sa.String(8))  # buys (采购自) | sells (供货给)
    product: Mapped[str] = mapped_column(sa.String(100))
    amount_wan: Mapped[int | None] = mapped_column(sa.BigInteger)  # a year, 万元
    source: Mapped[str] = mapped_column(sa.String(100), default="")
    year: Mapped[int]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
