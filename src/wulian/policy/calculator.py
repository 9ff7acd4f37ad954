"""The policy calculator: one firm against every policy, with what is missing and why."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Actor
from wulian.engines.rules import evaluate as rules
from wulian.enterprises import read
from wulian.policy.inputs import build_input
from wulian.policy.library import newest, parse_all, require_reader
from wulian.policy.runs import evaluate_all, trust_modes


@dataclass(frozen=True)
class Calculation:
    enterprise: read.Firm
    period: int
    eligible: list[rules.Explanation]
    near: list[rules.Explanation]
    unknown: list[rules.Explanation]
    ineligible: list[rules.Explanation]
    modes: dict[str, tuple[str | None, list[str]]]
    skipped: dict[str, str]


def calculator(session: Session, *, actor: Actor, enterprise_id: int, period: int) -> Calculation:
    """One firm against every policy now, from its current data: what it qualifies for, nearly
    qualifies for (and by how much), what is undecided for want of data, and why."""
    if actor.enterprise_id is not None and actor.enterprise_id != enterprise_id:
        raise PermissionDenied("只能查看本企业的政策计算结果")
    require_reader(actor)
    enterprise = read.get_or_raise(session, enterprise_id)
    versions = newest(session)
    policies = parse_all(tuple(v.text for v in versions))
    frame, trust = build_input(
        session, actor=actor, policies=policies, period=period, enterprise_ids=[enterprise_id]
    )
    result = evaluate_all(policies, frame, period, trace=True)
    explanations = result.explain(enterprise_id)
    modes = {
        code: trust_modes(result.policies[code], out, trust)[0]
        for code, out in result.frames.items()
    }
    return Calculation(
        enterprise=enterprise,
        period=period,
        eligible=[e for e in explanations if e.status == "eligible"],
        near=[e for e in explanations if e.status == "ineligible" and e.near],
        unknown=[e for e in explanations if e.status == "unknown"],
        ineligible=[e for e in explanations if e.status == "ineligible" and not e.near],
        modes=modes,
        skipped=result.skipped,
    )
