"""Loans to firms of the zone and the risk-compensation pools (风险补偿资金池).

A loan is registered per firm (granted 授信, disbursed 放款, repaid, its state 正常/逾期/违约) and
may be covered by a pool that the government and a bank fund (for example 1:1). A pool's bad-loan
ratio (不良率) is the outstanding balance of its defaulted loans ÷ the outstanding balance of all
its loans; past the warning threshold (default 5%) the pool is flagged, from the stop threshold
(default 8%) it takes no new loans. A default may be compensated by the pool (its cover share of
the outstanding balance, split by the government's and the bank's shares): proposed and approved
by the finance office only. Thresholds are the pool's own (finance.admin changes them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import service
from wulian.capital.models import Compensation, Loan, RiskPool
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.enterprises import service as enterprises

STATUSES: dict[str, str] = {"normal": "正常", "overdue": "逾期", "default": "违约"}
COMPENSATION_STATUSES = {"proposed": "待审批", "approved": "已补偿"}
LOAN_MIN_WAN = Decimal(1)  # under 1 万元 in a 万元 field: surely typed in 亿元
LOAN_MAX_YI = 100  # a single loan or product line of 100 亿元 or more: surely typed in 元


def check_not_yuan(yuan: int | None, text: str | Decimal | None, unit: str, *, field: str,
                   label: str) -> None:  # fmt: skip
    """Refuse an amount of LOAN_MAX_YI 亿元 or more, which for one firm's loan is an amount in 元
    typed where 万元 (or 亿元) was asked, naming what it would be in 元."""
    if yuan is None or yuan < LOAN_MAX_YI * 100_000_000:
        return
    as_yuan = service.show(yuan // service.YUAN[unit], "万元")  # the number typed, read in 元
    raise InvalidInput(
        f"{label}“{text}”{unit}即 {service.show(yuan, '亿元')} 亿元，超过单笔 {LOAN_MAX_YI} 亿元，"
        f"疑似按元填写（按元即 {as_yuan} 万元），请核对单位",
        field=field, value=str(text), unit_suspect=True,
    )  # fmt: skip


APPROVE_ONLY = "风险补偿只能由金融办的工作人员审批"


# ---------------------------------------------------------------- pools


def _bp(text: str | int | Decimal | None, field: str, label: str, default: int) -> int:
    """A percentage typed as text (5, 5.5) in basis points."""
    if text is None or not str(text).strip():
        return default
    raw = str(text).strip().rstrip("%％")
    try:
        value = Decimal(raw)
    except ArithmeticError:
        raise InvalidInput(f"{label}“{text}”不是数字（百分比）", field=field) from None
    if not value.is_finite() or not 0 < value <= 100 or (value * 100) % 1:
        raise InvalidInput(f"{label}应在 0–100% 之间，最多两位小数", field=field, value=str(text))
    return int(value * 100)


def pct_of(bp: int | None) -> str:
    """Basis points as a percentage text (500 → 5, 550 → 5.5)."""
    if bp is None:
        return ""
    text = f"{Decimal(bp) / 100:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def create_pool(
    session: Session, *, actor: Actor, name: str, lender: str, government: str | Decimal,
    bank: str | Decimal, unit: str = "万元", cover_pct: str | int = 80,
    warn_pct: str | None = None, stop_pct: str | None = None,
) -> RiskPool:  # fmt: skip
    """Set up a pool with the government's and the bank's contributions."""
    service.require_write(session, actor)
    name, lender = name.strip(), lender.strip()
    if not name or len(name) > 200:
        raise InvalidInput("资金池名称不能为空，且不超过 200 个字", field="name")
    if not lender or len(lender) > 200:
        raise InvalidInput("请填写合作银行", field="lender")
    if session.scalar(sa.select(RiskPool.id).where(RiskPool.name == name)) is not None:
        raise Conflict(f"已有名为“{name}”的资金池", field="name")
    gov = service.parse_money(government, unit, field="government", label="政府出资")
    bank_yuan = service.parse_money(bank, unit, field="bank", label="银行出资")
    if gov is None or bank_yuan is None:
        raise InvalidInput("请填写政府与银行的出资额", field="government")
    cover = _bp(cover_pct, "cover_pct", "补偿比例", 8000)
    warn = _bp(warn_pct, "warn_pct", "预警线", 500)
    stop = _bp(stop_pct, "stop_pct", "暂停线", 800)
    if warn >= stop:
        raise InvalidInput(f"预警线 {pct_of(warn)}% 应低于暂停线 {pct_of(stop)}%", field="warn_pct")
    pool = RiskPool(
        name=name, lender=lender, government_yuan=gov, bank_yuan=bank_yuan, cover_pct=cover // 100,
        warn_bp=warn, stop_bp=stop, created_by=actor.label,
    )  # fmt: skip
    session.add(pool)
    session.flush()
    return pool


def set_thresholds(
    session: Session, *, actor: Actor, pool_id: int, warn_pct: str, stop_pct: str
) -> RiskPool:
    """Change a pool's warning and stop thresholds (finance.admin)."""
    actor.require(Permission.FINANCE_ADMIN)
    service.require_read(actor)
    pool = pool_or_raise(session, actor=actor, pool_id=pool_id)
    warn = _bp(warn_pct, "warn_pct", "预警线", pool.warn_bp)
    stop = _bp(stop_pct, "stop_pct", "暂停线", pool.stop_bp)
    if warn >= stop:
        raise InvalidInput(f"预警线 {pct_of(warn)}% 应低于暂停线 {pct_of(stop)}%", field="warn_pct")
    pool.warn_bp, pool.stop_bp = warn, stop
    session.flush()
    return pool


def pool_or_raise(session: Session, *, actor: Actor, pool_id: int) -> RiskPool:
    service.require_read(actor)
    pool = session.get(RiskPool, pool_id)
    if pool is None:
        raise NotFound(f"没有编号为 {pool_id} 的风险补偿资金池")
    return pool


@dataclass(frozen=True)
class PoolState:
    pool: RiskPool
    loans: int
    outstanding: int  # 元, every loan's disbursed less repaid
    bad: int  # 元, the defaulted loans' outstanding balance
    compensated: int  # 元, approved compensations
    proposed: int  # 元, compensations waiting for approval
    ratio_bp: int | None  # the bad-loan ratio in basis points; None with nothing outstanding

    @property
    def funds(self) -> int:
        """What is left in the pool (元)."""
        return self.pool.government_yuan + self.pool.bank_yuan - self.compensated

    @property
    def level(self) -> str:
        """ok, warn (past the warning threshold) or stop (new loans refused)."""
        if self.ratio_bp is None:
            return "ok"
        if self.ratio_bp >= self.pool.stop_bp:
            return "stop"
        if self.ratio_bp >= self.pool.warn_bp:
            return "warn"
        return "ok"

    @property
    def ratio(self) -> str:
        """The ratio as a percentage text with 2 decimals ("5.26")."""
        if self.ratio_bp is None:
            return "—"
        return f"{Decimal(self.ratio_bp) / 100:.2f}"


def _outstanding(loan: Loan) -> int:
    return max(loan.disbursed_yuan - loan.repaid_yuan, 0)


def _state(session: Session, pool: RiskPool) -> PoolState:
    rows = list(session.scalars(sa.select(Loan).where(Loan.pool_id == pool.id)))
    outstanding = sum(_outstanding(r) for r in rows)
    bad = sum(_outstanding(r) for r in rows if r.status == "default")
    paid = session.execute(
        sa.select(Compensation.status, sa.func.coalesce(sa.func.sum(Compensation.amount_yuan), 0))
        .where(Compensation.pool_id == pool.id)
        .group_by(Compensation.status)
    ).all()
    sums = {status: int(total) for status, total in paid}
    ratio = None
    if outstanding > 0:
        ratio = int(
            (Decimal(bad) * 10_000 / outstanding).to_integral_value(rounding="ROUND_HALF_UP")
        )
    return PoolState(
        pool, len(rows), outstanding, bad, sums.get("approved", 0), sums.get("proposed", 0), ratio
    )


def pools(session: Session, *, actor: Actor) -> list[PoolState]:
    """Every pool with its loans' balance, bad-loan ratio and level."""
    service.require_read(actor)
    return [_state(session, p) for p in session.scalars(sa.select(RiskPool).order_by(RiskPool.id))]


def pool_state(session: Session, *, actor: Actor, pool_id: int) -> PoolState:
    return _state(session, pool_or_raise(session, actor=actor, pool_id=pool_id))


# ---------------------------------------------------------------- loans


@dataclass(frozen=True)
class NewLoan:
    firm: str  # a registry firm: number, credit code or full name
    lender: str
    granted: str | Decimal | None
    disbursed: str | Decimal | None = None
    unit: str = "万元"
    product: str = ""
    pool_id: int | None = None
    granted_on: dt.date | None = None
    due_on: dt.date | None = None


def register(session: Session, *, actor: Actor, today: dt.date, data: NewLoan) -> Loan:
    """Register a loan to a firm of the zone (a pool past its stop threshold takes none)."""
    service.require_write(session, actor)
    text = data.firm.strip()
    found = enterprises.find_id(session, text=text) if text else None
    if found is None:
        raise InvalidInput(
            f"企业名录里没有“{text}”（请输入企业全称或统一社会信用代码）", field="firm", value=text
        )
    firm = read.get_or_raise(session, found)
    if not firm.in_zone:
        raise InvalidInput(
            f"企业“{firm.name}”不在园区内，不能登记园区贷款", field="firm", value=firm.name
        )
    lender = data.lender.strip()
    if not lender or len(lender) > 200:
        raise InvalidInput("请填写贷款银行", field="lender")
    granted = service.parse_money(
        data.granted, data.unit, field="granted", label="授信金额", min_wan=LOAN_MIN_WAN
    )
    if granted is None:
        raise InvalidInput(f"请填写授信金额（{data.unit}）", field="granted")
    check_not_yuan(granted, data.granted, data.unit, field="granted", label="授信金额")
    disbursed = (
        service.parse_money(
            data.disbursed, data.unit, field="disbursed", label="放款金额", min_wan=LOAN_MIN_WAN
        )
        or 0
    )
    if disbursed > granted:
        raise InvalidInput(
            f"放款金额 {service.show(disbursed, data.unit)} {data.unit}大于授信金额 "
            f"{service.show(granted, data.unit)} {data.unit}",
            field="disbursed",
        )
    day = data.granted_on or today
    if day > today:
        raise InvalidInput(f"授信日期 {day} 晚于今天", field="granted_on")
    if data.due_on is not None and data.due_on <= day:
        raise InvalidInput(f"到期日 {data.due_on} 应晚于授信日期 {day}", field="due_on")
    if data.pool_id is not None:
        state = pool_state(session, actor=actor, pool_id=data.pool_id)
        if state.level == "stop":
            raise Conflict(
                f"风险池“{state.pool.name}”不良率 {state.ratio}% 已达到暂停线 "
                f"{pct_of(state.pool.stop_bp)}%，暂停新增入池贷款",
                field="pool_id",
            )
    loan = Loan(
        enterprise_id=firm.id, firm_name=firm.name, lender=lender,
        product=data.product.strip()[:200], pool_id=data.pool_id, granted_yuan=granted,
        disbursed_yuan=disbursed, granted_on=day, due_on=data.due_on, created_by=actor.label,
    )  # fmt: skip
    session.add(loan)
    session.flush()
    return loan


def loan_or_raise(session: Session, *, actor: Actor, loan_id: int) -> Loan:
    service.require_read(actor)
    loan = session.get(Loan, loan_id)
    if loan is None:
        raise NotFound(f"没有编号为 {loan_id} 的贷款")
    return loan


def update(
    session: Session, *, actor: Actor, today: dt.date, loan_id: int, status: str,
    repaid: str | Decimal | None = None, disbursed: str | Decimal | None = None,
    unit: str = "万元",
) -> Loan:  # fmt: skip
    """Record repayments, further disbursement and the loan's state (正常, 逾期, 违约)."""
    service.require_write(session, actor)
    loan = loan_or_raise(session, actor=actor, loan_id=loan_id)
    if status not in STATUSES:
        raise InvalidInput(f"贷款状态应为：{'、'.join(STATUSES.values())}", field="status")
    if loan.status == "default" and status != "default":
        taken = session.scalar(sa.select(Compensation.id).where(Compensation.loan_id == loan.id))
        if taken is not None:
            raise Conflict("这笔贷款已申请风险补偿，不能改回正常或逾期")
    if disbursed is not None and str(disbursed).strip():
        amount = service.parse_money(
            disbursed, unit, field="disbursed", label="放款金额", min_wan=LOAN_MIN_WAN
        )
        if amount is not None and amount > loan.granted_yuan:
            raise InvalidInput("放款金额大于授信金额", field="disbursed")
        loan.disbursed_yuan = amount or loan.disbursed_yuan
    if repaid is not None and str(repaid).strip():
        back = service.parse_money(
            repaid, unit, field="repaid", label="已还金额", min_wan=LOAN_MIN_WAN
        )
        if back is not None and back > loan.disbursed_yuan:
            raise InvalidInput(
                f"已还金额 {service.show(back, unit)} {unit}大于放款金额 "
                f"{service.show(loan.disbursed_yuan, unit)} {unit}",
                field="repaid",
            )
        loan.repaid_yuan = back or 0
    if status != loan.status:
        loan.status, loan.status_on = status, today
    session.flush()
    return loan


def loans(session: Session, *, actor: Actor, pool_id: int | None = None) -> list[Loan]:
    service.require_read(actor)
    query = sa.select(Loan)
    if pool_id is not None:
        query = query.where(Loan.pool_id == pool_id)
    return list(session.scalars(query.order_by(Loan.granted_on.desc(), Loan.id.desc())))


def firm_loans(session: Session, *, actor: Actor, enterprise_id: int) -> list[Loan]:
    """A firm's loans: for its enterprise user, or finance staff."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        service.require_read(actor)
    query = sa.select(Loan).where(Loan.enterprise_id == enterprise_id)
    return list(session.scalars(query.order_by(Loan.granted_on.desc(), Loan.id.desc())))


# ---------------------------------------------------------------- compensation


def propose(session: Session, *, actor: Actor, loan_id: int) -> Compensation:
    """Propose the pool's compensation of a defaulted loan: its cover share of the outstanding
    balance, split by the government's and the bank's contributions."""
    service.require_write(session, actor)
    loan = loan_or_raise(session, actor=actor, loan_id=loan_id)
    if loan.status != "default":
        raise InvalidInput(f"贷款状态为“{STATUSES[loan.status]}”，只有违约贷款可以申请风险补偿")
    if loan.pool_id is None:
        raise InvalidInput("这笔贷款未纳入风险补偿资金池")
    if session.scalar(sa.select(Compensation.id).where(Compensation.loan_id == loan.id)):
        raise Conflict("这笔贷款已申请过风险补偿")
    state = pool_state(session, actor=actor, pool_id=loan.pool_id)
    pool = state.pool
    amount = _outstanding(loan) * pool.cover_pct // 100
    if amount <= 0:
        raise InvalidInput("这笔贷款没有未还余额，无需补偿")
    if amount > state.funds - state.proposed:
        raise Conflict(
            f"资金池“{pool.name}”余额 {service.show(state.funds - state.proposed, '万元')} 万元"
            f"不足以补偿 {service.show(amount, '万元')} 万元"
        )
    government = amount * pool.government_yuan // (pool.government_yuan + pool.bank_yuan)
    row = Compensation(
        pool_id=pool.id, loan_id=loan.id, amount_yuan=amount, government_yuan=government,
        bank_yuan=amount - government, proposed_by=actor.label,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def approve(
    session: Session, *, actor: Actor, today: dt.date, compensation_id: int
) -> Compensation:
    """Approve a proposed compensation: the finance office only."""
    actor.require(Permission.FINANCE_WRITE)
    service.require_read(actor)
    if not service.in_office(session, actor):
        raise PermissionDenied(APPROVE_ONLY)
    row = session.get(Compensation, compensation_id, with_for_update=True)
    if row is None:
        raise NotFound(f"没有编号为 {compensation_id} 的风险补偿申请")
    if row.status == "approved":
        raise Conflict(f"这笔补偿已于 {row.approved_on} 审批")
    row.status, row.approved_by, row.approved_on = "approved", actor.label, today
    session.flush()
    return row


def compensations(session: Session, *, actor: Actor) -> list[Compensation]:
    service.require_read(actor)
    query = sa.select(Compensation).order_by(Compensation.id.desc())
    return list(session.scalars(query))
