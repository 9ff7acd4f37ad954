"""The evaluation kit's runs: what every evaluation run keeps (`EvaluationRun`: the input frame as
evaluated, its snapshot hash, a note, who made it and when) and how its input is kept and read
back, so that a run can be explained and re-analysed later whatever happens to the facts since.

    class LanduseRun(EvaluationRun, Base):
        __tablename__ = "landuse_runs"

    run = LanduseRun(inputs=runs.pack(frame), snapshot_hash=runs.snapshot([text], 2024, frame))
    frame = runs.unpack(run.inputs)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import utcnow


class EvaluationRun:
    """The columns every evaluation run has (a declarative mixin)."""

    # The input frame as evaluated (Parquet); snapshot_hash is its SHA-256 with the spec texts'.
    inputs: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    snapshot_hash: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def snapshot(texts: Sequence[str], period: str | int, frame: pl.DataFrame) -> str:
    """SHA-256 of the spec texts, the period and the input frame (as CSV): equal inputs, equal
    hash, whichever evaluation made them."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    digest.update(str(period).encode())
    digest.update(frame.write_csv().encode())
    return digest.hexdigest()


def pack(frame: pl.DataFrame) -> bytes:
    """The input frame as it is kept with its run (Parquet, zstd)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer, compression="zstd")
    return buffer.getvalue()


def unpack(data: bytes | None) -> pl.DataFrame:
    """A kept input frame."""
    return pl.read_parquet(io.BytesIO(data or b""))
