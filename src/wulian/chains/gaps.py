"""Health and gaps: node and chain figures from the facts (强/弱/缺), regions, and the candidate
firms for a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import health as chain_health
from wulian.chains.decisions import review_counts
from wulian.chains.models import (
    COUNTED,
    ChainMembership,
    MembershipStatus,
)
from wulian.chains.versions import (
    ANCHOR_TAG,
    STAFF_ONLY,
    Chain,
    chain_or_raise,
    chains,
    newest_versions,
    parse,
)
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import facts, read
from wulian.reference.models import Region


def latest_year(session: Session) -> int | None:
    """The newest year with revenue figures."""
    found = facts.years(session, metric="revenue", current_only=True)
    return found[0] if found else None


def member_frame(
    session: Session, *, actor: Actor, chain: str, year: int, in_zone: bool = True
) -> pl.DataFrame:
    """One row per counted membership of the chain: firm, node, anchor, the year's revenue,
    output and R&D and last year's revenue (null where unknown). A firm is an anchor when it
    holds the title on 31 December of the year (the rule of `enterprises.read.titles`)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    rows = session.execute(
        sa.select(ChainMembership.enterprise_id, ChainMembership.node)
        .where(ChainMembership.chain == chain, ChainMembership.status.in_(COUNTED))
        .order_by(ChainMembership.id)
    ).all()  # fmt: skip
    placed = pl.DataFrame(rows, schema={"enterprise_id": pl.Int64, "node": pl.String}, orient="row")
    registry = read.firms(
        session, ids=placed["enterprise_id"].to_list(), in_zone=in_zone, columns=("name",)
    )
    members = placed.join(registry, on="enterprise_id", how="inner", maintain_order="left")
    ids = sorted(set(members["enterprise_id"].to_list()))
    anchors = read.holders(session, tag=ANCHOR_TAG, on=dt.date(year, 12, 31), ids=ids)
    metrics = ["revenue", "industrial_value_added", "rd_expense"]
    now = facts.build_matrix(
        session, actor=actor, metrics=metrics, period=str(year), enterprise_ids=ids, in_zone=None
    ).frame.rename({"industrial_value_added": "output", "rd_expense": "rd"})
    before = facts.build_matrix(
        session, actor=actor, metrics=["revenue"], period=str(year - 1), enterprise_ids=ids,
        in_zone=None,
    ).frame.rename({"revenue": "revenue_prev"})  # fmt: skip
    frame = (
        members.join(now, on="enterprise_id", how="left")
        .join(before, on="enterprise_id", how="left")
        .with_columns(pl.col("enterprise_id").is_in(list(anchors)).alias("anchor"))
    )
    return frame.select(list(chain_health.FIRM_SCHEMA))


def node_members(session: Session, *, actor: Actor, chain: str, nodes: Collection[str]) -> set[int]:
    """The zone firms counted on the chain's given nodes: the firms of `member_frame` on those
    nodes, without reading their figures."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    if not nodes:
        return set()
    found = list(
        session.scalars(
            sa.select(ChainMembership.enterprise_id)
            .where(
                ChainMembership.chain == chain,
                ChainMembership.node.in_(list(nodes)),
                ChainMembership.status.in_(COUNTED),
            )
            .distinct()
        )
    )
    if not found:
        return set()
    zone = read.firms(session, ids=found, in_zone=True, columns=("name",))
    return set(zone["enterprise_id"].to_list())


@dataclass(frozen=True)
class ChainState:
    chain: Chain
    year: int | None
    health: chain_health.ChainHealth
    gaps: list[chain_health.Gap]
    waiting: int  # zone firms waiting for review on this chain


def state(session: Session, *, actor: Actor, chain: str, year: int | None = None) -> ChainState:
    """Health and gaps of one chain in year (default: the newest year with revenue figures)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    found = chain_or_raise(session, actor=actor, code=chain)
    waiting = review_counts(session, actor=actor)
    return _state(session, actor, found, year or latest_year(session), waiting)


def states(session: Session, *, actor: Actor, year: int | None = None) -> list[ChainState]:
    """Health and gaps of every chain of the atlas in year."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    year = year or latest_year(session)
    waiting = review_counts(session, actor=actor)
    return [_state(session, actor, found, year, waiting) for found in chains(session, actor=actor)]


def _state(
    session: Session, actor: Actor, found: Chain, year: int | None, waiting: dict[str, int]
) -> ChainState:
    if year is None:
        frame = pl.DataFrame(schema=chain_health.FIRM_SCHEMA)
    else:
        frame = member_frame(session, actor=actor, chain=found.spec.id, year=year)
    result = chain_health.health(found.spec, frame)
    return ChainState(
        chain=found,
        year=year,
        health=result,
        gaps=chain_health.gaps(found.spec, result),
        waiting=waiting.get(found.spec.id, 0),
    )


@dataclass(frozen=True)
class TrendYear:
    """A year of a chain's (or of all chains') zone firms, figures as on the chain's page."""

    year: int
    firms: int  # zone firms counted on the chain(s)
    reported: int  # of them, firms whose revenue for the year is known
    revenue: float | None  # 万元
    growth: float | None  # on the year before, over firms known in both years
    rd_intensity: float | None


@dataclass(frozen=True)
class Trends:
    years: list[int]
    chains: dict[str, list[TrendYear]]  # chain id → a row per year, oldest first
    zone: list[TrendYear]  # every chain together, each firm counted once


def trends(session: Session, *, actor: Actor, chain: str | None = None, last: int = 5) -> Trends:
    """The last years with revenue figures, per chain (one chain, or every chain of the atlas)
    and for the chains together: the figures of the chain's page, year by year. The firms placed
    today are followed back, so a year's figures are those of today's chain members."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    found = (
        [chain_or_raise(session, actor=actor, code=chain)]
        if chain
        else chains(session, actor=actor)
    )
    years = sorted(period_years(session))[-last:]
    codes = [c.spec.id for c in found]
    if not years or not codes:
        return Trends(years, {code: [] for code in codes}, [])
    rows = session.execute(
        sa.select(ChainMembership.chain, ChainMembership.enterprise_id)
        .where(ChainMembership.chain.in_(codes), ChainMembership.status.in_(COUNTED))
        .distinct()
    ).all()  # fmt: skip
    schema = {"chain": pl.String, "enterprise_id": pl.Int64}
    placed = pl.DataFrame(rows, schema=schema, orient="row")
    zone = read.firms(
        session, ids=placed["enterprise_id"].unique().to_list(), in_zone=True, columns=("name",)
    )
    members = placed.join(zone, on="enterprise_id", how="inner")
    ids = sorted(set(members["enterprise_id"].to_list()))
    values: dict[int, pl.DataFrame] = {}
    for year in [years[0] - 1, *years]:
        values[year] = facts.build_matrix(
            session, actor=actor, metrics=["revenue", "industrial_value_added", "rd_expense"],
            period=str(year), enterprise_ids=ids, in_zone=None,
        ).frame.rename({"industrial_value_added": "output", "rd_expense": "rd"})  # fmt: skip

    def frame(year: int) -> pl.DataFrame:
        before = values[year - 1].select("enterprise_id", pl.col("revenue").alias("revenue_prev"))
        return (
            members.join(values[year], on="enterprise_id", how="left")
            .join(before, on="enterprise_id", how="left")
            .with_columns(pl.lit(None, pl.String).alias("node"), pl.lit(False).alias("anchor"))
        )

    def point(year: int, rows: pl.DataFrame) -> TrendYear:
        figures = chain_health.totals(rows.select(list(chain_health.FIRM_SCHEMA)))
        return TrendYear(
            year=year,
            firms=figures.firms,
            reported=figures.firms - figures.revenue_unknown,
            revenue=figures.revenue,
            growth=figures.growth,
            rd_intensity=figures.rd_intensity,
        )

    frames = {year: frame(year) for year in years}
    return Trends(
        years=years,
        chains={
            code: [point(y, frames[y].filter(pl.col("chain") == code)) for y in years]
            for code in codes
        },
        zone=[point(y, frames[y]) for y in years],
    )


def revenues(
    session: Session, *, actor: Actor, ids: list[int], year: int | None
) -> dict[int, float | None]:
    """The firms' revenue in year (None where unknown)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    if not ids or year is None:
        return {}
    frame = facts.build_matrix(
        session, actor=actor, metrics=["revenue"], period=str(year), enterprise_ids=ids,
        in_zone=None,
    ).frame  # fmt: skip
    return dict(zip(frame["enterprise_id"].to_list(), frame["revenue"].to_list(), strict=True))


def candidates(
    session: Session, *, actor: Actor, chain: str, node: str, year: int | None, limit: int = 5
) -> list[tuple[read.Firm, float | None]]:
    """External firms placed on the node, biggest first: whom investment promotion could
    approach to fill it."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    ids = list(
        session.scalars(
            sa.select(ChainMembership.enterprise_id)
            .where(ChainMembership.chain == chain, ChainMembership.node == node,
                   ChainMembership.status.in_(COUNTED),
                   ChainMembership.enterprise_id.in_(read.ids_where(in_zone=False)))
        )
    )  # fmt: skip
    if not ids:
        return []
    revenue = revenues(session, actor=actor, ids=ids, year=year)
    ranked = sorted(ids, key=lambda i: (revenue.get(i) is None, -(revenue.get(i) or 0), i))
    firms = read.records(session, ranked[:limit])
    return [(firms[i], revenue.get(i)) for i in ranked[:limit]]


@dataclass(frozen=True)
class RegionCount:
    code: str
    name: str
    zone: int
    external: int


def regions(session: Session, *, actor: Actor, chain: str) -> list[RegionCount]:
    """The chain's firms by county: zone firms and external firms (招商 candidates)."""
    actor.require_staff(STAFF_ONLY, Permission.ZONE_READ)
    chain_or_raise(session, actor=actor, code=chain)
    placed = session.scalars(
        sa.select(ChainMembership.enterprise_id)
        .where(ChainMembership.chain == chain, ChainMembership.status.in_(COUNTED))
        .distinct()
    ).all()
    firms = read.firms(session, ids=placed, columns=("region_code", "in_zone"))
    names = dict(session.execute(sa.select(Region.code, Region.name)).all())
    counts: dict[str, list[int]] = {}
    for _, code, in_zone in firms.iter_rows():
        counts.setdefault(code or "", [0, 0])[0 if in_zone else 1] += 1
    out = [
        RegionCount(code, names.get(code, "未知地区") if code else "地区未知", zone, external)
        for code, (zone, external) in counts.items()
    ]
    return sorted(out, key=lambda r: (-r.zone, -r.external, r.code))


def period_years(session: Session) -> list[int]:
    """Years with revenue figures, newest first."""
    return facts.years(session, metric="revenue")


def chain_of(session: Session, *, enterprise_id: int) -> str | None:
    """The chain a firm is counted on (confirmed before automatic, then by confidence), for other
    domains' service functions that have already checked the actor's access to the firm."""
    return chains_of(session, ids=[enterprise_id]).get(enterprise_id)


def chains_of(session: Session, *, ids: Collection[int]) -> dict[int, str]:
    """`chain_of` for many firms in one query per 1,000 (firms on no chain are left out)."""
    wanted = sorted(set(ids))
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 1000):
        rows = session.execute(
            sa.select(ChainMembership.enterprise_id, ChainMembership.chain)
            .where(ChainMembership.enterprise_id.in_(wanted[start : start + 1000]),
                   ChainMembership.status.in_(COUNTED))
            .order_by(ChainMembership.enterprise_id,
                      (ChainMembership.status == MembershipStatus.CONFIRMED.value).desc(),
                      ChainMembership.confidence.desc().nulls_last(), ChainMembership.id)
        )  # fmt: skip
        for firm, chain in rows:
            out.setdefault(int(firm), str(chain))
    return out


def chain_names(session: Session) -> dict[str, str]:
    """Chain id → name, for other domains' pages and statistics."""
    return {row.code: parse(row.text).name for row in newest_versions(session)}
