"""The talent domain's tables: people (personal information, PIPL), their consents, firms' open
posts, authorisations of firms to recognise their own talent, and the recognitions.

A person's identity number is never stored in plain text: `id_cipher` holds it encrypted
(AES-GCM) and `id_index` its blind index (HMAC), both from the key in the settings. The audit
trail records changes to people without the personal fields (masked). Salaries are yuan per
year (integers); a person keeps only a salary band.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow
from wulian.core.runs import EvaluationRun, PublishedRun
from wulian.core.specversions import SpecVersion


class Person(Base):
    """One person of a firm's staff (or of the zone's talent pool), with the minimum fields."""

    __tablename__ = "talent_people"
    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "id_index", name="uq_talent_people_firm_identity"),
        sa.Index("ix_talent_people_retain_until", "retain_until"),
    )
    __audit__ = True
    # personal values never reach the audit trail: a change records the fields' names only
    __audit_mask__ = frozenset(
        {"name", "id_cipher", "id_index", "birth_date", "education", "major", "occupation_code",
         "skills", "salary_band", "chain", "node", "experience_years", "region_code",
         "title_level", "position_level", "honour_level", "achievements", "retain_until",
         "suggested_code", "suggestion_score", "suggestion_terms"}
    )  # fmt: skip

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    id_cipher: Mapped[bytes] = mapped_column(sa.LargeBinary)  # AES-GCM: nonce + ciphertext + tag
    id_index: Mapped[str] = mapped_column(sa.String(64), index=True)  # HMAC-SHA256, hex
    birth_date: Mapped[dt.date]
    education: Mapped[str | None] = mapped_column(sa.String(16))  # EDUCATION key; None: unknown
    major: Mapped[str] = mapped_column(sa.String(100), default="")
    occupation_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    salary_band: Mapped[str | None] = mapped_column(sa.String(8))  # SALARY_BANDS key
    chain: Mapped[str | None] = mapped_column(sa.String(48))
    node: Mapped[str | None] = mapped_column(sa.String(64))
    # for the talent evaluations (七维, A–E catalogue) and matching; None: unknown
    experience_years: Mapped[int | None]  # years of work
    region_code: Mapped[str | None] = mapped_column(sa.String(6))  # where they work (GB/T 2260)
    title_level: Mapped[str | None] = mapped_column(sa.String(16))  # TITLE_LEVELS key (职称)
    position_level: Mapped[str | None] = mapped_column(sa.String(16))  # POSITION_LEVELS key
    honour_level: Mapped[str | None] = mapped_column(sa.String(16))  # HONOUR_LEVELS key
    achievements: Mapped[int | None]  # innovation achievements (patents, projects …) counted
    retain_until: Mapped[dt.date]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the occupation the classify engine suggests from the skills and major when the occupation
    # is blank (see `occupations`), as for posts: "" none asked, pending (待建议), suggested
    # (taken), review (low confidence: the talent office decides), reviewed (the office decided)
    suggestion_state: Mapped[str] = mapped_column(
        sa.String(12), default="", server_default="", index=True
    )
    suggested_code: Mapped[str | None] = mapped_column(sa.String(12))
    suggestion_score: Mapped[float | None]
    suggestion_terms: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class Consent(Base):
    """What a person agreed their data may be used for, and when (withdrawn: when it ended)."""

    __tablename__ = "talent_consents"
    __table_args__ = (sa.UniqueConstraint("person_id", "purpose", name="uq_talent_consent"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_people.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(sa.String(32))  # PURPOSES key
    given_on: Mapped[dt.date]
    withdrawn_on: Mapped[dt.date | None]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Post(Base):
    """A firm's open post (the demand side of the talent map)."""

    __tablename__ = "talent_posts"
    __table_args__ = (
        sa.CheckConstraint("openings > 0", name="openings_positive"),
        sa.Index("ix_talent_posts_chain_node", "chain", "node"),
    )
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    occupation_code: Mapped[str | None] = mapped_column(sa.String(12), index=True)
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    education: Mapped[str | None] = mapped_column(sa.String(16))  # the minimum; None: any
    experience_years: Mapped[int | None]  # the minimum; None: not said
    salary_min_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)  # per year
    salary_max_yuan: Mapped[int | None] = mapped_column(sa.BigInteger)
    openings: Mapped[int]
    chain: Mapped[str | None] = mapped_column(sa.String(48))
    node: Mapped[str | None] = mapped_column(sa.String(64))
    is_open: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # the occupation the classify engine suggests for the title (see `occupations`): "" none
    # asked (a code was given), pending (待建议: the model is being built), suggested (taken),
    # review (low confidence: the talent office decides), reviewed (the office decided)
    suggestion_state: Mapped[str] = mapped_column(
        sa.String(12), default="", server_default="", index=True
    )
    suggested_code: Mapped[str | None] = mapped_column(sa.String(12))
    suggestion_score: Mapped[float | None]
    suggestion_terms: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")


class Authorisation(Base):
    """A firm authorised to recognise its own talent (企业人才自主评价): its quota and expiry, and
    the rule results that made it eligible."""

    __tablename__ = "talent_authorisations"
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    year: Mapped[int]  # the data year the rules were evaluated on
    quota: Mapped[int]
    granted_on: Mapped[dt.date]
    expires_on: Mapped[dt.date]
    reasons: Mapped[list[dict[str, object]]] = mapped_column(JSONType, default=list)
    revoked: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class Recognition(Base):
    """A firm's recognition of one of its people (企业认定), reviewed by the talent office
    (认账)."""

    __tablename__ = "talent_recognitions"
    __table_args__ = (sa.Index("ix_talent_recognitions_state", "state"),)
    __audit__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    authorisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_authorisations.id"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_people.id", ondelete="CASCADE"), index=True
    )
    grade: Mapped[str] = mapped_column(sa.String(4))  # GRADES key (A–E)
    evidence: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16))  # submitted | approved | returned
    submitted_on: Mapped[dt.date]
    decided_on: Mapped[dt.date | None]
    decided_by: Mapped[str] = mapped_column(sa.String(100), default="")
    decision_note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": revision}  # noqa: RUF012


class EvaluationSpecVersion(SpecVersion, Base):
    """One version of the 七维 talent evaluation spec (weights and scoring tables)."""

    __tablename__ = "talent_eval_specs"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)


class EvaluationRunRow(PublishedRun, Base):
    """A talent evaluation of the people who consented to 人才认定: the 七维 points (the spec
    version as evaluated) and the A–E catalogue grade (the rule set as evaluated), with the input
    frame (internal person ids and the coded inputs only: no names, no identity numbers)."""

    __tablename__ = "talent_eval_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    spec_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("talent_eval_specs.id", ondelete="SET NULL")
    )
    spec_code: Mapped[str] = mapped_column(sa.String(64))
    spec_name: Mapped[str] = mapped_column(sa.String(100))
    spec_version: Mapped[str] = mapped_column(sa.String(32))
    spec_text: Mapped[str] = mapped_column(sa.Text)
    rules_text: Mapped[str] = mapped_column(sa.Text)


class EvaluationResult(Base):
    """One person's result in a talent evaluation: 七维 points (null: too few known inputs) and
    catalogue grade (null: no class; status says matched, none or unknown), each explained."""

    __tablename__ = "talent_eval_results"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "person_id"),
        sa.Index("ix_talent_eval_results_run_grade", "run_id", "grade"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_eval_runs.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_people.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int | None] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    score: Mapped[float | None]
    known: Mapped[int]
    grade: Mapped[str | None] = mapped_column(sa.String(4))  # A–E; None: no class
    grade_status: Mapped[str] = mapped_column(sa.String(16))  # matched | none | unknown
    explanation: Mapped[dict[str, Any]] = mapped_column(JSONType)


class AuthorisationRun(EvaluationRun, Base):
    """The authorisation rules evaluated on every zone firm for a data year, kept so that the
    page lists it without evaluating again; the talent office re-evaluates explicitly."""

    __tablename__ = "talent_authorisation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    rules_text: Mapped[str] = mapped_column(sa.Text)
    eligible: Mapped[int] = mapped_column(default=0)
    firms: Mapped[int] = mapped_column(default=0)


class AuthorisationResult(Base):
    """One firm's result in an authorisation run: status, quota (eligible) and explanation."""

    __tablename__ = "talent_authorisation_results"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "enterprise_id"),
        sa.Index("ix_talent_authorisation_results_run_status", "run_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        sa.ForeignKey("talent_authorisation_runs.id", ondelete="CASCADE"), index=True
    )
    enterprise_id: Mapped[int] = mapped_column(sa.ForeignKey("enterprises.id"), index=True)
    firm_name: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[str] = mapped_column(sa.String(16))  # eligible | ineligible | unknown
    quota: Mapped[int | None]
    lines: Mapped[list[str]] = mapped_column(JSONType, default=list)
