"""The candidate firms and the queries, checked: every problem named by row, column and value.

Candidates: id, name, products (several separated by 、 or ;), and optionally industry (a GB/T
4754 code such as 2822 or C2822, or its name as text), region (an adcode such as 330800 or a
name such as 浙江省衢州市), revenue (万元), growth (revenue growth in %, e.g. 12 or 12%),
financing and expansion (a signal in words, e.g. 2025年B轮融资3亿元; 新建年产10万吨项目), ties
(ids of firms it buys from or sells to, separated by ;) and contacts (past contacts in words).
Ties (optional, one row a tie): candidate_id, zone_id (a zone firm), direction (采购自: the zone
firm buys from the candidate; 供货给: it sells to the candidate), product, and optionally amount
(万元 a year) and zone_name (the zone firm's name, for the reasons).
Queries: qid, query, and optionally context (neighbouring products of the chain, separated by
、), zone (ids of firms already in the zone, separated by ;) and region (the zone's region).
An empty cell is unknown, never zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.core.tabular import parse_numbers

REQUIRED = ("id", "name", "products")
OPTIONAL = (
    "industry", "region", "revenue", "growth", "financing", "expansion", "ties", "contacts",
)  # fmt: skip
QUERY_REQUIRED = ("qid", "query")
TIES_REQUIRED = ("candidate_id", "zone_id", "direction", "product")
TIES_OPTIONAL = ("amount", "zone_name")
# a tie's direction as the zone firm sees it: it buys from the candidate (采购自) or sells to it
DIRECTIONS = {"采购自": "buys", "buys": "buys", "供货给": "sells", "sells": "sells"}
QUERY_OPTIONAL = ("context", "zone", "region")
ID_SEPARATORS = re.compile(r"[;；]+")
CODE = re.compile(r"^[A-Ta-t]?(\d{2,4})$")
LIMIT = 50  # problems listed per file


def split_ids(text: str | None) -> list[str]:
    """The ids a cell names, separated by ;."""
    if not text:
        return []
    return [part.strip() for part in ID_SEPARATORS.split(text) if part.strip()]


def industry_code(text: str | None) -> str | None:
    """The digits of a GB/T 4754 code (2822 from C2822), or None when the text is not a code."""
    found = CODE.match((text or "").strip())
    return found.group(1) if found else None


@dataclass
class Candidates:
    ids: list[str]
    names: list[str]
    products: list[str | None]
    industry: list[str | None]
    region: list[str | None]
    revenue: np.ndarray  # 万元, NaN unknown
    growth: np.ndarray  # %, NaN unknown
    financing: list[str | None]
    expansion: list[str | None]
    ties: list[str | None]
    contacts: list[str | None]
    has: frozenset[str]  # the optional columns the input has


def _text(frame: pl.DataFrame, column: str) -> list[str | None]:
    if column not in frame.columns:
        return [None] * frame.height
    values = frame[column].cast(pl.Utf8).to_list()
    return [v.strip() if v is not None and v.strip() else None for v in values]


def _numbers(
    frame: pl.DataFrame, column: str, rows: list[int], *, negative: bool, percent: bool
) -> tuple[np.ndarray, list[RowProblem]]:
    if column not in frame.columns:
        return np.full(frame.height, np.nan), []
    raw = frame[column]
    if raw.dtype.is_numeric():
        values = raw.cast(pl.Float64).to_numpy().copy()
        values[np.isnan(values) | raw.is_null().to_numpy()] = np.nan
        text = [None if v is None else str(v) for v in raw.to_list()]
        bad = np.zeros(frame.height, dtype=bool)
    else:
        number, is_empty, is_percent = parse_numbers(pl.col(column).cast(pl.Utf8))
        parsed = frame.select(number.alias("n"), is_empty.alias("e"), is_percent.alias("p"))
        values = parsed["n"].fill_null(np.nan).to_numpy().copy()
        empty = parsed["e"].fill_null(True).to_numpy()
        flagged = parsed["p"].fill_null(False).to_numpy() & (not percent)
        bad = ~empty & (np.isnan(values) | flagged)
        values[empty | bad] = np.nan
        text = raw.cast(pl.Utf8).to_list()
    problems = [RowProblem(rows[i], column, text[i], "不是数值") for i in np.flatnonzero(bad)]
    if not negative:
        for i in np.flatnonzero(values < 0):
            problems.append(RowProblem(rows[i], column, text[i], "不能为负数"))
    return values, problems


def _keys(values: list[str | None], rows: list[int], column: str, what: str) -> list[RowProblem]:
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for row, key in zip(rows, values, strict=True):
        if key is None:
            problems.append(RowProblem(row, column, None, f"缺少{what}"))
        elif key in seen:
            problems.append(RowProblem(row, column, key, f"{what}重复（第 {seen[key]} 行已有）"))
        else:
            seen[key] = row
    return problems


def _missing_columns(
    frame: pl.DataFrame, required: tuple[str, ...], source: str, header_row: int
) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InvalidFile([RowProblem(header_row, c, None, "缺少这一列") for c in missing], source)


def _rows(frame: pl.DataFrame, rows: list[int] | None) -> list[int]:
    return rows if rows is not None else list(range(2, frame.height + 2))


def check_candidates(
    frame: pl.DataFrame, *, rows: list[int] | None = None, source: str = "候选企业表"
) -> Candidates:
    """The candidates, or InvalidFile naming every row, column and value that is wrong (rows:
    the line of each row in its file; by default the row's place after a header line)."""
    _missing_columns(frame, REQUIRED, source, 1)
    lines = _rows(frame, rows)
    ids = _text(frame, "id")
    problems = _keys(ids, lines, "id", "企业编号")
    names = _text(frame, "name")
    for row, name in zip(lines, names, strict=True):
        if name is None:
            problems.append(RowProblem(row, "name", None, "缺少企业名称"))
    revenue, found = _numbers(frame, "revenue", lines, negative=False, percent=False)
    problems += found
    growth, found = _numbers(frame, "growth", lines, negative=True, percent=True)
    problems += found
    for i in np.flatnonzero(growth < -100):
        problems.append(RowProblem(lines[i], "growth", f"{growth[i]:g}", "增长率不能低于 -100%"))
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InvalidFile(problems[:LIMIT], source)
    return Candidates(
        ids=[i or "" for i in ids],
        names=[n or "" for n in names],
        products=_text(frame, "products"),
        industry=_text(frame, "industry"),
        region=_text(frame, "region"),
        revenue=revenue,
        growth=growth,
        financing=_text(frame, "financing"),
        expansion=_text(frame, "expansion"),
        ties=_text(frame, "ties"),
        contacts=_text(frame, "contacts"),
        has=frozenset(c for c in OPTIONAL if c in frame.columns),
    )


@dataclass
class Query:
    qid: str
    query: str
    context: list[str]
    zone: set[str]
    region: str | None


def check_queries(
    frame: pl.DataFrame, *, rows: list[int] | None = None, source: str = "需求表"
) -> list[Query]:
    """The queries, or InvalidFile naming each row without qid or query, or with a qid twice."""
    _missing_columns(frame, QUERY_REQUIRED, source, 1)
    lines = _rows(frame, rows)
    qids = _text(frame, "qid")
    texts = _text(frame, "query")
    problems = _keys(qids, lines, "qid", "需求编号")
    problems += [
        RowProblem(r, "query", None, "缺少需求（产品、技术或行业）")
        for r, q in zip(lines, texts, strict=True)
        if q is None
    ]
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InvalidFile(problems[:LIMIT], source)
    from wulian.engines.targets.features import split_items

    return [
        Query(qid or "", text or "", split_items(context), set(split_ids(zone)), region)
        for qid, text, context, zone, region in zip(
            qids,
            texts,
            _text(frame, "context"),
            _text(frame, "zone"),
            _text(frame, "region"),
            strict=True,
        )
    ]


@dataclass
class TieRows:
    """Supply ties between candidates and zone firms, sorted by candidate."""

    firm: np.ndarray  # int64: the candidate's position
    zone: list[str]  # the zone firm's id
    zone_name: list[str]  # its name (its id when no name was given)
    buys: np.ndarray  # bool: the zone firm buys from the candidate (else it sells to it)
    product: list[str]
    amount: np.ndarray  # 万元 a year, NaN unknown
    zone_code: np.ndarray  # int64: the number of each tie's zone firm in zones
    zones: dict[str, int]


def check_ties(
    frame: pl.DataFrame,
    positions: dict[str, int],
    *,
    rows: list[int] | None = None,
    source: str = "往来表",
) -> TieRows:
    """The ties, or InvalidFile naming every row, column and value that is wrong (an unknown
    candidate, a direction other than 采购自/供货给, a missing product, an amount that is not a
    number or negative, a tie listed twice)."""
    _missing_columns(frame, TIES_REQUIRED, source, 1)
    lines = _rows(frame, rows)
    ids, zones = _text(frame, "candidate_id"), _text(frame, "zone_id")
    directions, products = _text(frame, "direction"), _text(frame, "product")
    names = _text(frame, "zone_name")
    amount, problems = _numbers(frame, "amount", lines, negative=False, percent=False)
    seen: dict[tuple[str, str, str, str], int] = {}
    for at, row in enumerate(lines):
        key, zone, direction, product = ids[at], zones[at], directions[at], products[at]
        if key is None:
            problems.append(RowProblem(row, "candidate_id", None, "缺少候选企业编号"))
        elif key not in positions:
            problems.append(
                RowProblem(row, "candidate_id", key, f"候选企业表中没有编号为“{key}”的企业")
            )
        if zone is None:
            problems.append(RowProblem(row, "zone_id", None, "缺少园区企业编号"))
        if direction not in DIRECTIONS:
            problems.append(
                RowProblem(
                    row,
                    "direction",
                    direction,
                    "方向须为“采购自”或“供货给”（园区企业向候选企业采购，或向其供货）",
                )
            )
        if product is None:
            problems.append(RowProblem(row, "product", None, "缺少产品"))
        if None in (key, zone, direction, product) or direction not in DIRECTIONS:
            continue
        tie = (key or "", zone or "", DIRECTIONS[direction or ""], product or "")
        if tie in seen:
            problems.append(
                RowProblem(row, "product", product, f"往来重复（第 {seen[tie]} 行已有）")
            )
        else:
            seen[tie] = row
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InvalidFile(problems[:LIMIT], source)
    firm = np.array([positions[k or ""] for k in ids], np.int64)
    order = np.argsort(firm, kind="stable")
    pick = order.tolist()
    zone_ids = [zones[i] or "" for i in pick]
    numbers: dict[str, int] = {}
    codes = np.array([numbers.setdefault(z, len(numbers)) for z in zone_ids], np.int64)
    return TieRows(
        firm=firm[order],
        zone=zone_ids,
        zone_name=[names[i] or zones[i] or "" for i in pick],
        buys=np.array([DIRECTIONS[directions[i] or ""] == "buys" for i in pick], dtype=bool),
        product=[products[i] or "" for i in pick],
        amount=amount[order] if len(pick) else np.zeros(0),
        zone_code=codes,
        zones=numbers,
    )
