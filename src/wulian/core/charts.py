"""Charts drawn in the browser from figures the server computed.

A chart is one object that gives three views of the same figures, so that they never disagree:
the data the page's script draws (`data()`, written into the page as a JSON block and drawn by
static/js/charts.js with the vendored ECharts), the table beside the chart (`cells()`, the
accessible source, shown when the reader toggles to 表 or has no script), and the sheet of the
page's workbook (`headers()` and `rows()`, numbers as numbers).

Units are part of the figures: every series names its unit (家, 件, 笔, 万元, 亿元, %), the axes
carry it in their names, and a percentage is held as a percentage (80.7 for 80.7%), never as a
fraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

PERCENT = "%"
MONEY_UNITS = ("万元", "亿元")


def percent(value: float | None, digits: int = 1) -> float | None:
    """A fraction (0.807) as the percentage a reader reads (80.7)."""
    return None if value is None else round(value * 100, digits)


def yi(value: float | None) -> float | None:
    """万元 as 亿元, two decimals."""
    return None if value is None else round(value / 10_000, 2)


def cell(value: float | int | str | None, unit: str) -> str:
    """A figure as the table shows it: thousands separated, money with two decimals, a
    percentage with its sign, — where unknown."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == PERCENT:
        return f"{value:.1f}%"
    if unit in MONEY_UNITS:
        return f"{value:,.2f}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


class _Sheet:
    """A chart's figures as a sheet of the page's workbook."""

    key: str
    title: str

    def headers(self) -> list[str]:
        raise NotImplementedError

    def rows(self) -> list[list[Any]]:
        raise NotImplementedError

    @property
    def sheet(self) -> str:
        name = "图·" + self.title.split("（")[0]
        return "".join(c for c in name if c not in "[]:*?/\\")[:31]

    def sheet_into(self, book: Any) -> None:
        """Adds the chart's sheet to a `core.xlsx.ListWorkbook`."""
        headers = self.headers()
        book.table(
            self.sheet, headers=headers, rows=self.rows(),
            widths=[max(10, min(30, len(h) * 2 + 2)) for h in headers],
        )  # fmt: skip


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | int | None]
    unit: str
    kind: str = "bar"  # bar or line
    axis: int = 0  # 0: the left axis, 1: the right one
    drawn: bool = True  # False: in the table and the workbook only (a third unit)

    @property
    def header(self) -> str:
        return f"{self.name}（{self.unit}）"


@dataclass(frozen=True)
class Chart(_Sheet):
    """Categories along the bottom (years, months, classes or ranges), one or more series of
    bars or lines over one or two value axes."""

    key: str  # the figure's id is chart-{key}
    title: str
    category: str  # the categories' name: 年度, 月份, 积分区间, 类别
    categories: Sequence[str]
    series: Sequence[Series]
    axes: Sequence[str] = ()  # value axis names, each with its unit: 营收（亿元）
    kind: str = field(default="bars", init=False)

    def __post_init__(self) -> None:
        for s in self.series:
            if len(s.values) != len(self.categories):
                raise ValueError(f"{self.key}: {s.name} 的数值个数与分类数不符")

    def headers(self) -> list[str]:
        return [self.category, *(s.header for s in self.series)]

    def rows(self) -> list[list[Any]]:
        return [
            [category, *(s.values[i] for s in self.series)]
            for i, category in enumerate(self.categories)
        ]

    def cells(self) -> list[list[str]]:
        return [
            [category, *(cell(s.values[i], s.unit) for s in self.series)]
            for i, category in enumerate(self.categories)
        ]

    def data(self) -> dict[str, Any]:
        axes = list(self.axes)
        if not axes and self.series:
            axes = [self.series[0].header]
        return {
            "kind": self.kind,
            "title": self.title,
            "category": self.category,
            "categories": list(self.categories),
            "axes": [{"name": name, "percent": name.endswith(f"（{PERCENT}）")} for name in axes],
            "series": [
                {"name": s.name, "unit": s.unit, "kind": s.kind, "axis": s.axis,
                 "values": list(s.values)}
                for s in self.series if s.drawn
            ],
        }  # fmt: skip

    @property
    def empty(self) -> bool:
        return not self.categories


@dataclass(frozen=True)
class Node:
    key: str
    name: str
    segment: str  # 上游, 中游, 下游
    column: int  # depth along the supply edges, upstream first
    row: float  # place in its column, centred on the tallest column
    firms: int
    revenue: float | None  # 万元
    rating: str  # 强, 弱, 缺
    href: str

    @property
    def gap(self) -> bool:
        return self.rating != "强"


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    share: float | None  # the target's input from the source, 0–1


@dataclass(frozen=True)
class GraphChart(_Sheet):
    """A map of nodes and the links between them (the chain map): nodes placed by column from
    upstream to downstream, sized by firm count, a gap (弱 or 缺) marked."""

    key: str
    title: str
    nodes: Sequence[Node]
    links: Sequence[Link]
    kind: str = field(default="graph", init=False)

    def _names(self) -> dict[str, str]:
        return {n.key: n.name for n in self.nodes}

    def _supplies(self, key: str) -> str:
        names = self._names()
        return "、".join(
            names[link.target] + (f"（{link.share:.0%}）" if link.share is not None else "")
            for link in self.links if link.source == key
        )  # fmt: skip

    def headers(self) -> list[str]:
        return [
            "环节",
            "上中下游",
            "评级",
            "企业（家）",
            "营收（万元）",
            "供给下游环节（投入占比）",
        ]

    def rows(self) -> list[list[Any]]:
        return [
            [n.name, n.segment, n.rating, n.firms, n.revenue, self._supplies(n.key)]
            for n in self.nodes
        ]

    def cells(self) -> list[list[str]]:
        return [
            [n.name, n.segment, n.rating, cell(n.firms, "家"), cell(n.revenue, "万元"),
             self._supplies(n.key) or "—"]
            for n in self.nodes
        ]  # fmt: skip

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "nodes": [
                {"key": n.key, "name": n.name, "segment": n.segment, "column": n.column,
                 "row": n.row, "firms": n.firms, "revenue": n.revenue, "rating": n.rating,
                 "gap": n.gap, "href": n.href}
                for n in self.nodes
            ],
            "links": [
                {"source": link.source, "target": link.target,
                 "share": percent(link.share, 0)}
                for link in self.links
            ],
        }  # fmt: skip

    @property
    def empty(self) -> bool:
        return not self.nodes


def histogram(values: Sequence[float], *, bins: int = 10) -> list[tuple[str, int]]:
    """Counts of values in equal ranges from the lowest to the highest, each range with a round
    width (1, 2, 5 × a power of ten) and labelled by its ends: [("40–50", 12), ...]; the upper end
    is open except for the last range."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [(f"{low:g}", len(values))]
    raw = (high - low) / bins
    scale = 10 ** _floor_log10(raw)
    width = next(step * scale for step in (1, 2, 5, 10) if step * scale >= raw)
    start = (low // width) * width
    count = int((high - start) // width) + 1
    if start + (count - 1) * width == high and count > 1:
        count -= 1  # the highest value closes the last range
    counts = [0] * count
    for v in values:
        counts[min(int((v - start) // width), count - 1)] += 1
    return [
        (f"{_round(start + i * width)}–{_round(start + (i + 1) * width)}", n)
        for i, n in enumerate(counts)
    ]


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value /= 10
        exponent += 1
    while value < 1:
        value *= 10
        exponent -= 1
    return exponent


def _round(value: float) -> str:
    return f"{round(value, 6):g}"
