"""Working time and deadline clocks, without a database: statutory holidays, make-up working
weekends (调休), working hours, pauses, transfers, reopening, and the years no notice covers yet
(provisional deadlines from the holidays package, the administrator's notice winning)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.desk.conftest import china
from wulian.core.calendar import (
    ChineseCalendar,
    HolidaysPackage,
    NoticeTables,
    WeekendsOnly,
    WorkCalendar,
    YearTable,
    coverage_warning,
    official_until,
)
from wulian.desk import deadlines
from wulian.desk.deadlines import Budget, Step

WORKDAY = WorkCalendar("法定工作日")
NATURAL = WorkCalendar("自然日", natural=True)
PAUSES = frozenset({"waiting"})
CLOSURE = Budget("closure", 5, "days", frozenset({"submit", "reopen"}), frozenset({"close"}))
RESPONSE = Budget("response", 1, "hours", frozenset({"submit"}), frozenset({"accept"}))


def replay(steps, budget=CLOSURE, calendar=WORKDAY):
    return deadlines.replay([Step(*s) for s in steps], budget, calendar, PAUSES)


def test_the_national_day_holiday_does_not_count():
    # 2026: 10月1日—7日放假, 10月10日（周六）上班.
    result = replay([(china(2026, 9, 30, 15, 0), "submit", "submitted")])
    assert result.status == "running"
    assert result.due_at == china(2026, 10, 13, 17, 30)  # 8, 9, 10 (Sat), 12, 13 October


def test_a_make_up_sunday_is_a_working_day():
    # 9月20日（周日）为国庆调休上班日.
    one_day = Budget("closure", 1, "days", frozenset({"submit"}), frozenset({"close"}))
    result = replay([(china(2026, 9, 18, 16, 0), "submit", "submitted")], one_day)
    assert result.due_at == china(2026, 9, 20, 17, 30)
    assert WORKDAY.is_workday(dt.date(2026, 9, 20))
    assert not WORKDAY.is_workday(dt.date(2026, 9, 26))  # an ordinary Saturday


def test_the_spring_festival():
    # 2026 春节：2月15日—23日放假，2月14日（周六）、2月28日（周六）上班.
    two_days = Budget("closure", 2, "days", frozenset({"submit"}), frozenset({"close"}))
    result = replay([(china(2026, 2, 13, 10, 0), "submit", "submitted")], two_days)
    assert result.due_at == china(2026, 2, 24, 17, 30)  # 14 February (Sat), then the 24th


def test_working_hours_skip_lunch_nights_and_weekends():
    assert replay([(china(2026, 9, 28, 11, 30), "submit", "submitted")], RESPONSE).due_at == china(
        2026, 9, 28, 14, 0
    )
    friday = replay([(china(2026, 11, 6, 17, 0), "submit", "submitted")], RESPONSE)
    assert friday.due_at == china(2026, 11, 9, 9, 30)
    mid_autumn = replay([(china(2026, 9, 25, 17, 0), "submit", "submitted")], RESPONSE)
    assert mid_autumn.due_at == china(2026, 9, 28, 10, 0)  # 中秋节 9月25日（周五）放假
    night = replay([(china(2026, 9, 28, 22, 0), "submit", "submitted")], RESPONSE)
    assert night.due_at == china(2026, 9, 29, 10, 0)
    urgent = replay([(china(2026, 10, 1, 22, 0), "submit", "submitted")], RESPONSE, NATURAL)
    assert urgent.due_at == china(2026, 10, 1, 23, 0)


def test_a_pause_moves_the_deadline_by_the_working_time_it_took():
    start = china(2026, 11, 2, 9, 0)  # Monday
    plain = replay([(start, "submit", "submitted")])
    assert plain.due_at == china(2026, 11, 9, 17, 30)
    paused = replay(
        [
            (start, "submit", "submitted"),
            (china(2026, 11, 3, 9, 0), "suspend", "waiting"),
            (china(2026, 11, 5, 9, 0), "supply", "handling"),  # two working days waiting
        ]
    )
    assert paused.status == "running"
    assert paused.due_at == china(2026, 11, 11, 17, 30)
    waiting = replay(
        [(start, "submit", "submitted"), (china(2026, 11, 3, 9, 0), "suspend", "waiting")]
    )
    assert waiting.status == "paused"
    assert waiting.due_at is None


def test_a_transfer_loses_no_time():
    start = china(2026, 11, 2, 9, 0)
    moved = replay(
        [
            (start, "submit", "submitted"),
            (china(2026, 11, 2, 10, 0), "assign", "assigned"),
            (china(2026, 11, 4, 15, 0), "transfer", "assigned"),
            (china(2026, 11, 5, 9, 0), "transfer", "assigned"),
        ]
    )
    assert moved.due_at == replay([(start, "submit", "submitted")]).due_at


def test_met_breached_and_reopened():
    start = china(2026, 11, 2, 9, 0)
    met = replay([(start, "submit", "s"), (china(2026, 11, 6, 10, 0), "close", "closed")])
    assert met.status == "met"
    late = replay([(start, "submit", "s"), (china(2026, 11, 10, 10, 0), "close", "closed")])
    assert late.status == "breached"
    assert late.due_at == china(2026, 11, 9, 17, 30)
    assert deadlines.breached_by(late, china(2026, 11, 10, 11, 0))
    reopened = replay(
        [
            (start, "submit", "s"),
            (china(2026, 11, 10, 10, 0), "close", "closed"),
            (china(2026, 11, 11, 10, 0), "reopen", "handling"),
        ]
    )
    assert reopened.status == "running"
    assert reopened.due_at == china(2026, 11, 18, 17, 30)


# The packages as they stand at the end of 2026: chinese-calendar holds the notices up to 2026.
PACKAGES = (ChineseCalendar(last_year=2026), HolidaysPackage(), WeekendsOnly())
YEAR_END = WorkCalendar("法定工作日", sources=PACKAGES)
NOTICE_2027 = YearTable(  # a notice for 2027 as an administrator would enter it
    holidays=frozenset({dt.date(2027, 1, 1)} | {dt.date(2027, 2, d) for d in range(5, 12)}),
    workdays=frozenset({dt.date(2027, 1, 2), dt.date(2027, 2, 14)}),
    notice="国办发明电〔2026〕9号",
)


@pytest.mark.parametrize("day", [24, 30])
def test_a_request_at_the_year_end_gets_a_provisional_deadline_not_a_refusal(day):
    ten_days = Budget("closure", 10, "days", frozenset({"submit"}), frozenset({"close"}))
    result = replay([(china(2026, 12, day, 10, 0), "submit", "submitted")], ten_days, YEAR_END)
    assert result.status == "running"
    assert result.due_at is not None
    assert result.due_at.year == 2027
    assert result.provisional
    # Within 2026 the notice is known (chinese-calendar): nothing provisional.
    inside = replay([(china(2026, 12, 21, 10, 0), "submit", "submitted")], CLOSURE, YEAR_END)
    assert inside.due_at == china(2026, 12, 28, 17, 30)
    assert not inside.provisional


def test_an_unannounced_year_counts_the_holidays_by_rule():
    # 30 December 2026 + 5 working days: 31 December, then 1 January 2027 is 元旦 by rule, so
    # 4, 5, 6, 7 January; weekends alone would have counted the 1st.
    result = replay([(china(2026, 12, 30, 10, 0), "submit", "submitted")], CLOSURE, YEAR_END)
    assert result.due_at == china(2027, 1, 7, 17, 30)
    assert result.provisional
    weekends = WorkCalendar("法定工作日", sources=(WeekendsOnly(),))
    plain = replay([(china(2026, 12, 30, 10, 0), "submit", "submitted")], CLOSURE, weekends)
    assert plain.due_at == china(2027, 1, 6, 17, 30)
    assert plain.provisional


def test_the_administrators_notice_wins_and_is_official():
    entered = WorkCalendar("法定工作日", years={2027: NOTICE_2027}, sources=PACKAGES)
    result = replay([(china(2026, 12, 30, 10, 0), "submit", "submitted")], CLOSURE, entered)
    # 31 December, 2 January (a make-up Saturday; the 1st is a holiday), 4, 5, 6 January
    assert result.due_at == china(2027, 1, 6, 17, 30)
    assert not result.provisional
    assert entered.source(2027).official
    assert entered.source(2027).label.startswith("国务院")
    assert not YEAR_END.source(2027).official


def test_the_clock_in_2027_and_2028():
    # 2027 春节 by rule: 5 February (除夕) to 10 February off; no make-up Saturdays are known.
    two_days = Budget("closure", 2, "days", frozenset({"submit"}), frozenset({"close"}))
    spring = replay([(china(2027, 2, 4, 10, 0), "submit", "submitted")], two_days, YEAR_END)
    assert spring.due_at == china(2027, 2, 12, 17, 30)  # 11 and 12 February
    assert spring.provisional
    entered = WorkCalendar("法定工作日", years={2027: NOTICE_2027}, sources=PACKAGES)
    official = replay([(china(2027, 2, 4, 10, 0), "submit", "submitted")], two_days, entered)
    assert official.due_at == china(2027, 2, 14, 17, 30)  # 11 February is off, 14th worked
    assert not official.provisional
    # 2028: 春节 25 to 28 January by rule; the next working days are 31 January, 1 February.
    later = replay([(china(2028, 1, 24, 10, 0), "submit", "submitted")], two_days, entered)
    assert later.due_at == china(2028, 2, 1, 17, 30)
    assert later.provisional  # 2028 is not in the notice entered for 2027
    hours = replay([(china(2028, 6, 5, 10, 0), "submit", "submitted")], RESPONSE, entered)
    assert hours.due_at == china(2028, 6, 5, 11, 0)
    assert hours.provisional


def test_the_holidays_package_knows_make_up_days_only_for_announced_years():
    package = HolidaysPackage()
    assert package.is_workday(dt.date(2026, 1, 4))  # a Sunday worked for 元旦 2026
    assert not package.is_workday(dt.date(2026, 1, 2))
    assert not package.is_workday(dt.date(2027, 10, 1))
    assert not package.is_workday(dt.date(2027, 2, 7))  # a Sunday of the Spring Festival
    assert not package.official


def test_administrators_are_warned_60_days_before_the_official_years_run_out():
    assert official_until(PACKAGES, dt.date(2026, 12, 3)) == 2026
    assert coverage_warning(PACKAGES, dt.date(2026, 10, 31)) is None  # 61 days before the end
    assert coverage_warning(PACKAGES, dt.date(2026, 11, 1)) is not None  # 60 days before
    warning = coverage_warning(PACKAGES, dt.date(2026, 12, 3))
    assert warning is not None
    assert "2026" in warning
    assert "2027" in warning
    with_notice = (NoticeTables({2027: NOTICE_2027}), *PACKAGES)
    assert coverage_warning(with_notice, dt.date(2026, 12, 3)) is None
    assert coverage_warning(with_notice, dt.date(2027, 10, 31)) is None
    assert "2028" in (coverage_warning(with_notice, dt.date(2027, 11, 1)) or "")
    # In 2028 with no notice entered for 2027 or 2028, the official data ended with 2026.
    assert official_until(PACKAGES, dt.date(2028, 3, 1)) == 2026
    assert "2026" in (coverage_warning(PACKAGES, dt.date(2028, 3, 1)) or "")


instants = st.datetimes(min_value=dt.datetime(2026, 1, 5), max_value=dt.datetime(2026, 11, 30)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=china(2026, 1, 1).tzinfo)
)


@settings(max_examples=60, deadline=None)
@given(
    start=instants,
    gaps=st.lists(st.integers(min_value=1, max_value=4 * 24 * 60), min_size=0, max_size=6),
    hours=st.integers(min_value=1, max_value=40),
)
def test_the_working_time_used_up_to_the_deadline_is_the_budget(start, gaps, hours):
    """However a request alternates between handling and waiting, the working time it spent
    not waiting between the start and the deadline equals the budget."""
    budget = Budget("x", hours, "hours", frozenset({"submit"}), frozenset({"close"}))
    steps = [Step(start, "submit", "handling")]
    at = start
    for i, minutes in enumerate(gaps):
        at = at + dt.timedelta(minutes=minutes)
        steps.append(
            Step(at, "suspend" if i % 2 == 0 else "supply", "waiting" if i % 2 == 0 else "handling")
        )
    if steps[-1].state == "waiting":
        steps.append(Step(at + dt.timedelta(minutes=1), "supply", "handling"))
    result = deadlines.replay(steps, budget, WORKDAY, PAUSES)
    assert result.due_at is not None
    counted = 0.0
    for here, there in zip(steps, [*steps[1:], Step(result.due_at, "end", "")], strict=True):
        if here.state != "waiting" and here.at < result.due_at:
            counted += WORKDAY.working_seconds(here.at, min(there.at, result.due_at))
    assert counted == pytest.approx(hours * 3600, abs=1)
    without = deadlines.replay(steps[:1], budget, WORKDAY, PAUSES)
    assert result.due_at >= without.due_at  # waiting never brings a deadline forward
