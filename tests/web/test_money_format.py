"""Amounts in 万元 as pages show them: no trailing .0, thousands separators, missing as a dash."""

from __future__ import annotations

import pytest

from wulian.web.templating import wan


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (200_000, "20"),
        (5_000_000, "500"),
        (125_000, "12.5"),
        (123_456, "12.35"),
        (100, "0.01"),
        (0, "0"),
        (120_000_000, "12,000"),
        (None, "—"),
    ],
)
def test_wan_drops_trailing_zeros(yuan: int | None, shown: str) -> None:
    assert wan(yuan) == shown
