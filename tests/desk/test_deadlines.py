"""Working time and deadline clocks, without a database: statutory holidays, make-up working
weekends (调休), working hours, pauses, transfers, reopening, and a year without holiday data."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.desk.conftest import china
from wulian.core.calendar import CalendarMissing, WorkCalendar
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


def test_a_year_without_holiday_data_is_an_error_not_a_guess():
    with pytest.raises(CalendarMissing) as error:
        replay([(china(2026, 12, 28, 10, 0), "submit", "submitted")])  # runs into 2027
    assert "2027" in error.value.message
    assert "chinese-calendar" in error.value.message
    # The administrator enters the State Council's notice for 2027 in the configuration:
    notice = WorkCalendar(
        "法定工作日",
        years={2027: (frozenset({dt.date(2027, 1, 1)}), frozenset({dt.date(2027, 1, 2)}))},
    )
    result = replay([(china(2026, 12, 28, 10, 0), "submit", "submitted")], calendar=notice)
    # 29, 30, 31 December, 2 January 2027 (a make-up Saturday; the 1st is a holiday), 4 January
    assert result.due_at == china(2027, 1, 4, 17, 30)


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
