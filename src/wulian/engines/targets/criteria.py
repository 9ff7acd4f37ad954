"""The criteria besides fit, their points, and the reasons in Chinese.

Points per criterion (at most): fit 55, size 15, growth 8, signals 8, ties 6, region 4,
contacts 4. A criterion whose input is unknown has no points (null, not 0) and the reasons say
so. The score is the share of the attainable points a firm earns on the criteria known for it
(0–100): a firm whose revenue is unknown is judged on the rest, not ranked as a tiny one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import scipy.sparse as sp

from wulian.engines.classify import text as textmod
from wulian.engines.targets import features
from wulian.engines.targets.candidates import (
    Candidates,
    Query,
    TieRows,
    industry_code,
    split_ids,
)

if TYPE_CHECKING:
    from wulian.engines.targets.index import TargetIndex, _Related

CRITERIA = ("fit", "size", "growth", "signals", "ties", "region", "contacts")
MAXIMUM = {"fit": 55, "size": 15, "growth": 8, "signals": 8, "ties": 6, "region": 4, "contacts": 4}
LABELS = {
    "fit": "契合", "size": "规模", "growth": "增长", "signals": "融资扩产", "ties": "链上往来",
    "region": "地区", "contacts": "接触",
}  # fmt: skip
COLUMNS = ("qid", "id", "rank", "score", "reasons", *(f"points_{c}" for c in CRITERIA))
GROWTH_FLOOR, GROWTH_TOP = -10.0, 30.0  # growth (%) at no points and at full points
PROVINCES = {
    "11": "北京", "12": "天津", "13": "河北", "14": "山西", "15": "内蒙古", "21": "辽宁",
    "22": "吉林", "23": "黑龙江", "31": "上海", "32": "江苏", "33": "浙江", "34": "安徽",
    "35": "福建", "36": "江西", "37": "山东", "41": "河南", "42": "湖北", "43": "湖南",
    "44": "广东", "45": "广西", "46": "海南", "50": "重庆", "51": "四川", "52": "贵州",
    "53": "云南", "54": "西藏", "61": "陕西", "62": "甘肃", "63": "青海", "64": "宁夏",
    "65": "新疆", "71": "台湾", "81": "香港", "82": "澳门",
}  # fmt: skip
_PROVINCE_OF_NAME = {name: code for code, name in PROVINCES.items()}
_SUFFIXES = ("省", "市", "自治区", "壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区")


def empty_result() -> pl.DataFrame:
    schema: dict[str, type[pl.DataType]] = {
        "qid": pl.Utf8,
        "id": pl.Utf8,
        "rank": pl.Int64,
        "score": pl.Float64,
        "reasons": pl.Utf8,
    }
    schema.update({f"points_{c}": pl.Float64 for c in CRITERIA})
    return pl.DataFrame(schema=schema)


@dataclass
class Fixed:
    """The points that do not depend on the need (NaN: unknown), per firm."""

    size: np.ndarray
    share_below: np.ndarray  # share of the firms with a known revenue below this one's
    growth: np.ndarray
    signals: np.ndarray
    contacts: np.ndarray

    @classmethod
    def of(cls, firms: Candidates) -> Fixed:
        n = len(firms.ids)
        revenue = firms.revenue
        known = ~np.isnan(revenue)
        size = np.full(n, np.nan)
        below = np.full(n, np.nan)
        if known.any():
            values = revenue[known]
            ordered = np.sort(values)
            lower = np.searchsorted(ordered, values, side="left")
            upper = np.searchsorted(ordered, values, side="right")
            share = (lower + (upper - lower - 1) / 2) / max(len(values) - 1, 1)
            share = np.where(len(values) == 1, 0.5, share)
            size[known] = np.where(values > 0, MAXIMUM["size"] * share, 0.0)
            below[known] = lower / len(values)
        growth = MAXIMUM["growth"] * np.clip(
            (firms.growth - GROWTH_FLOOR) / (GROWTH_TOP - GROWTH_FLOOR), 0.0, 1.0
        )
        half = MAXIMUM["signals"] / 2
        financing = np.array([f is not None for f in firms.financing])
        expansion = np.array([e is not None for e in firms.expansion])
        signals = np.where(financing | expansion, half * financing + half * expansion, np.nan)
        contacts = np.where(
            np.array([c is not None for c in firms.contacts]), MAXIMUM["contacts"], np.nan
        )
        return cls(size, below, growth, signals.astype(float), contacts.astype(float))


def _province(text: str) -> tuple[str | None, str | None]:
    """(province code, city key) of an adcode or a place name."""
    text = text.strip()
    if text.isdigit():
        return (text[:2] if len(text) >= 2 else None), (text[:4] if len(text) >= 4 else None)
    province = next((c for name, c in _PROVINCE_OF_NAME.items() if text.startswith(name)), None)
    rest = text
    if province is not None:
        rest = text[len(PROVINCES[province]) :]
        for suffix in sorted(_SUFFIXES, key=len, reverse=True):
            if rest.startswith(suffix):
                rest = rest[len(suffix) :]
                break
    city = None
    for mark in ("市", "自治州", "地区", "盟"):
        if mark in rest:
            city = rest[: rest.index(mark)]
            break
    if province in ("11", "12", "31", "50"):
        city = PROVINCES[province]
    return province, ("名" + city) if city else None


@dataclass
class Regions:
    """Each firm's province (adcode prefix as a number) and city (a number), -1 unknown."""

    province: np.ndarray
    city: np.ndarray
    cities: dict[str, int]

    @classmethod
    def of(cls, regions: list[str | None]) -> Regions:
        parsed: dict[str, tuple[str | None, str | None]] = {}
        cities: dict[str, int] = {}
        province = np.full(len(regions), -1, np.int64)
        city = np.full(len(regions), -1, np.int64)
        for at, text in enumerate(regions):
            if not text:
                continue
            found = parsed.get(text)
            if found is None:
                found = parsed[text] = _province(text)
            if found[0] is not None:
                province[at] = int(found[0])
            if found[1] is not None:
                city[at] = cities.setdefault(found[1], len(cities))
        return cls(province, city, cities)

    def points(self, region: str | None, chosen: np.ndarray) -> np.ndarray:
        """4 in the zone's city, 2 in its province, 0 in another province, NaN unknown."""
        out = np.full(len(chosen), np.nan)
        if not region:
            return out
        wanted_province, wanted_city = _province(region)
        province = self.province[chosen]
        city = self.city[chosen]
        if wanted_province is not None:
            known = province >= 0
            out[known] = np.where(
                province[known] == int(wanted_province), MAXIMUM["region"] / 2, 0.0
            )
        if wanted_city is not None and wanted_city in self.cities:
            out[city == self.cities[wanted_city]] = float(MAXIMUM["region"])
        return out


@dataclass
class Ties:
    firm_of: np.ndarray  # the firm of each tie
    partner: np.ndarray  # the partner's number of each tie
    numbers: dict[str, int]
    known: np.ndarray  # firms with ties given

    @classmethod
    def of(cls, ties: list[str | None]) -> Ties:
        numbers: dict[str, int] = {}
        firm_of: list[int] = []
        partner: list[int] = []
        for firm, text in enumerate(ties):
            for key in split_ids(text):
                firm_of.append(firm)
                partner.append(numbers.setdefault(key, len(numbers)))
        known = np.zeros(len(ties), dtype=bool)
        known[np.array(firm_of, np.int64)] = True
        return cls(np.array(firm_of, np.int64), np.array(partner, np.int64), numbers, known)

    def with_zone(self, zone: set[str], firms: int) -> np.ndarray:
        hit = np.zeros(firms, dtype=bool)
        wanted = np.array([self.numbers[z] for z in zone if z in self.numbers], np.int64)
        if len(wanted):
            hit[self.firm_of[np.isin(self.partner, wanted)]] = True
        return hit


@dataclass
class Table:
    firms: np.ndarray  # positions, best first
    points: dict[str, np.ndarray]  # rounded to 0.1; NaN unknown
    score: np.ndarray


def score(
    index: TargetIndex,
    chosen: np.ndarray,
    fit: np.ndarray,
    query: Query,
    context: dict[int, str],
    top_k: int,
    tie_rows: TieRows | None = None,
) -> Table:
    """The points of the firms chosen (their fit given), and the top_k of them by score.
    tie_rows (optional): a firm listed there has 0 points for ties unless it buys from or sells
    to one of the query's zone firms (full points); a firm not listed keeps what it had."""
    fixed = index.points
    points = {
        "fit": MAXIMUM["fit"] * fit.astype(np.float64),
        "size": fixed.size[chosen],
        "growth": fixed.growth[chosen],
        "signals": fixed.signals[chosen],
        "contacts": fixed.contacts[chosen],
        "region": index.regions.points(query.region, chosen),
    }
    zone_hit = index.ties.with_zone(query.zone, index.size)[chosen]
    near = np.zeros(len(chosen), dtype=bool)
    if context:
        holders = np.zeros(index.size, dtype=bool)
        pointers, members = index.item_firms.indptr, index.item_firms.indices
        for item in context:
            holders[members[pointers[item] : pointers[item + 1]]] = True
        near = holders[chosen]
    ties = np.where(index.ties.known[chosen], 0.0, np.nan)
    ties = np.where(near, MAXIMUM["ties"] / 2, ties)
    ties = np.where(zone_hit, float(MAXIMUM["ties"]), ties)
    if tie_rows is not None:
        listed = np.zeros(index.size, dtype=bool)
        listed[tie_rows.firm] = True
        ties = np.where(listed[chosen], np.fmax(ties, 0.0), ties)
        hit = _tied_to_zone(tie_rows, query.zone, index.size)
        ties = np.where(hit[chosen], float(MAXIMUM["ties"]), ties)
    points["ties"] = ties
    points = {c: np.round(v, 1) for c, v in points.items()}
    stacked = np.stack([points[c] for c in CRITERIA])
    attainable = np.array([MAXIMUM[c] for c in CRITERIA], np.float64)[:, None]
    known = ~np.isnan(stacked)
    total = np.round(100 * np.nansum(stacked, axis=0) / (known * attainable).sum(axis=0), 1)
    top = _top(total, points["fit"], chosen, top_k)
    return Table(chosen[top], {c: v[top] for c, v in points.items()}, total[top])


def _tied_to_zone(tie_rows: TieRows, zone: set[str], firms: int) -> np.ndarray:
    """Firms with a tie to one of the zone firms."""
    hit = np.zeros(firms, dtype=bool)
    wanted = np.array([tie_rows.zones[z] for z in zone if z in tie_rows.zones], np.int64)
    if len(wanted):
        hit[tie_rows.firm[np.isin(tie_rows.zone_code, wanted)]] = True
    return hit


def tie_texts(tie_rows: TieRows, firm: int, zone: set[str], most: int = 3) -> list[str]:
    """The firm's ties to the zone firms in words (向园区企业X供货：DTY), the largest first."""
    start = int(np.searchsorted(tie_rows.firm, firm, side="left"))
    end = int(np.searchsorted(tie_rows.firm, firm, side="right"))
    found = [at for at in range(start, end) if tie_rows.zone[at] in zone]
    found.sort(key=lambda at: -(0.0 if np.isnan(tie_rows.amount[at]) else tie_rows.amount[at]))
    out = []
    for at in found[:most]:
        name = tie_rows.zone_name[at]
        verb = f"向园区企业{name}供货" if tie_rows.buys[at] else f"从园区企业{name}采购"
        amount = tie_rows.amount[at]
        yearly = "" if np.isnan(amount) else f"（每年约{_money(float(amount))}）"
        out.append(f"{verb}：{_short(tie_rows.product[at])}{yearly}")
    if len(found) > most:
        out.append(f"等 {len(found)} 项")
    return out


def _top(total: np.ndarray, fit: np.ndarray, chosen: np.ndarray, k: int) -> np.ndarray:
    """Positions (in chosen) of the k best: score, then fit, then the input's order."""
    if len(total) > k:
        kth = np.partition(-total, k - 1)[k - 1]
        pool = np.flatnonzero(-total <= kth)
    else:
        pool = np.arange(len(total))
    order = np.lexsort((chosen[pool], -fit[pool], -total[pool]))
    out: np.ndarray = pool[order][:k]
    return out


def _money(wan: float) -> str:
    if wan >= 10000:
        return f"{wan / 10000:,.2f}亿元"
    return f"{wan:,.0f}万元"


def _short(text: str, size: int = 24) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _quoted(words: list[str]) -> str:
    return "".join(f"“{w}”" for w in words)


def _fit_reason(
    index: TargetIndex,
    firm: int,
    item: int,
    industry_class: int,
    need_text: str,
    normalised: str,
    vector: sp.csr_matrix,
    related: _Related,
) -> str:
    from wulian.engines.targets.index import (
        COOCCURRENCE,
        FEEDBACK,
        INDUSTRY_ITEM,
        KNOWLEDGE,
        LEXICAL,
        WHOLE_LIST,
    )

    need = f"“{_short(need_text)}”"
    knowledge = index.knowledge
    if item == INDUSTRY_ITEM and knowledge is not None:
        code = industry_code(index.firms.industry[firm]) or ""
        wanted = knowledge.codes[industry_class]
        level = (
            "相同"
            if code == wanted
            else ("同属一个中类" if code[:3] == wanted[:3] else "同属一个大类")
        )
        return f"所属行业 {code} 与需求所在的行业 {wanted} {knowledge.names[industry_class]}{level}"
    if item == WHOLE_LIST:
        listed = index.firms.products[firm] or ""
        words = features.shared(
            index.space, vector, index.space.vectors([textmod.normalise([listed])[0]])
        )
        return f"产品表“{_short(listed)}”整体与需求{need}相近（共有{_quoted(words)}）"
    what = "行业" if item in index.industry_items else "产品"
    name = f"{what}“{_short(index.items[item])}”"
    kind = int(related.kind[item])
    if kind == LEXICAL:
        if textmod.normalise([index.items[item]])[0] == normalised:
            return f"{name}即所需的{need}"
        words = features.shared(index.space, vector, index.vectors[item])
        return f"{name}与需求{need}相近（共有{_quoted(words)}）"
    if kind == COOCCURRENCE:
        seed = int(related.via[item])
        if textmod.normalise([index.items[seed]])[0] == normalised:
            return (
                f"{name}常与所需的“{_short(index.items[seed])}”同列"
                f"（{int(related.shared[item])} 家企业两者都做）"
            )
        words = features.shared(index.space, vector, index.vectors[seed])
        return (
            f"{name}常与“{_short(index.items[seed])}”同列（{int(related.shared[item])} 家企业"
            f"两者都做），而后者与需求{need}相近（共有{_quoted(words)}）"
        )
    if kind == FEEDBACK:
        near = int(related.via[item])
        source = int(related.shared[item])
        words = features.shared(index.space, index.vectors[near], index.vectors[item])
        return (
            f"{name}与“{_short(index.items[near])}”相近（共有{_quoted(words)}），"
            f"而后者常与“{_short(index.items[source])}”同列，“{_short(index.items[source])}”"
            f"与需求{need}相近"
        )
    if kind == KNOWLEDGE and knowledge is not None:
        c = int(related.via[item])
        return (
            f"{name}与需求{need}同在行业分类 {knowledge.codes[c]} {knowledge.names[c]}"
            "的名称或注释所列产品中"
        )
    return f"{name}与需求{need}语义相近"


def result(
    index: TargetIndex,
    table: Table,
    query: Query,
    need: str,
    vector: sp.csr_matrix,
    related: _Related,
    best: np.ndarray,
    industry_class: np.ndarray,
    classes: list[tuple[int, float]],
    context: dict[int, str],
    tie_rows: TieRows | None = None,
) -> pl.DataFrame:
    """The output rows of one query, with the reasons of each."""
    del classes
    firms = index.firms
    has = firms.has
    reasons: list[str] = []
    zone = query.zone
    for at, firm in enumerate(table.firms.tolist()):
        p = {c: table.points[c][at] for c in CRITERIA}
        parts = [
            f"契合 {p['fit']:.1f} 分："
            + _fit_reason(
                index,
                firm,
                int(best[firm]),
                int(industry_class[firm]),
                query.query,
                need,
                vector,
                related,
            )
        ]
        revenue = firms.revenue[firm]
        if np.isnan(p["size"]):
            parts.append("规模：营收未知，不计分")
        else:
            above = index.points.share_below[firm]
            parts.append(
                f"规模 {p['size']:.1f} 分：营收{_money(revenue)}，高于 "
                f"{above * 100:.0f}% 的有营收候选企业"
            )
        if not np.isnan(p["growth"]):
            parts.append(f"增长 {p['growth']:.1f} 分：营收增长 {firms.growth[firm]:.1f}%")
        elif "growth" in has:
            parts.append("增长：增长率未知，不计分")
        if not np.isnan(p["signals"]):
            said = [f"融资：{_short(t)}" for t in [firms.financing[firm]] if t]
            said += [f"扩产：{_short(t)}" for t in [firms.expansion[firm]] if t]
            parts.append(f"融资扩产 {p['signals']:.1f} 分：" + "；".join(said))
        elif "financing" in has or "expansion" in has:
            parts.append("融资扩产：无已知信息，不计分")
        if not np.isnan(p["ties"]):
            partners = [t for t in split_ids(firms.ties[firm]) if t in zone]
            listed = tie_texts(tie_rows, firm, zone) if tie_rows is not None else []
            if listed:
                text = "、".join(listed)
            elif partners:
                text = f"与园区企业 {'、'.join(partners[:5])} 有购销往来"
            else:
                near = _context_item(index, firm, context)
                text = (
                    f"产品“{_short(index.items[near])}”与链上相邻产品“{context[near]}”相近"
                    if near is not None
                    else "往来企业都不在园区"
                    if firms.ties[firm]
                    else "登记的往来园区企业都不在本需求的园区企业之列"
                )
            parts.append(f"链上往来 {p['ties']:.1f} 分：{text}")
        elif "ties" in has or query.context or tie_rows is not None:
            parts.append("链上往来：未知，不计分")
        if query.region:
            if np.isnan(p["region"]):
                parts.append("地区：未知，不计分")
            else:
                parts.append(
                    f"地区 {p['region']:.1f} 分：{_region_text(p['region'], firms.region[firm])}"
                )
        if not np.isnan(p["contacts"]):
            parts.append(f"接触 {p['contacts']:.1f} 分：{_short(firms.contacts[firm] or '')}")
        elif "contacts" in has:
            parts.append("接触：无接触记录，不计分")
        reasons.append("；".join(parts))
    count = len(table.firms)
    frame = pl.DataFrame(
        {
            "qid": [query.qid] * count,
            "id": [firms.ids[f] for f in table.firms.tolist()],
            "rank": np.arange(1, count + 1, dtype=np.int64),
            "score": table.score.astype(np.float64),
            "reasons": reasons,
            **{f"points_{c}": _nullable(table.points[c]) for c in CRITERIA},
        },
        schema=empty_result().schema,
    )
    return frame


def _nullable(values: np.ndarray) -> pl.Series:
    return pl.Series(values.astype(np.float64), dtype=pl.Float64, nan_to_null=True)


def _region_text(points: float, region: str | None) -> str:
    if points >= MAXIMUM["region"]:
        return f"与园区同在一个市（{region}）"
    if points > 0:
        return f"与园区同省（{region}）"
    return f"与园区不在同一省份（{region}）"


def _context_item(index: TargetIndex, firm: int, context: dict[int, str]) -> int | None:
    row = index.firm_items
    for item in row.indices[row.indptr[firm] : row.indptr[firm + 1]].tolist():
        if item in context:
            return int(item)
    return None
