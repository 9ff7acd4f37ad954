"""Payouts: the list of a run's eligible firms per policy, approval by the owning department
(once per firm, policy and period, audited), and the list as a workbook.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput, PermissionDenied
from wulian.core.notify import service as notify
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.core.todo import Todo
from wulian.engines.rules.policy import Policy
from wulian.enterprises import read
from wulian.policy.library import (
    FREE,
    QUICK,
    STAFF_ONLY,
    may_approve,
    newest,
    parse,
    require_reader,
)
from wulian.policy.models import Payout, PolicyOutcome, PolicyRun, PolicyVersion
from wulian.policy.runs import get_run_or_raise, run_policy


@dataclass(frozen=True)
class PayoutLine:
    outcome: PolicyOutcome
    enterprise: read.Firm
    paid: Payout | None


STATUSES = {"eligible": "符合（兑现清单）", "unknown": "待补充数据（快申快享）", "near": "接近符合"}
MODES = {"free": FREE, "quick": QUICK}  # the filter's keys → the outcome's mode
PAID = {"unpaid": "未兑现", "paid": "已兑现"}
SORTS = {"amount": "金额从高到低", "firm": "按企业名称"}
BULK_LIMIT = 10_000  # firms one approval of every match may pay (one transaction)


@dataclass(frozen=True)
class PayoutFilters:
    """What a policy's list in a run is filtered and sorted by."""

    status: str = "eligible"  # eligible | unknown (快申快享 to supply) | near
    mode: str | None = None  # free (免申即享) | quick (快申快享)
    q: str | None = None  # the firm: part of its name, its pinyin or initials, its credit code
    paid: str | None = None  # unpaid | paid
    sort: str = "amount"


@dataclass(frozen=True)
class PayoutListing:
    run: PolicyRun
    policy: Policy
    lines: Page[PayoutLine]
    amount: float  # the sum over every matching firm, not only this page


def _paid(run: PolicyRun, code: str) -> sa.Exists:
    return (
        sa.exists()
        .where(
            Payout.policy_code == code,
            Payout.period == run.period,
            Payout.enterprise_id == PolicyOutcome.enterprise_id,
        )
        .correlate(PolicyOutcome)
    )


def _outcomes(run: PolicyRun, code: str, filters: PayoutFilters) -> sa.Select[Any]:
    """The run's outcomes of one policy that match filters, in the list's order; bad filter
    values are refused with the reason."""
    query = sa.select(PolicyOutcome).where(
        PolicyOutcome.run_id == run.id, PolicyOutcome.policy_code == code
    )
    if filters.status not in STATUSES:
        raise InvalidInput(
            f"状态“{filters.status}”不对，应为 eligible、unknown 或 near", field="status",
            value=filters.status,
        )  # fmt: skip
    if filters.status == "near":
        query = query.where(PolicyOutcome.near == sa.true())
    else:
        query = query.where(PolicyOutcome.status == filters.status)
    if filters.mode:
        if filters.mode not in MODES:
            raise InvalidInput(
                f"兑现方式“{filters.mode}”不对，应为 free（免申即享）或 quick（快申快享）",
                field="mode",
            )
        query = query.where(PolicyOutcome.mode == MODES[filters.mode])
    if filters.paid:
        if filters.paid not in PAID:
            raise InvalidInput(
                f"兑现情况“{filters.paid}”不对，应为 unpaid（未兑现）或 paid（已兑现）",
                field="paid",
            )
        paid = _paid(run, code)
        query = query.where(paid if filters.paid == "paid" else ~paid)
    if filters.q and filters.q.strip():
        query = query.where(PolicyOutcome.enterprise_id.in_(read.ids_matching(filters.q)))
    if filters.sort == "firm":
        return query.order_by(read.name_order(PolicyOutcome.enterprise_id), PolicyOutcome.id)
    if filters.sort != "amount":
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    return query.order_by(PolicyOutcome.amount.desc().nulls_last(), PolicyOutcome.enterprise_id)


def _lines(
    session: Session, run: PolicyRun, code: str, outcomes: Sequence[PolicyOutcome]
) -> list[PayoutLine]:
    rows = read.attach(session, outcomes, lambda o: o.enterprise_id)
    query = sa.select(Payout).where(Payout.policy_code == code, Payout.period == run.period)
    if len(rows) <= 1000:  # a page: its firms' payouts; an export: every payout of the period
        query = query.where(Payout.enterprise_id.in_([o.enterprise_id for o, _ in rows]))
    paid = {p.enterprise_id: p for p in session.scalars(query)}
    return [PayoutLine(o, e, paid.get(e.id)) for o, e in rows]


def payout_list(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    code: str,
    filters: PayoutFilters | None = None,
    page: int = 1,
    per_page: int = 50,
) -> PayoutListing:
    """One page of the run's outcomes of one policy (eligible by default; unknown = 快申快享 to
    supply), with any payout already approved for the firm, policy and period, and the amount
    of every matching firm."""
    filters = filters or PayoutFilters()
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    query = _outcomes(run, code, filters)
    found = paginate(session, query, page=page, per_page=per_page)
    amount = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(PolicyOutcome.amount), 0.0)).where(
            PolicyOutcome.id.in_(query.with_only_columns(PolicyOutcome.id).order_by(None))
        )
    )
    lines = Page(
        items=_lines(session, run, code, found.items), total=found.total, page=found.page,
        per_page=found.per_page,
    )  # fmt: skip
    return PayoutListing(run, policy, lines, float(amount or 0.0))


def approve_matching(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    code: str,
    filters: PayoutFilters,
    expected: int | None = None,
    dry_run: bool = False,
) -> int:
    """Approve the payouts of every eligible firm of the list that matches filters and is not
    paid yet, through `approve` (the owning department, once per firm, policy and period, all
    or none). With dry_run, the checks and the count only (the confirmation step); otherwise
    expected must be the count the officer confirmed, or nothing is done."""
    actor.require(Permission.PAYOUTS_APPROVE)
    actor.require_staff(STAFF_ONLY)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    auth_service.require_owner(
        session, actor=actor, department=policy.department, what=f"政策“{policy.title}”的兑现"
    )
    if filters.status != "eligible":
        raise InvalidInput("只有符合条件的企业可以兑现，请先筛选“符合”", field="status")
    query = _outcomes(run, code, filters).where(~_paid(run, code))
    ids = session.scalars(
        query.with_only_columns(PolicyOutcome.enterprise_id).limit(BULK_LIMIT + 1)
    ).all()
    if not ids:
        raise InvalidInput("没有符合筛选条件、尚未兑现的企业")
    if len(ids) > BULK_LIMIT:
        raise InvalidInput(f"一次最多批准 {BULK_LIMIT:,} 家企业，请缩小筛选范围")
    if dry_run:
        return len(ids)
    if expected != len(ids):
        raise Conflict(
            f"符合条件、尚未兑现的企业现在是 {len(ids):,} 家（确认时为 {expected or 0:,} 家），"
            "请重新确认"
        )
    return len(approve(session, actor=actor, run_id=run_id, code=code, enterprise_ids=list(ids)))


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


def export_xlsx(
    session: Session, *, actor: Actor, run_id: int, code: str, filters: PayoutFilters | None = None
) -> bytes:
    """The list of a policy as filtered (by default the payout list, 兑现清单: every eligible
    firm) as xlsx with Chinese headers, every matching firm in the list's order."""
    from wulian.core.xlsx import ListWorkbook

    filters = filters or PayoutFilters()
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    _, policy = run_policy(session, run, code)
    outcomes = session.scalars(_outcomes(run, code, filters).limit(200_000)).all()
    lines = _lines(session, run, code, outcomes)
    unit = policy.benefit.unit if policy.benefit else ""
    chosen = [STATUSES[filters.status]]
    chosen += [MODES[filters.mode]] if filters.mode else []
    chosen += [PAID[filters.paid]] if filters.paid else []
    chosen += [f"企业“{filters.q.strip()}”"] if filters.q and filters.q.strip() else []
    kind = "兑现清单" if filters.status == "eligible" else "名单"
    book = ListWorkbook()
    book.sheet(
        kind if filters.status == "eligible" else STATUSES[filters.status],
        title=f"{policy.title} {run.period} 年度{kind}",
        notice=f"{policy.document}；评估批次 {run.id}；{'，'.join(chosen)}；{len(lines)} 家企业。",
        headers=["序号", "统一社会信用代码", "企业名称", f"金额（{unit}）" if unit else "金额",
                 "兑现方式", "需补充或核验", "是否已兑现"],
        rows=(
            [
                index,
                line.enterprise.uscc,
                line.enterprise.name,
                line.outcome.amount,
                line.outcome.mode or "",
                "、".join(policy.all_inputs[k].name
                         for k in (line.outcome.missing if filters.status == "unknown"
                                   else line.outcome.supply)
                         if k in policy.all_inputs),
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


def paid_periods(
    session: Session, *, actor: Actor, code: str, enterprise_ids: Sequence[int]
) -> dict[tuple[str, int], float | None]:
    """(period, firm) → amount of the payouts approved for one policy to the given firms (for a
    domain that feeds a policy, such as talent awards paid in instalments, to show what was
    paid)."""
    if actor.enterprise_id is None:
        actor.require(Permission.ZONE_READ)
    elif set(enterprise_ids) - {actor.enterprise_id}:
        raise PermissionDenied("只能查看本企业的兑现情况")
    rows = session.execute(
        sa.select(Payout.period, Payout.enterprise_id, Payout.amount).where(
            Payout.policy_code == code, Payout.enterprise_id.in_(list(enterprise_ids))
        )
    ).all()
    return {(str(p), int(e)): a for p, e, a in rows}
