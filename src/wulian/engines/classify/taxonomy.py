"""A taxonomy: codes with names, parents, descriptions and keywords, checked as a tree.

Read from a table with the columns code, name, parent_code, description and, optionally,
keywords (separated by 、 ， , ； ; or spaces). A duplicate code, a parent that is not in the
table, a node that is its own ancestor, or a row without code or name is refused with its row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem

COLUMNS = ("code", "name", "parent_code", "description")
KEYWORD_SEPARATORS = re.compile(r"[、，,；;\s]+")


@dataclass(frozen=True)
class Taxonomy:
    codes: list[str]
    names: list[str]
    parents: list[int]  # index of the parent; -1 for a top-level node
    descriptions: list[str]
    keywords: list[list[str]]
    index: dict[str, int] = field(init=False, repr=False, compare=False)
    children: dict[int, list[int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "index", {c: i for i, c in enumerate(self.codes)})
        children: dict[int, list[int]] = {}
        for node, parent in enumerate(self.parents):
            children.setdefault(parent, []).append(node)
        object.__setattr__(self, "children", children)

    def __len__(self) -> int:
        return len(self.codes)

    def path(self, node: int) -> list[int]:
        """The nodes from the top level down to node."""
        out = [node]
        while self.parents[out[-1]] >= 0:
            out.append(self.parents[out[-1]])
        return out[::-1]

    def is_leaf(self, node: int) -> bool:
        return node not in self.children

    def leaves(self) -> list[int]:
        return [n for n in range(len(self.codes)) if self.is_leaf(n)]

    def to_frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "code": self.codes,
                "name": self.names,
                "parent_code": [self.codes[p] if p >= 0 else None for p in self.parents],
                "description": self.descriptions,
                "keywords": ["、".join(k) for k in self.keywords],
            }
        )


def from_frame(
    frame: pl.DataFrame, rows: list[int] | None = None, source: str = "分类表"
) -> Taxonomy:
    """The taxonomy in frame (all cells text); rows are the row numbers a person sees."""
    rows = rows if rows is not None else list(range(2, frame.height + 2))
    missing = [c for c in ("code", "name", "parent_code") if c not in frame.columns]
    if missing:
        raise InvalidFile(
            [RowProblem(1, c, None, "缺少这一列") for c in missing],
            source,
        )

    def column(name: str) -> list[str]:
        if name not in frame.columns:
            return [""] * frame.height
        return [(v or "").strip() for v in frame[name].cast(pl.String).to_list()]

    codes, names, parents = column("code"), column("name"), column("parent_code")
    descriptions, keywords = column("description"), column("keywords")
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for row, code, name in zip(rows, codes, names, strict=True):
        if not code:
            problems.append(RowProblem(row, "code", None, "缺少编码"))
        elif code in seen:
            problems.append(RowProblem(row, "code", code, f"编码重复（第 {seen[code]} 行已有）"))
        else:
            seen[code] = row
        if not name:
            problems.append(RowProblem(row, "name", None, "缺少名称"))
    for row, code, parent in zip(rows, codes, parents, strict=True):
        if parent and parent not in seen:
            problems.append(RowProblem(row, "parent_code", parent, "上级编码不在表中"))
        elif parent and parent == code:
            problems.append(RowProblem(row, "parent_code", parent, "上级不能是自己"))
    if problems:
        raise InvalidFile(problems, source)
    index = {c: i for i, c in enumerate(codes)}
    parent_index = [index[p] if p else -1 for p in parents]
    for start, row in enumerate(rows):  # a cycle: walking up never reaches the top
        node, steps = start, 0
        while node >= 0 and steps <= len(codes):
            node, steps = parent_index[node], steps + 1
        if node >= 0:
            problems.append(
                RowProblem(
                    row, "parent_code", parents[start], "上级关系成环（沿上级一直找不到顶层）"
                )
            )
    if problems:
        raise InvalidFile(problems, source)
    return Taxonomy(
        codes=codes,
        names=names,
        parents=parent_index,
        descriptions=descriptions,
        keywords=[[k for k in KEYWORD_SEPARATORS.split(text) if k] for text in keywords],
    )
