"""Alembic environment: the engine comes from the caller (see wulian.core.db.migrate).

SQLite changes a table's columns by copying it into a new table (Alembic's batch mode), which its
foreign keys would refuse while other tables point at it: as SQLite's documentation prescribes,
foreign keys are off while the migrations run and every reference is checked before they commit.
"""

from __future__ import annotations

from alembic import context

import wulian.models  # noqa: F401  (registers every table on Base.metadata)
from wulian.core.db import Base, migrate

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:  # outside any transaction, where SQLite honours it
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
                compare_type=True,
                include_name=migrate.modelled,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows pointing nowhere: {broken[:5]}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
