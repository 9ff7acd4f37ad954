"""The zone view: classes by region, industry and chain, and the published grades for the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import runs
from wulian.core.permissions import Actor
from wulian.core.runs import RunStatus
from wulian.landuse import charts
from wulian.landuse import spec as landuse_spec
from wulian.landuse.models import LanduseResult, LanduseRun
from wulian.landuse.runs import get_run_or_raise
from wulian.landuse.versions import STAFF_ONLY, parse


@dataclass(frozen=True)
class ZoneView:
    grades: list[str]
    by_chain: list[tuple[str, dict[str, int]]]  # chain → grade → firms
    by_region: list[tuple[str, dict[str, int]]]
    by_year: list[tuple[int, dict[str, int]]]  # published runs (and this one)
    per_mu: list[tuple[str, float | None, float | None, int]]  # name, 亩均税收, 亩均增加值, firms
    histogram: list[tuple[str, int]]  # score band → firms (rated)


def zone_view(session: Session, *, actor: Actor, run_id: int) -> ZoneView:
    """Class counts by chain, region and year; per-mu tax and value added of the zone and of each
    chain (Σ tax / Σ land over the rated firms); the distribution of scores."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    actor.require_staff(STAFF_ONLY)
    frame = _inputs_with_results(session, run)
    grades = [b.label for b in parse(run.spec.text).classes.bands] + ["T"]

    def counts(by: str) -> list[tuple[Any, dict[str, int]]]:
        graded = frame.filter(pl.col("grade").is_not_null())
        table = graded.group_by(by, "grade").len()
        out: dict[Any, dict[str, int]] = {}
        for key, grade, n in table.iter_rows():
            out.setdefault(key if key is not None else "未填报", {})[grade] = n
        return sorted(out.items(), key=lambda kv: str(kv[0]))

    rated = frame.filter(pl.col("status") == "rated")
    per_mu = [("全区", *_pooled(rated))]
    for chain in sorted(c for c in rated["chain"].unique().to_list() if c):
        per_mu.append((chain, *_pooled(rated.filter(pl.col("chain") == chain))))
    years = session.execute(
        sa.select(LanduseRun.period, LanduseResult.grade, sa.func.count())
        .join(LanduseRun, LanduseRun.id == LanduseResult.run_id)
        .where(
            sa.or_(LanduseRun.status == RunStatus.PUBLISHED.value, LanduseRun.id == run.id),
            LanduseResult.grade.is_not(None),
        )
        .group_by(LanduseRun.period, LanduseResult.grade)
    ).all()
    by_year: dict[int, dict[str, int]] = {}
    for period, grade, n in years:
        if grade is not None:
            year = runs.period_year(period)
            by_year.setdefault(year, {})[grade] = by_year.get(year, {}).get(grade, 0) + n
    histogram = charts.histogram(
        rated["score"].drop_nulls().to_list(), top=highest_score(parse(run.spec.text))
    )
    return ZoneView(
        grades=grades, by_chain=counts("chain"), by_region=counts("region_name"),
        by_year=sorted(by_year.items()), per_mu=per_mu, histogram=histogram,
    )  # fmt: skip


def highest_score(spec: landuse_spec.LanduseSpec) -> float | None:
    """The highest score the spec allows in any group (every item at its cap, every bonus
    earned); None when some item has no cap."""
    tops = []
    for group in spec.groups:
        caps = [i.ratio_cap for i in group.items]
        if any(c is None for c in caps):
            return None
        tops.append(sum(c * i.weight for c, i in zip(caps, group.items, strict=True) if c))
    return max(tops) + sum(max(b.points, 0.0) for b in spec.bonus)


def _pooled(frame: pl.DataFrame) -> tuple[float | None, float | None, int]:
    land = frame["land_area"].sum() if frame.height else 0
    if not land:
        return None, None, frame.height
    tax = frame["tax_paid"].sum()
    value_added = frame["industrial_value_added"].sum()
    return float(tax) / float(land), float(value_added) / float(land), frame.height


def _inputs_with_results(session: Session, run: LanduseRun) -> pl.DataFrame:
    """The run's input snapshot joined with its results and the firms' region names."""
    inputs = runs.unpack(
        session.scalar(sa.select(LanduseRun.inputs).where(LanduseRun.id == run.id))
    )
    results = pl.DataFrame(
        session.execute(
            sa.select(LanduseResult.enterprise_id, LanduseResult.status, LanduseResult.grade,
                      LanduseResult.score).where(LanduseResult.run_id == run.id)
        ).all(),
        schema={"enterprise_id": pl.Int64, "status": pl.String, "grade": pl.String,
                "score": pl.Float64},
        orient="row",
    )  # fmt: skip
    from wulian.reference.models import Region

    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    frame = results.join(inputs, on="enterprise_id", how="left")
    return frame.with_columns(
        pl.col("region_code").replace_strict(regions, default=None).alias("region_name")
    )
