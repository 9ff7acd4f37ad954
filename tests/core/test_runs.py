"""The evaluation kit's run lifecycle and period, on a plain run object (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wulian.core import runs
from wulian.core.errors import Conflict, InvalidInput

DAY = dt.date(2025, 6, 2)


@dataclass
class Run:
    status: str = "draft"
    note: str = ""
    notice_from: dt.date | None = None
    notice_until: dt.date | None = None
    published_at: dt.datetime | None = None
    published_by: str | None = None

    @property
    def state(self) -> runs.RunStatus:
        return runs.RunStatus(self.status)


@given(st.integers(min_value=1990, max_value=2100))
def test_a_year_is_the_period_both_ways(year):
    assert runs.year_period(year) == runs.year_period(f" {year} ") == str(year)
    assert runs.period_year(runs.year_period(year)) == year


@pytest.mark.parametrize("bad", ["24", "2024-01", "二〇二四", "1989", "2101", "", "２０２４"])
def test_a_period_that_is_not_a_year_is_refused_with_its_value(bad):
    with pytest.raises(InvalidInput) as caught:
        runs.year_period(bad)
    assert caught.value.extra == {"field": "period", "value": bad.strip()}


def test_notice_publish_withdraw_in_order_only():
    run = Run()
    with pytest.raises(Conflict, match="只有公示中的评价可以发布；本评价草稿"):
        runs.publish(run, by="甲", today=DAY, notice_required=True)
    runs.start_notice(run, days=1, today=DAY)
    assert (run.status, run.notice_from, run.notice_until) == ("notice", DAY, DAY)
    with pytest.raises(Conflict, match="结束后才能发布"):
        runs.publish(run, by="甲", today=DAY, notice_required=True)
    runs.publish(run, by="甲", today=DAY + dt.timedelta(days=1), notice_required=True)
    assert (run.status, run.published_by) == ("published", "甲")
    runs.withdraw(run, reason=" 数据有误 ")
    assert (run.status, run.note) == ("withdrawn", "撤回：数据有误")
    with pytest.raises(Conflict, match="本评价已撤回"):
        runs.withdraw(run, reason="再撤")


def test_a_kind_without_required_notice_publishes_a_draft():
    run = Run()
    runs.publish(run, by="乙", today=DAY, notice_required=False)
    assert (run.status, run.notice_from) == ("published", None)
