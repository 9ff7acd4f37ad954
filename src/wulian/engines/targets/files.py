"""Plain files for `wulian targets rank`: candidates, queries and an optional industry
classification in (CSV in UTF-8 or GBK, or xlsx), the ranked targets out (CSV or xlsx)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import Table, read_table
from wulian.engines.targets.candidates import QUERY_REQUIRED, REQUIRED, TIES_REQUIRED
from wulian.engines.targets.knowledge import Knowledge, from_frame


def _read(path: Path, required: tuple[str, ...]) -> Table:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: required[0] in cells)
    missing = [c for c in required if c not in table.headers]
    if missing:
        raise InvalidFile(
            [RowProblem(table.header_row, c, None, "缺少这一列") for c in missing], path.name
        )
    if table.frame.height == 0:
        raise InvalidFile([RowProblem(None, None, None, "文件没有数据行")], path.name)
    return table


def read_candidates(path: Path) -> tuple[pl.DataFrame, list[int]]:
    """The candidates' cells as text and the line of each row in the file."""
    table = _read(path, REQUIRED)
    return table.frame, table.rows.to_list()


def read_queries(path: Path) -> tuple[pl.DataFrame, list[int]]:
    table = _read(path, QUERY_REQUIRED)
    return table.frame, table.rows.to_list()


def read_ties(path: Path) -> tuple[pl.DataFrame, list[int]]:
    """Supply ties: candidate_id, zone_id, direction (采购自/供货给), product, optional amount."""
    table = _read(path, TIES_REQUIRED)
    return table.frame, table.rows.to_list()


def read_taxonomy(path: Path) -> Knowledge:
    """An industry classification (code, name, notes or description_notes), e.g. GB/T 4754."""
    table = _read(path, ("code", "name"))
    return from_frame(table.frame, path.name)


def write(frame: pl.DataFrame, out: Path) -> None:
    """CSV (UTF-8 with BOM, so that Excel reads the Chinese) or xlsx by the name's ending;
    written to a temporary file first, so a failed write leaves no half file."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, suffix=out.suffix)
    os.close(handle)
    try:
        if out.suffix.lower() == ".xlsx":
            from wulian.core.xlsx import ListWorkbook

            book = ListWorkbook()
            widths = [10 if c != "reasons" else 80 for c in frame.columns]
            book.table("目标企业", headers=frame.columns, rows=frame.iter_rows(), widths=widths)
            Path(temporary).write_bytes(book.close())
        else:
            with open(temporary, "wb") as stream:
                stream.write("\ufeff".encode())
                frame.write_csv(stream)
        os.replace(temporary, out)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
