"""Plain files for `wulian complexity`: a long table in (CSV in UTF-8 or GBK, or xlsx: one row per
period × region × industry), cp.csv and proximity.csv out with the reference's column names, and
the opportunity list of one zone."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, InvalidInput, RowProblem
from wulian.core.tabular import Table, parse_numbers, read_table
from wulian.engines.complexity.measures import Result
from wulian.engines.complexity.opportunities import Opportunities


@dataclass(frozen=True)
class Columns:
    """The input's column names for the period, region, industry and value."""

    time: str = "time"
    loc: str = "loc"
    prod: str = "prod"
    val: str = "val"

    def renames(self) -> dict[str, str]:
        return {"time": self.time, "loc": self.loc, "prod": self.prod, "val": self.val}


def _read(path: Path, required: list[str]) -> Table:
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


def _numbers(
    table: Table, column: str, *, positive: bool = False
) -> tuple[pl.Series, list[RowProblem]]:
    """The column as numbers, and a problem for each empty, non-numeric or negative cell."""
    number, is_empty, is_percent = parse_numbers(pl.col(column))
    parsed = table.frame.select(
        number.alias("n"), is_empty.alias("e"), is_percent.alias("p"), pl.col(column).alias("raw")
    ).with_columns(rows=table.rows)
    problems: list[RowProblem] = []
    checks = [
        (pl.col("e"), "缺少数值（未知不当作 0）"),
        (~pl.col("e") & (pl.col("n").is_null() | pl.col("p")), "不是数值"),
        (~pl.col("e") & ~pl.col("p") & pl.col("n").is_nan(), "不是数值"),
        (pl.col("n") < 0, "不能为负数"),
    ]
    if positive:
        checks.append((pl.col("n") == 0, "须大于 0"))
    for condition, reason in checks:
        for row, value in parsed.filter(condition).select("rows", "raw").head(20).iter_rows():
            problems.append(RowProblem(row, column, value, reason))
    return parsed["n"], problems


def _keys(table: Table, names: list[str]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    for name in names:
        empty = table.frame.select(
            pl.col(name).is_null() | (pl.col(name).str.strip_chars() == "")
        ).to_series()
        for row in table.rows.filter(empty).head(20).to_list():
            problems.append(RowProblem(row, name, None, "不能为空"))
    keys = table.frame.select(pl.col(n).str.strip_chars() for n in names)
    duplicated = keys.select(pl.struct(names).is_duplicated()).to_series()
    for row in table.rows.filter(duplicated).head(20).to_list():
        problems.append(RowProblem(row, None, None, f"与另一行的{'、'.join(names)}相同，请先汇总"))
    return problems


def read_long(path: Path, columns: Columns) -> pl.DataFrame:
    """The long table as (time, loc, prod: text, val: float ≥ 0), or InvalidFile naming every
    row, column and value that is wrong."""
    names = [columns.time, columns.loc, columns.prod]
    table = _read(path, [*names, columns.val])
    values, problems = _numbers(table, columns.val)
    problems = _keys(table, names) + problems
    if problems:
        raise InvalidFile(sorted(problems, key=lambda p: p.row or 0), path.name)
    return table.frame.select(
        pl.col(columns.time).str.strip_chars().alias("time"),
        pl.col(columns.loc).str.strip_chars().alias("loc"),
        pl.col(columns.prod).str.strip_chars().alias("prod"),
    ).with_columns(values.alias("val"))


def read_pop(path: Path, columns: Columns) -> pl.DataFrame:
    """Population (or any size) per period × region: columns time, loc (as named) and pop."""
    names = [columns.time, columns.loc]
    table = _read(path, [*names, "pop"])
    values, problems = _numbers(table, "pop", positive=True)
    problems = _keys(table, names) + problems
    if problems:
        raise InvalidFile(sorted(problems, key=lambda p: p.row or 0), path.name)
    return table.frame.select(
        pl.col(columns.time).str.strip_chars().alias("time"),
        pl.col(columns.loc).str.strip_chars().alias("loc"),
    ).with_columns(values.alias("pop"))


def write_result(result: Result, out: Path, columns: Columns) -> list[Path]:
    """cp.csv (time, loc, prod, val, rca, [rpop,] mcp, diversity, ubiquity, eci, pci, density,
    coi, cog) and proximity.csv (time, prod_1, prod_2, proximity), named as the reference names
    them (the input's names; its product name with _1 and _2); both or neither."""
    out.mkdir(parents=True, exist_ok=True)
    cp = result.cp.rename(columns.renames())
    files = [(out / "cp.csv", cp)]
    if result.proximity is not None:
        proximity = result.proximity.rename(
            {"time": columns.time, "prod_1": f"{columns.prod}_1", "prod_2": f"{columns.prod}_2"}
        )
        files.append((out / "proximity.csv", proximity))
    _write_all(files)
    return [path for path, _ in files]


def write_opportunities(found: Opportunities, out: Path) -> None:
    """The ranked list as CSV, with the strategy statement beside it (the same name, .txt)."""
    table = found.table.with_columns(pl.lit(found.preset.label).alias("preset"))
    statement = out.with_suffix(".txt")
    _write_all([(out, table)], text=(statement, found.strategy.statement + "\n"))


def _write_all(
    files: list[tuple[Path, pl.DataFrame]], text: tuple[Path, str] | None = None
) -> None:
    """Each file written beside its place, then all moved in: no partial output."""
    staged: list[tuple[Path, Path]] = []
    try:
        for path, frame in files:
            handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            os.close(handle)
            staged.append((Path(name), path))
            frame.write_csv(name)
        if text is not None:
            handle, name = tempfile.mkstemp(dir=text[0].parent, prefix=f".{text[0].name}.")
            os.close(handle)
            staged.append((Path(name), text[0]))
            Path(name).write_text(text[1], encoding="utf-8")
    except OSError as error:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
        raise InvalidInput(f"无法写入结果：{error}") from None
    mask = os.umask(0)
    os.umask(mask)
    for temporary, path in staged:
        os.chmod(temporary, 0o666 & ~mask)  # as a file the user writes, not mkstemp's 0600
        os.replace(temporary, path)


def read_cp(path: Path, columns: Columns) -> pl.DataFrame:
    """cp.csv as written by write_result, keys as text, with the standard names."""
    try:
        header = pl.read_csv(path, n_rows=0).columns
    except (OSError, pl.exceptions.PolarsError) as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    keys = [columns.time, columns.loc, columns.prod]
    needed = [*keys, "mcp", "density", "pci", "cog", "eci", "coi"]
    missing = [c for c in needed if c not in header]
    if missing:
        raise InvalidFile([RowProblem(1, c, None, "缺少这一列") for c in missing], path.name)
    frame = pl.read_csv(path, schema_overrides=dict.fromkeys(keys, pl.String))
    return frame.rename({columns.time: "time", columns.loc: "loc", columns.prod: "prod"})
