"""Cultivation pools (梯度培育): the firms close to each title of the ladder, with their gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.permissions import Actor
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules.policy import Policy, closure
from wulian.enterprises import read
from wulian.policy.models import PolicyOutcome, PolicyRun
from wulian.policy.runs import evaluate_all, get_run_or_raise, run_inputs, run_policy


@dataclass(frozen=True)
class PoolMember:
    enterprise: read.Firm
    explanation: rules.Explanation


@dataclass(frozen=True)
class Pool:
    policy: Policy
    by_chain: dict[str, list[PoolMember]]

    @property
    def size(self) -> int:
        return sum(len(m) for m in self.by_chain.values())


def pools(session: Session, *, actor: Actor, run_id: int) -> tuple[PolicyRun, list[Pool]]:
    """For each title of the ladder, the firms that do not hold it on the period's last day and
    nearly qualify (at most two conditions failed, each by at most 20%), with their gaps, by
    chain."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    frame, _ = run_inputs(session, run)
    out: list[Pool] = []
    for code in run.versions:
        _, policy = run_policy(session, run, code)
        if policy.grants is None:
            continue
        # the title held on the period's last day, as the policy's own inputs read titles
        held = read.holders(session, tag=policy.grants, on=rules.period_end(run.year))
        near = [
            i
            for i in session.scalars(
                sa.select(PolicyOutcome.enterprise_id).where(
                    PolicyOutcome.run_id == run.id,
                    PolicyOutcome.policy_code == code,
                    PolicyOutcome.near == sa.true(),
                )
            )
            if i not in held
        ]
        grouped: dict[str, list[PoolMember]] = defaultdict(list)
        if near:
            subset = frame.filter(pl.col("enterprise_id").is_in(near)).select(
                "enterprise_id", *{k for p in closure([policy]) for k in p.inputs}
            )
            traced = evaluate_all([policy], subset, run.year, trace=True)
            firms = read.records(session, near)
            for explanation_row in traced.frames[code].iter_rows(named=True):
                firm = firms[explanation_row["enterprise_id"]]
                explanation = rules.explain_row(policy, explanation_row, traced.parameters[code])
                grouped[firm.chain or "未归链"].append(PoolMember(firm, explanation))
        out.append(Pool(policy, dict(sorted(grouped.items()))))
    return run, sorted(out, key=lambda p: p.policy.rung or 99)
