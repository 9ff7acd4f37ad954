"""The evaluation kit's runs: what every evaluation run keeps (`EvaluationRun`: the period, the
input frame as evaluated, its snapshot hash, a note, who made it and when), how its input is kept
and read back, so that a run can be explained and re-analysed later whatever happens to the facts
since, and the one lifecycle of a run whose result is made public (`PublishedRun`):

    draft ──notice──▶ notice (公示, N calendar days) ──publish──▶ published
      │                  │                                          │
      └──────────────────┴────────────── withdraw ──────────────────┴──▶ withdrawn

A kind may let a draft be published without a notice (`notice_required=False`). The period of
every run is text in the facts' form, a year "YYYY".

    class LanduseRun(PublishedRun, Base):
        __tablename__ = "landuse_runs"

    period = runs.year_period(2024)                      # "2024", checked
    run = LanduseRun(period=period, inputs=runs.pack(frame),
                     snapshot_hash=runs.snapshot([text], period, frame))
    runs.start_notice(run, days=7, today=calendar.today())
    frame = runs.unpack(run.inputs)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from enum import StrEnum
from typing import TypeVar

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput

EARLIEST_YEAR = 1990
NOTICE_DAYS = 7  # a public notice of about a week (calendar days, both ends included)
MAX_NOTICE_DAYS = 30


class RunStatus(StrEnum):
    DRAFT = "draft"
    NOTICE = "notice"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return RUN_STATUS_LABELS[self]


RUN_STATUS_LABELS = {
    RunStatus.DRAFT: "草稿",
    RunStatus.NOTICE: "公示中",
    RunStatus.PUBLISHED: "已发布",
    RunStatus.WITHDRAWN: "已撤回",
}
# Runs that the public (the zone's firms) may see: on notice, so that they can object, or published.
PUBLIC = (RunStatus.NOTICE.value, RunStatus.PUBLISHED.value)


def year_period(value: str | int, *, latest: int | None = None, field: str = "period") -> str:
    """A year as a run's period ("2024"), or a clear message: a year from 1990 to latest (by
    default 2100)."""
    text = str(value).strip()
    last = 2100 if latest is None else latest
    if not (len(text) == 4 and text.isascii() and text.isdigit()):
        raise InvalidInput("评价期间应为年度 YYYY（如 2024）", field=field, value=text)
    if not EARLIEST_YEAR <= int(text) <= last:
        raise InvalidInput(f"评价年度应为 {EARLIEST_YEAR}–{last} 的年份", field=field, value=text)
    return text


def period_year(period: str) -> int:
    """The year of a run's period."""
    return int(period[:4])


class EvaluationRun:
    """The columns every evaluation run has (a declarative mixin)."""

    period: Mapped[str] = mapped_column(sa.String(7), index=True)  # YYYY, as facts' periods

    # The input frame as evaluated (Parquet); snapshot_hash is its SHA-256 with the spec texts'.
    inputs: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    snapshot_hash: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    @property
    def year(self) -> int:
        """The year of the run's period."""
        return period_year(self.period)


class PublishedRun(EvaluationRun):
    """A run whose result is made public: its lifecycle (see the module's picture)."""

    status: Mapped[str] = mapped_column(sa.String(16), default=RunStatus.DRAFT.value)
    notice_from: Mapped[dt.date | None]
    notice_until: Mapped[dt.date | None]
    published_at: Mapped[dt.datetime | None]
    published_by: Mapped[str | None] = mapped_column(sa.String(100))

    @property
    def state(self) -> RunStatus:
        return RunStatus(self.status)


R = TypeVar("R", bound="PublishedRun")
CURRENT_LABEL = "当前"
CURRENT_NOTE = "同一年度有几次已发布的评价时，最后发布的一次为当前结果，其余为被取代的旧结果"


def current_published(rows: Sequence[R]) -> dict[str, R]:
    """The current run of each period among rows: the newest published one (by publication,
    then id), the one lists, portraits and benefits of that year read; the others published
    that year are superseded."""
    out: dict[str, R] = {}
    for run in rows:
        if run.status != RunStatus.PUBLISHED.value:
            continue
        found = out.get(run.period)
        if found is None or _published_key(run) > _published_key(found):
            out[run.period] = run
    return out


def _published_key(run: PublishedRun) -> tuple[dt.datetime, int]:
    stamp = run.published_at or dt.datetime.min
    return (stamp.replace(tzinfo=None), int(getattr(run, "id", 0) or 0))


def start_notice(run: PublishedRun, *, days: int, today: dt.date) -> None:
    """Put a draft on public notice for days calendar days from today (both ends included)."""
    if run.status != RunStatus.DRAFT:
        raise Conflict(f"只有草稿可以公示；本评价{run.state.label}")
    if not 1 <= days <= MAX_NOTICE_DAYS:
        raise InvalidInput(f"公示期应为 1–{MAX_NOTICE_DAYS} 天", field="days", value=str(days))
    run.status = RunStatus.NOTICE.value
    run.notice_from = today
    run.notice_until = today + dt.timedelta(days=days - 1)


def check_publishable(run: PublishedRun, *, today: dt.date, notice_required: bool) -> None:
    """Why run cannot be published today, if it cannot: only a run whose notice has ended (or,
    where the kind allows it, a draft) can."""
    allowed = (RunStatus.NOTICE,) if notice_required else (RunStatus.DRAFT, RunStatus.NOTICE)
    if run.state not in allowed:
        wanted = "公示中的评价" if notice_required else "草稿或公示中的评价"
        raise Conflict(f"只有{wanted}可以发布；本评价{run.state.label}")
    if run.state == RunStatus.NOTICE and run.notice_until is not None and today <= run.notice_until:
        raise Conflict(f"公示期到 {run.notice_until:%Y年%m月%d日} 结束，结束后才能发布")


def publish(run: PublishedRun, *, by: str, today: dt.date, notice_required: bool) -> None:
    """Publish run (see check_publishable)."""
    check_publishable(run, today=today, notice_required=notice_required)
    run.status = RunStatus.PUBLISHED.value
    run.published_at = utcnow()
    run.published_by = by


def withdraw(run: PublishedRun, *, reason: str) -> None:
    """Withdraw a run at any stage, with the reason (kept as its note)."""
    if run.status == RunStatus.WITHDRAWN:
        raise Conflict("本评价已撤回")
    if not reason.strip():
        raise InvalidInput("请填写撤回原因", field="reason")
    run.status = RunStatus.WITHDRAWN.value
    run.note = f"撤回：{reason.strip()}"[:500]


def snapshot(texts: Sequence[str], period: str, frame: pl.DataFrame) -> str:
    """SHA-256 of the spec texts, the period and the input frame (as CSV): equal inputs, equal
    hash, whichever evaluation made them."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
    digest.update(period.encode())
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
