"""Alembic environment: the engine comes from the caller (see wulian.core.db.migrate)."""

from __future__ import annotations

from alembic import context

import wulian.models  # noqa: F401  (registers every table on Base.metadata)
from wulian.core.db import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
