"""The State Council's yearly holiday notices as an administrator enters them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wulian.core.db import Base, JSONType, utcnow


class HolidayNotice(Base):
    """One year's notice (国务院办公厅关于某年部分节假日安排的通知): its number, the weekdays
    off and the weekends worked (调休). It decides that year's working days before any package."""

    __tablename__ = "holiday_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    notice_no: Mapped[str] = mapped_column(sa.String(60))
    holidays: Mapped[list[str]] = mapped_column(JSONType, default=list)  # ISO dates, sorted
    workdays: Mapped[list[str]] = mapped_column(JSONType, default=list)  # ISO dates, sorted
    entered_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
