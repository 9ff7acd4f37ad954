"""The tabular reader's refusals speak Chinese only: no library text reaches the user."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from wulian.core import tabular
from wulian.core.errors import InvalidFile
from wulian.core.tabular import read_table

# A word of a library's message; extensions (.xlsx) and the words Excel and CSV aside.
ENGLISH = re.compile(r"(?<![.A-Za-z])[A-Za-z]{4,}")


def truncated_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    return buffer.getvalue()[:40]


@pytest.mark.parametrize(
    ("data", "filename", "expected"),
    [
        (b"name,value\n1,2\n", "data.xlsx", "无法识别文件格式"),
        (b"garbage", "data.xls", "无法识别文件格式"),
        (truncated_xlsx(), "data.xlsx", "文件已损坏或设置了打开密码"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "data.xls", "文件已损坏"),
        (b"a,b\n" + b'"' + b"x" * (csv.field_size_limit() + 10) + b'"\n', "data.csv", "CSV"),
    ],
)
def test_unreadable_files_are_explained_in_chinese(data, filename, expected):
    with pytest.raises(InvalidFile) as caught:
        read_table(data, filename)
    message = caught.value.message.replace(filename, "").replace("Excel", "").replace("CSV", "")
    assert expected in caught.value.message
    assert not ENGLISH.search(message), message


def _workbook(cells: list[tuple[int, int, object]], sheet: str = "数据") -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    first = book.add_worksheet("说明")
    first.write(0, 0, "封面")
    target = book.add_worksheet(sheet)
    for row, column, value in cells:
        target.write(row, column, value)
    book.close()
    return buffer.getvalue()


def test_a_sheet_spanning_the_whole_grid_is_refused_before_it_is_read():
    # 5 KB: two cells at A1 and XFD1048576 would make the reader allocate 17 billion cells
    data = _workbook([(0, 0, "企业名称"), (1_048_575, 16_383, "x")])
    assert len(data) < 10_000
    with pytest.raises(InvalidFile, match="工作表范围过大") as refused:
        read_table(data, "名录.xlsx", sheet="数据")
    assert "17,179,869,184" in str(refused.value)


def test_a_small_file_spanning_three_million_cells_is_refused():
    data = _workbook([(r, 999 if r % 2 else 0, 1) for r in range(3000)])
    with pytest.raises(InvalidFile, match="3,000,000 格"):
        read_table(data, "稀疏.xlsx", sheet="数据")


def test_the_span_is_that_of_the_sheet_asked_for():
    data = _workbook([(0, 0, "企业名称"), (0, 1, "营业收入"), (1, 0, "甲公司"), (1, 1, 12.5)])
    assert tabular._sheet_span(data, "数据") == 4
    table = read_table(data, "名录.xlsx", sheet="数据")
    assert table.frame.to_dicts() == [{"企业名称": "甲公司", "营业收入": "12.5"}]
