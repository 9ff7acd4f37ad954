"""Which firms may recognise their own talent (企业人才自主评价): a rule set evaluated with the
rules engine, on the registry's facts of a data year.

The rules are a policy file (`rules/authorisation.yaml`: R&D intensity, R&D staff share and
revenue growth, with dated thresholds and test cases); the facts come from the registry's
read API (`facts.build_matrix`), the last year and the one before for growth. A firm whose data
is missing is "unknown" and is not authorised. Each result keeps its explanation: the values,
each condition with its threshold, and what is missing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import polars as pl
from sqlalchemy.orm import Session

from wulian.core.permissions import Actor
from wulian.engines.rules import evaluate as rules
from wulian.engines.rules import policy as rule_files
from wulian.engines.rules.explain import explain_row
from wulian.engines.rules.policy import STATUS_NAMES, Policy
from wulian.enterprises import facts, read

QUOTA_SHARE = 0.05  # of staff_total
QUOTA_MIN, QUOTA_MAX = 1, 20
METRICS = ("rd_expense", "revenue", "tech_staff", "staff_total")
# Up to this many firms every result is explained; beyond, only the eligible ones (the others'
# reasons are one click away: evaluate them by id).
EXPLAIN_ALL = 300


@functools.cache
def policy() -> Policy:
    """The authorisation rule set, as shipped (validated and its test cases run on load)."""
    text = resources.files("wulian.talent").joinpath("rules/authorisation.yaml").read_text("utf-8")
    return rule_files.load(text, "authorisation.yaml")


@dataclass(frozen=True)
class Eligibility:
    enterprise_id: int
    firm_name: str
    status: str  # eligible | ineligible | unknown
    status_name: str
    quota: int | None  # for an eligible firm
    lines: list[str]  # the explanation, one line each


def quota_of(staff_total: float | None) -> int:
    """The number of people a firm may recognise in a year: 5% of its staff, 1 to 20."""
    if staff_total is None:
        return QUOTA_MIN
    return max(QUOTA_MIN, min(QUOTA_MAX, round(staff_total * QUOTA_SHARE)))


def evaluate(
    session: Session, *, actor: Actor, year: int, enterprise_ids: list[int] | None = None
) -> list[Eligibility]:
    """Every zone firm (or those asked for) against the rules, on the facts of year."""
    return evaluate_frame(session, actor=actor, year=year, enterprise_ids=enterprise_ids)[1]


def evaluate_frame(
    session: Session, *, actor: Actor, year: int, enterprise_ids: list[int] | None = None,
    explain_all: bool = False,
) -> tuple[pl.DataFrame, list[Eligibility]]:  # fmt: skip
    """The input frame (one row per firm: the rules' inputs) and every firm's result; with
    explain_all every result is explained whatever the number of firms (for a stored run)."""
    spec = policy()
    now = facts.build_matrix(
        session, actor=actor, metrics=list(METRICS), period=str(year),
        enterprise_ids=enterprise_ids,
    )  # fmt: skip
    before = facts.build_matrix(
        session, actor=actor, metrics=["revenue"], period=str(year - 1),
        enterprise_ids=enterprise_ids,
    )  # fmt: skip
    frame = now.frame.select("enterprise_id", *METRICS).join(
        before.frame.select("enterprise_id", pl.col("revenue").alias("revenue_1")),
        on="enterprise_id",
        how="left",
    )
    if frame.is_empty():
        return frame, []
    result = rules.evaluate([spec], frame, period=year, unit="enterprise_id", trace=True)
    staff = dict(frame.select("enterprise_id", "staff_total").iter_rows())
    names = read.names(session, [int(i) for i in frame["enterprise_id"]])
    evaluated, parameters = result.policies[spec.id], result.parameters[spec.id]
    out = []
    for row in result.frames[spec.id].iter_rows(named=True):  # each row explained once
        enterprise_id, status = row["enterprise_id"], row["status"]
        every = explain_all or result.frames[spec.id].height <= EXPLAIN_ALL
        lines = (
            explain_row(evaluated, row, parameters).lines() if every or status == "eligible" else []
        )
        out.append(
            Eligibility(
                enterprise_id=int(enterprise_id),
                firm_name=names.get(int(enterprise_id), ""),
                status=str(status),
                status_name=STATUS_NAMES[str(status)],
                quota=quota_of(staff.get(enterprise_id)) if status == "eligible" else None,
                lines=lines,
            )
        )
    return frame, sorted(out, key=lambda e: (e.status != "eligible", e.firm_name))
