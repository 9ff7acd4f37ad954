"""Deadline clocks replayed from a request's events (pure: no database).

A clock (首次响应, 进展反馈, 办结) starts at the first event whose action starts it and stops at
the first later event whose action stops it; a reopening starts it again. Its budget is working
time on the request's calendar: so many working hours, or up to the end of the N-th working day
after the day it started. Time spent in a pausing state (waiting for the firm) does not count,
and a transfer changes nothing, so replaying the trail always gives the same deadline, whatever
happened in between.

A deadline counted on days that no official source decides (a year before the State Council's
notice is entered) is provisional (暂定), and is counted again once the notice is there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from wulian.core.calendar import WorkCalendar

Status = Literal["pending", "running", "paused", "met", "breached"]
STATUS_NAMES: dict[str, str] = {
    "pending": "未开始",
    "running": "计时中",
    "paused": "已暂停",
    "met": "按时",
    "breached": "超时",
}


@dataclass(frozen=True)
class Step:
    """An event as the clocks see it: when, which action, and the state it left the request in."""

    at: dt.datetime
    action: str
    state: str


@dataclass(frozen=True)
class Budget:
    key: str
    amount: float
    unit: Literal["hours", "days"]
    starts: frozenset[str]
    stops: frozenset[str]


@dataclass(frozen=True)
class ClockResult:
    key: str
    status: Status
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    due_at: dt.datetime | None  # None while paused or not started
    budget: float  # working seconds
    used: float  # working seconds counted so far (up to the last event, or the stop)
    warn_at: dt.datetime | None  # when it becomes due soon
    provisional: bool = False  # counted on days not decided by an official source (暂定)

    @property
    def remaining(self) -> float:
        return self.budget - self.used


def _budget_seconds(
    budget: Budget, calendar: WorkCalendar, start: dt.datetime
) -> tuple[float, dt.datetime | None]:
    """The budget in working seconds, and for a days target the end of its last whole day."""
    if budget.unit == "hours":
        return budget.amount * 3600.0, None
    whole = int(budget.amount)
    end = calendar.end_of_workday(start, whole) if whole else start
    seconds = calendar.working_seconds(start, end)
    return seconds + (budget.amount - whole) * calendar.day_seconds(), end


def replay(
    steps: Sequence[Step],
    budget: Budget,
    calendar: WorkCalendar,
    pauses: frozenset[str],
    *,
    warn: float = 0.2,
) -> ClockResult:
    """The clock of budget over steps (in time order)."""
    start_index = None
    for i, step in enumerate(steps):
        if step.action in budget.starts:
            start_index = i  # the last start: a reopening runs the clock again
    if start_index is None:
        return ClockResult(budget.key, "pending", None, None, None, 0.0, 0.0, None)
    started = steps[start_index].at
    seconds, budget_end = _budget_seconds(budget, calendar, started)
    used = 0.0
    due: dt.datetime | None = None
    stopped: dt.datetime | None = None
    state = steps[start_index].state
    last = started
    for step in steps[start_index + 1 :]:
        if state not in pauses:
            span = calendar.working_seconds(last, step.at)
            if due is None and used + span >= seconds:
                due = calendar.add(last, seconds - used)
            used += span
        last, state = step.at, step.state
        if step.action in budget.stops:
            stopped = step.at
            break
    warn_at = None
    if stopped is not None:
        status: Status = "met" if used <= seconds else "breached"
    elif state in pauses:
        status = "paused"
    else:
        status = "running"
        if due is None:
            due = calendar.add(last, seconds - used)
        left = seconds * warn
        warn_at = due if used >= seconds - left else calendar.add(last, seconds - used - left)
    # The budget of a days target is counted to the end of its N-th working day, so the span
    # the calendar decided reaches at least that far.
    reach = max(t for t in (stopped, due, last, budget_end) if t)
    provisional = calendar.provisional(started, reach)
    if status == "paused":
        due = None
    return ClockResult(
        budget.key, status, started, stopped, due, seconds, used, warn_at, provisional
    )


def breached_by(result: ClockResult, now: dt.datetime) -> bool:
    """Whether the clock is past its deadline at now (stopped late, or running past due)."""
    if result.status == "breached":
        return True
    return result.status == "running" and result.due_at is not None and now > result.due_at
