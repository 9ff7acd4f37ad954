"""Every workbook the platform writes: `workbook` (the one way to open one) and published lists
(`ListWorkbook`: a sheet per list with a title row, a notice row, Chinese headers and bordered
cells; None is an empty cell, floats get two decimals).

Text is always stored as text: a firm name or a cell value that starts with “=”, “+”, “-” or “@”
never becomes a formula, and text that looks like a number or a link stays as written.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

import xlsxwriter

# xlsxwriter's write() turns strings that start with “=” into formulas and strings that look
# like links into hyperlinks unless told otherwise; user text must never be either.
OPTIONS = {
    "in_memory": True,
    "strings_to_numbers": False,
    "strings_to_formulas": False,
    "strings_to_urls": False,
}


def workbook(buffer: io.BytesIO) -> xlsxwriter.Workbook:
    """A new workbook writing into buffer, storing every string as text."""
    return xlsxwriter.Workbook(buffer, OPTIONS)


class ListWorkbook:
    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._book = workbook(self._buffer)
        self._title = self._book.add_format({"bold": True, "font_size": 14, "align": "center"})
        self._header = self._book.add_format(
            {"bold": True, "bg_color": "#E8EEF7", "border": 1, "align": "center"}
        )
        self._cell = self._book.add_format({"border": 1})
        self._number = self._book.add_format({"border": 1, "num_format": "0.00"})

    def sheet(
        self,
        name: str,
        *,
        title: str,
        notice: str,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[int],
    ) -> None:
        sheet = self._book.add_worksheet(name[:31] or "名单")
        last = len(headers) - 1
        sheet.merge_range(0, 0, 0, last, title, self._title)
        sheet.merge_range(1, 0, 1, last, notice)
        sheet.write_row(2, 0, headers, self._header)
        for r, values in enumerate(rows, start=3):
            for c, value in enumerate(values):
                if value is None:
                    sheet.write_blank(r, c, None, self._cell)
                elif isinstance(value, bool):
                    sheet.write_string(r, c, "是" if value else "", self._cell)
                elif isinstance(value, int):
                    sheet.write_number(r, c, value, self._cell)
                elif isinstance(value, float):
                    sheet.write_number(r, c, value, self._number)
                else:
                    sheet.write_string(r, c, str(value), self._cell)
        for c, width in enumerate(widths):
            sheet.set_column(c, c, width)
        sheet.freeze_panes(3, 0)

    def close(self) -> bytes:
        self._book.close()
        return self._buffer.getvalue()
