"""Every workbook the platform writes: `workbook` (the one way to open one) and `ListWorkbook`, the
one writer of lists: published lists (`sheet`: a title row, a notice row, Chinese headers) and
plain tables meant to be read back or filtered (`table`: headers in the first row). Cells are
bordered; None is an empty cell, floats get two decimals, dates are dates.

Text is always stored as text: a firm name or a cell value that starts with “=”, “+”, “-” or “@”
never becomes a formula, and text that looks like a number or a link stays as written.
"""

from __future__ import annotations

import datetime as dt
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


class Header:
    """A cell written in the header style inside a table (a second header row further down)."""

    def __init__(self, text: str) -> None:
        self.text = text


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
        self._date = self._book.add_format({"border": 1, "num_format": "yyyy-mm-dd"})
        self._exact = self._book.add_format({"border": 1, "num_format": "General"})

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
        self._write(sheet, rows, start=3, number=self._number)
        self._widths(sheet, widths)
        sheet.freeze_panes(3, 0)

    def table(
        self,
        name: str,
        *,
        headers: Sequence[str],
        rows: Iterable[Sequence[Any]],
        widths: Sequence[int],
        frozen_columns: int = 0,
    ) -> None:
        """A plain sheet: headers in the first row, the rows below."""
        sheet = self._book.add_worksheet(name[:31] or "数据")
        sheet.write_row(0, 0, headers, self._header)
        self._write(sheet, rows, start=1, number=self._exact)  # values as they are
        self._widths(sheet, widths)
        sheet.freeze_panes(1, frozen_columns)

    def _write(self, sheet: Any, rows: Iterable[Sequence[Any]], start: int, number: Any) -> None:
        for r, values in enumerate(rows, start=start):
            for c, value in enumerate(values):
                if isinstance(value, Header):
                    sheet.write_string(r, c, value.text, self._header)
                elif value is None:
                    sheet.write_blank(r, c, None, self._cell)
                elif isinstance(value, bool):
                    sheet.write_string(r, c, "是" if value else "", self._cell)
                elif isinstance(value, int):
                    sheet.write_number(r, c, value, self._cell)
                elif isinstance(value, float):
                    sheet.write_number(r, c, value, number)
                elif isinstance(value, dt.date):
                    day = dt.datetime.combine(value, dt.time()) if type(value) is dt.date else value
                    sheet.write_datetime(r, c, day, self._date)
                else:
                    sheet.write_string(r, c, str(value), self._cell)

    @staticmethod
    def _widths(sheet: Any, widths: Sequence[int]) -> None:
        for c, width in enumerate(widths):
            sheet.set_column(c, c, width)

    def close(self) -> bytes:
        self._book.close()
        return self._buffer.getvalue()
