"""A word many candidates' products share (设备、材料、系统 …) makes a weak fit on its own: a firm
sharing only that word with the need ranks below one sharing the need's specific part, and the
reason still names the words that matched."""

from __future__ import annotations

import dataclasses

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wulian.engines.targets import Settings, TargetIndex

# products with the same head: what makes the head common among the candidates' products
MODIFIERS = ["锂电", "医疗", "环保", "包装", "化工", "纺织", "制冷", "食品", "印刷", "矿山"]
DISCOUNT = Settings(generic=2.0)  # as the 招商图谱 ranks (the engine's default is 0: off)
HEADS = ["设备", "材料", "系统", "产品", "装置", "服务"]
SPECIFIC = ["通信", "光伏", "氢能", "半导体", "航空"]
OTHER_HEADS = ["模块", "组件", "芯片", "线缆"]


def _fits(index: TargetIndex, *needs: str) -> dict[str, float]:
    """Each firm's best fit points over the needs (as the 招商图谱 ranks a gap's words)."""
    queries = pl.DataFrame({"qid": [f"q{i}" for i in range(len(needs))], "query": list(needs)})
    found = index.rank(queries, top_k=1000)
    best: dict[str, float] = {}
    for key, points in zip(found["id"].to_list(), found["points_fit"].to_list(), strict=True):
        best[key] = max(best.get(key, 0.0), points)
    return best


def _plain(index: TargetIndex) -> TargetIndex:
    return dataclasses.replace(index, settings=dataclasses.replace(index.settings, generic=0.0))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    head=st.sampled_from(HEADS),
    specific=st.sampled_from(SPECIFIC),
    other=st.sampled_from(OTHER_HEADS),
    common=st.lists(st.sampled_from(MODIFIERS), min_size=4, max_size=10, unique=True),
)
def test_a_shared_common_word_fits_less_than_the_shared_specific_term(
    head: str, specific: str, other: str, common: list[str]
) -> None:
    products = [f"{m}{head}" for m in common] + [f"{specific}{other}", "涤纶长丝", "电解液"]
    firms = pl.DataFrame(
        {
            "id": [f"f{i}" for i in range(len(products))],
            "name": [f"企业{i}" for i in range(len(products))],
            "products": products,
        }
    )
    index = TargetIndex.build(firms, settings=DISCOUNT)
    fits = _fits(index, f"{specific}{head}")
    specific_firm = f"f{len(common)}"
    assert specific_firm in fits
    generic_only = [fits.get(f"f{i}", 0.0) for i in range(len(common))]
    # the common word alone earns at most a third of what the specific term earns (the plain
    # cosine gives it about two thirds)
    assert 3 * max(generic_only) <= fits[specific_firm]


DEMO = pl.DataFrame(
    {
        "id": ["lithium", "medical", "rf", "module", *(f"g{i}" for i in range(6)), "x1", "x2"],
        "name": ["锂电", "医疗", "射频", "模组", *(f"设备{i}" for i in range(6)), "纤", "膜"],
        "products": [
            "锂电设备、涂布机", "医疗设备、监护仪", "5G基站射频器件", "通信模组", "环保设备",
            "包装设备",
            "化工设备", "纺织设备", "制冷设备", "食品设备", "涤纶长丝", "锂电池隔膜",
        ],
    }
)  # fmt: skip
# the 5G通信 延链 direction of the demo's 氟硅 chain: its keywords and products
TELECOM = ("通信设备", "高频线缆", "基站", "高频覆铜板", "通信线缆")


def test_the_5g_direction_prefers_the_base_station_part_maker_over_other_equipment() -> None:
    index = TargetIndex.build(DEMO, settings=DISCOUNT)
    fits = _fits(index, *TELECOM)
    equipment = max(fits.get("lithium", 0.0), fits.get("medical", 0.0))
    assert equipment < fits["rf"]
    # for 通信设备, a maker of 通信模组 (sharing 通信) fits at least three times as well as one
    # of 锂电设备 or 医疗设备 (sharing 设备, which six other firms' products end with too)
    fits = _fits(index, "通信设备")
    assert 3 * max(fits.get("lithium", 0.0), fits.get("medical", 0.0)) <= fits["module"]
    found = index.rank(pl.DataFrame({"qid": ["q"], "query": ["通信设备"]}))
    reasons = dict(zip(found["id"].to_list(), found["reasons"].to_list(), strict=True))
    assert "共有“通信”" in reasons["module"]
    # what matched is still named, however little it earns
    assert "产品“锂电设备”与需求“通信设备”相近（共有“设备”）" in reasons["lithium"]
