"""Plain files for `wulian policy`: policy files (one file, or every .yaml under a folder), a data
table (CSV in UTF-8 or GBK, or xlsx) with one column per input, the outcomes as CSV or xlsx."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import EMPTY, parse_numbers, read_table
from wulian.engines.rules import policy as policy_module
from wulian.engines.rules.evaluate import required_columns
from wulian.engines.rules.policy import Policy

TRUE = ("是", "有", "true", "TRUE", "True", "1", "Y", "y", "yes", "√")
FALSE = ("否", "无", "false", "FALSE", "False", "0", "N", "n", "no", "×")
TAG_SEPARATORS = r"[;；,，、\s]+"


def policy_paths(path: Path) -> list[Path]:
    if path.is_dir():
        found = sorted([*path.rglob("*.yaml"), *path.rglob("*.yml")])
        if not found:
            raise InvalidFile(
                [RowProblem(None, None, None, "目录中没有政策文件（.yaml）")], str(path)
            )
        return found
    return [path]


def read_policies(path: Path) -> list[Policy]:
    """Every policy under path, each loaded after the policies whose outputs it reads; all
    problems of all files at once."""
    texts: list[tuple[str, str]] = []
    problems: list[RowProblem] = []
    for file in policy_paths(path):
        try:
            texts.append((file.read_text("utf-8"), file.name))
        except (OSError, UnicodeDecodeError) as error:
            problems.append(RowProblem(None, None, None, f"{file.name}：无法读取：{error}"))
    if problems:
        raise InvalidFile(problems, str(path))
    try:
        return policy_module.load_set(texts)
    except InvalidFile as error:
        raise InvalidFile(error.problems, str(path)) from None


def read_data(path: Path, policies: list[Policy], unit: str = "id") -> pl.DataFrame:
    """The table at path with each input column of its type (numbers, 是/否, codes, tags split
    on ; 、 ,); every cell that does not fit refused with its row and column. An empty cell is
    unknown."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: unit in cells)
    frame = table.frame.with_columns(table.rows.alias("__row"))
    if unit not in frame.columns:
        raise InvalidFile([RowProblem(table.header_row, unit, None, "缺少编号列")], path.name)
    problems: list[RowProblem] = []
    no_id = frame.filter(pl.col(unit).str.strip_chars().fill_null("") == "")
    problems += [RowProblem(r, unit, None, "缺少编号") for r in no_id["__row"]]
    converted: list[pl.Expr] = []
    for column, kind in required_columns(policies).items():
        if column not in frame.columns:
            continue  # reported with every other absent column by the evaluation
        raw = pl.col(column)
        empty = raw.is_null() | raw.str.strip_chars().is_in(EMPTY)
        if kind == "number":
            number, _, percent = parse_numbers(raw)
            value = pl.when(empty).then(None).when(percent).then(number / 100).otherwise(number)
            why = "不是数字"
        elif kind == "bool":
            text = raw.str.strip_chars()
            value = (
                pl.when(empty)
                .then(None)
                .when(text.is_in(TRUE))
                .then(True)
                .when(text.is_in(FALSE))
                .then(False)
            )
            why = "应为 是 或 否"
        elif kind == "code":
            value = pl.when(empty).then(None).otherwise(raw.str.strip_chars())
            why = ""
        else:
            value = (
                pl.when(raw.is_null() | (raw.str.strip_chars() == ""))
                .then(pl.lit([], pl.List(pl.String)))
                .otherwise(
                    raw.str.strip_chars().str.replace_all(TAG_SEPARATORS, ";").str.split(";")
                )
            )
            why = ""
        if why:
            checked = frame.select("__row", raw.alias("raw"), value.alias("v"), empty.alias("e"))
            bad = checked.filter(pl.col("v").is_null() & ~pl.col("e"))
            problems += [
                RowProblem(r, column, v, why) for r, v in bad.select("__row", "raw").iter_rows()
            ]
        converted.append(value.alias(column))
    if problems:
        raise InvalidFile(sorted(problems, key=lambda p: p.row or 0), path.name)
    out = frame.with_columns(converted).drop("__row")
    numbers = [c for c, kind in required_columns(policies).items() if kind == "number"]
    return out.with_columns(_decimals(frame[c], out[c]) for c in numbers if c in frame.columns)


def _decimals(raw: pl.Series, value: pl.Series) -> pl.Series:
    """A number column exactly as the cells write it (a decimal column), where its digits fit;
    else the parsed floats (read by their shortest repr later). Vectorised: no cell passes
    through Python."""
    cleaned = raw.cast(pl.String).str.replace_all(r"[,，\s]", "")
    percent = cleaned.str.ends_with("%") | cleaned.str.ends_with("％")
    body = cleaned.str.strip_chars_end("%％")
    known = value.is_not_null()
    plain = body.str.contains(r"^[+-]?(?:\d+\.?\d*|\.\d+)$").fill_null(False)
    if (known & ~plain).any():
        return value  # an exponent or the like: the floats
    places = body.str.extract(r"\.(\d*)$", 1).str.len_chars().fill_null(0).cast(pl.Int64)
    places = places + percent.cast(pl.Int64) * 2
    scale = int(places.filter(known).max() or 0)  # type: ignore[arg-type]
    if scale > 18:
        return value
    try:
        decimal = body.filter(known).cast(pl.Decimal(38, scale))
        hundredth = pl.lit(Decimal("0.01"), pl.Decimal(38, 2))
        exact = pl.select(
            pl.when(pl.lit(percent.filter(known)))
            .then(pl.lit(decimal) * hundredth)
            .otherwise(pl.lit(decimal))
            .cast(pl.Decimal(38, scale))
        ).to_series()
        out = pl.Series(value.name, [None] * len(value), dtype=pl.Decimal(38, scale))
        return out.scatter(known.arg_true(), exact)
    except (pl.exceptions.PolarsError, ValueError, OverflowError):
        return value
