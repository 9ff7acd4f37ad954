"""The talent domain's tables: people (personal information, PIPL), their consents, firms' open
posts, authorisations of firms to recognise their own talent, and the recognitions.

A person's identity number is never stored in plain text: `id_cipher` holds it encrypted
(AES-GCM) and `id_index` its blind index (HMAC), both from the key in the settings. The audit
trail records changes to people without the personal fields (masked). Salaries are yuan per
year (integers); a person keeps only a salary band.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow


class Person(Base):
    """One person of a firm's staff (or of the zone's talent pool), with the minimum fields."""

    __tablename__ = "talent_people"
    __table_args__ = (
        sa.UniqueConstraint("enterprise_id", "id_index", name="uq_talent_people_firm_identity"),
        sa.Index("ix_talent_people_retain_until", "retain_until"),
    )
    __audit__ = True
    __audit_mask__ = frozenset({"name", "id_cipher", "id_index", "birth_date"})

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
    retain_until: Mapped[dt.date]
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


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
