"""One "today" for the platform: the date in China, whatever the host's time zone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from wulian.core import calendar

SRC = Path(__file__).resolve().parents[2] / "src" / "wulian"


def test_today_is_the_date_in_china_before_eight_in_the_morning():
    # 23:30 UTC on 3 December is 07:30 on 4 December in China
    late_utc = dt.datetime(2026, 12, 3, 23, 30, tzinfo=dt.UTC)
    assert calendar.today(late_utc) == dt.date(2026, 12, 4)
    assert calendar.today(dt.datetime(2026, 12, 3, 15, 59, tzinfo=dt.UTC)) == dt.date(2026, 12, 3)
    assert calendar.today(dt.datetime(2026, 12, 3, 16, 0, tzinfo=dt.UTC)) == dt.date(2026, 12, 4)


def test_no_module_asks_the_host_for_its_local_date():
    local = re.compile(r"\bdate\.today\(\)|datetime\.now\(\)|datetime\.today\(\)")
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in SRC.rglob("*.py")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if local.search(line)
    ]
    assert found == []
