"""The score histogram's bins: few, round, covering every firm once, following the spread."""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from wulian.landuse.charts import MAX_BINS, histogram


def edges(label: str) -> tuple[float, float]:
    low, high = re.split(r"–(?=-?\d)", label.replace(",", ""), maxsplit=1)
    return float(low), float(high)


@given(
    st.lists(
        st.floats(min_value=-500, max_value=10_000, allow_nan=False), min_size=1, max_size=300
    ),
    st.booleans(),
)
def test_every_score_falls_in_one_of_at_most_thirty_bins(scores, capped):
    top = max(scores) if capped else None
    bins = histogram(scores, top=top)
    assert 1 <= len(bins) <= MAX_BINS
    assert sum(n for _, n in bins) == len(scores)
    closed = [edges(label) for label, _ in bins if not label.startswith("≥") and "–" in label]
    for (_, high), (low, _) in pairwise(closed):
        assert high == low  # the bins meet end to end
    if closed:
        assert closed[0][0] <= min(scores)


def test_bins_follow_the_spread_and_the_far_firms_share_an_open_bin():
    rng = np.random.default_rng(7)
    body = rng.lognormal(4.3, 0.45, 2_000).tolist()
    uncapped = histogram([*body, 568.87, 2_400.0, 7_380.0])
    assert len(uncapped) <= MAX_BINS
    assert uncapped[-1][0].startswith("≥")
    assert uncapped[-1][1] >= 3  # the three far firms, not 370 empty bins of 20 points
    widths = {round(b - a, 9) for a, b in (edges(label) for label, _ in uncapped[:-1])}
    assert len(widths) == 1
    assert widths.pop() in {1, 2, 2.5, 5, 10, 20, 25, 50}
    capped = histogram(np.clip(body, 0, 200).tolist(), top=200.0)
    assert not any(label.startswith("≥") for label, _ in capped)
    assert edges(capped[-1][0])[1] == 200  # the cap bounds the scale


def test_one_value_or_none():
    assert histogram([]) == []
    assert histogram([88.0] * 12) == [("88", 12)]
