"""The occupation classification's table read from the user's copy (CSV or xlsx) and turned into
a classify-engine taxonomy.

Columns: level, code (x-xx-xx-xx), name, parent_code, definition, tasks (主要工作任务 as
"1.…… 2.……"). The 2022 edition marks digital occupations with S and green ones with L after
the name (数据分析处理工程技术人员S, 地理信息系统工程技术人员L/S): the marks are kept apart
from the name. A node's description is its definition and each task on a line of its own; its
keywords are the aliases of aliases.yaml for its code.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import polars as pl
import yaml

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import read_table
from wulian.engines.classify import taxonomy as taxonomy_module
from wulian.engines.classify.taxonomy import Taxonomy

__all__ = ["Classification", "Taxonomy", "aliases", "classification", "read"]

REQUIRED = ("code", "name", "parent_code")
CODE = re.compile(r"^\d-\d{2}-\d{2}-\d{2}$")
MARK = re.compile(r"(?<=[\u4e00-\u9fff）)])\s*(L/S|S/L|L|S)$")
TASK_SPLIT = re.compile(r"(?:^|\s+)\d{1,2}[.、．]\s*")


@dataclass(frozen=True)
class Classification:
    taxonomy: Taxonomy
    marks: dict[str, str]  # code → 数字 / 绿色 / 数字、绿色 for the marked occupations
    fingerprint: str  # SHA-256 of the table and the aliases: a cached model is for these


def split_mark(name: str) -> tuple[str, str]:
    """(name without its mark, the mark's meaning: 数字职业, 绿色职业, both, or "")."""
    found = MARK.search(name)
    if not found:
        return name.strip(), ""
    mark = found.group(1)
    meaning = "、".join(
        label for letter, label in (("S", "数字职业"), ("L", "绿色职业")) if letter in mark
    )
    return name[: found.start()].strip(), meaning


def tasks_lines(tasks: str) -> list[str]:
    """The main tasks one per line: "1.甲 2.乙。" → ["甲", "乙"]."""
    parts = [p.strip().rstrip("。；;") for p in TASK_SPLIT.split(tasks or "")]
    return [p for p in parts if p]


@lru_cache(maxsize=1)
def aliases() -> dict[str, list[str]]:
    """code → the job titles firms write for it (the package's aliases.yaml)."""
    text = resources.files(__package__).joinpath("aliases.yaml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text) or {}
    return {str(code): [str(a) for a in (items or [])] for code, items in loaded.items()}


def _aliases_text() -> bytes:
    return resources.files(__package__).joinpath("aliases.yaml").read_bytes()


def read(path: Path) -> Classification:
    """The classification in the file at path; a missing column, a malformed code, a duplicate
    code or a parent not in the table is refused with its row."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: "code" in cells)
    missing = [c for c in REQUIRED if c not in table.headers]
    if missing:
        raise InvalidFile(
            [RowProblem(table.header_row, c, None, "缺少这一列") for c in missing], path.name
        )
    frame = table.frame
    rows = table.rows.to_list()
    problems = [
        RowProblem(row, "code", code, "编码应为 x-xx-xx-xx 形式")
        for row, code in zip(rows, frame["code"].to_list(), strict=True)
        if code and not CODE.match(code.strip())
    ]
    if problems:
        raise InvalidFile(problems, path.name)
    return classification(frame, rows, path.name, data)


def classification(
    frame: pl.DataFrame,
    rows: list[int] | None = None,
    source: str = "职业分类表",
    data: bytes = b"",
) -> Classification:
    """The classification in a frame of text cells (the table's columns)."""

    def column(name: str) -> list[str]:
        if name not in frame.columns:
            return [""] * frame.height
        return [(v or "").strip() for v in frame[name].cast(pl.String).to_list()]

    names, marks = [], {}
    for code, raw in zip(column("code"), column("name"), strict=True):
        name, mark = split_mark(raw)
        names.append(name)
        if mark:
            marks[code] = mark
    descriptions = [
        "\n".join([d, *tasks_lines(t)]).strip()
        for d, t in zip(column("definition"), column("tasks"), strict=True)
    ]
    known = aliases()
    keywords = ["、".join(known.get(code, [])) for code in column("code")]
    taxonomy = taxonomy_module.from_frame(
        pl.DataFrame(
            {
                "code": column("code"),
                "name": names,
                "parent_code": column("parent_code"),
                "description": descriptions,
                "keywords": keywords,
            }
        ),
        rows,
        source,
    )
    digest = hashlib.sha256(data or frame.write_csv().encode("utf-8"))
    digest.update(_aliases_text())
    return Classification(taxonomy, marks, digest.hexdigest())
