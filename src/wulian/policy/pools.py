"""Cultivation pools (梯度培育): the firms close to each title of the ladder, with their gaps."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core import xlsx
from wulian.core.errors import InvalidInput
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

    def members(self) -> list[tuple[str, PoolMember]]:
        """(chain, member) of every member, chain by chain."""
        return [(chain, m) for chain, members in self.by_chain.items() for m in members]


NO_CHAIN = "未归链"


@dataclass(frozen=True)
class PoolFilters:
    title: str | None = None  # a ladder policy's id: that pool only
    chain: str | None = None  # a chain's code, or NO_CHAIN
    q: str | None = None  # the firm: part of its name, pinyin, initials or credit code


def pool_titles(session: Session, *, actor: Actor, run_id: int) -> list[tuple[str, str]]:
    """(policy id, title) of the run's ladder titles, in the ladder's order."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    ladder = [run_policy(session, run, c)[1] for c in run.versions]
    return [(p.id, p.title) for p in sorted(ladder, key=lambda p: p.rung or 99) if p.grants]


def pools(
    session: Session, *, actor: Actor, run_id: int, filters: PoolFilters = PoolFilters()
) -> tuple[PolicyRun, list[Pool]]:
    """For each title of the ladder, the firms that do not hold it on the period's last day and
    nearly qualify (at most two conditions failed, each by at most 20%), with their gaps, by
    chain, firms by name in pinyin order; only those filters match."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    ladder = [(c, p) for c in run.versions for p in [run_policy(session, run, c)[1]]]
    titles = {code: policy.grants for code, policy in ladder if policy.grants is not None}
    if filters.title is not None and filters.title not in titles:
        raise InvalidInput(f"没有这个培育称号：{filters.title}", field="title", value=filters.title)
    found = None if not filters.q else set(session.scalars(read.ids_matching(filters.q)))
    frame, _ = run_inputs(session, run)
    out: list[Pool] = []
    for code, policy in ladder:
        if code not in titles or filters.title not in (None, code):
            continue
        # the title held on the period's last day, as the policy's own inputs read titles
        held = read.holders(session, tag=titles[code], on=rules.period_end(run.year))
        near = [
            i
            for i in session.scalars(
                sa.select(PolicyOutcome.enterprise_id).where(
                    PolicyOutcome.run_id == run.id,
                    PolicyOutcome.policy_code == code,
                    PolicyOutcome.near == sa.true(),
                )
            )
            if i not in held and (found is None or i in found)
        ]
        firms = read.records(session, near)
        if filters.chain is not None:
            near = [i for i in near if (firms[i].chain or NO_CHAIN) == filters.chain]
        near = read.in_name_order(session, near)
        grouped: dict[str, list[PoolMember]] = defaultdict(list)
        if near:
            subset = frame.filter(pl.col("enterprise_id").is_in(near)).select(
                "enterprise_id", *{k for p in closure([policy]) for k in p.inputs}
            )
            traced = evaluate_all([policy], subset, run.year, trace=True)
            rows = {r["enterprise_id"]: r for r in traced.frames[code].iter_rows(named=True)}
            for enterprise_id in near:  # in name order
                firm = firms[enterprise_id]
                row = rows[enterprise_id]
                explanation = rules.explain_row(policy, row, traced.parameters[code])
                grouped[firm.chain or NO_CHAIN].append(PoolMember(firm, explanation))
        out.append(Pool(policy, dict(sorted(grouped.items()))))
    return run, sorted(out, key=lambda p: p.policy.rung or 99)


def pools_xlsx(
    session: Session, *, actor: Actor, run_id: int, filters: PoolFilters = PoolFilters()
) -> bytes:
    """The pools as filtered, every member in the page's order, as a workbook: title, chain
    (by name), firm, credit code and the gaps."""
    run, found = pools(session, actor=actor, run_id=run_id, filters=filters)
    names = chains_service.chain_names(session)
    book = xlsx.ListWorkbook()
    book.sheet(
        "梯度培育库",
        title=f"{run.period} 年度梯度培育库",
        notice=f"评估批次 {run.id}；尚未取得称号、只差一两项条件且差距在 20% 以内的企业；"
        f"{sum(p.size for p in found)} 条。",
        headers=["培育称号", "产业链", "企业名称", "统一社会信用代码", "差距"],
        rows=(
            [pool.policy.title, names.get(chain, chain), member.enterprise.name,
             member.enterprise.uscc or "", gaps(member)]
            for pool in found for chain, member in pool.members()
        ),
        widths=[18, 20, 36, 22, 80],
    )  # fmt: skip
    return book.close()


def gaps(member: PoolMember) -> str:
    """What the firm lacks, in the rules' own words."""
    return "；".join(line.reason() for line in member.explanation.conditions if line.holds is False)
