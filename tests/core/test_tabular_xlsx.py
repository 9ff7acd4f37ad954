"""Workbook cells read back as the text a person sees, with the sheet's row numbers."""

from __future__ import annotations

import datetime as dt
import io

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from wulian.core import tabular
from wulian.core.tabular import read_table


@given(
    st.lists(
        st.one_of(st.floats(), st.floats(-1e16, 1e16), st.integers(-(10**6), 10**6).map(float))
    )
)
def test_numbers_are_written_in_their_shortest_exact_form(values):
    text = tabular._float_text(pl.Series(values, dtype=pl.Float64))
    assert text.to_list() == [tabular._cell_text(v) for v in values]


def workbook(rows: dict[int, list[object]]) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("数据")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    for r, values in rows.items():
        for c, value in enumerate(values):
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value, day)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return buffer.getvalue()


def test_every_kind_of_cell_reads_as_the_text_shown():
    data = workbook(
        {
            0: ["2025 年度企业名单"],
            2: ["企业名称", "营业收入", "成立日期", "高新技术企业", "备注"],
            3: [" 甲公司\u3000", 1200.0, dt.datetime(2019, 5, 6), True, "-"],
            4: ["乙公司", 0.1, dt.datetime(2020, 1, 2, 8, 30), False, 1e20],
            6: ["丙公司", -3.25, None, None, 12.0],
        }
    )
    table = read_table(data, "名单.xlsx", is_header=lambda cells: "企业名称" in cells)
    assert table.header_row == 3
    assert table.sheet == "数据"
    assert table.rows.to_list() == [4, 5, 7]
    assert table.frame.rows() == [
        ("甲公司", "1200", "2019-05-06", "是", "-"),
        ("乙公司", "0.1", "2020-01-02 08:30:00", "否", "1e+20"),
        ("丙公司", "-3.25", "", "", "12"),
    ]
