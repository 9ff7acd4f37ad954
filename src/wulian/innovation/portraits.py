"""A firm's portrait: its points, rank and stage over the runs, its indicators against its
cohort, and the rank interval of the latest run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import NotFound
from wulian.core.permissions import Actor
from wulian.core.runs import RunStatus
from wulian.engines.index.spec import IndexSpec
from wulian.enterprises import read
from wulian.innovation import evaluate
from wulian.innovation.models import (
    InnovationResult,
    InnovationRun,
    InnovationSpec,
    Objection,
)
from wulian.innovation.versions import VISIBLE_TO_FIRMS, index_model


@dataclass(frozen=True)
class Portrait:
    run: InnovationRun
    model: IndexSpec
    result: InnovationResult
    enterprise: read.Firm
    categories: list[tuple[str, str, float | None, float | None]]  # key, name, firm, median
    indicators: list[dict[str, Any]]  # key, name, parent, raw, normalised, median, unit
    strengths: list[dict[str, Any]]
    weaknesses: list[dict[str, Any]]
    missing: list[str]  # names of indicators without data
    gains: list[evaluate.Gain]
    previous: InnovationResult | None  # last year's result under the same spec
    objections: list[Objection]


def portrait_runs(session: Session, *, actor: Actor, enterprise_id: int) -> list[InnovationRun]:
    """The runs with a result for the firm that actor may see, newest period first."""
    actor.require_enterprise(enterprise_id)
    query = (
        sa.select(InnovationRun)
        .join(InnovationResult, InnovationResult.run_id == InnovationRun.id)
        .where(
            InnovationResult.enterprise_id == enterprise_id,
            InnovationRun.status != RunStatus.WITHDRAWN.value,
        )
        .order_by(InnovationRun.period.desc(), InnovationRun.id.desc())
    )
    if actor.enterprise_id is not None:
        query = query.where(InnovationRun.status.in_(VISIBLE_TO_FIRMS))
    return list(session.scalars(query))


def portrait(
    session: Session, *, actor: Actor, enterprise_id: int, run_id: int | None = None
) -> Portrait | None:
    """A firm's innovation portrait in a run (default: the newest it may see); None without any."""
    actor.require_enterprise(enterprise_id)
    runs = portrait_runs(session, actor=actor, enterprise_id=enterprise_id)
    if run_id is not None:
        runs = [r for r in runs if r.id == run_id]
        if not runs:
            raise NotFound("该企业在这次评价中没有结果")
    if not runs:
        return None
    run = runs[0]
    result = session.scalar(
        sa.select(InnovationResult).where(
            InnovationResult.run_id == run.id, InnovationResult.enterprise_id == enterprise_id
        )
    )
    enterprise = read.get(session, enterprise_id)
    if result is None or enterprise is None:
        raise NotFound("该企业在这次评价中没有结果")
    model = index_model(run.spec)
    stats = run.cohort_stats.get(result.cohort, {})
    median = stats.get("median", {})
    detail = result.detail
    categories = [
        (a.key, a.name, detail["scores"].get(a.key), median.get(a.key))
        for a in model.aggregates
        if a.parent == model.root
    ]
    indicators = []
    for indicator in model.indicators:
        value = detail["normalised"].get(indicator.key)
        indicators.append(
            {
                "key": indicator.key,
                "name": indicator.name,
                "parent": model.label(indicator.parent),
                "unit": indicator.unit,
                "raw": detail["raw"].get(indicator.key),
                "normalised": value,
                "median": median.get(indicator.key),
                "imputed": indicator.key in detail.get("imputed", []),
            }
        )
    compared = [
        i | {"difference": i["normalised"] - i["median"]}
        for i in indicators
        if i["normalised"] is not None and i["median"] is not None
    ]
    compared.sort(key=lambda i: -i["difference"])
    strengths = [i for i in compared[:3] if i["difference"] > 0]
    weaknesses = [i for i in reversed(compared[-3:]) if i["difference"] < 0]
    previous = _previous_result(session, actor=actor, run=run, enterprise_id=enterprise_id)
    objection_rows = session.scalars(
        sa.select(Objection)
        .where(Objection.run_id == run.id, Objection.enterprise_id == enterprise_id)
        .order_by(Objection.id)
    ).all()
    return Portrait(
        run=run,
        model=model,
        result=result,
        enterprise=enterprise,
        categories=categories,
        indicators=indicators,
        strengths=strengths,
        weaknesses=weaknesses,
        missing=[i["name"] for i in indicators if i["raw"] is None],
        gains=evaluate.marginal_gains(model, detail, result.cohort, run.cohort_stats),
        previous=previous,
        objections=list(objection_rows),
    )


def _previous_result(
    session: Session, *, actor: Actor, run: InnovationRun, enterprise_id: int
) -> InnovationResult | None:
    """The firm's result in the newest visible run of last year under the same spec code."""
    statuses = (
        VISIBLE_TO_FIRMS
        if actor.enterprise_id is not None
        else (*VISIBLE_TO_FIRMS, RunStatus.DRAFT.value)
    )
    return session.scalar(
        sa.select(InnovationResult)
        .join(InnovationRun, InnovationRun.id == InnovationResult.run_id)
        .join(InnovationSpec, InnovationSpec.id == InnovationRun.spec_id)
        .where(
            InnovationResult.enterprise_id == enterprise_id,
            InnovationRun.period == str(int(run.period) - 1),
            InnovationSpec.code == run.spec.code,
            InnovationRun.status.in_(statuses),
        )
        .order_by(
            (InnovationRun.status == RunStatus.PUBLISHED.value).desc(), InnovationRun.id.desc()
        )
        .limit(1)
    )


@dataclass(frozen=True)
class Standing:
    """A firm's result in one run, for its page (一企一档)."""

    run: InnovationRun
    result: InnovationResult

    @property
    def status_label(self) -> str:
        return RunStatus(self.run.status).label


def firm_standing(session: Session, *, actor: Actor, enterprise_id: int) -> list[Standing]:
    """The firm's results in the runs actor may see, newest first (its page's summary)."""
    runs = portrait_runs(session, actor=actor, enterprise_id=enterprise_id)[:5]
    if not runs:
        return []
    results = {
        r.run_id: r
        for r in session.scalars(
            sa.select(InnovationResult).where(
                InnovationResult.enterprise_id == enterprise_id,
                InnovationResult.run_id.in_([r.id for r in runs]),
            )
        )
    }
    return [Standing(run, results[run.id]) for run in runs if run.id in results]
