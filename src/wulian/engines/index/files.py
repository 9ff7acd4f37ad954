"""Plain files in and out for the CLI: a spec file, a data table (CSV in UTF-8 or GBK, or xlsx),
the result and each stage as CSV."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import parse_numbers, read_table
from wulian.engines.index import spec as spec_module
from wulian.engines.index.pipeline import Result
from wulian.engines.index.spec import IndexSpec


def read_spec(path: Path) -> IndexSpec:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    return spec_module.load(text, path.name)


def read_data(path: Path, spec: IndexSpec) -> pl.DataFrame:
    """The table at path with the spec's numeric columns as numbers; every cell that is not a
    number, and every row without an id, refused with its row and column."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: spec.unit in cells)
    frame = table.frame.with_columns(table.rows.alias("__row"))
    problems: list[RowProblem] = []
    if spec.unit not in frame.columns:
        raise InvalidFile(
            [RowProblem(table.header_row, spec.unit, None, "缺少单位编号列")], path.name
        )
    no_id = frame.filter(pl.col(spec.unit).str.strip_chars().fill_null("") == "")
    problems += [RowProblem(r, spec.unit, None, "缺少编号") for r in no_id["__row"]]
    converted = []
    for column in spec.numeric_columns(frame.columns):
        if column not in frame.columns:
            continue  # reported by the run, with every other missing column
        number, empty, percent = parse_numbers(pl.col(column))
        value = pl.when(empty).then(None).when(percent).then(number / 100).otherwise(number)
        checked = frame.select(
            "__row", pl.col(column).alias("raw"), value.alias("value"), empty.alias("empty")
        )
        bad = checked.filter(pl.col("value").is_null() & ~pl.col("empty"))
        problems += [
            RowProblem(r, column, v, "不是数字") for r, v in bad.select("__row", "raw").iter_rows()
        ]
        converted.append(value.alias(column))
    if problems:
        raise InvalidFile(sorted(problems, key=lambda p: p.row or 0), path.name)
    return frame.with_columns(converted).drop("__row")


def write_result(result: Result, out: Path, stages_dir: Path | None = None) -> None:
    write_table(result.output(), out)
    if stages_dir is not None:
        stages_dir.mkdir(parents=True, exist_ok=True)
        for index, (name, frame) in enumerate(result.stages.items()):
            write_table(frame, stages_dir / f"{index:02d}_{name}.csv")
        write_table(result.imputed, stages_dir / "imputed.csv")
        if result.treatments:
            write_table(pl.DataFrame(result.treatments), stages_dir / "treatments.csv")


def write_table(frame: pl.DataFrame, path: Path) -> None:
    """frame as xlsx when path ends in .xlsx, else as CSV."""
    if path.suffix.lower() == ".xlsx":
        frame.write_excel(path)
    else:
        frame.write_csv(path)
