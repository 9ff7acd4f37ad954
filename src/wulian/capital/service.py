"""The fund matrix (基金矩阵): the service API of the capital package.

Funds (母基金, 子基金, 政府产业基金, 国有投资基金, 并购基金) take commitments from investors
(government, state-owned, social capital) and invest in registry firms and in 招商 projects of
the investment pipeline (a project a fund invests in counts for 以投促引). Staff with the finance
permission read everything; only the finance office (金融办, department code "finance") writes;
an enterprise user sees only the fund investments in and the loans of its own firm.

Money is whole 元 (integers), typed in 亿元 or 万元 and converted exactly. Leverage (撬动倍数) is
the total investment in the funded firms and projects divided by the government money put into
the funds (the definition is in docs/guide/capital.md; which investor kinds count as government
money and whether it is counted committed or paid-in is the matrix's configuration).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital.models import (
    CapitalConfig,
    Commitment,
    Fund,
    FundInvestment,
    FundManager,
    ListingCase,
    Loan,
)
from wulian.chains import service as chains
from wulian.core import audit, forms, xlsx
from wulian.core.auth.models import Department
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.enterprises import service as enterprises
from wulian.investment import service as investment

FINANCE_OFFICE = "finance"  # the department code of 金融办
STAFF_ONLY = "资金链数据只对园区工作人员开放；企业请在“我的融资”查看本企业的数据"
OFFICE_ONLY = "只有金融办的工作人员可以登记或修改资金链数据"

FUND_KINDS: dict[str, str] = {
    "mother": "母基金",
    "sub": "子基金",
    "industry": "政府产业基金",
    "state": "国有投资基金",
    "ma": "并购基金",
}
INVESTOR_KINDS: dict[str, str] = {
    "government": "政府出资",
    "state_owned": "国有资本",
    "social": "社会资本",
}
BASES: dict[str, str] = {"paid_in": "按实缴计", "committed": "按认缴计"}

YUAN = {"亿元": 100_000_000, "万元": 10_000}
# An amount this large in 亿元 (1 万亿) was surely typed in 万元; this small in 万元 (under 10万)
# was surely typed in 亿元: both are off by 10⁴ and refused with the other reading.
SUSPECT_YI = Decimal(10_000)
SUSPECT_WAN = Decimal(10)


# ---------------------------------------------------------------- money


def parse_money(
    text: str | Decimal | int | None,
    unit: str,
    *,
    field: str,
    label: str,
    min_wan: Decimal = SUSPECT_WAN,
) -> int | None:
    """An amount typed in unit (亿元 or 万元) as whole 元; None when nothing is typed. Refuses what
    is not a positive number, finer than 1 元, or off by 10⁴ for its unit."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    if unit not in YUAN:
        raise InvalidInput(f"金额单位应为亿元或万元，不能是“{unit}”", field=field, value=unit)
    # full-width digits and points from a Chinese input method read as the ASCII ones
    raw = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "")
    if isinstance(text, str):  # typed: a plain decimal, perhaps followed by the field's unit
        raw = forms.typed_amount(raw, text, unit, field=field, label=label)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(
            f"{label}“{text}”不是数字（单位：{unit}）", field=field, value=str(text)
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{label}应大于 0（{unit}）", field=field, value=str(text))
    if unit == "亿元" and value >= SUSPECT_YI:
        other = show(int(value * YUAN["万元"]), "亿元")
        raise InvalidInput(
            f"{label}“{text}”亿元超过 1 万亿元，疑似按万元填写（按万元即 {other} 亿元），"
            "请核对单位",
            field=field, value=str(text), unit_suspect=True,
        )  # fmt: skip
    if unit == "万元" and value < min_wan:
        other = show(int(value * YUAN["亿元"]), "万元")
        raise InvalidInput(
            f"{label}“{text}”万元不足 {min_wan} 万元，疑似按亿元填写（按亿元即 {other} 万元），"
            "请核对单位",
            field=field, value=str(text), unit_suspect=True,
        )  # fmt: skip
    yuan = value * YUAN[unit]
    if yuan != yuan.to_integral_value():
        raise InvalidInput(f"{label}“{text}”{unit}精确到 1 元即可", field=field, value=str(text))
    return int(yuan)


def show(yuan: int | None, unit: str = "亿元") -> str:
    """元 shown exactly in unit (12.5, 0.035, 155); empty when unknown."""
    if yuan is None:
        return ""
    value = Decimal(yuan) / YUAN[unit]
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def grouped(yuan: int | None, unit: str = "万元") -> str:
    """元 shown exactly in unit with thousands separators (12,500, 1,234.5); empty when unknown."""
    text = show(yuan, unit)
    if not text:
        return text
    whole, dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}{dot}{fraction}"


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """numerator ÷ denominator to 2 decimals; None when the denominator is 0 (unknown, not 0)."""
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.01"))


# ---------------------------------------------------------------- access


def require_read(actor: Actor) -> None:
    """Staff with the finance permission; never an enterprise user."""
    if actor.enterprise_id is not None:
        raise PermissionDenied(STAFF_ONLY)
    actor.require(Permission.FINANCE_READ)


def in_office(session: Session, actor: Actor) -> bool:
    """Whether actor works in the finance office (or answers for all: administrators, system)."""
    if actor.answers_for_all:
        return True
    if actor.department_id is None or actor.enterprise_id is not None:
        return False
    department = session.get(Department, actor.department_id)
    return department is not None and department.code == FINANCE_OFFICE


def may_write(session: Session, actor: Actor) -> bool:
    return actor.has(Permission.FINANCE_WRITE) and in_office(session, actor)


def require_write(session: Session, actor: Actor) -> None:
    actor.require(Permission.FINANCE_WRITE)
    require_read(actor)
    if not in_office(session, actor):
        raise PermissionDenied(OFFICE_ONLY)


def refused(
    session: Session, *, actor: Actor, object_type: str, object_id: int | None, attempt: str,
    error: WulianError,
) -> None:  # fmt: skip
    """Roll back a write that failed and record the attempt (who tried what), on its own."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="capital.refused", object_type=object_type, object_id=object_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()


# ---------------------------------------------------------------- configuration


def config(session: Session) -> CapitalConfig:
    found = session.get(CapitalConfig, 1)
    if found is None:  # a database made from the models rather than the migrations
        found = CapitalConfig(id=1, government_kinds=["government"], leverage_base="paid_in")
        session.add(found)
        session.flush()
    return found


def update_config(
    session: Session, *, actor: Actor, government_kinds: Sequence[str], leverage_base: str
) -> CapitalConfig:
    """Which investor kinds count as government money, counted committed or paid-in."""
    actor.require(Permission.FINANCE_ADMIN)
    require_read(actor)
    kinds = list(dict.fromkeys(k for k in government_kinds if k))
    unknown = [k for k in kinds if k not in INVESTOR_KINDS]
    if unknown:
        raise InvalidInput(f"没有“{unknown[0]}”这种出资人类型", field="government_kinds")
    if not kinds:
        raise InvalidInput("请至少选择一种计为政府资金的出资人类型", field="government_kinds")
    if leverage_base not in BASES:
        raise InvalidInput(f"没有“{leverage_base}”这种口径", field="leverage_base")
    found = config(session)
    found.government_kinds, found.leverage_base = kinds, leverage_base
    found.updated_by, found.updated_at = actor.label, utcnow()
    session.flush()
    return found


# ---------------------------------------------------------------- funds


@dataclass(frozen=True)
class NewFund:
    name: str
    kind: str
    parent: str = ""  # the parent fund's name or number
    manager: str = ""  # the manager's name (created when new)
    chain: str = ""
    reinvest_pct: str | int | None = None
    established_on: dt.date | None = None
    note: str = ""


def fund_or_raise(session: Session, *, actor: Actor, fund_id: int) -> Fund:
    require_read(actor)
    fund = session.get(Fund, fund_id)
    if fund is None:
        raise NotFound(f"没有编号为 {fund_id} 的基金")
    return fund


def find_fund(session: Session, text: str) -> Fund | None:
    """A fund by its number or its full name."""
    text = text.strip()
    if text.isdigit():
        return session.get(Fund, int(text))
    return session.scalar(sa.select(Fund).where(Fund.name == text))


def funds(session: Session, *, actor: Actor) -> list[Fund]:
    require_read(actor)
    return list(session.scalars(sa.select(Fund).order_by(Fund.parent_id.is_not(None), Fund.id)))


def managers(session: Session, *, actor: Actor) -> dict[int, str]:
    require_read(actor)
    return dict(session.execute(sa.select(FundManager.id, FundManager.name)).all())


def create_fund(session: Session, *, actor: Actor, data: NewFund) -> Fund:
    """Enter a fund of the matrix, checked in full."""
    require_write(session, actor)
    name = data.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("基金名称不能为空，且不超过 200 个字", field="name")
    if session.scalar(sa.select(Fund.id).where(Fund.name == name)) is not None:
        raise Conflict(f"已有名为“{name}”的基金", field="name")
    if data.kind not in FUND_KINDS:
        raise InvalidInput(
            f"基金类型应为：{'、'.join(FUND_KINDS.values())}", field="kind", value=data.kind
        )
    parent_id = None
    if data.parent.strip():
        parent = find_fund(session, data.parent)
        if parent is None:
            raise InvalidInput(f"没有名为“{data.parent.strip()}”的基金", field="parent")
        parent_id = parent.id
    if data.kind == "sub" and parent_id is None:
        raise InvalidInput("子基金须填写其母基金", field="parent")
    pct: int | None = None
    if data.reinvest_pct is not None and str(data.reinvest_pct).strip():
        text = str(data.reinvest_pct).strip().rstrip("%％")
        if not text.isdigit() or not 0 <= int(text) <= 1000:
            raise InvalidInput(
                f"返投比例“{data.reinvest_pct}”应为 0–1000 之间的整数（占认缴规模的百分比）",
                field="reinvest_pct", value=str(data.reinvest_pct),
            )  # fmt: skip
        pct = int(text)
    chain, _ = chains.checked_position(session, actor=actor, chain=data.chain)
    manager_id = None
    if data.manager.strip():
        manager_name = data.manager.strip()[:200]
        manager = session.scalar(sa.select(FundManager).where(FundManager.name == manager_name))
        if manager is None:
            manager = FundManager(name=manager_name)
            session.add(manager)
            session.flush()
        manager_id = manager.id
    fund = Fund(
        name=name, kind=data.kind, parent_id=parent_id, manager_id=manager_id, chain=chain,
        reinvest_pct=pct, established_on=data.established_on, note=data.note.strip()[:2000],
        created_by=actor.label,
    )  # fmt: skip
    session.add(fund)
    session.flush()
    return fund


# ---------------------------------------------------------------- commitments


def commitments(session: Session, *, actor: Actor, fund_id: int | None = None) -> list[Commitment]:
    require_read(actor)
    query = sa.select(Commitment)
    if fund_id is not None:
        query = query.where(Commitment.fund_id == fund_id)
    return list(session.scalars(query.order_by(Commitment.fund_id, Commitment.id)))


def _fund_totals(session: Session, fund_id: int) -> tuple[int, int, int]:
    """A fund's committed size, what it has invested and what it has committed to sub-funds."""
    committed = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Commitment.committed_yuan), 0)).where(
            Commitment.fund_id == fund_id
        )
    )
    invested = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(FundInvestment.amount_yuan), 0)).where(
            FundInvestment.fund_id == fund_id
        )
    )
    onward = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Commitment.committed_yuan), 0)).where(
            Commitment.investor_fund_id == fund_id
        )
    )
    return int(committed or 0), int(invested or 0), int(onward or 0)


def remaining(session: Session, fund_id: int) -> int:
    """What a fund may still invest: its committed size less its investments and its own
    commitments to sub-funds (元)."""
    committed, invested, onward = _fund_totals(session, fund_id)
    return committed - invested - onward


def _over(session: Session, fund: Fund, amount: int, unit: str, what: str) -> None:
    committed, invested, onward = _fund_totals(session, fund.id)
    left = committed - invested - onward
    if amount > left:
        raise InvalidInput(
            f"{what} {show(amount, unit)} {unit}超过基金“{fund.name}”的剩余认缴额 "
            f"{show(max(left, 0), unit)} {unit}（认缴 {show(committed, unit)} {unit}，已投资 "
            f"{show(invested, unit)} {unit}，已认缴子基金 {show(onward, unit)} {unit}）",
            field="amount",
        )


def add_commitment(
    session: Session, *, actor: Actor, fund_id: int, investor: str, investor_kind: str,
    committed: str | Decimal | None, paid_in: str | Decimal | None = None, unit: str = "亿元",
    committed_on: dt.date | None = None,
) -> Commitment:  # fmt: skip
    """Record an investor's commitment to a fund; an investor that is a fund of the matrix (a
    mother fund in its sub-fund) commits from its own remaining commitment."""
    require_write(session, actor)
    fund = fund_or_raise(session, actor=actor, fund_id=fund_id)
    investor = investor.strip()
    if not investor or len(investor) > 200:
        raise InvalidInput("出资人名称不能为空，且不超过 200 个字", field="investor")
    if investor_kind not in INVESTOR_KINDS:
        raise InvalidInput(
            f"出资人类型应为：{'、'.join(INVESTOR_KINDS.values())}", field="investor_kind",
            value=investor_kind,
        )  # fmt: skip
    amount = parse_money(committed, unit, field="committed", label="认缴金额")
    if amount is None:
        raise InvalidInput(f"请填写认缴金额（{unit}）", field="committed")
    paid = parse_money(paid_in, unit, field="paid_in", label="实缴金额") or 0
    if paid > amount:
        raise InvalidInput(
            f"实缴金额 {show(paid, unit)} {unit}大于认缴金额 {show(amount, unit)} {unit}",
            field="paid_in",
        )
    source = find_fund(session, investor)
    if source is not None:
        if source.id == fund.id:
            raise InvalidInput("基金不能认缴自己", field="investor")
        _over(session, source, amount, unit, "认缴金额")
    row = Commitment(
        fund_id=fund.id, investor=investor, investor_kind=investor_kind,
        investor_fund_id=source.id if source else None, committed_yuan=amount, paid_in_yuan=paid,
        committed_on=committed_on, created_by=actor.label,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def pay_in(
    session: Session,
    *,
    actor: Actor,
    commitment_id: int,
    paid_in: str | Decimal,
    unit: str = "亿元",
) -> Commitment:
    """Set what an investor has paid in so far (never more than it committed)."""
    require_write(session, actor)
    row = session.get(Commitment, commitment_id)
    if row is None:
        raise NotFound(f"没有编号为 {commitment_id} 的认缴记录")
    paid = parse_money(paid_in, unit, field="paid_in", label="实缴金额")
    if paid is None:
        raise InvalidInput(f"请填写实缴金额（{unit}）", field="paid_in")
    if paid > row.committed_yuan:
        raise InvalidInput(
            f"实缴金额 {show(paid, unit)} {unit}大于认缴金额 "
            f"{show(row.committed_yuan, unit)} {unit}",
            field="paid_in",
        )
    row.paid_in_yuan = paid
    session.flush()
    return row


# ---------------------------------------------------------------- investments


@dataclass(frozen=True)
class NewInvestment:
    """A fund's investment as the form or a ledger row says it; amounts are text in unit."""

    fund: str  # the fund's number or name
    amount: str | Decimal | None
    unit: str = "亿元"
    firm: str = ""  # a registry firm: number, credit code or full name
    project_id: int | None = None  # or a 招商 project of the pipeline
    round_total: str | Decimal | None = None  # the whole round's (or project's) investment
    invested_on: dt.date | None = None
    chain: str = ""
    node: str = ""
    note: str = ""


def invest(
    session: Session, *, actor: Actor, today: dt.date, data: NewInvestment
) -> FundInvestment:
    """Record a fund's investment in a firm or a 招商 project, within its remaining commitment."""
    require_write(session, actor)
    fund = find_fund(session, data.fund) if data.fund.strip() else None
    if fund is None:
        raise InvalidInput(f"没有名为“{data.fund.strip()}”的基金", field="fund", value=data.fund)
    amount = parse_money(data.amount, data.unit, field="amount", label="投资金额")
    if amount is None:
        raise InvalidInput(f"请填写投资金额（{data.unit}）", field="amount")
    total = parse_money(data.round_total, data.unit, field="round_total", label="本轮融资总额")
    if total is not None and total < amount:
        raise InvalidInput(
            f"本轮融资总额 {show(total, data.unit)} {data.unit}小于本基金的投资金额",
            field="round_total",
        )
    day = data.invested_on or today
    if day > today:
        raise InvalidInput(f"投资日期 {day} 晚于今天", field="invested_on")
    firm_text = data.firm.strip()
    if bool(firm_text) == (data.project_id is not None):
        raise InvalidInput(
            "请选择投资对象：名录中的企业，或招商项目库中的项目（二选一）", field="firm"
        )
    enterprise_id = project_id = None
    if data.project_id is not None:
        project = investment.project_facts(session, [data.project_id]).get(data.project_id)
        if project is None:
            raise InvalidInput(
                f"招商项目库中没有编号为 {data.project_id} 的项目", field="project_id",
                value=str(data.project_id),
            )  # fmt: skip
        project_id, name, local = project.id, project.name, True
        chain, node = project.chain, project.node
        if total is None:
            total = project.amount_wan * YUAN["万元"]
        if total < amount:
            raise InvalidInput(
                f"投资金额大于项目“{project.name}”的总投资 "
                f"{investment.yi(project.amount_wan)} 亿元",
                field="amount",
            )
    else:
        found = enterprises.find_id(session, text=firm_text)
        if found is None:
            raise InvalidInput(
                f"企业名录里没有“{firm_text}”（请输入企业全称或统一社会信用代码）", field="firm",
                value=firm_text,
            )  # fmt: skip
        record = read.get_or_raise(session, found)
        enterprise_id, name, local = record.id, record.name, record.in_zone
        chain, node = chains.chain_of(session, enterprise_id=record.id), None
    if data.chain.strip():
        chain, node = chains.checked_position(
            session, actor=actor, chain=data.chain, node=data.node
        )
    _over(session, fund, amount, data.unit, "投资金额")
    row = FundInvestment(
        fund_id=fund.id, enterprise_id=enterprise_id, project_id=project_id, target_name=name,
        local=local, amount_yuan=amount, round_total_yuan=total, invested_on=day, chain=chain,
        node=node, note=data.note.strip()[:2000], created_by=actor.label,
    )  # fmt: skip
    session.add(row)
    session.flush()
    return row


def investment_or_raise(session: Session, *, actor: Actor, investment_id: int) -> FundInvestment:
    require_read(actor)
    row = session.get(FundInvestment, investment_id)
    if row is None:
        raise NotFound(f"没有编号为 {investment_id} 的基金投资")
    return row


def value(
    session: Session, *, actor: Actor, today: dt.date, investment_id: int,
    valuation: str | Decimal, unit: str = "亿元", on: dt.date | None = None,
) -> FundInvestment:  # fmt: skip
    """Record a holding's latest valuation (估值)."""
    require_write(session, actor)
    row = investment_or_raise(session, actor=actor, investment_id=investment_id)
    amount = parse_money(valuation, unit, field="valuation", label="估值")
    if amount is None:
        raise InvalidInput(f"请填写估值（{unit}）", field="valuation")
    day = on or today
    if day > today or day < row.invested_on:
        raise InvalidInput(f"估值日期 {day} 应在投资日期与今天之间", field="valued_on")
    row.valuation_yuan, row.valued_on = amount, day
    session.flush()
    return row


def exit_investment(
    session: Session, *, actor: Actor, today: dt.date, investment_id: int,
    proceeds: str | Decimal, unit: str = "亿元", on: dt.date | None = None,
) -> FundInvestment:  # fmt: skip
    """Record a holding's exit (退出) and what it returned."""
    require_write(session, actor)
    row = investment_or_raise(session, actor=actor, investment_id=investment_id)
    if row.exited_on is not None:
        raise Conflict(f"对“{row.target_name}”的投资已于 {row.exited_on} 退出")
    amount = parse_money(proceeds, unit, field="exit", label="退出金额")
    if amount is None:
        raise InvalidInput(f"请填写退出金额（{unit}）", field="exit")
    day = on or today
    if day > today or day < row.invested_on:
        raise InvalidInput(f"退出日期 {day} 应在投资日期与今天之间", field="exited_on")
    row.exit_yuan, row.exited_on = amount, day
    session.flush()
    return row


def investments(
    session: Session, *, actor: Actor, fund_ids: Iterable[int] | None = None
) -> list[FundInvestment]:
    require_read(actor)
    query = sa.select(FundInvestment)
    if fund_ids is not None:
        query = query.where(FundInvestment.fund_id.in_(sorted(set(fund_ids))))
    return list(
        session.scalars(query.order_by(FundInvestment.invested_on.desc(), FundInvestment.id))
    )


# ---------------------------------------------------------------- figures


@dataclass
class Figures:
    """Committed and paid-in size, government money, invested, leverage and 返投 of a set of funds
    (a fund with its sub-funds, or the matrix). Money in 元."""

    committed: int = 0
    paid_in: int = 0
    government: int = 0  # as configured: the kinds counted, committed or paid-in
    invested: int = 0
    held: int = 0  # invested, not yet exited
    leveraged: int = 0  # total investment in the funded firms and projects
    unknown_rounds: int = 0  # firm investments without the round's total (own amount counted)
    reinvest_required: int | None = None  # None: no requirement known
    reinvest_done: int = 0
    investments: int = 0
    projects: int = 0  # 以投促引: distinct 招商 projects invested in
    projects_total: int = 0
    remaining: int = 0

    @property
    def leverage(self) -> Decimal | None:
        return ratio(self.leveraged, self.government)

    @property
    def reinvest_share(self) -> Decimal | None:
        if self.reinvest_required is None:
            return None
        return ratio(self.reinvest_done * 100, self.reinvest_required)


@dataclass(frozen=True)
class ChainRow:
    chain: str | None
    node: str | None
    count: int
    invested: int
    leveraged: int


@dataclass
class Matrix:
    funds: list[Fund]
    per_fund: dict[int, Figures]  # each fund with its sub-funds
    own: dict[int, Figures]  # each fund alone
    total: Figures
    by_chain: list[ChainRow]
    government_kinds: list[str]
    base: str
    chain_names: dict[str, str] = field(default_factory=dict)
    node_names: dict[tuple[str, str], str] = field(default_factory=dict)


def _subtree(funds: list[Fund], root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for f in funds:
        if f.parent_id is not None:
            children.setdefault(f.parent_id, []).append(f.id)
    out, todo = set(), [root]
    while todo:
        here = todo.pop()
        if here in out:
            continue
        out.add(here)
        todo.extend(children.get(here, []))
    return out


@dataclass
class _Book:
    """Commitments and investments grouped by fund, read once for every fund's figures."""

    commits: dict[int, list[Commitment]] = field(default_factory=dict)  # by the fund committed to
    onward: dict[int, list[Commitment]] = field(default_factory=dict)  # by the investing fund
    rows: dict[int, list[FundInvestment]] = field(default_factory=dict)  # by the investing fund

    @classmethod
    def of(cls, commits: Iterable[Commitment], rows: Iterable[FundInvestment]) -> _Book:
        book = cls()
        for c in commits:
            book.commits.setdefault(c.fund_id, []).append(c)
            if c.investor_fund_id is not None:
                book.onward.setdefault(c.investor_fund_id, []).append(c)
        for r in rows:
            book.rows.setdefault(r.fund_id, []).append(r)
        return book


def _figures(
    ids: set[int], book: _Book, projects: dict[int, investment.ProjectFacts], kinds: set[str],
    base: str, pct: dict[int, int | None],
) -> Figures:  # fmt: skip
    """The figures of the funds ids as one whole: money flowing between them is not counted twice
    (a commitment from a fund inside is neither size nor government money of the whole)."""
    out = Figures()
    inside = [c for f in ids for c in book.commits.get(f, [])]
    outside = [c for c in inside if c.investor_fund_id not in ids]
    out.committed = sum(c.committed_yuan for c in outside)
    out.paid_in = sum(c.paid_in_yuan for c in outside)
    out.government = sum(
        c.paid_in_yuan if base == "paid_in" else c.committed_yuan
        for c in outside
        if c.investor_kind in kinds
    )
    mine = [r for f in sorted(ids) for r in book.rows.get(f, [])]
    out.investments = len(mine)
    out.invested = sum(r.amount_yuan for r in mine)
    out.held = sum(r.amount_yuan for r in mine if r.exited_on is None)
    out.reinvest_done = sum(r.amount_yuan for r in mine if r.local)
    seen: set[int] = set()
    for r in mine:
        if r.project_id is not None:
            if r.project_id in seen:
                continue
            seen.add(r.project_id)
            facts = projects.get(r.project_id)
            total = (
                facts.amount_wan * YUAN["万元"] if facts else (r.round_total_yuan or r.amount_yuan)
            )
            out.leveraged += total
            out.projects_total += total
        elif r.round_total_yuan is not None:
            out.leveraged += r.round_total_yuan
        else:
            out.leveraged += r.amount_yuan
            out.unknown_rounds += 1
    out.projects = len(seen)
    required = [
        sum(c.committed_yuan for c in book.commits.get(f, [])) * p // 100
        for f in ids
        if (p := pct.get(f)) is not None
    ]
    out.reinvest_required = sum(required) if required else None
    own_commit = sum(c.committed_yuan for c in inside)
    onward = sum(c.committed_yuan for f in ids for c in book.onward.get(f, []))
    out.remaining = own_commit - out.invested - onward
    return out


def matrix(session: Session, *, actor: Actor) -> Matrix:
    """Every fund's figures (with its sub-funds, and alone), the matrix's, and by chain and node."""
    require_read(actor)
    conf = config(session)
    kinds, base = set(conf.government_kinds), conf.leverage_base
    all_funds = list(session.scalars(sa.select(Fund).order_by(Fund.id)))
    commits = list(session.scalars(sa.select(Commitment)))
    rows = list(session.scalars(sa.select(FundInvestment)))
    projects = investment.project_facts(session, [r.project_id for r in rows if r.project_id])
    pct = {f.id: f.reinvest_pct for f in all_funds}
    book = _Book.of(commits, rows)
    per_fund, own = {}, {}
    for f in all_funds:
        per_fund[f.id] = _figures(_subtree(all_funds, f.id), book, projects, kinds, base, pct)
        own[f.id] = _figures({f.id}, book, projects, kinds, base, pct)
    total = _figures({f.id for f in all_funds}, book, projects, kinds, base, pct)
    groups: dict[tuple[str | None, str | None], list[FundInvestment]] = {}
    for r in rows:
        groups.setdefault((r.chain, r.node), []).append(r)
    by_chain = []
    for (chain, node), items in sorted(
        groups.items(), key=lambda kv: (kv[0][0] or "~", kv[0][1] or "~")
    ):
        seen: set[int] = set()
        lev = 0
        for r in items:
            if r.project_id is not None:
                if r.project_id in seen:
                    continue
                seen.add(r.project_id)
                facts = projects.get(r.project_id)
                lev += facts.amount_wan * YUAN["万元"] if facts else r.amount_yuan
            else:
                lev += r.round_total_yuan or r.amount_yuan
        by_chain.append(ChainRow(chain, node, len(items), sum(r.amount_yuan for r in items), lev))
    ordered = _tree_order(all_funds)
    names = chains.chain_names(session)
    nodes: dict[tuple[str, str], str] = {}
    if actor.has(Permission.ENTERPRISES_READ) or actor.kind == "system":
        for c in chains.chains(session, actor=actor):
            nodes |= {(c.spec.id, n.key): n.name for n in c.spec.nodes}
    return Matrix(ordered, per_fund, own, total, by_chain, sorted(kinds), base, names, nodes)


def _tree_order(all_funds: list[Fund]) -> list[Fund]:
    by_parent: dict[int | None, list[Fund]] = {}
    known = {f.id for f in all_funds}
    for f in all_funds:
        by_parent.setdefault(f.parent_id if f.parent_id in known else None, []).append(f)
    out: list[Fund] = []

    def walk(parent: int | None) -> None:
        for f in by_parent.get(parent, []):
            out.append(f)
            walk(f.id)

    walk(None)
    return out


def depth(all_funds: Sequence[Fund], fund: Fund) -> int:
    parents = {f.id: f.parent_id for f in all_funds}
    level, here = 0, fund.parent_id
    while here is not None and level < 10:
        level, here = level + 1, parents.get(here)
    return level


# ---------------------------------------------------------------- a firm's own view


@dataclass(frozen=True)
class FirmCapital:
    """What a firm sees of the fund matrix: the fund investments in it."""

    name: str
    investments: list[FundInvestment]
    fund_names: dict[int, str]


def firm_capital(session: Session, *, actor: Actor, enterprise_id: int) -> FirmCapital:
    """The fund investments in a firm: for its enterprise user, or finance staff."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        require_read(actor)
    record = read.get_or_raise(session, enterprise_id)
    rows = list(
        session.scalars(
            sa.select(FundInvestment)
            .where(FundInvestment.enterprise_id == enterprise_id)
            .order_by(FundInvestment.invested_on.desc(), FundInvestment.id)
        )
    )
    names = dict(session.execute(sa.select(Fund.id, Fund.name)).all())
    return FirmCapital(record.name, rows, names)


# ---------------------------------------------------------------- export


def export_xlsx(session: Session, *, actor: Actor) -> bytes:
    """The matrix as a workbook: funds with their figures, and every investment (amounts in 万元,
    exact)."""
    m = matrix(session, actor=actor)
    names = {f.id: f.name for f in m.funds}
    owners = managers(session, actor=actor)

    def wan(yuan: int | None) -> int | float | None:
        if yuan is None:
            return None
        value = Decimal(yuan) / YUAN["万元"]
        return int(value) if value == value.to_integral_value() else float(value)

    book = xlsx.ListWorkbook()
    book.table(
        "基金矩阵",
        headers=[
            "基金名称", "类型", "母基金", "管理人", "认缴规模（万元）", "实缴规模（万元）",
            "政府资金（万元）", "已投资（万元）", "剩余可投（万元）",
            "撬动投资总额（含子基金，万元）", "撬动倍数（含子基金）", "返投要求（万元）",
            "已返投（万元）", "返投完成率（%）",
        ],
        rows=[
            [
                f.name, FUND_KINDS.get(f.kind, f.kind), names.get(f.parent_id or 0, ""),
                owners.get(f.manager_id or 0, ""), wan(own.committed), wan(own.paid_in),
                wan(own.government), wan(own.invested), wan(own.remaining),
                wan(tree.leveraged), _num(tree.leverage), wan(own.reinvest_required),
                wan(own.reinvest_done), _num(own.reinvest_share),
            ]
            for f in m.funds
            for own, tree in [(m.own[f.id], m.per_fund[f.id])]
        ],
        widths=[30, 12, 24, 24, 14, 14, 14, 14, 14, 16, 10, 14, 14, 12],
        frozen_columns=1,
    )  # fmt: skip
    rows = investments(session, actor=actor)
    book.table(
        "基金投资",
        headers=[
            "基金名称", "投资对象", "对象类型", "投资金额（万元）", "本轮融资总额（万元）",
            "投资日期", "产业链", "环节", "园区内", "估值（万元）", "估值日期", "退出日期",
            "退出金额（万元）", "备注",
        ],
        rows=[
            [
                names.get(r.fund_id, ""), r.target_name,
                "招商项目" if r.project_id is not None else "企业", wan(r.amount_yuan),
                wan(r.round_total_yuan), r.invested_on,
                m.chain_names.get(r.chain or "", r.chain or ""),
                m.node_names.get((r.chain or "", r.node or ""), r.node or ""),
                "是" if r.local else "否", wan(r.valuation_yuan), r.valued_on, r.exited_on,
                wan(r.exit_yuan), r.note,
            ]
            for r in rows
        ],
        widths=[30, 30, 10, 14, 16, 12, 14, 16, 8, 14, 12, 12, 14, 30],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def project_choices(session: Session, *, actor: Actor) -> list[investment.ProjectFacts]:
    """The 招商 projects a fund may invest in, for the investment form."""
    require_read(actor)
    return investment.project_choices(session)


# ---------------------------------------------------------------- capital on each chain


MEMBERS_LIMIT = 200_000  # a chain's counted memberships read at once
# the listing pipeline's stages of a firm quoted on 新三板 (挂牌, 创新层, and on its way to 北交所)
QUOTED_STAGES = ("neeq", "neeq_innovation", "bse_tutoring", "bse_filing", "bse_review",
                 "bse_registered")  # fmt: skip


@dataclass
class NodeCapital:
    """A chain's (or one node's) capital: fund investments booked on it, loans of its firms, its
    firms in the listing pipeline. Money in whole 元."""

    node: str | None  # the node's key; None: the chain as a whole, or investments without a node
    name: str
    investments: int = 0
    invested: int = 0
    loan_firms: int = 0
    granted: int = 0  # 授信
    outstanding: int = 0  # disbursed and not repaid
    bad: int = 0  # outstanding on overdue or defaulted loans
    listed: int = 0  # 上市
    quoted: int = 0  # 新三板挂牌 (also on the way to 北交所)
    reserve: int = 0  # in the pipeline before listing (后备 to 注册)

    @property
    def empty(self) -> bool:
        return not (self.investments or self.loan_firms or self.listed or self.quoted
                    or self.reserve)  # fmt: skip


@dataclass
class ChainCapital:
    chain: str
    name: str
    total: NodeCapital
    nodes: list[NodeCapital]  # only nodes with something, in the chain's order


def _add_firm(target: NodeCapital, loans_of: list[Loan], stage: str | None) -> None:
    if loans_of:
        target.loan_firms += 1
        for loan in loans_of:
            left = max(loan.disbursed_yuan - loan.repaid_yuan, 0)
            target.granted += loan.granted_yuan
            target.outstanding += left
            if loan.status in ("overdue", "default"):
                target.bad += left
    if stage == "listed":
        target.listed += 1
    elif stage in QUOTED_STAGES:
        target.quoted += 1
    elif stage is not None:
        target.reserve += 1


def chain_capital(
    session: Session, *, actor: Actor, chain: str | None = None, year: int | None = None
) -> list[ChainCapital]:  # year: the chain page's; the figures are as they stand today
    """Capital by chain and node (one chain when given, else every chain of the atlas), for the
    chains' pages and the cockpit: fund investments booked on the chain and node, loans and
    listing stages of the firms counted on it (a firm on two nodes counts on each node, once for
    the chain). Staff with the finance permission."""
    require_read(actor)
    atlas = [c for c in chains.chains(session, actor=actor) if chain in (None, c.spec.id)]
    if chain is not None and not atlas:
        raise NotFound(f"没有产业链“{chain}”")
    codes = [c.spec.id for c in atlas]
    rows = list(session.scalars(sa.select(FundInvestment).where(FundInvestment.chain.in_(codes))))
    loans_by_firm: dict[int, list[Loan]] = {}
    for loan in session.scalars(sa.select(Loan).order_by(Loan.id)):
        loans_by_firm.setdefault(loan.enterprise_id, []).append(loan)
    listed = sa.select(ListingCase.enterprise_id, ListingCase.stage)
    stages: dict[int, str] = {int(row[0]): str(row[1]) for row in session.execute(listed)}
    out = []
    for c in atlas:
        names = {n.key: n.name for n in c.spec.nodes}
        total = NodeCapital(None, c.spec.name)
        nodes = {key: NodeCapital(key, name) for key, name in names.items()}
        loose = NodeCapital(None, "未指定环节")
        for r in rows:
            if r.chain != c.spec.id:
                continue
            for target in (total, nodes.get(r.node or "", loose)):
                target.investments += 1
                target.invested += r.amount_yuan
        members = chains.memberships(
            session, actor=actor, filters=chains.Filters(chain=c.spec.id, sort="firm"),
            per_page=MEMBERS_LIMIT,
        ).items  # fmt: skip
        seen: set[int] = set()
        for firm, node in ((m.enterprise_id, m.node) for m in members):
            loans_of, stage = loans_by_firm.get(firm, []), stages.get(firm)
            if not loans_of and stage is None:
                continue
            if node in nodes:
                _add_firm(nodes[node], loans_of, stage)
            if firm not in seen:
                seen.add(firm)
                _add_firm(total, loans_of, stage)
        shown = [n for n in nodes.values() if not n.empty] + ([loose] if not loose.empty else [])
        out.append(ChainCapital(c.spec.id, c.spec.name, total, shown))
    return out


@dataclass(frozen=True)
class Registers:
    """Whether the zone keeps each register the chains' capital is counted from: a register with
    nothing in it at all is not kept yet, and its figures are unknown (not 0)."""

    investments: bool  # fund investments booked on a chain
    loans: bool  # the loan register
    listings: bool  # the listing pipeline


def registers(session: Session, *, actor: Actor) -> Registers:
    """Which of the capital registers hold anything (for the cockpit: unknown is not zero).
    Staff with the finance permission."""
    require_read(actor)

    def kept(query: sa.Select[Any]) -> bool:
        return session.scalar(query.limit(1)) is not None

    return Registers(
        investments=kept(sa.select(FundInvestment.id).where(FundInvestment.chain.is_not(None))),
        loans=kept(sa.select(Loan.id)),
        listings=kept(sa.select(ListingCase.id)),
    )
