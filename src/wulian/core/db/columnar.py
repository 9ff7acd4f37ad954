"""Read large query results column by column into Polars.

Evaluations read millions of numbers; fetching them as Python rows costs seconds. connectorx
reads them straight into Arrow columns. Two rules keep that correct:

- It opens its own connection, so it sees only committed data. When the session has written in its
  open transaction (or the database lives in memory), the rows come through the session instead.
- connectorx carries its own SQLite library. Two SQLite libraries must never open one database
  file in the same process (their POSIX locks cancel each other: see sqlite.org/howtocorrupt.html
  §2.2), so for SQLite the read runs in a short-lived child process that hands back an Arrow IPC
  file. PostgreSQL is read in process.

Only SQL that SQLAlchemy compiles from a Select with literal numbers and validated strings reaches
connectorx; nothing from users is pasted into SQL text.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from wulian.core.db import wrote_in_transaction


def connectorx_uri(session: Session) -> str | None:
    """The URI connectorx needs, or None when its read would not see what the session sees."""
    if wrote_in_transaction(session):
        return None
    url = session.get_bind().engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return None
        return "sqlite://" + str(Path(database).resolve())
    if backend == "postgresql":
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


def read_frame(
    session: Session, query: Any, schema: dict[str, Any], *, small: bool = False
) -> pl.DataFrame:
    """Run query; a Polars frame with schema (column name → Polars type, in select order). A
    result known to be small comes through the session (no separate reader to start)."""
    uri = None if small else connectorx_uri(session)
    if uri is None:
        rows = session.execute(query).all()
        return pl.DataFrame(rows, schema=schema, orient="row")
    dialect = session.get_bind().dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if uri.startswith("sqlite://"):
        frame = _read_in_child(uri, sql)
    else:
        import connectorx

        frame = connectorx.read_sql(uri, sql, return_type="polars")
    if frame.width != len(schema):
        raise RuntimeError(f"columnar read returned {frame.width} columns, wanted {len(schema)}")
    frame.columns = list(schema)
    return frame.cast(pl.Schema(schema))


def _read_in_child(uri: str, sql: str) -> pl.DataFrame:
    with tempfile.TemporaryDirectory(prefix="wulian-read-") as folder:
        out = Path(folder) / "result.arrow"
        done = subprocess.run(  # noqa: S603  (our interpreter, our script, SQL on stdin)
            [sys.executable, "-I", str(Path(__file__).with_name("cxread.py")), uri, str(out)],
            input=sql.encode(),
            capture_output=True,
            check=False,
            timeout=600,
        )
        if done.returncode != 0:
            raise RuntimeError("columnar read failed: " + done.stderr.decode(errors="replace"))
        return pl.read_ipc(out)
