"""The administrator's holiday notices: read as calendar sources, entered with checks."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import calendar
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor, Permission
from wulian.core.workdays.models import HolidayNotice

FIRST_YEAR, LAST_YEAR = 2000, 2100
_CACHE = "wulian.holiday_notices"


def get_all(session: Session, *, actor: Actor) -> list[HolidayNotice]:
    """Every entered notice, newest year first."""
    actor.require(Permission.CALENDAR_MANAGE)
    return list(session.scalars(sa.select(HolidayNotice).order_by(HolidayNotice.year.desc())))


def tables(session: Session) -> dict[int, calendar.YearTable]:
    """The entered notices as the calendar reads them, by year (read once per unit of work)."""
    known: dict[int, calendar.YearTable] | None = session.info.get(_CACHE)
    if known is not None:
        return known
    rows = session.scalars(sa.select(HolidayNotice)).all()
    known = session.info[_CACHE] = {
        row.year: calendar.YearTable(
            frozenset(dt.date.fromisoformat(d) for d in row.holidays),
            frozenset(dt.date.fromisoformat(d) for d in row.workdays),
            row.notice_no,
        )
        for row in rows
    }
    return known


def sources(session: Session) -> tuple[calendar.Source, ...]:
    """Every source of working days in order: the entered notices, then the packages."""
    return (calendar.NoticeTables(tables(session)), *calendar.statutory_sources())


def warning(session: Session, *, today: dt.date) -> str | None:
    """The administrators' warning that the official holiday data is about to run out."""
    return calendar.coverage_warning(sources(session), today)


def _days(text: str, *, year: int, label: str, field: str) -> list[dt.date]:
    """Dates typed one per line or separated by commas; a range as 2027-02-05~2027-02-11."""
    found: set[dt.date] = set()
    text = re.sub(r"\s*(?:~|～|至)\s*", "~", text)
    for item in re.split(r"[\s,，、;；]+", text):
        if not item:
            continue
        days = []
        for end in item.split("~", 1):
            try:
                days.append(dt.date.fromisoformat(end))
            except ValueError:
                raise InvalidInput(
                    f"{label}中的“{end}”不是日期，应写作 YYYY-MM-DD（如 {year}-10-01）", field=field
                ) from None
            if days[-1].year != year:
                raise InvalidInput(
                    f"{label}中的 {end} 不在 {year} 年内：一份通知只录入本年的日期", field=field
                )
        if days[-1] < days[0]:
            raise InvalidInput(f"{label}中的区间“{item}”结束日期早于开始日期", field=field)
        day = days[0]
        while day <= days[-1]:
            found.add(day)
            day += dt.timedelta(days=1)
    return sorted(found)


WEEKDAYS = "一二三四五六日"


def save(
    session: Session,
    *,
    actor: Actor,
    year: int | str,
    notice_no: str,
    holidays: str,
    workdays: str,
) -> HolidayNotice:
    """Enter (or correct) the notice of a year. Holidays are the days off (weekends inside a
    holiday may be listed or not); workdays are the weekends worked (调休上班日)."""
    actor.require(Permission.CALENDAR_MANAGE)
    try:
        year = int(str(year).strip())
    except ValueError:
        raise InvalidInput(f"年份“{year}”应为四位数字，如 2027", field="year") from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"年份应在 {FIRST_YEAR}—{LAST_YEAR} 之间", field="year")
    notice_no = notice_no.strip()
    if not notice_no or len(notice_no) > 60:
        raise InvalidInput(
            "请填写通知文号（如 国办发明电〔2026〕7号），不超过 60 个字", field="notice_no"
        )
    off = _days(holidays, year=year, label="放假日期", field="holidays")
    worked = _days(workdays, year=year, label="调休上班日期", field="workdays")
    if not off:
        raise InvalidInput("放假日期不能为空：请按通知录入本年的法定节假日", field="holidays")
    both = sorted(set(off) & set(worked))
    if both:
        raise InvalidInput(
            f"{both[0].isoformat()} 同时出现在放假日期和调休上班日期中", field="workdays"
        )
    for day in worked:
        if day.weekday() < 5:
            raise InvalidInput(
                f"调休上班日期 {day.isoformat()} 是星期{WEEKDAYS[day.weekday()]}，本来就是工作日："
                "这里只录入需要上班的周六、周日",
                field="workdays",
            )
    session.info.pop(_CACHE, None)
    row = session.scalar(sa.select(HolidayNotice).where(HolidayNotice.year == year))
    if row is None:
        row = HolidayNotice(year=year, entered_by=actor.label)
        session.add(row)
    row.notice_no = notice_no
    row.holidays = [d.isoformat() for d in off]
    row.workdays = [d.isoformat() for d in worked]
    row.entered_by = actor.label
    row.updated_at = utcnow()
    session.flush()
    session.info.pop(_CACHE, None)
    return row
