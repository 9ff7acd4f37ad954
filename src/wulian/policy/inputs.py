"""The input of a policy run: one row per zone firm from the facts store, the registry (titles
held on the period's last day) and the published 亩均效益 classes, with which values are trusted.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules.policy import Policy, Source
from wulian.enterprises import facts, read
from wulian.landuse import service as landuse
from wulian.policy.library import source_of
from wulian.reference import service as reference
from wulian.talent import service as talent


def _years_between(start: dt.date | None, day: dt.date) -> float | None:
    if start is None:
        return None
    return float(day.year - start.year - ((day.month, day.day) < (start.month, start.day)))


def build_input(
    session: Session,
    *,
    actor: Actor,
    policies: list[Policy],
    period: int,
    enterprise_ids: list[int] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(data, trusted): one row per zone firm (or per firm asked for) with every input of the
    policies, and for each input whether its value comes from a trusted source."""
    day = rules.period_end(period)
    kinds = rules.required_columns(policies)
    sources: dict[str, Source] = {}
    for policy in policies:
        for key in policy.inputs:
            source = source_of(policy, key)
            if sources.setdefault(key, source) != source:
                raise InvalidInput(f"输入“{key}”在不同政策中的来源不一致，请统一", field="inputs")
    registry = read.firms(
        session, ids=enterprise_ids, in_zone=None if enterprise_ids is not None else True,
        columns=("founded_on", "industry_code", "chain", "region_code", "in_zone"),
    ).to_dicts()  # fmt: skip
    ids = [r["enterprise_id"] for r in registry]
    sections = reference.sections(session)
    data: dict[str, list[Any]] = {"enterprise_id": ids}
    trusted: dict[str, list[Any]] = {"enterprise_id": ids}
    # registry fields
    gaoxin_since: dict[int, dt.date | None] = dict(
        read.titles(session, on=None, tags=["gaoxin"], with_dates=True)
        .select("enterprise_id", "valid_from")
        .iter_rows()
    )
    field_values: dict[str, list[Any]] = {
        "age_years": [_years_between(r["founded_on"], day) for r in registry],
        "gaoxin_since": [
            float(start.year) if (start := gaoxin_since.get(r["enterprise_id"])) else None
            for r in registry
        ],
        "on_chain": [r["chain"] is not None for r in registry],
        "in_zone": [bool(r["in_zone"]) for r in registry],
        "section": [sections.get(r["industry_code"] or "") for r in registry],
        "industry_code": [r["industry_code"] for r in registry],
        "chain": [r["chain"] for r in registry],
        "region_code": [r["region_code"] for r in registry],
    }
    # titles held on the last day of the period (the rule of enterprises.read.titles)
    wanted_tags = {s.tag for s in sources.values() if s.tag is not None}
    held: dict[str, set[int]] = {tag: set() for tag in wanted_tags}
    if wanted_tags:
        for enterprise_id, tag in read.titles(session, on=day, tags=wanted_tags).iter_rows():
            held[tag].add(enterprise_id)
    # 亩均效益: the newest published class and low-efficiency list up to the period
    standing: dict[int, dict[str, Any]] = {}
    if any(s.landuse is not None for s in sources.values()):
        standing = landuse.standing_up_to(session, actor=actor, year=period, enterprise_ids=ids)
    # metrics, by how many years back
    by_lag: dict[int, dict[str, str]] = defaultdict(dict)  # lag → input key → metric
    for key, source in sources.items():
        if source.metric is not None:
            by_lag[source.lag][key] = source.metric
    for lag, wanted in sorted(by_lag.items()):
        matrix = facts.build_matrix(
            session, actor=actor, metrics=sorted(set(wanted.values())), period=str(period - lag),
            enterprise_ids=ids if enterprise_ids is not None else None, with_provenance=True,
        )  # fmt: skip
        frame = pl.DataFrame({"enterprise_id": ids}, schema={"enterprise_id": pl.Int64}).join(
            matrix.frame, on="enterprise_id", how="left"
        )
        provenance = matrix.provenance if matrix.provenance is not None else pl.DataFrame()
        good = (
            provenance.filter(
                (pl.col("source") != facts.SELF_REPORT) | (pl.col("status") == "verified")
            )
            .select("enterprise_id", "metric_key")
            .iter_rows()
        )
        good_set = set(good)
        for key, metric in wanted.items():
            values: list[Any] = frame[metric].to_list()
            if kinds[key] == "bool":
                values = [None if v is None else v != 0 for v in values]
            data[key] = values
            supplied = sources[key].supplied
            trusted[key] = [(not supplied) and (i, metric) in good_set for i in ids]
    for key, source in sources.items():
        if source.field is not None:
            data[key] = field_values[source.field]
            trusted[key] = [True] * len(ids)
        elif source.tag is not None:
            data[key] = [i in held[source.tag] for i in ids]
            trusted[key] = [True] * len(ids)
        elif source.landuse is not None:
            data[key] = [standing.get(i, {}).get(source.landuse) for i in ids]
            trusted[key] = [True] * len(ids)
        elif source.talent is not None:
            # counts and sums per firm from the talent office's records (no personal fields);
            # a firm without any has none (the talent office keeps every record: 0, not unknown)
            found = talent.benefit_inputs(
                session, actor=actor, source=source.talent, year=period,
                enterprise_ids=ids if enterprise_ids is not None else None,
            )  # fmt: skip
            data[key] = [found.get(i, 0.0) for i in ids]
            trusted[key] = [True] * len(ids)
    schema: dict[str, Any] = {"enterprise_id": pl.Int64}
    schema |= {key: rules.DTYPES[kind] for key, kind in kinds.items()}
    frame = pl.DataFrame({k: data[k] for k in schema}, schema=schema)
    if enterprise_ids is None:
        # the firms the period concerns: those with a value of the year or a title the policies
        # read (a registry record with neither, such as an old ledger's duplicate, is left out)
        current = [
            k for k, s in sources.items()
            if (s.metric is not None and s.lag == 0) or s.tag or s.talent
        ]  # fmt: skip
        if current:
            keep = pl.any_horizontal(
                (pl.col(k) == True)  # noqa: E712
                if kinds[k] == "bool"
                else (pl.col(k) > 0)
                if sources[k].talent
                else pl.col(k).is_not_null()
                for k in current
            )
            frame = frame.filter(keep)
    trust = pl.DataFrame(
        {k: trusted[k] for k in schema if k in trusted},
        schema={k: (pl.Int64 if k == "enterprise_id" else pl.Boolean) for k in schema},
    )
    return frame, trust
