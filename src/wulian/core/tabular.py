"""Read the spreadsheets people actually send: .xlsx/.xls (python-calamine) and CSV in UTF-8
(with or without BOM), GBK or GB18030.

Every cell comes back as text (numbers in their shortest exact form, dates as YYYY-MM-DD), so
that the checks that follow can report the value a person sees, with its row and column.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import python_calamine

from wulian.core.errors import InvalidFile, RowProblem

EXCEL = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")
TEXT = (".csv", ".txt")
HEADER_SEARCH_ROWS = 10  # a title or notes above the header are skipped
# Cells that mean "no value" (unknown, not zero).
EMPTY = ("", "-", "—", "--", "/", "／", "无", "空", "null", "NULL", "N/A", "n/a", "#N/A")


@dataclass(frozen=True)
class Table:
    """Cells as text; `rows[i]` is the spreadsheet row number a person sees for frame row i."""

    frame: pl.DataFrame
    rows: pl.Series
    header_row: int
    sheet: str | None
    encoding: str | None

    @property
    def headers(self) -> list[str]:
        return list(self.frame.columns)


def read_table(
    data: bytes,
    filename: str,
    *,
    is_header: Callable[[Sequence[str]], bool] | None = None,
    sheet: str | None = None,
) -> Table:
    """The first sheet (or `sheet`) of an Excel file, or a CSV file, as a Table.

    is_header tells a header line from a title line; the first of the first ten non-empty lines
    it accepts is the header (line 1 when none is accepted).
    """
    suffix = Path(filename).suffix.lower()
    if suffix in EXCEL:
        grid, sheet_name = _excel_grid(data, filename, sheet)
        encoding = None
    elif suffix in TEXT:
        grid, encoding = _csv_grid(data, filename)
        sheet_name = None
    else:
        raise InvalidFile(
            [RowProblem(None, None, suffix, "只接受 .xlsx、.xls 或 .csv 文件")], filename
        )
    return _table(grid, filename, is_header, sheet_name, encoding)


def _cell_text(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return value.strip()  # type: ignore[no-any-return]
    if kind is float:
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


MAX_CELLS = 2_500_000  # the grid a sheet spans (first to last row × first to last column)
MAX_SHEET_XML = 512 * 1024 * 1024  # a sheet's XML once unzipped
# cell and row references (r="B12" on cells, r="12" on rows), read as bytes without parsing
_REF_LETTERS = re.compile(rb" r=\"([A-Z]{1,3})[0-9]")
_REF_NUMBERS = re.compile(rb" r=\"[A-Z]{0,3}([0-9]{1,7})\"")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


_TAG = re.compile(rb"<(?:\w+:)?(sheet|Relationship)\b([^>]*)>")
_ATTRIBUTE = re.compile(rb"([\w:]+)=\"([^\"]*)\"")


def _tags(archive: zipfile.ZipFile, path: str, name: bytes) -> list[dict[bytes, str]]:
    """The attributes of every <name …> tag of a small part of the archive (read as text: no
    XML parser touches the file)."""
    info = archive.NameToInfo.get(path)
    if info is None or info.file_size > 4 * 1024 * 1024:
        return []
    found = []
    for tag, attributes in _TAG.findall(archive.read(path)):
        if tag == name:
            found.append(
                {k.split(b":")[-1]: html.unescape(v.decode("utf-8", "replace"))
                 for k, v in _ATTRIBUTE.findall(attributes)}
            )  # fmt: skip
    return found


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the path of its XML in an .xlsx archive (empty when the parts are missing;
    the reader then reports the damage)."""
    targets = {
        r.get(b"Id"): r.get(b"Target", "")
        for r in _tags(archive, "xl/_rels/workbook.xml.rels", b"Relationship")
    }
    paths: dict[str, str] = {}
    for sheet in _tags(archive, "xl/workbook.xml", b"sheet"):
        target = targets.get(sheet.get(b"id"), "")
        if target:
            paths[sheet.get(b"name", "")] = (
                target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            )
    return paths


def _sheet_span(data: bytes, sheet: str | None) -> int | None:
    """The number of cells an .xlsx sheet's grid spans, read from its XML without building the
    grid (the reader allocates rows × columns between the first and last cell, so two cells at
    A1 and XFD1048576 would ask for 17 billion); None when data is not an .xlsx archive. Stops
    as soon as the span is over MAX_CELLS."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None
    with archive:
        paths = _sheet_paths(archive)
        path = paths.get(sheet) if sheet is not None else next(iter(paths.values()), None)
        if path is None or path not in archive.NameToInfo:
            return None
        if archive.getinfo(path).file_size > MAX_SHEET_XML:
            return MAX_CELLS + 1
        rows = _Extent()
        columns = _Extent()
        cells = 0
        tail = b""
        read = 0
        with archive.open(path) as stream:
            while chunk := stream.read(1 << 22):
                read += len(chunk)
                if read > MAX_SHEET_XML:
                    return MAX_CELLS + 1
                text = tail + chunk
                cut = text.rfind(b"<")  # a tag cut by the chunk's end is read with the next
                body, tail = (text[:cut], text[cut:]) if cut >= 0 else (text, b"")
                cells += body.count(b"<c ") + body.count(b"<c>")
                columns.add(_column_number(x) for x in set(_REF_LETTERS.findall(body)))
                rows.add(int(x) for x in set(_REF_NUMBERS.findall(body)))
                if max(cells, rows.size * columns.size) > MAX_CELLS:
                    break
        return max(cells, rows.size * columns.size)


class _Extent:
    """The first and last of the numbers seen."""

    def __init__(self) -> None:
        self.low: int | None = None
        self.high: int | None = None

    def add(self, numbers: Iterable[int]) -> None:
        seen = list(numbers)
        if seen:
            low, high = min(seen), max(seen)
            self.low = low if self.low is None else min(self.low, low)
            self.high = high if self.high is None else max(self.high, high)

    @property
    def size(self) -> int:
        return 0 if self.low is None or self.high is None else self.high - self.low + 1


_TOO_WIDE = (
    "工作表范围过大：从第一个到最后一个单元格共约 {span:,} 格，"
    "最多 {limit:,} 格（约 10 万行 × 25 列）。"
    "请删除表格远处的零散单元格（如只把数据区域复制到新工作表），或拆分为几个文件后上传"
)


def _excel_grid(data: bytes, filename: str, sheet: str | None) -> tuple[list[list[str]], str]:
    span = _sheet_span(data, sheet)
    if span is not None and span > MAX_CELLS:
        raise InvalidFile(
            [RowProblem(None, None, None, _TOO_WIDE.format(span=span, limit=MAX_CELLS))],
            filename,
        )  # fmt: skip
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = workbook.sheet_names
        if sheet is not None and sheet not in names:
            raise InvalidFile(
                [RowProblem(None, None, sheet, f"没有这个工作表；文件中有：{'、'.join(names)}")],
                filename,
            )
        chosen = sheet or names[0]
        rows = workbook.get_sheet_by_name(chosen).iter_rows()
        grid = [[_cell_text(v) for v in row] for row in rows]  # one row of objects at a time
    except InvalidFile:
        raise
    except Exception:  # calamine raises several types, with English text, for damaged files
        raise InvalidFile(
            [RowProblem(None, None, None, _unreadable_excel(data))], filename
        ) from None
    return grid, chosen


ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm, .ods
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and encrypted workbooks


def _unreadable_excel(data: bytes) -> str:
    """Why an Excel file could not be read, in words a person can act on."""
    if not data:
        return "文件是空的"
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        return "无法读取 Excel 文件：文件已损坏或设置了打开密码，请另存为不加密的 .xlsx 后重新上传"
    return (
        "无法读取 Excel 文件：无法识别文件格式，内容不是 Excel 表格（扩展名与内容不符？"
        "如为 CSV 文本，请以 .csv 扩展名上传，或在 Excel 中另存为 .xlsx）"
    )


def decode(data: bytes) -> tuple[str, str]:
    """Text of a file in UTF-8 (BOM or not), else GB18030 (a superset of GBK and GB2312)."""
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GB18030/GBK"
    except UnicodeDecodeError as error:
        raise InvalidFile(
            [RowProblem(None, None, None, f"无法识别文件编码（第 {error.start} 字节）")]
        ) from None


def _csv_grid(data: bytes, filename: str) -> tuple[list[list[str]], str]:
    try:
        text, encoding = decode(data)
    except InvalidFile as error:
        raise InvalidFile(error.problems, filename) from None
    import csv

    reader = csv.reader(io.StringIO(text))
    try:
        grid = [[cell.strip() for cell in row] for row in reader]
    except csv.Error:  # a cell over the csv module's size limit, a stray quote
        raise InvalidFile(
            [
                RowProblem(
                    reader.line_num or None,
                    None,
                    None,
                    "不是有效的 CSV 文本（单元格过长或引号不成对），请在 Excel 中另存为 .xlsx",
                )
            ],
            filename,
        ) from None
    return grid, encoding


def _table(
    grid: list[list[str]],
    filename: str,
    is_header: Callable[[Sequence[str]], bool] | None,
    sheet: str | None,
    encoding: str | None,
) -> Table:
    numbered = [(number, row) for number, row in enumerate(grid, start=1) if any(row)]
    if not numbered:
        raise InvalidFile([RowProblem(None, None, None, "文件是空的")], filename)
    start = 0
    if is_header is not None:
        for index, (_, row) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
            if is_header(row):
                start = index
                break
    header_row, header = numbered[start]
    width = max(len(row) for _, row in numbered[start:])
    header = header + [""] * (width - len(header))
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    names: list[str] = []
    for position, title in enumerate(header):
        name = " ".join(title.split())
        if not name:
            # An unnamed column is fine when it is empty (a stray border or formatting).
            name = f"（第 {position + 1} 列）"
        if name in seen:
            problems.append(RowProblem(header_row, name, None, "表头重复"))
        seen[name] = position
        names.append(name)
    if problems:
        raise InvalidFile(problems, filename)
    body = numbered[start + 1 :]
    columns = {
        name: [row[i] if i < len(row) else "" for _, row in body] for i, name in enumerate(names)
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    empty_unnamed = [
        n for n in names if n.startswith("（第 ") and frame[n].str.len_chars().sum() in (0, None)
    ]
    frame = frame.drop(empty_unnamed)
    rows = pl.Series("row", [number for number, _ in body], dtype=pl.Int64)
    return Table(frame=frame, rows=rows, header_row=header_row, sheet=sheet, encoding=encoding)


def parse_numbers(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, is_empty, is_percent) of text cells: thousands separators, spaces and a trailing
    % are allowed; the empty markers of EMPTY mean unknown (no value, not an error)."""
    text = raw.str.strip_chars().str.replace_all(r"[,，\s]", "")
    is_empty = raw.is_null() | raw.str.strip_chars().is_in(EMPTY)
    is_percent = text.str.ends_with("%") | text.str.ends_with("％")
    number = text.str.strip_suffix("%").str.strip_suffix("％").cast(pl.Float64, strict=False)
    return number, is_empty, is_percent
