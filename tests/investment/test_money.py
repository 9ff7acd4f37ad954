"""Amounts typed in 亿元 are kept as whole 万元 exactly and shown back as typed; values off by
10⁴ or finer than 1 万元 are refused (no floats anywhere)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wulian.core.errors import InvalidInput
from wulian.investment import service

AMOUNTS = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4, allow_nan=False
)


@given(AMOUNTS)
def test_an_amount_round_trips_exactly(amount):
    wan = service.parse_yi(str(amount), field="amount_yi", label="总投资")
    assert wan == int(amount * 10_000)
    assert Decimal(service.yi(wan)) == amount


@given(st.integers(min_value=10_000, max_value=10**9))
def test_ten_thousand_yi_and_more_is_taken_for_wan(value):
    with pytest.raises(InvalidInput) as refused:
        service.parse_yi(str(value), field="amount_yi", label="总投资")
    assert refused.value.extra["unit_suspect"] is True
    assert f"按万元即 {service.yi(value)} 亿元" in refused.value.message


@given(st.integers(min_value=1, max_value=10**9))
def test_bands_split_at_ten_and_a_hundred_yi(wan):
    band = service.band_of(wan)
    assert band == ("100" if wan >= 1_000_000 else "10" if wan >= 100_000 else "small")
