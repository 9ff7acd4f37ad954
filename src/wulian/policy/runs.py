"""Policy runs: every firm against the newest version of every policy for a period, the input
kept as evaluated (Parquet and its hash), and the outcome of each firm and policy.
"""

from __future__ import annotations

from collections import Counter

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import runs
from wulian.core.errors import InvalidInput, NotFound
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules.policy import Policy
from wulian.policy.inputs import build_input
from wulian.policy.library import FREE, NEAR, QUICK, STAFF_ONLY, newest, parse, parse_all
from wulian.policy.models import PolicyOutcome, PolicyRun, PolicyVersion


def trust_modes(
    policy: Policy, frame: pl.DataFrame, trust: pl.DataFrame
) -> list[tuple[str | None, list[str]]]:
    """For each outcome row: (免申即享 | 快申快享 | None, inputs to supply or have verified)."""
    inputs = list(policy.all_inputs)  # those of the outputs it reads of other policies too
    trusted = {
        row["enterprise_id"]: row
        for row in trust.select("enterprise_id", *inputs).iter_rows(named=True)
    }
    out: list[tuple[str | None, list[str]]] = []
    for unit, status, missing in frame.select("enterprise_id", "status", "missing").iter_rows():
        if status == "unknown":
            out.append((QUICK, rules.names_of(missing, inputs)))
        elif status == "eligible":
            doubtful = [k for k in inputs if not trusted[unit][k]]
            out.append((QUICK, doubtful) if doubtful else (FREE, []))
        else:
            out.append((None, []))
    return out


def evaluate_all(
    policies: list[Policy], frame: pl.DataFrame, period: int, *, trace: bool = False
) -> rules.Evaluation:
    return rules.evaluate(
        policies, frame, period=period, unit="enterprise_id", trace=trace, near=NEAR
    )


def create_run(session: Session, *, actor: Actor, period: str | int, note: str = "") -> PolicyRun:
    """Every zone firm against the newest version of every policy, for period (a year)."""
    actor.require(Permission.ANALYSES_WRITE)
    actor.require_staff(STAFF_ONLY)
    period = runs.year_period(period)
    year = runs.period_year(period)
    versions = newest(session)
    if not versions:
        raise InvalidInput("政策库是空的：请先导入政策", field="period")
    policies = parse_all(tuple(v.text for v in versions))
    frame, trust = build_input(session, actor=actor, policies=policies, period=year)
    result = evaluate_all(policies, frame, year)
    run = PolicyRun(
        period=period,
        versions={v.code: v.id for v in versions},
        skipped=result.skipped,
        counts={},
        inputs=runs.pack(frame.join(trust, on="enterprise_id", suffix="__trusted")),
        snapshot_hash=runs.snapshot([v.text for v in versions], period, frame),
        note=note.strip()[:500],
        created_by=actor.label,
    )
    session.add(run)
    session.flush()
    counts: dict[str, dict[str, int]] = {}
    for code, out in result.frames.items():
        policy = result.policies[code]
        conditions = [c.key for c in policy.conditions]
        modes = trust_modes(policy, out, trust)
        rows = []
        columns = ["enterprise_id", "status", "amount", "missing", "failed", "worst", "near"]
        columns += ["score"] if "score" in out.columns else []
        for values, (mode, supply) in zip(
            out.select(columns).iter_rows(named=True), modes, strict=True
        ):
            rows.append(
                {
                    "run_id": run.id,
                    "policy_code": code,
                    "enterprise_id": values["enterprise_id"],
                    "status": str(values["status"]),
                    "amount": values["amount"],
                    "score": values.get("score"),
                    "missing": rules.names_of(values["missing"], list(policy.all_inputs)),
                    "failed": rules.names_of(values["failed"], conditions),
                    "worst": values["worst"],
                    "near": bool(values["near"]),
                    "mode": mode,
                    "supply": supply,
                }
            )
        for start in range(0, len(rows), 5000):
            session.execute(sa.insert(PolicyOutcome), rows[start : start + 5000])
        tally = Counter(r["status"] for r in rows)
        tally["near"] = sum(r["near"] for r in rows)
        tally.update(f"mode:{r['mode']}" for r in rows if r["mode"])
        counts[code] = dict(tally)
        total = sum((r["amount"] or 0.0) for r in rows if r["status"] == "eligible")
        counts[code]["amount_cents"] = round(total * 100)
    run.counts = counts
    session.flush()
    return run


def get_runs(session: Session, *, actor: Actor) -> list[PolicyRun]:
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    return list(
        session.scalars(sa.select(PolicyRun).order_by(PolicyRun.period.desc(), PolicyRun.id.desc()))
    )


def runs_page(
    session: Session, *, actor: Actor, page: int = 1, per_page: int = 20
) -> Page[PolicyRun]:
    """One page of the runs, newest period first (as `get_runs`)."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    query = sa.select(PolicyRun).order_by(PolicyRun.period.desc(), PolicyRun.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def get_run_or_raise(session: Session, *, actor: Actor, run_id: int) -> PolicyRun:
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    run = session.get(PolicyRun, run_id)
    if run is None:
        raise NotFound(f"评估批次不存在：{run_id}")
    return run


def run_policy(session: Session, run: PolicyRun, code: str) -> tuple[PolicyVersion, Policy]:
    if code not in run.versions:
        raise NotFound(f"本批次没有评估政策：{code}")
    row = session.get(PolicyVersion, run.versions[code])
    if row is None:  # pragma: no cover - versions are never deleted
        raise NotFound(f"政策版本不存在：{run.versions[code]}")
    pinned = session.scalars(
        sa.select(PolicyVersion.text).where(PolicyVersion.id.in_(list(run.versions.values())))
    ).all()
    return row, parse(row.text, uses=tuple(sorted(pinned)))


def run_inputs(session: Session, run: PolicyRun) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The run's stored input and trust flags."""
    stored = runs.unpack(run.inputs)
    trusted = [c for c in stored.columns if c.endswith("__trusted")]
    frame = stored.drop(trusted)
    trust = stored.select(
        "enterprise_id", *[pl.col(c).alias(c.removesuffix("__trusted")) for c in trusted]
    )
    return frame, trust
