"""What-if: a policy's parameter changed, and how many firms and how much money that moves."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import polars as pl
import yaml
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor, Permission
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules import policy as rule_policy
from wulian.engines.rules.policy import STATUS_NAMES, Policy
from wulian.enterprises import read
from wulian.policy.runs import evaluate_all, get_run_or_raise, run_inputs, run_policy


@dataclass(frozen=True)
class Change:
    enterprise_id: int
    name: str
    before: str
    after: str
    amount_before: float | None
    amount_after: float | None

    @property
    def delta(self) -> float:
        return (self.amount_after or 0.0) - (self.amount_before or 0.0)


@dataclass(frozen=True)
class WhatIf:
    policy: Policy
    parameter: str
    old: Any
    new: float
    eligible_before: int
    eligible_after: int
    total_before: float
    total_after: float
    gainers: list[Change]
    losers: list[Change]


def with_parameter(policy: Policy, key: str, value: float, day: dt.date) -> Policy:
    """The policy with parameter key set to value on day (the value in force then is changed)."""
    if key not in policy.parameters:
        raise InvalidInput(f"政策没有参数“{key}”", field="parameter", value=key)
    data = yaml.safe_load(policy.text)
    values = data["parameters"][key]["values"]
    current = policy.parameters[key].at(day)
    if current is None:
        raise InvalidInput(f"参数在 {day} 没有取值", field="parameter", value=key)
    if isinstance(current.value, bool | str):
        raise InvalidInput("只能试算数值参数（门槛、比例、上限）", field="parameter", value=key)
    parameter = policy.parameters[key]
    if not parameter.declared:
        raise InvalidInput(
            f"政策文件没有为“{parameter.name}”声明取值范围（min、max），不能试算",
            field="parameter", value=key,
        )  # fmt: skip
    problem = parameter.problem(value) if math.isfinite(value) else f"“{parameter.name}”应为数字"
    if problem:
        raise InvalidInput(problem, field="value", value=value)
    for item in values:
        if item["from"] == current.start:
            item["value"] = value
    return rule_policy.load(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
        policy.filename,
        policy.uses.values(),
    )


def what_if(
    session: Session, *, actor: Actor, run_id: int, code: str, parameter: str, value: float
) -> WhatIf:
    """The run's firms under the policy with one parameter changed: totals and who gains or
    loses. Nothing is saved."""
    actor.require(Permission.ZONE_READ)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    day = rules.period_end(run.year)
    changed = with_parameter(policy, parameter, value, day)
    frame, _ = run_inputs(session, run)
    columns = ["enterprise_id", *{k for p in rule_policy.closure([policy]) for k in p.inputs}]
    before = evaluate_all([policy], frame.select(columns), run.year).frames.get(code)
    after = evaluate_all([changed], frame.select(columns), run.year).frames.get(code)
    if before is None or after is None:
        raise InvalidInput(f"政策在 {run.period} 年度不在有效期内", field="run")
    both = before.select("enterprise_id", "status", "amount").join(
        after.select("enterprise_id", "status", "amount"), on="enterprise_id", suffix="_after"
    )
    names = read.names(session, both["enterprise_id"].to_list())
    gainers: list[Change] = []
    losers: list[Change] = []
    for unit, s0, a0, s1, a1 in both.iter_rows():
        if s0 == s1 and (a0 or 0.0) == (a1 or 0.0):
            continue
        change = Change(
            unit, names.get(unit, str(unit)), STATUS_NAMES[s0], STATUS_NAMES[s1], a0, a1
        )
        gained = (s1 == "eligible" and s0 != "eligible") or change.delta > 0
        (gainers if gained else losers).append(change)

    def total(frame: pl.DataFrame) -> float:
        return float(frame.filter(pl.col("status") == "eligible")["amount"].fill_null(0.0).sum())

    current = policy.parameters[parameter].at(day)
    return WhatIf(
        policy=policy,
        parameter=parameter,
        old=current.value if current else None,
        new=value,
        eligible_before=before.filter(pl.col("status") == "eligible").height,
        eligible_after=after.filter(pl.col("status") == "eligible").height,
        total_before=total(before),
        total_after=total(after),
        gainers=sorted(gainers, key=lambda c: -c.delta),
        losers=sorted(losers, key=lambda c: c.delta),
    )
