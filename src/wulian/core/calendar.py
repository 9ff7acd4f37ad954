"""Time in China: dates typed by users are China Standard Time (UTC+8, no daylight saving),
and working time follows the State Council's holiday notice of each year."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Protocol

import chinese_calendar
import chinese_calendar.constants
import holidays

from wulian.core.errors import InvalidInput

CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


def today(now: dt.datetime | None = None) -> dt.date:
    """Today's date in China (UTC+8 all year, as Asia/Shanghai), whatever the host's zone: the one
    "today" of the platform. now is an injected clock reading (aware); None reads the clock."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(CHINA_TIME).date()


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


@dataclass(frozen=True)
class YearTable:
    """One year of the State Council's holiday notice: weekdays off and weekends worked (调休)."""

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    notice: str = ""  # the notice's number, e.g. 国办发明电〔2025〕7号

    def is_workday(self, day: dt.date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


class Source(Protocol):
    """Where working days come from, for the years it covers."""

    @property
    def label(self) -> str: ...

    @property
    def official(self) -> bool: ...  # transcribed from the State Council's notices

    def covers(self, year: int) -> bool: ...

    def is_workday(self, day: dt.date) -> bool: ...  # only asked for a covered year


@dataclass(frozen=True)
class NoticeTables:
    """The State Council's notices entered by an administrator, by year."""

    tables: Mapping[int, YearTable] = field(default_factory=dict)
    label: str = "国务院办公厅放假通知（管理员录入）"
    official: bool = True

    def covers(self, year: int) -> bool:
        return year in self.tables

    def is_workday(self, day: dt.date) -> bool:
        return self.tables[day.year].is_workday(day)


@lru_cache(maxsize=1)
def _chinese_calendar_last_year() -> int:
    return int(max(day.year for day in chinese_calendar.constants.holidays))


@lru_cache(maxsize=8192)
def _statutory_workday(day: dt.date) -> bool | None:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return None


@dataclass(frozen=True)
class ChineseCalendar:
    """The chinese-calendar package: the notices transcribed, up to its last year of data."""

    last_year: int = field(default_factory=_chinese_calendar_last_year)
    first_year: int = 2004
    label: str = "chinese-calendar"
    official: bool = True

    def covers(self, year: int) -> bool:
        return self.first_year <= year <= self.last_year

    def is_workday(self, day: dt.date) -> bool:
        statutory = _statutory_workday(day)
        if statutory is None:  # the package knows fewer years than it was said to
            raise CalendarMissing(day.year, self.label)
        return statutory


@lru_cache(maxsize=64)
def _estimated_year(year: int) -> YearTable:
    """The `holidays` package's China calendar for year: statutory holidays by the lunar and
    solar rules for any year, make-up working weekends only for years whose notice it carries."""
    china = holidays.country_holidays("CN", years=year)
    off = frozenset(day for day in china if day.year == year)
    # Its table of days off moved by a notice: (month off, day off, month worked, day worked).
    special = getattr(china, "special_public_holidays", {}).get(year, ())
    worked = frozenset(
        dt.date(year, entry[2], entry[3])
        for entry in special
        if len(entry) == 4 and all(isinstance(part, int) for part in entry)
    )
    return YearTable(off, worked)


@dataclass(frozen=True)
class HolidaysPackage:
    """The `holidays` package's China calendar: not transcribed from a notice, so provisional."""

    label: str = "holidays 程序包（推算）"
    official: bool = False

    def covers(self, year: int) -> bool:
        return 1950 <= year <= 2100

    def is_workday(self, day: dt.date) -> bool:
        return _estimated_year(day.year).is_workday(day)


@dataclass(frozen=True)
class WeekendsOnly:
    """Monday to Friday: the last resort, provisional."""

    label: str = "仅按周末（推算）"
    official: bool = False

    def covers(self, year: int) -> bool:
        return True

    def is_workday(self, day: dt.date) -> bool:
        return day.weekday() < 5


def statutory_sources() -> tuple[Source, ...]:
    """The packaged sources after the administrator's tables, in order of precedence."""
    return (ChineseCalendar(), HolidaysPackage(), WeekendsOnly())


class CalendarMissing(InvalidInput):
    """A source asked about a year it does not hold (a package older than it claims)."""

    code = "calendar_missing"
    title = "缺少工作日历数据"

    def __init__(self, year: int, calendar: str) -> None:
        super().__init__(f"日历来源“{calendar}”没有 {year} 年的法定节假日安排", year=year)


def official_until(sources: Sequence[Source], today: dt.date) -> int:
    """The last year of the run of years covered by an official source that today falls in, or
    (when today's year is not covered) the last covered year before it."""

    def covered(year: int) -> bool:
        return any(s.official and s.covers(year) for s in sources)

    year = today.year
    if covered(year):
        while covered(year + 1) and year < today.year + 100:
            year += 1
        return year
    while not covered(year) and year > today.year - 100:
        year -= 1
    return year


WARN_DAYS = 60


def coverage_warning(sources: Sequence[Source], today: dt.date) -> str | None:
    """A warning for administrators from WARN_DAYS days before the end of the last year covered
    by an official source; None before then."""
    last = official_until(sources, today)
    if today < dt.date(last, 12, 31) - dt.timedelta(days=WARN_DAYS):
        return None
    following = last + 1
    return (
        f"官方节假日安排（国务院办公厅通知）目前只覆盖到 {last} 年。{following} 年的办理期限将按 "
        f"holidays 程序包推算的节假日（不含调休上班日）暂定计算，并在诉求上标注“暂定”。"
        f"国务院办公厅公布 {following} 年放假安排后，请在“节假日安排”页录入；"
        "录入后所有暂定期限将重新计算。"
    )


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours in China time.

    Working days come from an ordered list of sources, the first that covers a day's year
    deciding: the State Council's notices entered by an administrator (`years`, which win), then
    chinese-calendar, then the `holidays` package's China calendar, then weekends only. A day
    decided by a source that is not official (the last two) makes a deadline provisional
    (`provisional`); nothing is ever refused for want of a calendar. `natural` calendars count
    every hour of every day (自然日). The sources are injected (`sources`), so tests choose what
    the packages are taken to cover.
    """

    name: str
    hours: tuple[tuple[dt.time, dt.time], ...] = OFFICE_HOURS
    natural: bool = False
    years: Mapping[int, YearTable] = field(default_factory=dict)
    sources: tuple[Source, ...] = field(default_factory=lambda: statutory_sources())

    @cached_property
    def chain(self) -> tuple[Source, ...]:
        """The sources in order of precedence, the administrator's tables first."""
        return (NoticeTables(self.years), *self.sources) if self.years else self.sources

    @cached_property
    def _deciding(self) -> dict[int, Source]:
        return {}

    def source(self, year: int) -> Source:
        """The source that decides the days of year."""
        found = self._deciding.get(year)
        if found is None:
            found = self._deciding[year] = next(s for s in self.chain if s.covers(year))
        return found

    def is_workday(self, day: dt.date) -> bool:
        """Whether day is a working day."""
        if self.natural:
            return True
        return self.source(day.year).is_workday(day)

    def official(self, year: int) -> bool:
        """Whether the working days of year come from an official source."""
        return self.natural or self.source(year).official

    def provisional(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether a span of time runs through a year whose working days are only estimated."""
        first, last = sorted((start.astimezone(CHINA_TIME).year, end.astimezone(CHINA_TIME).year))
        return any(not self.official(year) for year in range(first, last + 1))

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
