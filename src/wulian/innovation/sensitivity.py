"""How sure a rank is: the rank intervals of a run under changed weights (Monte Carlo)."""

from __future__ import annotations

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session, undefer

from wulian.core import runs
from wulian.core.errors import InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission
from wulian.engines.index import sensitivity
from wulian.enterprises import read
from wulian.innovation import evaluate
from wulian.innovation.models import (
    InnovationRun,
)
from wulian.innovation.versions import STAFF_ONLY, index_model


def rank_intervals(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    cohort: str,
    draws: int = 500,
    noise: float = 0.25,
    seed: int = 1,
) -> pl.DataFrame:
    """Each firm of a stage: its rank and its 5–95% rank interval when the weights vary by ±noise
    (Monte Carlo on the run's own input), best first."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    if not 10 <= draws <= 2000:
        raise InvalidInput("抽样次数应在 10–2000 之间", field="draws", value=str(draws))
    if not 0 < noise <= 0.9:
        raise InvalidInput("权重扰动幅度应在 0–90% 之间", field="noise", value=str(noise))
    run = session.scalar(
        sa.select(InnovationRun)
        .options(undefer(InnovationRun.inputs))
        .where(InnovationRun.id == run_id)
    )
    if run is None:
        raise NotFound(f"评价不存在：{run_id}")
    model = index_model(run.spec)
    frame = runs.unpack(run.inputs)
    settings = sensitivity.Settings(draws=draws, seed=seed, noise=noise)
    out = sensitivity.run(model, frame, settings)
    if "cohort" in out.columns:
        out = out.filter(pl.col("cohort") == cohort)
    names = read.names(session, out[evaluate.UNIT].to_list())
    return (
        out.filter(pl.col("rank").is_not_null())
        .sort("rank")
        .with_columns(
            pl.col(evaluate.UNIT)
            .replace_strict(names, default="", return_dtype=pl.String)
            .alias("name")
        )
    )
