"""Units seen in Chinese government spreadsheets, and conversion to each metric's canonical unit."""

from __future__ import annotations

from dataclasses import dataclass

from wulian.core.errors import InvalidInput


@dataclass(frozen=True)
class Unit:
    name: str
    family: str
    factor: float  # multiply a value in this unit by factor to get the family's canonical unit


FAMILIES: dict[str, str] = {
    "money": "金额（元、千元、万元、亿元）",
    "ratio": "比例（%、‰ 或小数）",
    "area": "面积（亩、平方米、公顷）",
    "energy": "能耗（吨标准煤、千克标准煤、万吨标准煤）",
    "electricity": "电量（万千瓦时、千瓦时、度、亿千瓦时）",
    "mass": "重量（吨、千克）",
    "people": "人数（人）",
    "items": "数量（件、个、项）",
    "money_per_area": "万元/亩",
    "money_per_energy": "万元/吨标准煤",
    "money_per_mass": "万元/吨",
    "money_per_person": "万元/人",
    "money_per_electricity": "万元/万千瓦时",
    "points": "分",
    "flag": "是否（1 = 是，0 = 否）",
}

_UNITS: tuple[Unit, ...] = (
    Unit("元", "money", 1e-4),
    Unit("千元", "money", 0.1),
    Unit("万元", "money", 1.0),
    Unit("亿元", "money", 1e4),
    Unit("比例", "ratio", 1.0),
    Unit("%", "ratio", 0.01),
    Unit("％", "ratio", 0.01),
    Unit("百分比", "ratio", 0.01),
    Unit("‰", "ratio", 0.001),
    Unit("亩", "area", 1.0),
    Unit("平方米", "area", 0.0015),  # 1 亩 = 10000/15 平方米
    Unit("㎡", "area", 0.0015),
    Unit("m2", "area", 0.0015),
    Unit("公顷", "area", 15.0),
    Unit("吨标准煤", "energy", 1.0),
    Unit("吨标煤", "energy", 1.0),
    Unit("tce", "energy", 1.0),
    Unit("千克标准煤", "energy", 0.001),
    Unit("万吨标准煤", "energy", 1e4),
    Unit("万千瓦时", "electricity", 1.0),
    Unit("万度", "electricity", 1.0),
    Unit("千瓦时", "electricity", 1e-4),
    Unit("度", "electricity", 1e-4),
    Unit("kwh", "electricity", 1e-4),
    Unit("亿千瓦时", "electricity", 1e4),
    Unit("吨", "mass", 1.0),
    Unit("千克", "mass", 0.001),
    Unit("公斤", "mass", 0.001),
    Unit("人", "people", 1.0),
    Unit("件", "items", 1.0),
    Unit("个", "items", 1.0),
    Unit("项", "items", 1.0),
    Unit("万元/亩", "money_per_area", 1.0),
    Unit("万元/吨标准煤", "money_per_energy", 1.0),
    Unit("万元/吨", "money_per_mass", 1.0),
    Unit("万元/人", "money_per_person", 1.0),
    Unit("万元/万千瓦时", "money_per_electricity", 1.0),
    Unit("分", "points", 1.0),
    Unit("是否", "flag", 1.0),
)
UNITS: dict[str, Unit] = {unit.name.lower(): unit for unit in _UNITS}


def unit(name: str) -> Unit:
    """The unit called name (case-insensitive, surrounding spaces ignored), or a clear error."""
    found = UNITS.get(name.strip().lower())
    if found is None:
        raise InvalidInput(f"不认识的单位“{name}”", field="unit", value=name)
    return found


def factor(from_unit: str, to_unit: str) -> float:
    """The factor that converts a value in from_unit into to_unit (same family only)."""
    source, target = unit(from_unit), unit(to_unit)
    if source.family != target.family:
        raise InvalidInput(
            f"单位“{from_unit}”不能换算为“{to_unit}”：应为{FAMILIES[target.family]}",
            field="unit",
            value=from_unit,
        )
    return source.factor / target.factor
