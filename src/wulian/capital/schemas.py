"""The capital chain's API shapes. Money goes out as whole 元 (integers) and as exact 亿元 text;
it comes in as decimal text with its unit (亿元 or 万元), never as floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from wulian.capital import events, loans, needs, service
from wulian.capital.knowledge import Graded
from wulian.capital.loans import PoolState
from wulian.capital.models import (
    FinancingNeed,
    FundInvestment,
    Loan,
    MatchEvent,
    MatchOutcome,
)
from wulian.capital.products import Plan


def _yi(yuan: int | None) -> str | None:
    return None if yuan is None else service.show(yuan, "亿元")


class FiguresOut(BaseModel):
    committed_yuan: int = Field(description="认缴规模（元）")
    paid_in_yuan: int = Field(description="实缴规模（元）")
    government_yuan: int = Field(description="政府资金（元，按配置的出资人类型与口径）")
    invested_yuan: int = Field(description="已投资（元）")
    held_yuan: int = Field(description="尚未退出的投资（元）")
    leveraged_yuan: int = Field(description="被投企业与项目的投资总额（元）")
    leveraged_yi: str = Field(description="被投企业与项目的投资总额（亿元，精确值）")
    leverage: Decimal | None = Field(description="撬动倍数（无政府资金时为空：未知，不是 0）")
    unknown_rounds: int = Field(description="未填本轮融资总额的企业投资笔数（按本基金出资计）")
    reinvest_required_yuan: int | None = Field(description="返投要求（元；无要求时为空）")
    reinvest_done_yuan: int = Field(description="已返投（元）")
    reinvest_share: Decimal | None = Field(description="返投完成率（%）")
    investments: int
    projects: int = Field(description="以投促引：投资的招商项目数")
    projects_total_yuan: int = Field(description="这些项目的总投资（元）")
    remaining_yuan: int = Field(description="剩余可投（元）")

    @classmethod
    def of(cls, f: service.Figures) -> FiguresOut:
        return cls(
            committed_yuan=f.committed, paid_in_yuan=f.paid_in, government_yuan=f.government,
            invested_yuan=f.invested, held_yuan=f.held, leveraged_yuan=f.leveraged,
            leveraged_yi=service.show(f.leveraged), leverage=f.leverage,
            unknown_rounds=f.unknown_rounds, reinvest_required_yuan=f.reinvest_required,
            reinvest_done_yuan=f.reinvest_done, reinvest_share=f.reinvest_share,
            investments=f.investments, projects=f.projects, projects_total_yuan=f.projects_total,
            remaining_yuan=f.remaining,
        )  # fmt: skip


class FundOut(BaseModel):
    id: int
    name: str
    kind: str = Field(
        description="类型：" + "，".join(f"{k} {v}" for k, v in service.FUND_KINDS.items())
    )
    parent_id: int | None
    reinvest_pct: int | None = Field(description="返投比例（占认缴规模的百分比）")
    own: FiguresOut = Field(description="本基金")
    with_sub_funds: FiguresOut = Field(description="含子基金")


class ChainRowOut(BaseModel):
    chain: str | None
    node: str | None
    count: int
    invested_yuan: int
    leveraged_yuan: int


class MatrixOut(BaseModel):
    government_kinds: list[str] = Field(description="计为政府资金的出资人类型")
    base: str = Field(description="政府资金口径：paid_in 实缴，committed 认缴")
    total: FiguresOut
    funds: list[FundOut]
    by_chain: list[ChainRowOut]

    @classmethod
    def of(cls, m: service.Matrix) -> MatrixOut:
        return cls(
            government_kinds=m.government_kinds,
            base=m.base,
            total=FiguresOut.of(m.total),
            funds=[
                FundOut(
                    id=f.id,
                    name=f.name,
                    kind=f.kind,
                    parent_id=f.parent_id,
                    reinvest_pct=f.reinvest_pct,
                    own=FiguresOut.of(m.own[f.id]),
                    with_sub_funds=FiguresOut.of(m.per_fund[f.id]),
                )
                for f in m.funds
            ],
            by_chain=[
                ChainRowOut(
                    chain=r.chain,
                    node=r.node,
                    count=r.count,
                    invested_yuan=r.invested,
                    leveraged_yuan=r.leveraged,
                )
                for r in m.by_chain
            ],
        )


class InvestmentOut(BaseModel):
    id: int
    fund_id: int
    enterprise_id: int | None = Field(description="名录中的被投企业（投资招商项目时为空）")
    project_id: int | None = Field(description="招商项目库中的项目")
    target_name: str
    local: bool = Field(description="落在园区内（计入返投）")
    amount_yuan: int
    amount_yi: str
    round_total_yuan: int | None
    invested_on: dt.date
    chain: str | None
    node: str | None
    valuation_yuan: int | None
    valued_on: dt.date | None
    exited_on: dt.date | None
    exit_yuan: int | None

    @classmethod
    def of(cls, r: FundInvestment) -> InvestmentOut:
        return cls(
            id=r.id, fund_id=r.fund_id, enterprise_id=r.enterprise_id, project_id=r.project_id,
            target_name=r.target_name, local=r.local, amount_yuan=r.amount_yuan,
            amount_yi=service.show(r.amount_yuan), round_total_yuan=r.round_total_yuan,
            invested_on=r.invested_on, chain=r.chain, node=r.node,
            valuation_yuan=r.valuation_yuan, valued_on=r.valued_on, exited_on=r.exited_on,
            exit_yuan=r.exit_yuan,
        )  # fmt: skip


class InvestmentIn(BaseModel):
    fund: str = Field(max_length=200, description="基金编号或全称")
    amount: str = Field(max_length=40, description='投资金额，如 "1.5"')
    unit: str = Field("亿元", max_length=4, description="金额单位：亿元或万元")
    firm: str = Field("", max_length=200, description="名录中的企业：编号、统一社会信用代码或全称")
    project_id: int | None = Field(None, description="或招商项目库中的项目编号")
    round_total: str | None = Field(None, max_length=40, description="本轮融资总额（同一单位）")
    invested_on: dt.date | None = None
    chain: str = Field("", max_length=48)
    node: str = Field("", max_length=64)
    note: str = Field("", max_length=2000)

    def to_new(self) -> service.NewInvestment:
        return service.NewInvestment(**self.model_dump())


class PoolOut(BaseModel):
    id: int
    name: str
    lender: str
    government_yuan: int
    bank_yuan: int
    cover_pct: int = Field(description="补偿比例（违约余额的百分比）")
    warn_pct: str = Field(description="预警线（%）")
    stop_pct: str = Field(description="暂停线（%）")
    loans: int
    outstanding_yuan: int = Field(description="在贷余额（元）")
    bad_yuan: int = Field(description="违约贷款余额（元）")
    ratio_pct: str | None = Field(description="不良率（%；无在贷余额时为空）")
    level: str = Field(description="ok 正常，warn 预警，stop 暂停新增")
    funds_yuan: int = Field(description="资金池余额（元）")

    @classmethod
    def of(cls, p: PoolState) -> PoolOut:
        return cls(
            id=p.pool.id, name=p.pool.name, lender=p.pool.lender,
            government_yuan=p.pool.government_yuan, bank_yuan=p.pool.bank_yuan,
            cover_pct=p.pool.cover_pct, warn_pct=loans.pct_of(p.pool.warn_bp),
            stop_pct=loans.pct_of(p.pool.stop_bp), loans=p.loans, outstanding_yuan=p.outstanding,
            bad_yuan=p.bad, ratio_pct=None if p.ratio_bp is None else p.ratio, level=p.level,
            funds_yuan=p.funds,
        )  # fmt: skip


class LoanOut(BaseModel):
    id: int
    enterprise_id: int
    firm_name: str
    lender: str
    product: str
    pool_id: int | None
    granted_yuan: int
    disbursed_yuan: int
    repaid_yuan: int
    status: str = Field(description="normal 正常，overdue 逾期，default 违约")
    granted_on: dt.date
    due_on: dt.date | None

    @classmethod
    def of(cls, r: Loan) -> LoanOut:
        return cls(
            id=r.id, enterprise_id=r.enterprise_id, firm_name=r.firm_name, lender=r.lender,
            product=r.product, pool_id=r.pool_id, granted_yuan=r.granted_yuan,
            disbursed_yuan=r.disbursed_yuan, repaid_yuan=r.repaid_yuan, status=r.status,
            granted_on=r.granted_on, due_on=r.due_on,
        )  # fmt: skip


class CheckOut(BaseModel):
    label: str = Field(description="条件说明")
    rule: str = Field(description="条件表达式")
    met: bool | None = Field(description="是否满足（空：缺少数据，未知）")
    missing: list[str] = Field(description="缺少的数据")


class MatchOut(BaseModel):
    product_id: int
    product: str
    lender: str
    kind: str
    status: str = Field(description="qualifies 符合条件，nearly 接近符合，no 暂不符合")
    checks: list[CheckOut]


class PlanOut(BaseModel):
    enterprise_id: int
    period: str | None = Field(description="所用数据的年份")
    matches: list[MatchOut]
    to_add: list[str] = Field(description="建议补充的数据")
    notes: list[str] = Field(description="工作人员批注（企业只看到已交给企业的）")

    @classmethod
    def of(cls, p: Plan) -> PlanOut:
        return cls(
            enterprise_id=p.enterprise_id,
            period=p.period,
            to_add=p.to_add,
            notes=[n.text for n in p.notes],
            matches=[
                MatchOut(
                    product_id=m.product.id,
                    product=m.product.name,
                    lender=m.product.lender,
                    kind=m.product.kind,
                    status=m.status,
                    checks=[
                        CheckOut(label=c.label, rule=c.source, met=c.met, missing=c.missing)
                        for c in m.checks
                    ],
                )
                for m in p.matches
            ],
        )


# ---------------------------------------------------------------- knowledge-value credit


class CreditIndicatorOut(BaseModel):
    name: str = Field(description="指标")
    value: float | None = Field(description="数值（未知为空：不按零分计）")
    unit: str = Field(description="单位")
    points: float | None = Field(description="得分（0–100；未知为空）")
    weight: float = Field(description="权重")


class CreditGradeOut(BaseModel):
    uscc: str | None = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    period: str = Field(description="评价年度")
    score: float | None = Field(description="知识价值信用分（0–100；资料不足为空）")
    grade: str | None = Field(description="等级 A–E（资料不足为空）")
    credit_line_wan: float | None = Field(description="授信参考额度（万元）")
    known: int = Field(description="已知指标数")
    indicators: list[CreditIndicatorOut]

    @classmethod
    def of(cls, period: str, g: Graded) -> CreditGradeOut:
        lines = g.explanation.get("indicators", [])
        return cls(
            uscc=g.uscc,
            name=g.name,
            period=period,
            score=g.score,
            grade=g.grade,
            credit_line_wan=g.line_wan,
            known=g.known,
            indicators=[
                CreditIndicatorOut(
                    name=i["name"],
                    value=i["raw"],
                    unit=i["unit"],
                    points=i["points"],
                    weight=i["weight"],
                )
                for i in lines
            ],
        )


# ---------------------------------------------------------------- financing needs and 银企对接


def _wan(yuan: int | None) -> str | None:
    return None if yuan is None else service.show(yuan, "万元")


class NeedIn(BaseModel):
    firm: str = Field(
        "", title="企业", description="企业编号、统一社会信用代码或全称（企业用户：本企业，可不填）"
    )
    amount_wan: str = Field(title="融资金额（万元）", description="十进制文本，单位万元")
    purpose: str = Field(title="资金用途")
    term_months: int | None = Field(None, title="期限（月）")
    collateral: str = Field("", title="可提供担保")
    deadline: dt.date | None = Field(None, title="需求截止日期")

    def to_new(self) -> needs.NewNeed:
        return needs.NewNeed(
            firm=self.firm, amount_wan=self.amount_wan, purpose=self.purpose,
            term_months=self.term_months, collateral=self.collateral, deadline=self.deadline,
        )  # fmt: skip


class NeedStatusIn(BaseModel):
    status: str = Field(
        title="需求状态", description="open 待对接，matching 对接中，met 已解决，closed 已关闭"
    )


class NeedOut(BaseModel):
    id: int
    enterprise_id: int
    firm_name: str
    amount_yuan: int = Field(description="融资金额（元）")
    amount_wan: str = Field(description="融资金额（万元，精确值）")
    purpose: str
    term_months: int | None = Field(description="期限（月；空：未填）")
    collateral: str
    deadline: dt.date | None
    status: str = Field(description="open 待对接，matching 对接中，met 已解决，closed 已关闭")
    source: str = Field(description="form 填报，desk 企呼我应，import 导入")
    desk_request_id: int | None

    @classmethod
    def of(cls, n: FinancingNeed) -> NeedOut:
        return cls(
            id=n.id, enterprise_id=n.enterprise_id, firm_name=n.firm_name,
            amount_yuan=n.amount_yuan, amount_wan=service.show(n.amount_yuan, "万元"),
            purpose=n.purpose, term_months=n.term_months, collateral=n.collateral,
            deadline=n.deadline, status=n.status, source=n.source,
            desk_request_id=n.desk_request_id,
        )  # fmt: skip


class EventIn(BaseModel):
    name: str = Field(title="活动名称")
    held_on: dt.date | None = Field(None, title="活动日期")
    place: str = Field("", title="地点")
    chain: str = Field("", title="产业链")
    lenders: list[str] = Field(title="参会机构")
    firms: list[str] = Field(title="参会企业", description="企业编号、统一社会信用代码或全称")
    note: str = Field("", title="备注")


class TotalsOut(BaseModel):
    firms: int = Field(description="参会企业数")
    intentions: int = Field(description="意向数（企业 × 机构）")
    granted_yuan: int = Field(description="授信（元）")
    disbursed_yuan: int = Field(description="放款（元）")
    firms_granted: int = Field(description="获授信企业数")

    @classmethod
    def of(cls, t: events.Totals) -> TotalsOut:
        return cls(
            firms=t.firms, intentions=t.intentions, granted_yuan=t.granted,
            disbursed_yuan=t.disbursed, firms_granted=len(t.firms_granted),
        )  # fmt: skip


class EventOut(BaseModel):
    id: int
    name: str
    held_on: dt.date
    place: str
    chain: str | None
    lenders: list[str]
    firms: list[int] = Field(description="参会企业编号")
    note: str
    totals: TotalsOut

    @classmethod
    def of(cls, e: MatchEvent, totals: events.Totals) -> EventOut:
        return cls(
            id=e.id, name=e.name, held_on=e.held_on, place=e.place, chain=e.chain,
            lenders=list(e.lenders), firms=list(e.firms), note=e.note,
            totals=TotalsOut.of(totals),
        )  # fmt: skip


class OutcomeIn(BaseModel):
    firm: str = Field(title="企业", description="参会企业的编号、统一社会信用代码或全称")
    lender: str = Field(title="机构")
    product_id: int | None = Field(None, title="产品")
    need_id: int | None = Field(None, title="融资需求编号")
    loan_id: int | None = Field(None, title="贷款编号")
    intention: bool = Field(True, title="融资意向")
    granted_wan: str | None = Field(None, title="授信金额（万元）")
    disbursed_wan: str | None = Field(None, title="放款金额（万元）")

    def to_new(self) -> events.NewOutcome:
        return events.NewOutcome(
            firm=self.firm, lender=self.lender, product_id=self.product_id, need_id=self.need_id,
            loan_id=self.loan_id, intention=self.intention, granted_wan=self.granted_wan,
            disbursed_wan=self.disbursed_wan,
        )  # fmt: skip


class OutcomeOut(BaseModel):
    id: int
    event_id: int
    enterprise_id: int
    firm_name: str
    lender: str
    product_id: int | None
    need_id: int | None
    loan_id: int | None
    intention: bool
    granted_yuan: int | None = Field(description="授信（元；空：无）")
    disbursed_yuan: int | None = Field(description="放款（元；空：无）")

    @classmethod
    def of(cls, r: MatchOutcome) -> OutcomeOut:
        return cls(
            id=r.id, event_id=r.event_id, enterprise_id=r.enterprise_id, firm_name=r.firm_name,
            lender=r.lender, product_id=r.product_id, need_id=r.need_id, loan_id=r.loan_id,
            intention=r.intention, granted_yuan=r.granted_yuan, disbursed_yuan=r.disbursed_yuan,
        )  # fmt: skip


class EventDetailOut(EventOut):
    outcomes: list[OutcomeOut]
