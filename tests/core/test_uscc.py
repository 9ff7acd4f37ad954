from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc

from wulian.core.errors import InvalidInput
from wulian.enterprises.uscc import normalise

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52"]),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.text(alphabet=ALPHABET, min_size=9, max_size=9),
)
def test_any_well_formed_code_with_its_check_digit_is_accepted(kind, region, organisation):
    body = kind + region + organisation
    code = body + uscc.calc_check_digit(body)
    assert normalise(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("9133080", "长度应为 18 位"),
        ("91330800MA28F3A001", "校验位不正确"),
        ("91330800MA28F3A0!X", "格式不正确"),
    ],
)
def test_bad_codes_say_why_in_chinese(code, reason):
    with pytest.raises(InvalidInput, match=reason) as info:
        normalise(code)
    assert code in info.value.message
