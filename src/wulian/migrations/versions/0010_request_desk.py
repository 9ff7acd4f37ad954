"""Request desk (企呼我应): configuration versions, requests, events, attachments, surveys.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21 16:57:54.867479
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import wulian.core.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "desk_configs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["desk_configs.id"],
            name=op.f("fk_desk_configs_based_on_id_desk_configs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_configs")),
        sa.UniqueConstraint("code", "version", name=op.f("uq_desk_configs_code")),
    )
    with op.batch_alter_table("desk_configs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_configs_code"), ["code"], unique=False)

    op.create_table(
        "desk_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tracking_no", sa.String(length=20), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("config_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("suggested_category", sa.String(length=32), nullable=True),
        sa.Column("suggested_score", sa.Double(), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("chain", sa.String(length=48), nullable=True),
        sa.Column("common", sa.Boolean(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("contact_name", sa.String(length=50), nullable=False),
        sa.Column("contact_phone", sa.String(length=30), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("routed_department_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("due_clock", sa.String(length=16), nullable=True),
        sa.Column(
            "clocks",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("warn_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("warned_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.String(length=500), nullable=False),
        sa.Column("rated_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("duplicate_of_id", sa.Integer(), nullable=True),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_desk_requests_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["config_id"], ["desk_configs.id"], name=op.f("fk_desk_requests_config_id_desk_configs")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_desk_requests_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["duplicate_of_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_requests_duplicate_of_id_desk_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_desk_requests_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_requests_merged_into_id_desk_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["routed_department_id"],
            ["departments.id"],
            name=op.f("fk_desk_requests_routed_department_id_departments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_requests")),
        sa.UniqueConstraint("tracking_no", name=op.f("uq_desk_requests_tracking_no")),
    )
    with op.batch_alter_table("desk_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_requests_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_desk_requests_category"), ["category"], unique=False)
        batch_op.create_index(batch_op.f("ix_desk_requests_chain"), ["chain"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_desk_requests_department_state", ["department_id", "state"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_desk_requests_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index("ix_desk_requests_state_due", ["state", "due_at"], unique=False)

    op.create_table(
        "desk_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("from_department_id", sa.Integer(), nullable=True),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_desk_events_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["from_department_id"],
            ["departments.id"],
            name=op.f("fk_desk_events_from_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_events_request_id_desk_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_events")),
    )
    with op.batch_alter_table("desk_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_events_request_id"), ["request_id"], unique=False)

    op.create_table(
        "desk_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("due_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", wulian.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=100), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("solved", sa.Boolean(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_surveys_request_id_desk_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_surveys")),
    )
    with op.batch_alter_table("desk_surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_desk_surveys_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_desk_surveys_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "desk_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", wulian.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["desk_events.id"], name=op.f("fk_desk_attachments_event_id_desk_events")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["desk_requests.id"],
            name=op.f("fk_desk_attachments_request_id_desk_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_desk_attachments")),
    )
    with op.batch_alter_table("desk_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_desk_attachments_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("desk_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_attachments_request_id"))

    op.drop_table("desk_attachments")
    with op.batch_alter_table("desk_surveys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_surveys_request_id"))
        batch_op.drop_index(batch_op.f("ix_desk_surveys_due_at"))

    op.drop_table("desk_surveys")
    with op.batch_alter_table("desk_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_events_request_id"))

    op.drop_table("desk_events")
    with op.batch_alter_table("desk_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_desk_requests_state_due")
        batch_op.drop_index(batch_op.f("ix_desk_requests_enterprise_id"))
        batch_op.drop_index("ix_desk_requests_department_state")
        batch_op.drop_index(batch_op.f("ix_desk_requests_created_at"))
        batch_op.drop_index(batch_op.f("ix_desk_requests_chain"))
        batch_op.drop_index(batch_op.f("ix_desk_requests_category"))
        batch_op.drop_index(batch_op.f("ix_desk_requests_assignee_id"))

    op.drop_table("desk_requests")
    with op.batch_alter_table("desk_configs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_desk_configs_code"))

    op.drop_table("desk_configs")
