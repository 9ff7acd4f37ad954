"""The pipeline's API shapes. Amounts go out as whole 万元 and as exact 亿元 text; they come in
as 亿元 decimal text (never floats)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from wulian.investment import service, ties
from wulian.investment.models import InvestmentProject, StageEvent


class StageOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    key: str = Field(description="阶段编号")
    name: str = Field(description="阶段名称")
    position: int = Field(description="顺序")
    next_keys: list[str] = Field(description="可以转到的阶段")
    stale_days: int | None = Field(description="停留超过多少天提醒（空：不提醒）")
    signed: bool = Field(description="到达此阶段即计为已签约")
    closed: bool = Field(description="终止：不计入漏斗")


class ProjectOut(BaseModel):
    id: int
    name: str = Field(description="项目名称")
    enterprise_id: int | None = Field(description="名录中的企业编号（新企业为空）")
    firm_name: str = Field(description="企业名称")
    firm_uscc: str | None = Field(description="统一社会信用代码")
    reinvestment: bool = Field(description="再投资/二期")
    amount_wan: int = Field(description="总投资（万元）")
    amount_yi: str = Field(description="总投资（亿元，精确值）")
    fixed_asset_wan: int | None = Field(description="其中固定资产投资（万元）")
    band: str = Field(description="投资规模档：100 百亿级，10 十亿级，small 十亿以下")
    industry_code: str | None
    manufacturing: bool
    high_tech: bool
    chain: str | None
    node: str | None
    source: str = Field(description="项目来源编号")
    fund_name: str
    team_id: int = Field(description="负责小组（部门）编号")
    officer_id: int | None
    stage: str
    stage_since: dt.date
    lead_on: dt.date
    signed_on: dt.date | None
    signing_id: int | None

    @classmethod
    def of(cls, p: InvestmentProject) -> ProjectOut:
        return cls(
            id=p.id, name=p.name, enterprise_id=p.enterprise_id, firm_name=p.firm_name,
            firm_uscc=p.firm_uscc, reinvestment=p.reinvestment, amount_wan=p.amount_wan,
            amount_yi=service.yi(p.amount_wan), fixed_asset_wan=p.fixed_asset_wan,
            band=service.band_of(p.amount_wan), industry_code=p.industry_code,
            manufacturing=p.manufacturing, high_tech=p.high_tech, chain=p.chain, node=p.node,
            source=p.source, fund_name=p.fund_name, team_id=p.team_id, officer_id=p.officer_id,
            stage=p.stage, stage_since=p.stage_since, lead_on=p.lead_on, signed_on=p.signed_on,
            signing_id=p.signing_id,
        )  # fmt: skip


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    from_stage: str | None
    to_stage: str
    moved_on: dt.date
    note: str
    created_by: str


class ProjectDetailOut(ProjectOut):
    history: list[EventOut]

    @classmethod
    def of(  # type: ignore[override]
        cls, p: InvestmentProject, events: list[StageEvent]
    ) -> ProjectDetailOut:
        base = ProjectOut.of(p).model_dump()
        return cls(**base, history=[EventOut.model_validate(e) for e in events])


class ProjectIn(BaseModel):
    name: str = Field(max_length=200, description="项目名称", title="项目名称")
    amount_yi: Decimal | str = Field(
        description='总投资（亿元），如 "12.5"', title="总投资（亿元）"
    )
    source: str = Field(
        title="项目来源",
        description="项目来源：" + "，".join(f"{k} {v}" for k, v in service.SOURCES.items()),
    )
    firm: str = Field(
        "",
        max_length=200,
        description="名录中的企业：编号、统一社会信用代码或全称",
        title="名录中的企业",
    )
    firm_name: str = Field(
        "", max_length=200, description="新企业名称（名录中没有时）", title="新企业名称"
    )
    firm_uscc: str = Field("", max_length=18, title="统一社会信用代码")
    reinvestment: bool = Field(False, title="再投资/二期")
    fixed_asset_yi: Decimal | str | None = Field(None, title="固定资产投资（亿元）")
    industry_code: str = Field("", max_length=8, title="行业代码")
    manufacturing: bool = Field(False, title="制造业项目")
    high_tech: bool = Field(False, title="高新技术领域")
    chain: str = Field("", max_length=48, title="产业链")
    node: str = Field("", max_length=64, title="环节")
    fund_name: str = Field("", max_length=100, title="基金")
    team_id: int | None = Field(None, title="负责小组")
    officer_id: int | None = Field(None, title="负责人")
    lead_on: dt.date | None = Field(None, title="线索日期")
    note: str = Field("", max_length=2000, title="备注")

    def to_new(self) -> service.NewProject:
        return service.NewProject(**self.model_dump())


class MoveIn(BaseModel):
    to_stage: str = Field(max_length=32, description="转到的阶段", title="转到的阶段")
    expected_stage: str = Field(
        max_length=32, description="操作人看到的当前阶段（防止并发覆盖）", title="当前阶段"
    )
    on: dt.date | None = Field(None, description="日期（默认今天）", title="日期")
    note: str = Field("", max_length=500, title="备注")


class QuarterOut(BaseModel):
    quarter: int
    count: int = Field(description="签约项目数")
    amount_wan: int = Field(description="签约总投资（万元）")
    amount_yi: str = Field(description="签约总投资（亿元，精确值）")
    reinvestment: int = Field(description="其中再投资/二期项目数")


class FunnelOut(BaseModel):
    group: str
    reached: dict[str, int] = Field(description="到达各阶段的项目数")
    median_days: dict[str, float | None] = Field(
        description="离开各阶段的项目在该阶段停留天数的中位数"
    )


class DashboardOut(BaseModel):
    year: int
    signed: int
    signed_wan: int
    reinvestment: int
    hundred_yi: int
    manufacturing: int
    manufacturing_high_tech: int
    stale: int
    quarters: list[QuarterOut]
    funnel: list[FunnelOut]

    @classmethod
    def of(cls, d: service.Dashboard) -> DashboardOut:
        return cls(
            year=d.year, signed=d.signed, signed_wan=d.signed_wan, reinvestment=d.reinvestment,
            hundred_yi=d.hundred_yi, manufacturing=d.manufacturing,
            manufacturing_high_tech=d.manufacturing_high_tech, stale=d.stale,
            quarters=[
                QuarterOut(quarter=q.quarter, count=q.count, amount_wan=q.amount_wan,
                           amount_yi=service.yi(q.amount_wan), reinvestment=q.reinvestment)
                for q in d.quarters
            ],
            funnel=[
                FunnelOut(group=f.group, reached=f.reached, median_days=f.median_days)
                for f in d.funnel
            ],
        )  # fmt: skip


class TargetOut(BaseModel):
    """A target firm of a 招商图谱 gap, with its points per criterion and the reasons."""

    id: int = Field(description="名录中的企业编号")
    name: str = Field(description="企业名称")
    rank: int = Field(description="名次")
    score: float = Field(description="总分（满分 110）")
    points: dict[str, float] = Field(
        description="各项得分：node 环节归属、industry 行业代码、products 产品匹配、size 规模、"
        "ties 链上往来、region 地区、contact 已有接触"
    )
    reasons: list[str] = Field(description="得分依据")
    revenue_wan: float | None = Field(description="营收（万元；未知为空）")
    region: str = Field(description="地区")
    industry_code: str | None = Field(description="行业代码")
    project_id: int | None = Field(description="项目库中已有的该企业项目")


class TieOut(BaseModel):
    """One supply tie (链上往来) between a zone firm and a firm outside the zone."""

    id: int
    zone_enterprise_id: int = Field(description="园区企业编号")
    zone_name: str = Field(description="园区企业名称")
    partner_enterprise_id: int | None = Field(description="对方在名录中的编号（不在名录：空）")
    partner_name: str = Field(description="对方企业名称")
    direction: str = Field(description="方向：buys 采购自（园区企业向它采购）、sells 供货给")
    direction_name: str = Field(description="方向（中文）")
    product: str = Field(description="产品")
    amount_wan: int | None = Field(description="年往来金额（万元，空：未知）")
    source: str = Field(description="来源")
    year: int = Field(description="年度")

    @classmethod
    def of(cls, tie: ties.Tie) -> TieOut:
        return cls(
            id=tie.id, zone_enterprise_id=tie.zone_id, zone_name=tie.zone_name,
            partner_enterprise_id=tie.partner_id, partner_name=tie.partner_name,
            direction=tie.direction, direction_name=tie.direction_name, product=tie.product,
            amount_wan=tie.amount_wan, source=tie.source, year=tie.year,
        )  # fmt: skip


class TieIn(BaseModel):
    zone_firm: str = Field(
        max_length=200, title="园区企业", description="园区企业：编号、统一社会信用代码或全称"
    )
    partner: str = Field(
        max_length=200, title="对方企业",
        description="园区外企业：编号、统一社会信用代码或全称（名录中没有时按名称记录）",
    )  # fmt: skip
    direction: str = Field(
        max_length=16, title="方向", description="采购自 或 供货给（buys/sells）"
    )
    product: str = Field(max_length=100, title="产品")
    amount_wan: str = Field("", max_length=40, title="年往来金额（万元）", description='如 "1200"')
    source: str = Field("", max_length=100, title="来源")
    year: int | None = Field(None, title="年度", description="空：今年")
    confirm_amount: bool = Field(
        False, title="金额已核对", description="疑似单位有误的金额经核对后仍按此写入"
    )

    def to_input(self) -> ties.TieInput:
        return ties.TieInput(
            zone_firm=self.zone_firm, partner=self.partner, direction=self.direction,
            product=self.product, amount_wan=self.amount_wan, source=self.source,
            year=self.year, confirm_amount=self.confirm_amount,
        )  # fmt: skip
