"""The talent domain: people (identity numbers encrypted, with a blind index), consents, firms'
open posts, authorisations to recognise talent (企业人才自主评价) and recognitions.

Revision ID: 0022t
Revises: 0021a
Create Date: 2026-12-04 20:19:34
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

Text = sa.Text
revision = "0022t"
down_revision = "0021a"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "talent_authorisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_authorisations_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_authorisations")),
    )
    with op.batch_alter_table("talent_authorisations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_authorisations_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "talent_people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("id_index", sa.String(length=64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("major", sa.String(length=100), nullable=False),
        sa.Column("occupation_code", sa.String(length=12), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("salary_band", sa.String(length=8), nullable=True),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.Column("retain_until", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_people_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_people")),
        sa.UniqueConstraint("enterprise_id", "id_index", name="uq_talent_people_firm_identity"),
    )
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_people_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_talent_people_id_index"), ["id_index"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_talent_people_occupation_code"), ["occupation_code"], unique=False
        )
        batch_op.create_index("ix_talent_people_retain_until", ["retain_until"], unique=False)

    op.create_table(
        "talent_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("occupation_code", sa.String(length=12), nullable=True),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("education", sa.String(length=16), nullable=True),
        sa.Column("experience_years", sa.Integer(), nullable=True),
        sa.Column("salary_min_yuan", sa.BigInteger(), nullable=True),
        sa.Column("salary_max_yuan", sa.BigInteger(), nullable=True),
        sa.Column("openings", sa.Integer(), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("node", sa.String(length=64), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("openings > 0", name=op.f("ck_talent_posts_openings_positive")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_posts_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_posts")),
    )
    with op.batch_alter_table("talent_posts", schema=None) as batch_op:
        batch_op.create_index("ix_talent_posts_chain_node", ["chain", "node"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_talent_posts_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_talent_posts_occupation_code"), ["occupation_code"], unique=False
        )

    op.create_table(
        "talent_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("given_on", sa.Date(), nullable=False),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["talent_people.id"],
            name=op.f("fk_talent_consents_person_id_talent_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_consents")),
        sa.UniqueConstraint("person_id", "purpose", name="uq_talent_consent"),
    )
    with op.batch_alter_table("talent_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_consents_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "talent_recognitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authorisation_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=4), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decision_note", sa.String(length=500), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorisation_id"],
            ["talent_authorisations.id"],
            name=op.f("fk_talent_recognitions_authorisation_id_talent_authorisations"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_talent_recognitions_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["talent_people.id"],
            name=op.f("fk_talent_recognitions_person_id_talent_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talent_recognitions")),
    )
    with op.batch_alter_table("talent_recognitions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_talent_recognitions_authorisation_id"),
            ["authorisation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_talent_recognitions_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_talent_recognitions_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index("ix_talent_recognitions_state", ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("talent_recognitions", schema=None) as batch_op:
        batch_op.drop_index("ix_talent_recognitions_state")
        batch_op.drop_index(batch_op.f("ix_talent_recognitions_person_id"))
        batch_op.drop_index(batch_op.f("ix_talent_recognitions_enterprise_id"))
        batch_op.drop_index(batch_op.f("ix_talent_recognitions_authorisation_id"))

    op.drop_table("talent_recognitions")
    with op.batch_alter_table("talent_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_consents_person_id"))

    op.drop_table("talent_consents")
    with op.batch_alter_table("talent_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_posts_occupation_code"))
        batch_op.drop_index(batch_op.f("ix_talent_posts_enterprise_id"))
        batch_op.drop_index("ix_talent_posts_chain_node")

    op.drop_table("talent_posts")
    with op.batch_alter_table("talent_people", schema=None) as batch_op:
        batch_op.drop_index("ix_talent_people_retain_until")
        batch_op.drop_index(batch_op.f("ix_talent_people_occupation_code"))
        batch_op.drop_index(batch_op.f("ix_talent_people_id_index"))
        batch_op.drop_index(batch_op.f("ix_talent_people_enterprise_id"))

    op.drop_table("talent_people")
    with op.batch_alter_table("talent_authorisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_talent_authorisations_enterprise_id"))

    op.drop_table("talent_authorisations")
