"""Opportunity industries (机会行业) of the zone, from the registry: the complexity engine
(wulian.engines.complexity) over regions × GB/T 4754 classes, the zone being one region (its
firms) and every other region the external firms of its prefecture (the first four digits of
their region code); each firm weighs its revenue in the year (or 1, counting firms). The zone's
missing classes (RCA < 1) are ranked by a preset's weights of density, PCI and COG (低垂果实,
平衡组合, 长跳), with the strategy statement. Firms without a class, a region or (by revenue) a
known revenue are left out and counted; the result is kept per registry state, like the target
index."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from sqlalchemy.orm import Session

from wulian.chains import service as chains
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor, Permission
from wulian.engines.complexity import compute
from wulian.engines.complexity.opportunities import PRESETS as PRESETS
from wulian.engines.complexity.opportunities import Opportunities, rank
from wulian.enterprises import read
from wulian.investment.pipeline import require_read
from wulian.reference import service as reference

ZONE = "园区"
WEIGHTS = {"revenue": "按营收", "count": "按企业数"}
TOP = 30
_CACHE: dict[tuple[int, str, str, int | None], ZoneOpportunities] = {}  # the last results
_KEEP = 8


@dataclass(frozen=True)
class Industry:
    rank: int
    code: str
    name: str
    score: float
    density: float
    pci: float
    cog: float


@dataclass(frozen=True)
class ZoneOpportunities:
    weight: str
    year: int | None
    preset: str  # the preset's key ("" when the strategy chose it)
    preset_label: str
    statement: str
    approach: str
    industries: list[Industry]
    used: int  # firms counted
    left_out: dict[str, int]  # reason → firms left out
    regions: int
    problem: str | None = None  # why there is no ranking (too few regions …), in Chinese


def _frame(
    session: Session, actor: Actor, weight: str, year: int | None
) -> tuple[pl.DataFrame, int, dict[str, int]]:
    """The long frame (time, loc, prod, val), the firms counted and those left out by reason."""
    firms = read.firms(
        session, actor=actor, columns=("in_zone", "region_code", "industry_code")
    ).with_columns(
        pl.col("industry_code").str.extract(r"(\d{4})", 1).alias("prod"),
        pl.when(pl.col("in_zone"))
        .then(pl.lit(ZONE))
        .otherwise(pl.col("region_code").str.slice(0, 4))
        .alias("loc"),
    )
    left_out: dict[str, int] = {}
    no_code = firms.filter(pl.col("prod").is_null())
    if no_code.height:
        left_out["没有四位行业代码"] = no_code.height
    firms = firms.filter(pl.col("prod").is_not_null())
    placed = (pl.col("loc") == ZONE) | (pl.col("loc").str.len_chars() >= 4)
    no_region = firms.filter(~placed.fill_null(False))
    if no_region.height:
        left_out["园区外企业没有地区代码"] = no_region.height
    firms = firms.filter(placed.fill_null(False))
    if weight == "revenue":
        values = chains.revenues(
            session, actor=actor, ids=firms["enterprise_id"].to_list(), year=year
        )
        firms = firms.with_columns(
            pl.col("enterprise_id").replace_strict(values, default=None, return_dtype=pl.Float64)
            .alias("val")
        )  # fmt: skip
        unknown = firms.filter(pl.col("val").is_null() | (pl.col("val") <= 0))
        if unknown.height:
            left_out[f"{year}年营收未知" if year else "营收未知"] = unknown.height
        firms = firms.filter(pl.col("val").is_not_null() & (pl.col("val") > 0))
    else:
        firms = firms.with_columns(pl.lit(1.0).alias("val"))
    frame = (
        firms.group_by("loc", "prod")
        .agg(pl.col("val").sum())
        .with_columns(pl.lit(str(year or "名录")).alias("time"))
        .select("time", "loc", "prod", "val")
        .sort("loc", "prod")
    )
    return frame, firms.height, left_out


def opportunity_industries(
    session: Session,
    *,
    actor: Actor,
    weight: str = "revenue",
    preset: str = "",
    top: int = TOP,
) -> ZoneOpportunities:
    """The zone's opportunity industries by preset (empty: the one the strategy suggests)."""
    require_read(actor)
    actor.require(Permission.ENTERPRISES_READ)
    if weight not in WEIGHTS:
        raise InvalidInput(f"没有“{weight}”这种权重", field="weight", value=weight)
    if preset and preset not in PRESETS:
        raise InvalidInput(f"没有“{preset}”这种方案", field="preset", value=preset)
    year = chains.latest_year(session) if weight == "revenue" else None
    frame, used, left_out = _frame(session, actor, weight, year)
    key = (int(frame.hash_rows().sum()) if frame.height else 0, weight, preset, year)
    if key in _CACHE:
        return _CACHE[key]
    regions = frame["loc"].n_unique() if frame.height else 0
    empty = ZoneOpportunities(weight, year, preset, "", "", "", [], used, left_out, regions)
    if ZONE not in set(frame["loc"].to_list()) or regions < 3:
        found = _problem(
            empty,
            "名录中园区企业或园区外地区太少（至少需要园区和两个其他地区的企业），无法计算机会行业",
        )
    else:
        try:
            result = rank(compute(frame).cp, ZONE, preset=preset or None, top=top)
        except InvalidInput as error:
            found = _problem(empty, error.message)
        else:
            found = _result(session, empty, result)
    if len(_CACHE) >= _KEEP:
        _CACHE.pop(next(iter(_CACHE)))
    _CACHE[key] = found
    return found


def _problem(empty: ZoneOpportunities, message: str) -> ZoneOpportunities:
    return ZoneOpportunities(**{**empty.__dict__, "problem": message})


def _result(session: Session, empty: ZoneOpportunities, found: Opportunities) -> ZoneOpportunities:
    industries = []
    for row in found.table.iter_rows(named=True):
        code = str(row["prod"])
        known = reference.get_industry(session, code=code)
        industries.append(
            Industry(int(row["rank"]), code, known.name if known else "（行业名称未导入）",
                     float(row["score"]), float(row["density"]), float(row["pci"]),
                     float(row["cog"]))
        )  # fmt: skip
    return ZoneOpportunities(
        **{
            **empty.__dict__,
            "preset_label": found.preset.label,
            "statement": found.strategy.statement,
            "approach": found.strategy.approach.label,
            "industries": industries,
        }
    )
