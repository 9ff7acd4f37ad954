"""CSV files read back as a person wrote them: the cells (stripped), and the spreadsheet row each
came from, whatever the encoding, quoting, line breaks inside cells, blank or ragged lines."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.core.errors import InvalidFile
from wulian.core.tabular import read_table

HEADER = ["企业名称", "营业收入", "备注"]


def written(lines: list[list[str]], terminator: str = "\r\n") -> str:
    text = io.StringIO()
    csv.writer(text, lineterminator=terminator).writerows(lines)
    return text.getvalue()


def expected(lines: list[list[str]]) -> tuple[list[str], list[dict[str, str]], list[int]]:
    """Columns, cells and row numbers as a person sees them in the sheet (header on line 1)."""
    width = max(len(line) for line in lines)
    names = [*HEADER, *(f"（第 {i + 1} 列）" for i in range(len(HEADER), width))]
    body = [
        (number, [c.strip() for c in line] + [""] * (width - len(line)))
        for number, line in enumerate(lines[1:], start=2)
        if any(c.strip() for c in line)
    ]
    kept = [i for i, n in enumerate(names) if i < len(HEADER) or any(cells[i] for _, cells in body)]
    frame = [{names[i]: cells[i] for i in kept} for _, cells in body]
    return [names[i] for i in kept], frame, [number for number, _ in body]


PIECES = [*'甲乙a1,"\n \t-—　.%\x1c', "\r\n", "无"]
CELL = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
LINE = st.lists(CELL, min_size=0, max_size=len(HEADER) + 2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=st.lists(LINE, max_size=12),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    terminator=st.sampled_from(["\r\n", "\n"]),
)
def test_cells_written_by_the_csv_module_read_back_with_their_row_numbers(
    body, encoding, terminator
):
    lines = [HEADER, *body]
    data = written(lines, terminator).encode(encoding)
    table = read_table(data, "企业.csv")
    columns, frame, rows = expected(lines)
    assert table.headers == columns
    assert table.frame.to_dicts() == frame
    assert table.rows.to_list() == rows
    assert table.header_row == 1
    assert table.encoding == ("GB18030/GBK" if encoding == "gb18030" else "UTF-8")


def test_row_numbers_stay_right_in_a_large_file_with_cells_over_several_lines():
    # Large enough for the reader to split the work; every seventh cell spans three lines.
    lines = [["名录"], [], HEADER]
    for i in range(150_000):
        note = f"第一行\n第二行, {i}\n第三行" if i % 7 == 0 else ("" if i % 5 else "无")
        lines.append([f"企业{i}", f"{i}.5", note])
        if i % 1000 == 0:
            lines.append([])
    data = written(lines).encode()
    table = read_table(data, "企业.csv", is_header=lambda cells: "企业名称" in cells)
    assert table.header_row == 3
    assert table.frame.height == 150_000
    number = dict(zip(table.frame["企业名称"], table.rows, strict=True))
    assert number["企业0"] == 4
    assert number["企业1"] == 6  # a blank line after each thousandth firm
    assert number["企业149999"] == 3 + 150_000 + 150
    last = table.frame.row(table.frame.height - 1, named=True)
    assert last == {"企业名称": "企业149999", "营业收入": "149999.5", "备注": ""}
    assert table.frame.row(149_995, named=True)["备注"] == "无"
    assert table.frame["备注"][7] == "第一行\n第二行, 7\n第三行"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030"])
def test_gbk_and_gb18030_files_under_a_title_line(encoding):
    name = "𠮷祥科技" if encoding == "gb18030" else "祥和科技"  # 𠮷 is not in GBK
    text = f"2025 年度企业名单,,\n\n企业名称,营业收入,备注\n{name}, 1,200 ,\n"
    table = read_table(
        text.encode(encoding), "名单.csv", is_header=lambda cells: "企业名称" in cells
    )
    assert table.encoding == "GB18030/GBK"
    assert table.header_row == 3
    assert table.frame.to_dicts() == [{"企业名称": name, "营业收入": "1", "备注": "200"}]
    assert table.rows.to_list() == [4]


def test_a_gbk_file_whose_first_lines_are_plain_ascii():
    lines = [["code", "name"]] + [[str(i), "x"] for i in range(20_000)] + [["20000", "祥和科技"]]
    table = read_table(written(lines).encode("gbk"), "firms.csv")
    assert table.encoding == "GB18030/GBK"
    assert table.frame.row(20_000) == ("20000", "祥和科技")
    assert table.rows[20_000] == 20_002


def test_a_line_longer_than_the_header_far_down_the_file_keeps_its_cells():
    lines = [HEADER] + [[f"企业{i}", "1", ""] for i in range(5000)]
    lines[4000] = ["企业3999", "1", "", *[""] * 30, "多出的格"]
    lines[4001] = ["企业4000"]
    table = read_table(written(lines).encode(), "企业.csv")
    assert table.headers == [*HEADER, "（第 34 列）"]
    assert table.frame.row(3999, named=True) == {
        "企业名称": "企业3999", "营业收入": "1", "备注": "", "（第 34 列）": "多出的格"
    }  # fmt: skip
    assert table.frame.row(4000, named=True)["营业收入"] == ""
    assert table.rows[3999] == 4001


@pytest.mark.parametrize(
    ("text", "cells"),
    [
        ('企业名称,备注\n甲,5" 显示器\n', ["甲", '5" 显示器']),  # a quote inside a cell
        ('企业名称,备注\n甲, "乙"\n', ["甲", '"乙"']),  # a space before the quote
        ('企业名称,备注\n甲,"乙"丙\n', ["甲", "乙丙"]),  # text after the closing quote
        ('企业名称,备注\n"甲\r乙",1\n', ["甲\r乙", "1"]),  # a lone carriage return in a cell
    ],
)
def test_quotes_that_no_csv_writer_puts_are_read_as_before(text, cells):
    table = read_table(text.encode(), "企业.csv")
    assert list(table.frame.row(0)) == cells
    assert table.rows.to_list() == [2]


def test_repeated_and_empty_headers():
    with pytest.raises(InvalidFile, match="表头重复"):
        read_table("企业名称,备注,企业名称\n甲,,乙\n".encode(), "企业.csv")
    table = read_table("企业名称,,,备注\n甲,1,,\n".encode(), "企业.csv")
    assert table.frame.to_dicts() == [{"企业名称": "甲", "（第 2 列）": "1", "备注": ""}]


def test_a_column_named_row_is_an_ordinary_column():
    table = read_table(b"row,name\n7,a\n", "x.csv")
    assert table.frame.to_dicts() == [{"row": "7", "name": "a"}]
    assert table.rows.to_list() == [2]


@pytest.mark.parametrize("data", [b"", b"\r\n\n", b" , ,\n\n\xef\xbc\x8c\n"[:6]])
def test_a_file_without_cells_is_empty(data):
    with pytest.raises(InvalidFile, match="文件是空的"):
        read_table(data, "企业.csv")


def test_a_file_that_is_not_text_is_refused():
    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    with pytest.raises(InvalidFile, match="无法识别文件编码"):
        read_table(picture, "企业.csv")


def test_lines_ended_by_carriage_returns_alone_are_refused_as_before():
    with pytest.raises(InvalidFile, match="不是有效的 CSV 文本"):
        read_table("企业名称,备注\r甲,1\r".encode(), "企业.csv")
