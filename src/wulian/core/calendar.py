"""Time in China: dates typed by users are China Standard Time (UTC+8, no daylight saving),
and working time follows the State Council's holiday notice of each year."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache

import chinese_calendar

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


# ---------------------------------------------------------------- working time

DAY_SECONDS = 24 * 3600
OFFICE_HOURS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(9, 0), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
_SEARCH_DAYS = 3 * 366  # no calendar leaves three years without a working day


class CalendarMissing(InvalidInput):
    """A date in a year for which there is no holiday data: never guessed."""

    code = "calendar_missing"
    title = "缺少工作日历数据"

    def __init__(self, year: int, calendar: str) -> None:
        super().__init__(
            f"日历“{calendar}”没有 {year} 年的法定节假日安排，无法计算期限。请管理员升级 "
            f"chinese-calendar，或在服务台配置的 calendars 中录入国务院办公厅公布的 {year} 年"
            "放假与调休安排。",
            year=year,
        )


@lru_cache(maxsize=8192)
def _statutory_workday(day: dt.date) -> bool | None:
    """Whether day is a working day by the State Council's notices; None for a year
    chinese-calendar does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours in China time.

    Working days follow the State Council's yearly holiday notice (chinese-calendar): statutory
    holidays are off, make-up working weekends (调休) are on. A year the library does not cover
    can be given here (`years`: its holidays falling on weekdays and its working weekends); a
    year covered by neither is `CalendarMissing`, never a guess. `natural` calendars count every
    hour of every day (自然日).
    """

    name: str
    hours: tuple[tuple[dt.time, dt.time], ...] = OFFICE_HOURS
    natural: bool = False
    years: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = field(default_factory=dict)

    def is_workday(self, day: dt.date) -> bool:
        """Whether day is a working day."""
        if self.natural:
            return True
        if day.year in self.years:
            holidays, workdays = self.years[day.year]
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        statutory = _statutory_workday(day)
        if statutory is None:
            raise CalendarMissing(day.year, self.name)
        return statutory

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of day (none on a day off)."""
        if self.natural:
            start = start_of_day(day)
            return [(start, start + dt.timedelta(days=1))]
        if not self.is_workday(day):
            return []
        return [
            (
                dt.datetime.combine(day, begin, tzinfo=CHINA_TIME),
                dt.datetime.combine(day, end, tzinfo=CHINA_TIME),
            )
            for begin, end in self.hours
        ]

    def day_seconds(self) -> int:
        """Working seconds in one working day."""
        if self.natural:
            return DAY_SECONDS
        return sum(
            (dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, b)).seconds
            for b, e in self.hours
        )

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """Working seconds between start and end (0 when end is not after start)."""
        if end <= start:
            return 0.0
        start, end = start.astimezone(CHINA_TIME), end.astimezone(CHINA_TIME)
        total = 0.0
        day = start.date()
        while day <= end.date():
            for begin, finish in self.periods(day):
                lo, hi = max(begin, start), min(finish, end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return total

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The instant when `seconds` of working time have passed after start."""
        start = start.astimezone(CHINA_TIME)
        left = max(0.0, seconds)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            for begin, finish in self.periods(day):
                lo = max(begin, start)
                if finish <= lo:
                    continue
                span = (finish - lo).total_seconds()
                if left <= span:
                    return lo + dt.timedelta(seconds=left)
                left -= span
            day += dt.timedelta(days=1)
        raise InvalidInput(f"日历“{self.name}”在三年内没有工作时间")

    def end_of_workday(self, start: dt.datetime, count: int) -> dt.datetime:
        """The end of the count-th working day after the day of start (the day of start itself
        does not count: “5 个工作日内” from a Friday afternoon ends on the next Friday)."""
        day = start.astimezone(CHINA_TIME).date()
        found = 0
        for _ in range(_SEARCH_DAYS):
            day += dt.timedelta(days=1)
            spans = self.periods(day)
            if spans:
                found += 1
                if found >= count:
                    return spans[-1][1]
        raise InvalidInput(f"日历“{self.name}”在三年内没有工作时间")
