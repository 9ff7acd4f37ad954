"""The capital chain's tables: the fund matrix (funds, managers, commitments, investments in firms
and in 招商 projects), its configuration, loans and the risk-compensation pools.

Money is kept as whole 元 (integers): exact, typed in 亿元 or 万元 and shown with its unit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.runs import PublishedRun
from wulian.core.specversions import SpecVersion


class CapitalConfig(Base):
    """The matrix's definitions (one row): which investor kinds count as government money for
    leverage (撬动), whether government money is counted as committed or paid-in."""

    __tablename__ = "capital_config"

    id: Mapped[int] = mapped_column(primary_key=True)
    government_kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    leverage_base: Mapped[str] = mapped_column(sa.String(16), default="paid_in")
    updated_by: Mapped[str] = mapped_column(sa.String(100), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FundManager(Base):
    """A fund's manager (基金管理人)."""

    __tablename__ = "capital_managers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    uscc: Mapped[str | None] = mapped_column(sa.String(18))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Fund(Base):
    """A fund of the matrix (母基金, 子基金, 政府产业基金, 国有投资基金, 并购基金), its parent and
    its local reinvestment requirement (返投比例: a share of its committed size, in percent)."""

    __tablename__ = "capital_funds"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_funds.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_managers.id"))
    chain: Mapped[str | None] = mapped_column(sa.String(48))  # the chain it focuses on, if any
    reinvest_pct: Mapped[int | None]  # 返投比例, percent of the committed size (None: none)
    established_on: Mapped[dt.date | None]
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Commitment(Base):
    """An investor's commitment (认缴) to a fund and what it has paid in (实缴). An investor that is
    itself a fund of the matrix (a mother fund in its sub-fund) names that fund."""

    __tablename__ = "capital_commitments"
    __table_args__ = (
        sa.CheckConstraint("committed_yuan > 0", name="committed_positive"),
        sa.CheckConstraint("paid_in_yuan >= 0", name="paid_in_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("capital_funds.id"), index=True)
    investor: Mapped[str] = mapped_column(sa.String(200))
    investor_kind: Mapped[str] = mapped_column(sa.String(16))
    investor_fund_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("capital_funds.id"), index=True
    )
    committed_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    paid_in_yuan: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    committed_on: Mapped[dt.date | None]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FundInvestment(Base):
    """A fund's investment in a registry firm or in a 招商 project of the pipeline, with the
    total the round (or the project) raised, its latest valuation and its exit."""

    __tablename__ = "capital_investments"
    __table_args__ = (
        sa.CheckConstraint("amount_yuan > 0", name="amount_positive"),
        sa.CheckConstraint("(enterprise_id IS NULL) <> (project_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fund_id: Mapped[int] = mapped_column(sa.ForeignKey("capital_funds.id"), index=True)
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("investment_projects.id"), index=True
    )
    target_name: Mapped[str] = mapped_column(sa.String(200))
    local: Mapped[bool] = mapped_column(default=True)  # lands in the zone: counts for 返投
    amount_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    round_total_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)  # the whole round
    invested_on: Mapped[dt.date]
    chain: Mapped[str | None] = mapped_column(sa.String(48), index=True)
    node: Mapped[str | None] = mapped_column(sa.String(64))
    valuation_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)  # the holding's value
    valued_on: Mapped[dt.date | None]
    exited_on: Mapped[dt.date | None]
    exit_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)  # what the exit returned
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RiskPool(Base):
    """A risk-compensation pool (风险补偿资金池): the government's and the bank's contributions,
    the share of a defaulted balance it compensates and its bad-loan thresholds (basis points)."""

    __tablename__ = "capital_pools"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    lender: Mapped[str] = mapped_column(sa.String(200))
    government_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    bank_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    cover_pct: Mapped[int] = mapped_column(default=80)  # share of a default's balance paid
    warn_bp: Mapped[int] = mapped_column(default=500)  # basis points: 500 = 5%
    stop_bp: Mapped[int] = mapped_column(default=800)  # new loans refused from here
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Loan(Base):
    """A loan to a firm of the zone: granted (授信), disbursed (放款), repaid, its state (正常,
    逾期, 违约) and the pool that covers it, if any."""

    __tablename__ = "capital_loans"
    __table_args__ = (sa.CheckConstraint("granted_yuan > 0", name="granted_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    lender: Mapped[str] = mapped_column(sa.String(200))
    product: Mapped[str] = mapped_column(sa.String(200), default="")
    pool_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_pools.id"), index=True)
    granted_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    disbursed_yuan: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    repaid_yuan: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[str] = mapped_column(sa.String(16), default="normal", index=True)
    granted_on: Mapped[dt.date]
    due_on: Mapped[dt.date | None]
    status_on: Mapped[dt.date | None]  # the day it became overdue or defaulted
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Compensation(Base):
    """The pool's compensation of a defaulted loan: proposed, then approved by the finance
    office."""

    __tablename__ = "capital_compensations"

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(sa.ForeignKey("capital_pools.id"), index=True)
    loan_id: Mapped[int] = mapped_column(sa.ForeignKey("capital_loans.id"), unique=True)
    amount_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    government_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    bank_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(16), default="proposed")
    proposed_by: Mapped[str] = mapped_column(sa.String(100))
    approved_by: Mapped[str | None] = mapped_column(sa.String(100))
    approved_on: Mapped[dt.date | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FinancingProduct(Base):
    """A bank's or guarantor's financing product (科技贷, 助力贷, 税易贷, 知识产权质押贷 …) with
    its eligibility as a rule set: one condition per line, "说明: 表达式" (the rules engine's
    expression language)."""

    __tablename__ = "capital_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    lender: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(16))
    min_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    max_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    min_rate_bp: Mapped[int | None]  # annual rate, basis points
    max_rate_bp: Mapped[int | None]
    term_months: Mapped[int | None]
    collateral: Mapped[str] = mapped_column(sa.String(200), default="")
    eligibility: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PlanNote(Base):
    """An officer's note on a firm's 一企一策 financing plan (about one product or the whole plan);
    the firm sees it once handed over."""

    __tablename__ = "capital_plan_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_products.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    handed: Mapped[bool] = mapped_column(default=False)  # shown to the firm
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ListingCase(Base):
    """A firm on the listing pipeline (上市梯队): reserve → 股改 → 辅导备案 → 申报 → 审核 → 注册 →
    上市, or 新三板挂牌; its board, intermediaries and the day it reached each stage."""

    __tablename__ = "capital_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), unique=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    stage: Mapped[str] = mapped_column(sa.String(16), index=True)
    board: Mapped[str | None] = mapped_column(sa.String(16))
    intermediaries: Mapped[str] = mapped_column(sa.String(300), default="")
    stage_dates: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)
    listed_on: Mapped[dt.date | None] = mapped_column(index=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


# ---------------------------------------------------------------- knowledge-value credit


class KnowledgeCreditRun(PublishedRun, Base):
    """A knowledge-value credit evaluation (知识价值信用评价) of the zone's firms for a year: the
    spec as evaluated, the input frame, the lifecycle of a published evaluation."""

    __tablename__ = "capital_credit_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_code: Mapped[str] = mapped_column(sa.String(64))
    spec_name: Mapped[str] = mapped_column(sa.String(100))
    spec_version: Mapped[str] = mapped_column(sa.String(32))
    spec_text: Mapped[str] = mapped_column(sa.Text)


class KnowledgeCreditResult(Base):
    """One firm's grade in a run: score, grade and credit line (null: too few known indicators)
    and the explanation (each indicator's value, points and weight)."""

    __tablename__ = "capital_credit_results"
    __table_args__ = (sa.UniqueConstraint("run_id", "enterprise_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("capital_credit_runs.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    score: Mapped[float | None]
    grade: Mapped[str | None] = mapped_column(sa.String(8))
    line_wan: Mapped[float | None]  # 万元
    known: Mapped[int]
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONType)


class KnowledgeCreditConsent(Base):
    """Whether a firm lets partner banks read its knowledge-value credit grade through the API."""

    __tablename__ = "capital_credit_consents"

    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), primary_key=True)
    granted: Mapped[bool] = mapped_column(default=False)
    changed_by: Mapped[str] = mapped_column(sa.String(100))
    changed_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- financing needs and 银企对接


class FinancingNeed(Base):
    """A firm's financing need (融资需求): amount, purpose, term, the collateral it can offer, the
    day it needs the money by and where it stands; typed by the firm or an officer, imported from
    a list, or taken from a request of the desk's 融资需求 category."""

    __tablename__ = "capital_needs"
    __table_args__ = (sa.CheckConstraint("amount_yuan > 0", name="need_amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    amount_yuan: Mapped[int] = mapped_column(sa.BigInteger)
    purpose: Mapped[str] = mapped_column(sa.String(200))
    term_months: Mapped[int | None]
    collateral: Mapped[str] = mapped_column(sa.String(200), default="")
    deadline: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default="open", index=True)
    source: Mapped[str] = mapped_column(sa.String(16), default="form")  # form | desk | import
    desk_request_id: Mapped[int | None] = mapped_column(unique=True)  # the desk's request
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchEvent(Base):
    """A matchmaking event between banks and firms (银企对接会): its day, the lenders and the firms
    taking part."""

    __tablename__ = "capital_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    held_on: Mapped[dt.date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(sa.String(200), default="")
    chain: Mapped[str | None] = mapped_column(sa.String(48))  # an event for one chain's firms
    lenders: Mapped[list[str]] = mapped_column(JSONType, default=list)
    firms: Mapped[list[int]] = mapped_column(JSONType, default=list)  # enterprise ids
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MatchOutcome(Base):
    """What came of one firm and one lender (and product) at an event: an intention (意向), the
    credit granted (授信) and the loans disbursed (放款), linked to the registered loan when there
    is one."""

    __tablename__ = "capital_event_outcomes"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "enterprise_id", "lender", "product_id"),
        sa.CheckConstraint("granted_yuan IS NULL OR granted_yuan > 0", name="outcome_granted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("capital_events.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200))
    lender: Mapped[str] = mapped_column(sa.String(200))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_products.id"))
    need_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_needs.id"))
    loan_id: Mapped[int | None] = mapped_column(sa.ForeignKey("capital_loans.id"))
    intention: Mapped[bool] = mapped_column(default=True)
    granted_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    disbursed_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CreditSpecVersion(SpecVersion, Base):
    """One version of a knowledge-value credit spec file (Hubei's, Chongqing's or a zone's own).
    Versions are never edited: an edit is a new version; a run keeps the text it used."""

    __tablename__ = "capital_credit_specs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)
