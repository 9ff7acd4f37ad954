"""A request's number attributes read as numbers on its page: the financing amount typed as 3800
shows “3,800”, not “3800.0”; a fraction keeps its digits and gets thousands separators."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.desk.conftest import submit
from wulian.desk.views import attribute_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(3800.0, "3,800"), (1234.5, "1,234.5"), (0.01, "0.01"), (1000000, "1,000,000"),
     (12.25, "12.25"), ("流动资金", "流动资金"), (True, "True")],
)  # fmt: skip
def test_number_attributes_are_shown_plainly(value, shown):
    assert attribute_text(value) == shown


def test_an_identifier_is_shown_as_people_copy_it():
    assert attribute_text(12345.0, "人员编号（本企业登记的人才）") == "12345"
    assert attribute_text(12345.0, "涉及人数") == "12,345"


def test_the_request_page_shows_the_financing_amount_grouped(make_client, world, desk):
    whole, _ = submit(world, category="financing", title="扩产需要流动资金",
                      attributes={"amount_wan": "3800", "purpose": "流动资金"})  # fmt: skip
    part, _ = submit(world, category="financing", title="设备更新贷款",
                     attributes={"amount_wan": "12345.5", "purpose": "设备购置"})  # fmt: skip
    firm = make_client()
    login(firm, "firm1")
    page = firm.get(f"/desk/requests/{whole}").text
    assert "<dt>融资金额（万元）</dt><dd>3,800</dd>" in page
    assert "3800.0" not in page
    assert "<dd>12,345.5</dd>" in firm.get(f"/desk/requests/{part}").text
