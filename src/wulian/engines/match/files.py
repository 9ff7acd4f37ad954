"""Plain files for `wulian talent match`: people and posts in (CSV in UTF-8 or GBK, or xlsx;
headers in English or in Chinese, see HEADERS), the top k with scores and reasons out."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import read_table
from wulian.engines.match import inputs, kernel, reasons
from wulian.engines.match.inputs import Side, Vocabulary

HEADERS = {
    "编号": "id",
    "技能": "skills",
    "要求技能": "skills",
    "学历": "education",
    "学历要求": "education",
    "工作年限": "experience_years",
    "经验年限": "experience_years",
    "经验要求": "experience_years",
    "职业编码": "occupation",
    "期望薪资": "expected_salary",
    "期望月薪": "expected_salary",
    "地点": "location",
    "工作地点": "location",
    "薪资下限": "salary_min",
    "薪资上限": "salary_max",
    "招聘人数": "count",
    "人数": "count",
}


def read(path: Path, kind: str) -> tuple[pl.DataFrame, list[int]]:
    """The table's text cells with English column names, and each row's number in the file."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidFile([RowProblem(None, None, None, f"无法读取：{error}")], path.name) from None
    table = read_table(data, path.name, is_header=lambda cells: "id" in cells or "编号" in cells)
    frame = table.frame.rename({c: HEADERS[c] for c in table.frame.columns if c in HEADERS})
    columns = inputs.POST_COLUMNS if kind == "posts" else inputs.PEOPLE_COLUMNS
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidFile(
            [RowProblem(table.header_row, c, None, "缺少这一列") for c in missing], path.name
        )
    return frame.select(columns), table.rows.to_list()


def load(people_path: Path, posts_path: Path) -> tuple[Side, Side, Vocabulary]:
    vocabulary = Vocabulary.new()
    frame, rows = read(people_path, "people")
    people = inputs.encode(frame, "people", vocabulary, rows, people_path.name)
    frame, rows = read(posts_path, "posts")
    posts = inputs.encode(frame, "posts", vocabulary, rows, posts_path.name)
    return people, posts, vocabulary


def match(
    people: Side, posts: Side, vocabulary: Vocabulary, top_k: int, *, by_post: bool = True
) -> pl.DataFrame:
    """The top k table (see reasons.result)."""
    rows, _ = kernel.top(people, posts, top_k, by_post=by_post)
    return reasons.result(people, posts, vocabulary, rows, by_post=by_post)
