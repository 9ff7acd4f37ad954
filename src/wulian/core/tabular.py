"""Read the spreadsheets people actually send: .xlsx/.xls (python-calamine) and CSV in UTF-8
(with or without BOM), GBK or GB18030.

Every cell comes back as text (numbers in their shortest exact form, dates as YYYY-MM-DD), so
that the checks that follow can report the value a person sees, with its row and column.

A CSV file is parsed by Polars (every column as text) when its quotes stand only where a CSV
writer puts them and no carriage return stands alone: Polars then finds the same lines and cells
as Python's csv module, which reads any other file as before. GBK/GB18030 text is transcoded to
UTF-8 once; the header is looked for in the first lines, read by the csv module. Workbook cells
are turned into text a column at a time (text and numbers in Polars).
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path
from typing import Any

import numpy as np
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
        cells, sheet_name = _excel_cells(data, filename, sheet)
        return _excel_table(cells, filename, is_header, sheet_name)
    elif suffix in TEXT:
        return _csv_table(data, filename, is_header)
    else:
        raise InvalidFile(
            [RowProblem(None, None, suffix, "只接受 .xlsx、.xls 或 .csv 文件")], filename
        )


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


def _excel_cells(data: bytes, filename: str, sheet: str | None) -> tuple[pl.DataFrame, str]:
    """The cells of a sheet as text, a column c0, c1, … for each of its columns."""
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
        columns = list(zip_longest(*workbook.get_sheet_by_name(chosen).iter_rows(), fillvalue=""))
    except InvalidFile:
        raise
    except Exception:  # calamine raises several types, with English text, for damaged files
        raise InvalidFile(
            [RowProblem(None, None, None, _unreadable_excel(data))], filename
        ) from None
    cells = pl.DataFrame([_column_text(f"c{i}", values) for i, values in enumerate(columns)])
    return cells, chosen


def _column_text(name: str, values: Sequence[Any]) -> pl.Series:
    """_cell_text of every value, in Polars for text and numbers."""
    kinds = set(map(type, values))
    if kinds <= {str}:
        return pl.Series(name, values, dtype=pl.String).str.strip_chars(_SPACE)
    if kinds <= {str, float}:
        text = pl.Series([v if type(v) is str else None for v in values], dtype=pl.String)
        numbers = pl.Series([v if type(v) is float else None for v in values], dtype=pl.Float64)
        return text.str.strip_chars(_SPACE).fill_null(_float_text(numbers)).alias(name)
    return pl.Series(name, [_cell_text(v) for v in values], dtype=pl.String)


def _float_text(numbers: pl.Series) -> pl.Series:
    """_cell_text of floats: whole numbers under 10¹⁵ as integers, others as repr() writes
    them (Polars writes the same digits where repr() uses no exponent: 10⁻⁴ ≤ |x| < 10¹⁶)."""
    size = numbers.abs()
    whole = (numbers == numbers.floor()) & (size < 1e15)
    plain = (size >= 1e-4) & (size < 1e15)
    text = pl.select(
        pl.when(whole)
        .then(numbers.cast(pl.Int64, strict=False).cast(pl.String))
        .when(plain)
        .then(numbers.cast(pl.String))
    ).to_series()
    odd = (numbers.is_not_null() & text.is_null()).arg_true()  # exponents, nan, inf
    if len(odd):
        text = text.scatter(odd, [repr(v) for v in numbers.gather(odd)])
    return text


def _excel_table(
    cells: pl.DataFrame,
    filename: str,
    is_header: Callable[[Sequence[str]], bool] | None,
    sheet: str,
) -> Table:
    filled = pl.any_horizontal(pl.col(c).str.len_bytes() > 0 for c in cells.columns)
    first = cells.with_row_index("i").filter(filled).head(HEADER_SEARCH_ROWS)
    if not cells.width or first.is_empty():
        raise InvalidFile([RowProblem(None, None, None, "文件是空的")], filename)
    numbered = [(row[0] + 1, list(row[1:])) for row in first.rows()]
    header_row, header = numbered[_header_index(numbered, is_header)]
    return _positional_table(cells, header_row, header, filename, sheet, None)


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


# The characters str.strip() removes: cells are stripped in Polars exactly as in Python. Polars'
# own strip_chars() (Unicode White_Space, faster) removes them all but the four separators.
_SPACE = "".join(chr(c) for c in range(0x110000) if chr(c).isspace())
_SEPARATORS = (b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_BOM = b"\xef\xbb\xbf"
_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13
_MAX_CSV_COLUMNS = 16_384  # as many as a worksheet has


def _csv_table(
    data: bytes, filename: str, is_header: Callable[[Sequence[str]], bool] | None
) -> Table:
    """A CSV file as a Table, parsed by Polars when the file is plain enough for Polars and
    Python's csv module to read it alike, else by the csv module (same cells, same rows)."""
    body = data[len(_BOM) :] if data.startswith(_BOM) else data
    table: Table | None = None
    if _starts_as_utf8(body):
        try:
            table = _polars_csv(body, filename, is_header, "UTF-8")
        except _NotUtf8:
            pass
        else:
            if table is None:
                return _csv_module_table(data, filename, is_header)
            return table
    try:
        text, encoding = decode(data)
    except InvalidFile as error:
        raise InvalidFile(error.problems, filename) from None
    try:
        table = _polars_csv(text.encode("utf-8"), filename, is_header, encoding)
    except _NotUtf8:  # Polars refused the text for another reason
        table = None
    return table or _csv_module_table(data, filename, is_header)


def _csv_module_table(
    data: bytes, filename: str, is_header: Callable[[Sequence[str]], bool] | None
) -> Table:
    grid, encoding = _csv_grid(data, filename)
    return _table(grid, filename, is_header, None, encoding)


class _NotUtf8(Exception):
    """The bytes are not UTF-8 after all."""


def _starts_as_utf8(body: bytes) -> bool:
    """Whether the first 64 KiB are UTF-8 (Polars checks the rest as it reads)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(body[: 1 << 16], final=False)
    except UnicodeDecodeError:
        return False
    return True


def _records(body: bytes) -> int | None:
    """How many lines (records) the csv module finds in body, when every quote in it stands
    where a CSV writer puts one: opening a cell (after a comma, a line break or another quote),
    or closing it (before a comma, a line break or another quote, doubled quotes inside a cell
    being both). None otherwise, and for a carriage return that ends no line: the csv module and
    Polars may read such files differently."""
    buffer = np.frombuffer(body, dtype=np.uint8)
    if b"\r" in body:
        returns = np.flatnonzero(buffer == _CR) + 1
        if returns[-1] == len(buffer) or not (buffer[returns] == _LF).all():
            return None
    trailing = 1 if body and not body.endswith(b"\n") else 0
    if b'"' not in body:
        return body.count(b"\n") + trailing
    quotes = np.flatnonzero(buffer == _QUOTE)
    if len(quotes) % 2:
        return None
    opening, closing = quotes[0::2], quotes[1::2]
    before = buffer[opening[opening > 0] - 1]
    if not np.isin(before, (_COMMA, _LF, _QUOTE)).all():
        return None
    after = buffer[closing[closing < len(buffer) - 1] + 1]
    if not np.isin(after, (_COMMA, _LF, _CR, _QUOTE)).all():
        return None
    breaks = np.flatnonzero(buffer == _LF)
    inside = np.searchsorted(quotes, breaks) % 2 == 1  # an odd number of quotes before it
    return int(len(breaks) - np.count_nonzero(inside)) + trailing


def _first_lines(body: bytes) -> list[list[str]] | None:
    """The lines up to the HEADER_SEARCH_ROWS-th non-empty one, read by the csv module."""
    import csv

    lines: list[list[str]] = []
    found = 0
    stream = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="\n")
    try:
        for row in csv.reader(stream):
            cells = [cell.strip() for cell in row]
            lines.append(cells)
            found += any(cells)
            if found == HEADER_SEARCH_ROWS:
                break
    except csv.Error:
        return None
    except UnicodeDecodeError:
        raise _NotUtf8 from None
    return lines


def _polars_csv(
    body: bytes,
    filename: str,
    is_header: Callable[[Sequence[str]], bool] | None,
    encoding: str,
) -> Table | None:
    """The Table the csv module would give, read by Polars; None when the file is not plain
    enough to be sure of that (see _records) or Polars cannot read it."""
    import csv

    records = _records(body)
    lines = _first_lines(body) if records is not None else None
    if records is None or lines is None:
        return None
    numbered = [(number, row) for number, row in enumerate(lines, start=1) if any(row)]
    if not numbered:
        raise InvalidFile([RowProblem(None, None, None, "文件是空的")], filename)
    start = _header_index(numbered, is_header)
    header_row, header = numbered[start]
    width = max(len(row) for _, row in numbered[start:])
    while True:  # a longer line further on: read again, wider
        schema = {f"c{i}": pl.String for i in range(width)}
        try:
            frame = pl.read_csv(
                body,
                has_header=False,
                schema=schema,
                missing_columns="insert",
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as error:
            if "utf-8" in str(error):
                raise _NotUtf8 from None
            if "more fields" not in str(error) or width >= _MAX_CSV_COLUMNS:
                return None
            width = min(width * 2, _MAX_CSV_COLUMNS)
            continue
        break
    if frame.height != records:
        return None
    longest = frame.select(pl.max_horizontal(pl.all().str.len_bytes().max())).item()
    if longest is not None and longest > csv.field_size_limit():
        return None  # the csv module refuses such a cell; let it say where
    space = _SPACE if any(c in body for c in _SEPARATORS) else None
    cells = frame.select(pl.all().fill_null("").str.strip_chars(space))
    return _positional_table(cells, header_row, header, filename, None, encoding)


def _positional_table(
    cells: pl.DataFrame,
    header_row: int,
    header: list[str],
    filename: str,
    sheet: str | None,
    encoding: str | None,
) -> Table:
    """The Table below the header line of cells (text, columns c0, c1, …; row i is the sheet's
    line i + 1)."""
    names = _names(header, cells.width, header_row, filename)
    number = "row"
    while number in names:
        number += "_"
    body = (
        cells.slice(header_row)
        .with_row_index(number, offset=header_row + 1)
        .select(
            pl.col(number).cast(pl.Int64),
            *[pl.col(f"c{i}").alias(name) for i, name in enumerate(names)],
        )
        .filter(pl.any_horizontal(pl.col(n).str.len_bytes() > 0 for n in names))
    )
    return Table(
        frame=_drop_empty_unnamed(body.drop(number)),
        rows=body[number].alias("row"),
        header_row=header_row,
        sheet=sheet,
        encoding=encoding,
    )


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
    start = _header_index(numbered, is_header)
    header_row, header = numbered[start]
    width = max(len(row) for _, row in numbered[start:])
    names = _names(header, width, header_row, filename)
    body = numbered[start + 1 :]
    columns = {
        name: [row[i] if i < len(row) else "" for _, row in body] for i, name in enumerate(names)
    }
    frame = pl.DataFrame(columns, schema=dict.fromkeys(names, pl.String))
    rows = pl.Series("row", [number for number, _ in body], dtype=pl.Int64)
    return Table(
        frame=_drop_empty_unnamed(frame),
        rows=rows,
        header_row=header_row,
        sheet=sheet,
        encoding=encoding,
    )


def _header_index(
    numbered: Sequence[tuple[int, list[str]]],
    is_header: Callable[[Sequence[str]], bool] | None,
) -> int:
    """The position in `numbered` (the non-empty lines) of the header line."""
    if is_header is not None:
        for index, (_, row) in enumerate(numbered[:HEADER_SEARCH_ROWS]):
            if is_header(row):
                return index
    return 0


def _names(header: list[str], width: int, header_row: int, filename: str) -> list[str]:
    """Column names of a header line, `width` of them; repeated names are refused."""
    header = header + [""] * (width - len(header))
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    names: list[str] = []
    for position, title in enumerate(header):
        name = " ".join(title.split())
        if not name:
            # An unnamed column is fine when it is empty (a stray border or formatting).
            name = _UNNAMED.format(position + 1)
        if name in seen:
            problems.append(RowProblem(header_row, name, None, "表头重复"))
        seen[name] = position
        names.append(name)
    if problems:
        raise InvalidFile(problems, filename)
    return names


_UNNAMED = "（第 {} 列）"


def _drop_empty_unnamed(frame: pl.DataFrame) -> pl.DataFrame:
    empty = [
        n for n in frame.columns
        if n.startswith("（第 ") and frame[n].str.len_bytes().sum() in (0, None)
    ]  # fmt: skip
    return frame.drop(empty)


def parse_numbers(raw: pl.Expr) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(value, is_empty, is_percent) of text cells: thousands separators, spaces and a trailing
    % are allowed; the empty markers of EMPTY mean unknown (no value, not an error)."""
    text = raw.str.strip_chars().str.replace_all(r"[,，\s]", "")
    is_empty = raw.is_null() | raw.str.strip_chars().is_in(EMPTY)
    is_percent = text.str.ends_with("%") | text.str.ends_with("％")
    number = text.str.strip_suffix("%").str.strip_suffix("％").cast(pl.Float64, strict=False)
    return number, is_empty, is_percent
