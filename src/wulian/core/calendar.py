"""Time in China: dates typed by users are China Standard Time (UTC+8, no daylight saving)."""

from __future__ import annotations

import datetime as dt

from wulian.core.errors import InvalidInput

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


def parse_day(value: str, *, field: str) -> dt.date | None:
    """A YYYY-MM-DD date typed by a user; empty is None; anything else is a clear error."""
    value = value.strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"日期“{value}”格式应为 YYYY-MM-DD", field=field) from None


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of day, China time."""
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TIME)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of day, China time."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CHINA_TIME)
