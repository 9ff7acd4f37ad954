"""Plain files for `wulian classify`: the taxonomy, labelled examples and texts to place (CSV in
UTF-8 or GBK, or xlsx), the predictions as CSV or xlsx."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import Table, read_table
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify.model import Prediction
from wulian.engines.classify.taxonomy import Taxonomy

EMPTY_TEXT = "文本为空，未分类"


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
    return table


def read_taxonomy(path: Path) -> Taxonomy:
    table = _read(path, ("code", "name", "parent_code"))
    return taxonomy_module.from_frame(table.frame, table.rows.to_list(), path.name)


def read_examples(path: Path, taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """(text, code) pairs; a row without text, or with a code not in the taxonomy, refused."""
    table = _read(path, ("text", "code"))
    problems: list[RowProblem] = []
    out: list[tuple[str, str]] = []
    for row, text, code in zip(
        table.rows.to_list(),
        table.frame["text"].to_list(),
        table.frame["code"].to_list(),
        strict=True,
    ):
        text, code = (text or "").strip(), (code or "").strip()
        if not text:
            problems.append(RowProblem(row, "text", None, "缺少文本"))
        if code not in taxonomy.index:
            problems.append(RowProblem(row, "code", code or None, "编码不在分类表中"))
        if text and code in taxonomy.index:
            out.append((text, code))
    if problems:
        raise InvalidFile(problems, path.name)
    return out


def read_input(path: Path) -> tuple[list[str], list[str]]:
    """ids and texts; a row without id refused, duplicate ids refused; empty texts kept."""
    table = _read(path, ("id", "text"))
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
    return ids, [v or "" for v in table.frame["text"].to_list()]


def output(ids: list[str], prediction: Prediction, threshold: float) -> pl.DataFrame:
    """id, rank, code, score, terms, name, review (是 when the best score is under threshold)."""
    frame = prediction.frame
    best = frame.filter(pl.col("rank") == 1).select("row", (pl.col("score") < threshold).alias("r"))
    out = (
        frame.join(best, on="row", how="left")
        .with_columns(
            pl.col("row").map_elements(lambda r: ids[r], return_dtype=pl.String).alias("id"),
            pl.when(pl.col("r")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("review"),
        )
        .select("row", "id", "rank", "code", "score", "terms", "name", "review")
    )
    if prediction.empty:
        blank = pl.DataFrame(
            {
                "row": prediction.empty,
                "id": [ids[r] for r in prediction.empty],
                "rank": [None] * len(prediction.empty),
                "code": [None] * len(prediction.empty),
                "score": [None] * len(prediction.empty),
                "terms": [EMPTY_TEXT] * len(prediction.empty),
                "name": [None] * len(prediction.empty),
                "review": ["是"] * len(prediction.empty),
            },
            schema=out.schema,
        )
        out = pl.concat([out, blank])
    return out.sort("row", "rank", nulls_last=True).drop("row")
