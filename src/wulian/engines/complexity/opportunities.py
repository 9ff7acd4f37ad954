"""Opportunity industries for one zone, and its strategic approach.

Candidates are the industries the zone does not have (M = 0) in the period. Each is scored by a
weighted sum of three z-scores taken within the candidates: density (how close the zone's
present industries are: 1 − the Atlas's "distance"), PCI (how complex the industry is) and COG
(how much it would open up). The weights are named presets after the Growth Lab's Atlas of
Economic Complexity (distance / complexity / opportunity gain): 低垂果实 60/15/25, 平衡组合
50/15/35, 长跳 45/20/35; or any weights given.

The strategic approach follows the Atlas's four quadrants of relative complexity (here the zone's
ECI among the regions of the same data, mean 0) and the Complexity Outlook Index (COI, mean 0):
high COI and low ECI 精简产业政策 (parsimonious industrial policy); high COI and high ECI 平行发展
(light touch); low COI and low ECI 战略押注 (strategic bets); low COI and high ECI 技术前沿
(technological frontier). The Atlas measures complexity relative to income and natural
resources; without those, ECI itself is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from wulian.core.errors import InvalidInput

COMPONENTS = ("density", "pci", "cog")


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    density: float
    pci: float
    cog: float
    means: str


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset(
            "low-hanging",
            "低垂果实",
            0.60,
            0.15,
            0.25,
            "重邻近：与现有产业最接近、最容易落地的行业",
        ),
        Preset("balanced", "平衡组合", 0.50, 0.15, 0.35, "兼顾邻近度与带动潜力"),
        Preset(
            "long-jump",
            "长跳",
            0.45,
            0.20,
            0.35,
            "重复杂度和带动潜力：距离较远但能打开新方向的行业",
        ),
    )
}
ALIASES = {p.label: p.key for p in PRESETS.values()}


@dataclass(frozen=True)
class Approach:
    key: str
    label: str
    english: str
    preset: str  # the preset this approach suggests
    advice: str


APPROACHES: dict[str, Approach] = {
    a.key: a
    for a in (
        Approach(
            "light-touch",
            "平行发展",
            "Light Touch Approach",
            "balanced",
            "周边可进入的复杂产业较多，且本区复杂度较高：以现有优势产业为基础，"
            "向更复杂的相关产业自然延伸，政府以营造环境、疏通要素为主，少做点名式扶持。",
        ),
        Approach(
            "parsimonious",
            "精简产业政策",
            "Parsimonious Industrial Policy Approach",
            "low-hanging",
            "周边机会较多，但本区复杂度偏低：集中解决少数相关产业的瓶颈"
            "（人才、配套、准入、基础设施），帮助企业短距离跳入与现有能力相近的产业。",
        ),
        Approach(
            "strategic-bets",
            "战略押注",
            "Strategic Bets Approach",
            "long-jump",
            "周边可进入的机会少，本区复杂度也偏低：需要协调多方资源，"
            "有选择地向少数具有后续多元化潜力的战略方向做长距离跳跃。",
        ),
        Approach(
            "frontier",
            "技术前沿",
            "Technological Frontier Approach",
            "balanced",
            "本区已覆盖绝大多数相关产业、复杂度高，剩余的近邻机会少："
            "增长主要来自创新和开发新产品，下列行业排序仅作参考。",
        ),
    )
}


@dataclass(frozen=True)
class Strategy:
    loc: str
    time: str
    eci: float
    coi: float
    eci_rank: int
    coi_rank: int
    regions: int
    approach: Approach
    statement: str


@dataclass(frozen=True)
class Opportunities:
    preset: Preset
    table: pl.DataFrame  # rank, prod, score, density, pci, cog, z_*, part_* (weight × z)
    strategy: Strategy


def preset_of(name: str) -> Preset:
    key = ALIASES.get(name, name)
    if key not in PRESETS:
        choices = "、".join(f"{p.key}（{p.label}）" for p in PRESETS.values())
        raise InvalidInput(f"未知的权重方案“{name}”，可选：{choices}")
    return PRESETS[key]


def rank(
    cp: pl.DataFrame,
    loc: str,
    *,
    preset: str | None = None,
    weights: tuple[float, float, float] | None = None,
    time: str | None = None,
    top: int | None = None,
) -> Opportunities:
    """The zone's missing industries ranked by the preset's (or the given) weights of density,
    PCI and COG, with the components and the zone's strategic approach. Without a preset, the
    one the approach suggests."""
    needed = ("time", "loc", "prod", "mcp", "density", "pci", "cog", "eci", "coi")
    missing = [c for c in needed if c not in cp.columns]
    if missing:
        raise InvalidInput(f"复杂度结果缺少列：{'、'.join(missing)}")
    frame = cp.with_columns(pl.col("time", "loc", "prod").cast(pl.String))
    times = sorted(frame["time"].unique().to_list())
    if time is None:
        time = times[-1]
    elif time not in times:
        raise InvalidInput(f"复杂度结果中没有时期“{time}”")
    period = frame.filter(pl.col("time") == time)
    zone = period.filter(pl.col("loc") == loc)
    if zone.height == 0:
        raise InvalidInput(f"时期 {time} 的复杂度结果中没有地区“{loc}”")
    strategy = _strategy(period, loc, time)
    chosen = preset_of(preset or strategy.approach.preset)
    w = weights if weights is not None else (chosen.density, chosen.pci, chosen.cog)
    candidates = zone.filter(pl.col("mcp") == 0).drop_nulls(list(COMPONENTS))
    candidates = candidates.filter(pl.all_horizontal(pl.col(c).is_not_nan() for c in COMPONENTS))
    if candidates.height == 0:
        raise InvalidInput(f"地区“{loc}”在时期 {time} 没有可排序的候选行业（M=0 且各项指标齐全）")
    z = {c: _z(candidates[c].to_numpy()) for c in COMPONENTS}
    parts = {c: weight * z[c] for c, weight in zip(COMPONENTS, w, strict=True)}
    score = parts["density"] + parts["pci"] + parts["cog"]
    extra = [c for c in ("val", "rca") if c in candidates.columns]
    table = (
        candidates.select("prod", *COMPONENTS, *extra)
        .with_columns(
            pl.Series("score", score),
            *(pl.Series(f"z_{c}", z[c]) for c in COMPONENTS),
            *(pl.Series(f"part_{c}", parts[c]) for c in COMPONENTS),
        )
        .sort(["score", "prod"], descending=[True, False])
        .with_row_index("rank", offset=1)
    )
    if top is not None:
        table = table.head(top)
    chosen_label = chosen if weights is None else Preset("custom", "自定义", *w, "自定义权重")
    statement = _statement(strategy, chosen_label, table)
    return Opportunities(chosen_label, table, _with_statement(strategy, statement))


def _z(x: np.ndarray) -> np.ndarray:
    std = x.std()
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x)


def _strategy(period: pl.DataFrame, loc: str, time: str) -> Strategy:
    regions = period.group_by("loc").agg(pl.col("eci").first(), pl.col("coi").first())
    regions = regions.drop_nulls(["eci", "coi"]).filter(
        pl.col("eci").is_not_nan() & pl.col("coi").is_not_nan()
    )
    own = regions.filter(pl.col("loc") == loc)
    if own.height == 0:
        raise InvalidInput(
            f"地区“{loc}”在时期 {time} 没有 ECI 或 COI（如多样性为 0），无法判断战略类型"
        )
    eci, coi = float(own["eci"][0]), float(own["coi"][0])
    eci_rank = int((regions["eci"] > eci).sum()) + 1
    coi_rank = int((regions["coi"] > coi).sum()) + 1
    if coi >= 0:
        key = "light-touch" if eci >= 0 else "parsimonious"
    else:
        key = "frontier" if eci >= 0 else "strategic-bets"
    return Strategy(loc, time, eci, coi, eci_rank, coi_rank, regions.height, APPROACHES[key], "")


def _statement(strategy: Strategy, preset: Preset, table: pl.DataFrame) -> str:
    a = strategy.approach
    eci_side = "高于" if strategy.eci >= 0 else "低于"
    coi_side = "高于" if strategy.coi >= 0 else "低于"
    head = (
        f"{strategy.time} 年，{strategy.loc} 的经济复杂度指数（ECI）为 {strategy.eci:.2f}，"
        f"在 {strategy.regions} 个地区中居第 {strategy.eci_rank} 位，{eci_side}平均水平；"
        f"复杂度前景指数（COI）为 {strategy.coi:.2f}，"
        f"居第 {strategy.coi_rank} 位，{coi_side}平均水平。"
    )
    body = f"对应“{a.label}”（{a.english}）：{a.advice}"
    names = "、".join(table["prod"].head(5).to_list())
    tail = (
        f"按“{preset.label}”权重（邻近度 {preset.density:.0%}、复杂度 {preset.pci:.0%}、"
        f"带动潜力 {preset.cog:.0%}），优先关注：{names}。"
        if names
        else ""
    )
    return head + body + tail


def _with_statement(strategy: Strategy, statement: str) -> Strategy:
    return Strategy(
        strategy.loc,
        strategy.time,
        strategy.eci,
        strategy.coi,
        strategy.eci_rank,
        strategy.coi_rank,
        strategy.regions,
        strategy.approach,
        statement,
    )
