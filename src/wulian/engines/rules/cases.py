"""The test cases written beside a policy: input facts → expected outcome, run by the engine.

`wulian policy test PATH` runs them for every policy file under PATH; a policy whose cases fail
is refused when it is installed or saved.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import polars as pl

from wulian.core.errors import InvalidFile, RowProblem
from wulian.engines.rules.evaluate import DTYPES, evaluate, fmt, names_of
from wulian.engines.rules.policy import STATUS_NAMES, Case, Policy, closure

CLOSE = 1e-6  # amounts, scores and values agree to a millionth


@dataclass(frozen=True)
class CaseResult:
    policy: str
    index: int
    name: str
    line: int | None
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems


def frame_of(policy: Policy, inputs: dict[str, Any], unit: str = "id") -> pl.DataFrame:
    """A one-row frame of the inputs of the policy and of the policies it reads; inputs not
    given are unknown."""
    declared = {k: i for p in closure([policy]) for k, i in p.inputs.items()}
    schema: dict[str, Any] = {unit: pl.String}
    schema |= {key: DTYPES[item.type] for key, item in declared.items()}
    row: dict[str, Any] = {unit: "case"}
    row |= {key: inputs.get(key) for key in declared}
    return pl.DataFrame([row], schema=schema)


def run_case(policy: Policy, index: int, case: Case) -> CaseResult:
    evaluation = evaluate(
        [policy], frame_of(policy, case.input), period=case.period, day=case.on, trace=True
    )
    problems: list[str] = []
    line = policy.line_of("tests", index)
    if policy.id in evaluation.skipped or case.expect.status == "not_in_effect":
        if policy.id not in evaluation.skipped:
            problems.append(f"应不在有效期内，实际在有效期内（{evaluation.day}）")
        elif case.expect.status != "not_in_effect":
            problems.append(evaluation.skipped[policy.id])
        return CaseResult(policy.id, index, case.name, line, problems)
    row = evaluation.frames[policy.id].row(0, named=True)
    expect = case.expect
    if expect.status is not None and row["status"] != expect.status:
        reasons = evaluation.explain("case")[0]
        why = "；".join(
            line.reason() for line in reasons.conditions if line.holds is not True
        ) or "、".join(name for _, name in reasons.missing)
        problems.append(
            f"结论应为“{STATUS_NAMES[expect.status]}”，实际为“{STATUS_NAMES[row['status']]}”"
            + (f"（{why}）" if why else "")
        )
    checks: list[tuple[str, Any, Any]] = []
    if expect.amount is not None:
        checks.append(("金额", expect.amount, row["amount"]))
    if expect.score is not None:
        checks.append(("总分", expect.score, row.get("score")))
    for key, wanted in (expect.values or {}).items():
        checks.append((policy.label(key), wanted, row.get(key)))
    for what, wanted, got in checks:
        if not _same(wanted, got):
            problems.append(f"{what}应为 {fmt(wanted)}，实际为 {fmt(got)}")
    conditions = [c.key for c in policy.conditions]
    if expect.failed is not None:
        failed = names_of(row["failed"], conditions)
        if sorted(failed) != sorted(expect.failed):
            problems.append(f"不满足的条件应为 {_keys(expect.failed)}，实际为 {_keys(failed)}")
    if expect.missing is not None:
        missing = names_of(row["missing"], list(policy.all_inputs))
        if sorted(missing) != sorted(expect.missing):
            problems.append(f"缺少的数据应为 {_keys(expect.missing)}，实际为 {_keys(missing)}")
    return CaseResult(policy.id, index, case.name, line, problems)


def _same(wanted: Any, got: Any) -> bool:
    if got is None:
        return False
    if isinstance(wanted, bool | str):
        return bool(wanted == got)
    return math.isclose(float(wanted), float(got), rel_tol=CLOSE, abs_tol=CLOSE)


def _keys(keys: list[str]) -> str:
    return "、".join(keys) if keys else "无"


def run_cases(policy: Policy) -> list[CaseResult]:
    return [run_case(policy, i, case) for i, case in enumerate(policy.tests)]


def check_cases(policy: Policy) -> None:
    """InvalidFile naming each failing case at its line."""
    failing = [r for r in run_cases(policy) if not r.passed]
    if failing:
        raise InvalidFile(
            [
                RowProblem(r.line, f"tests.{r.index}", r.name, "；".join(r.problems))
                for r in failing
            ],
            policy.filename,
        )
