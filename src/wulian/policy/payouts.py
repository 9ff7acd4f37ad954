"""Payouts: the list of a run's eligible firms per policy, approval by the owning department
(once per firm, policy and period, audited), and the list as a workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput
from wulian.core.notify import service as notify
from wulian.core.permissions import Actor, Permission
from wulian.core.todo import Todo
from wulian.engines.rules.policy import Policy
from wulian.enterprises import read
from wulian.policy.library import FREE, STAFF_ONLY, may_approve, newest, parse, require_reader
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun, PolicyVersion
from wulian.policy.runs import get_run_or_raise, run_policy


@dataclass(frozen=True)
class PayoutLine:
    outcome: PolicyOutcome
    enterprise: read.Firm
    paid: Payout | None


def payout_list(
    session: Session, *, actor: Actor, run_id: int, code: str, status: str = "eligible"
) -> tuple[PolicyRun, Policy, list[PayoutLine]]:
    """The run's outcomes of one policy (eligible by default; unknown = 快申快享 to supply), with
    any payout already approved for the firm, policy and period."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    if status not in ("eligible", "unknown", "near"):
        raise InvalidInput("状态应为 eligible、unknown 或 near", field="status", value=status)
    query = (
        sa.select(PolicyOutcome)
        .where(PolicyOutcome.run_id == run.id, PolicyOutcome.policy_code == code)
        .order_by(PolicyOutcome.amount.desc().nulls_last(), PolicyOutcome.enterprise_id)
    )
    if status == "near":
        query = query.where(PolicyOutcome.near == sa.true())
    else:
        query = query.where(PolicyOutcome.status == status)
    rows = read.attach(session, session.scalars(query), lambda o: o.enterprise_id)
    paid = {
        p.enterprise_id: p
        for p in session.scalars(
            sa.select(Payout).where(Payout.policy_code == code, Payout.period == run.period)
        )
    }
    return run, policy, [PayoutLine(o, e, paid.get(e.id)) for o, e in rows]


def approve(
    session: Session, *, actor: Actor, run_id: int, code: str, enterprise_ids: list[int]
) -> list[Payout]:
    """Approve the payouts of the given eligible firms, all or none: refused when a firm is not
    eligible in the run, or was already paid for this policy and period (by any run)."""
    actor.require(Permission.PAYOUTS_APPROVE)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    version, policy = run_policy(session, run, code)
    auth_service.require_owner(
        session, actor=actor, department=policy.department, what=f"政策“{policy.title}”的兑现"
    )
    ids = sorted(set(enterprise_ids))
    if not ids:
        raise InvalidInput("请至少选择一家企业", field="enterprise_ids")
    outcomes = {
        o.enterprise_id: o
        for o in session.scalars(
            sa.select(PolicyOutcome).where(
                PolicyOutcome.run_id == run.id,
                PolicyOutcome.policy_code == code,
                PolicyOutcome.enterprise_id.in_(ids),
            )
        )
    }
    not_eligible = [i for i in ids if i not in outcomes or outcomes[i].status != "eligible"]
    if not_eligible:
        raise InvalidInput(
            f"以下企业在本批次中不符合条件，不能兑现：{'、'.join(map(str, not_eligible))}",
            field="enterprise_ids",
        )
    paid_ids = session.scalars(
        sa.select(Payout.enterprise_id).where(
            Payout.policy_code == code,
            Payout.period == run.period,
            Payout.enterprise_id.in_(ids),
        )
    ).all()
    already = sorted(read.names(session, paid_ids).values())
    if already:
        names = "、".join(already)
        raise Conflict(
            f"{policy.title}（{run.period} 年度）已为以下企业兑现，不能重复兑现：{names}"
        )
    payouts = [
        Payout(
            policy_code=code,
            period=run.period,
            enterprise_id=i,
            run_id=run.id,
            version_id=version.id,
            amount=outcomes[i].amount,
            mode=outcomes[i].mode or FREE,
            approved_by=actor.label,
        )
        for i in ids
    ]
    session.add_all(payouts)
    session.flush()
    unit = policy.benefit.unit if policy.benefit else ""
    for payout in payouts:
        amount = f"，金额 {payout.amount:g}{unit}" if payout.amount is not None else ""
        notify.notify_enterprises(
            session, enterprise_ids=[payout.enterprise_id], kind="payout.approved",
            link="/enterprises/{enterprise_id}",
            title=f"{policy.title}（{run.period} 年度）兑现已审批{amount}",
        )  # fmt: skip
    return payouts


def export_xlsx(session: Session, *, actor: Actor, run_id: int, code: str) -> bytes:
    """The payout list (兑现清单) of a policy as xlsx with Chinese headers."""
    from wulian.core.xlsx import ListWorkbook

    run, policy, lines = payout_list(session, actor=actor, run_id=run_id, code=code)
    unit = policy.benefit.unit if policy.benefit else ""
    book = ListWorkbook()
    book.sheet(
        "兑现清单",
        title=f"{policy.title} {run.period} 年度兑现清单",
        notice=f"{policy.document}；评估批次 {run.id}，{len(lines)} 家企业符合条件。",
        headers=["序号", "统一社会信用代码", "企业名称", f"金额（{unit}）" if unit else "金额",
                 "兑现方式", "需补充或核验", "是否已兑现"],
        rows=(
            [
                index,
                line.enterprise.uscc,
                line.enterprise.name,
                line.outcome.amount,
                line.outcome.mode or "",
                "、".join(policy.all_inputs[k].name for k in line.outcome.supply),
                "已兑现" if line.paid else "",
            ]
            for index, line in enumerate(lines, 1)
        ),
        widths=[6, 22, 36, 14, 12, 36, 10],
    )  # fmt: skip
    return book.close()


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """Per policy of the newest run that actor may approve: the eligible firms not yet paid."""
    if actor.enterprise_id is not None or not actor.has(Permission.PAYOUTS_APPROVE):
        return []
    run = session.scalar(sa.select(PolicyRun).order_by(PolicyRun.id.desc()).limit(1))
    if run is None:
        return []
    paid = (
        sa.exists()
        .where(
            Payout.policy_code == PolicyOutcome.policy_code,
            Payout.period == run.period,
            Payout.enterprise_id == PolicyOutcome.enterprise_id,
        )
        .correlate(PolicyOutcome)
    )
    counts = session.execute(
        sa.select(PolicyOutcome.policy_code, sa.func.count())
        .where(PolicyOutcome.run_id == run.id, PolicyOutcome.status == "eligible", ~paid)
        .group_by(PolicyOutcome.policy_code)
        .order_by(PolicyOutcome.policy_code)
    ).all()
    items = []
    for code, n in counts:
        _, policy = run_policy(session, run, code)
        if may_approve(session, actor=actor, policy=policy):
            label = f"“{policy.title}”（{run.period} 年度）待审批兑现的企业"
            items.append(Todo("政策兑现", label, int(n), f"/policies/runs/{run.id}/{code}"))
    return items


@dataclass(frozen=True)
class Benefit:
    """One line of a firm's benefits: a policy's outcome in the newest run, or a payout."""

    title: str
    unit: str  # of the amount, as the policy states it
    status: str  # eligible | unknown | ineligible (near) | paid
    amount: float | None
    period: str
    mode: str | None
    near: bool = False


@dataclass(frozen=True)
class Benefits:
    """A firm's benefits for its page (一企一档): what it was paid, and in the newest run what it
    qualifies for, could qualify for once its data is supplied, or nearly qualifies for."""

    run: PolicyRun | None
    outcomes: list[Benefit]
    payouts: list[Benefit]


def firm_benefits(session: Session, *, actor: Actor, enterprise_id: int) -> Benefits:
    actor.require_enterprise(enterprise_id)
    require_reader(actor)
    payouts = session.scalars(
        sa.select(Payout)
        .where(Payout.enterprise_id == enterprise_id)
        .order_by(Payout.period.desc(), Payout.approved_at.desc())
    ).all()
    run = session.scalar(sa.select(PolicyRun).order_by(PolicyRun.id.desc()).limit(1))
    outcomes: Sequence[PolicyOutcome] = []
    if run is not None:
        outcomes = session.scalars(
            sa.select(PolicyOutcome)
            .where(
                PolicyOutcome.run_id == run.id,
                PolicyOutcome.enterprise_id == enterprise_id,
                (PolicyOutcome.status != "ineligible") | PolicyOutcome.near,
            )
            .order_by(PolicyOutcome.status, PolicyOutcome.amount.desc().nulls_last())
        ).all()
    wanted = {p.version_id for p in payouts}
    wanted |= {
        run.versions[o.policy_code] for o in outcomes if run and o.policy_code in run.versions
    }
    texts: dict[int, str] = dict(
        session.execute(
            sa.select(PolicyVersion.id, PolicyVersion.text).where(PolicyVersion.id.in_(wanted))
        ).all()
    )

    current = tuple(row.text for row in newest(session))

    def described(version_id: int | None, code: str) -> tuple[str, str]:
        if version_id not in texts:
            return code, ""
        policy = parse(texts[version_id], uses=current)
        return policy.title, policy.benefit.unit if policy.benefit else ""

    return Benefits(
        run,
        [
            Benefit(*described(run.versions.get(o.policy_code) if run else None, o.policy_code),
                    status=o.status, amount=o.amount, period=run.period if run else "",
                    mode=o.mode, near=o.near)
            for o in outcomes
        ],
        [
            Benefit(*described(p.version_id, p.policy_code), status="paid", amount=p.amount,
                    period=p.period, mode=p.mode)
            for p in payouts
        ],
    )  # fmt: skip


@dataclass(frozen=True)
class PayoutYear:
    """Payouts approved for one period (the cockpit's figures)."""

    period: str
    firms: int
    payouts: int
    amount: float  # of the payouts with a known amount, in each policy's unit (万元 by default)
    free: int  # 免申即享: paid without an application

    @property
    def free_share(self) -> float | None:
        return self.free / self.payouts if self.payouts else None


def payout_years(session: Session, *, actor: Actor) -> list[PayoutYear]:
    """Per period, newest first: how many payouts to how many firms, the amount, and how many
    were 免申即享."""
    actor.require(Permission.ZONE_READ)
    actor.require_staff(STAFF_ONLY)
    rows = session.execute(
        sa.select(
            Payout.period,
            sa.func.count(sa.distinct(Payout.enterprise_id)),
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(Payout.amount), 0.0),
            sa.func.count().filter(Payout.mode == FREE),
        )
        .group_by(Payout.period)
        .order_by(Payout.period.desc())
    ).all()
    return [PayoutYear(p, int(f), int(n), float(a or 0), int(free)) for p, f, n, a, free in rows]
