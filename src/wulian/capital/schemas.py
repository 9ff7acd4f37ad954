"""The capital chain's API shapes. Money goes out as whole 元 (integers) and as exact 亿元 text;
it comes in as decimal text with its unit (亿元 or 万元), never as floats."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, Field

from wulian.capital import service
from wulian.capital.models import FundInvestment


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
            government_kinds=m.government_kinds, base=m.base, total=FiguresOut.of(m.total),
            funds=[
                FundOut(
                    id=f.id, name=f.name, kind=f.kind, parent_id=f.parent_id,
                    reinvest_pct=f.reinvest_pct, own=FiguresOut.of(m.own[f.id]),
                    with_sub_funds=FiguresOut.of(m.per_fund[f.id]),
                )
                for f in m.funds
            ],
            by_chain=[
                ChainRowOut(chain=r.chain, node=r.node, count=r.count, invested_yuan=r.invested,
                            leveraged_yuan=r.leveraged)
                for r in m.by_chain
            ],
        )  # fmt: skip


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
