"""Plain files for `wulian talent occupations`: titles in (id, title; CSV in UTF-8 or GBK, or
xlsx), the ranked occupations out (CSV or xlsx)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import read_table
from wulian.core.xlsx import ListWorkbook

COLUMNS = ("id", "title")
OUT_HEADERS = ("id", "rank", "code", "name", "score", "review", "mark", "terms")


def read_titles(path: Path) -> tuple[list[str], list[str]]:
    """ids and titles; a missing column, a row without id or a repeated id is refused with its
    row; an empty title is kept (it is reported, not placed)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: "id" in cells)
    missing = [c for c in COLUMNS if c not in table.headers]
    if missing:
        raise InvalidFile(
            [RowProblem(table.header_row, c, None, "缺少这一列") for c in missing], path.name
        )
    ids = [(v or "").strip() for v in table.frame["id"].to_list()]
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for row, key in zip(table.rows.to_list(), ids, strict=True):
        if not key:
            problems.append(RowProblem(row, "id", None, "缺少编号"))
        elif key in seen:
            problems.append(RowProblem(row, "id", key, f"编号重复（第 {seen[key]} 行已有）"))
        else:
            seen[key] = row
    if problems:
        raise InvalidFile(problems, path.name)
    return ids, [v or "" for v in table.frame["title"].to_list()]


def with_ids(placed: pl.DataFrame, ids: list[str]) -> pl.DataFrame:
    """The placed rows with each title's id in place of its row number."""
    return placed.with_columns(
        pl.Series("id", ids, dtype=pl.String).gather(placed["row"]).alias("id")
    ).select(OUT_HEADERS)


def write(frame: pl.DataFrame, path: Path) -> None:
    """frame as xlsx (text stored as text) when path ends in .xlsx, else as CSV in UTF-8."""
    if path.suffix.lower() == ".xlsx":
        book = ListWorkbook()
        book.table(
            "职业归类" if "rank" in frame.columns else "数据",
            headers=frame.columns,
            rows=frame.iter_rows(),
            widths=[14] * len(frame.columns),
        )
        path.write_bytes(book.close())
    else:
        frame.write_csv(path)
