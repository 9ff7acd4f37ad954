"""API shapes of the talent domain: the map (counts only), people (the identity number masked,
for the callers the pages would show them to), programme rounds and applications, imports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, model_validator

from wulian.talent import service
from wulian.talent.crypto import shown_identity


class MapCellOut(BaseModel):
    """Demand and supply of one occupation at one chain node."""

    chain: str | None = Field(title="产业链编号")
    chain_name: str = Field(title="产业链")
    node: str | None = Field(title="环节编号")
    node_name: str = Field(title="环节")
    occupation_code: str | None = Field(title="职业代码（职业分类大典 2022）")
    occupation_name: str = Field(title="职业名称")
    demand: int = Field(title="需求人数（在招岗位）")
    supply: int = Field(title="供给人数（同意统计的人员）")
    scarcity_index: int | None = Field(title="紧缺指数 1–5；无需求时为空")
    level: str = Field(title="紧缺程度")
    salary_median_yuan: int | None = Field(title="薪酬中位数（元/年）")

    @classmethod
    def of(cls, cell: service.MapCell) -> MapCellOut:
        return cls(
            chain=cell.chain, chain_name=cell.chain_name, node=cell.node,
            node_name=cell.node_name, occupation_code=cell.occupation_code,
            occupation_name=cell.occupation_name, demand=cell.demand, supply=cell.supply,
            scarcity_index=cell.index, level=cell.level,
            salary_median_yuan=cell.salary_median_yuan,
        )  # fmt: skip


class ConsentOut(BaseModel):
    purpose: str = Field(title="用途")
    label: str = Field(title="用途名称")
    given_on: dt.date = Field(title="同意日期")
    withdrawn_on: dt.date | None = Field(title="撤回日期；空为有效")


class PersonOut(BaseModel):
    """A person's record as the API shows it: the identity number masked; no birth date (the
    minimum a caller needs); codes with their Chinese names; unknown fields are null."""

    id: int = Field(title="人员编号")
    enterprise_id: int | None = Field(title="企业编号；空为人才库（无单位）")
    firm_name: str = Field(title="所在单位")
    name: str = Field(title="姓名")
    identity_masked: str = Field(title="身份证号（脱敏）")
    education: str | None = Field(title="学历（代码）")
    education_label: str = Field(title="学历")
    major: str = Field(title="专业")
    occupation_code: str | None = Field(title="职业代码")
    skills: list[str] = Field(title="技能")
    salary_band: str | None = Field(title="年薪档次（代码）")
    salary_label: str = Field(title="年薪档次")
    chain: str | None = Field(title="产业链编号")
    node: str | None = Field(title="环节编号")
    experience_years: int | None = Field(title="工作年限（年）")
    region_code: str | None = Field(title="所在地（行政区划代码）")
    title_level: str = Field(title="职称")
    position_level: str = Field(title="职务层级")
    honour_level: str = Field(title="荣誉与人才计划")
    achievements: int | None = Field(title="创新成果（项）")
    retain_until: dt.date = Field(title="保存期限")
    consents: list[ConsentOut] = Field(title="本人同意的用途")

    @classmethod
    def of(cls, p: service.PersonView) -> PersonOut:
        return cls(
            id=p.id, enterprise_id=p.enterprise_id, firm_name=p.firm_name, name=p.name,
            identity_masked=p.identity_masked, education=p.education,
            education_label=p.education_label, major=p.major, occupation_code=p.occupation_code,
            skills=p.skills, salary_band=p.salary_band, salary_label=p.salary_label,
            chain=p.chain, node=p.node, experience_years=p.experience_years,
            region_code=p.region_code, title_level=p.title_label, position_level=p.position_label,
            honour_level=p.honour_label, achievements=p.achievements, retain_until=p.retain_until,
            consents=[ConsentOut(purpose=k, label=lb, given_on=g, withdrawn_on=w)
                      for k, lb, g, w in p.consents],
        )  # fmt: skip


class RoundOut(BaseModel):
    """A round of a talent programme (programmes and rounds are public to talent readers)."""

    id: int = Field(title="批次编号")
    programme_id: int = Field(title="项目编号")
    programme_code: str = Field(title="项目代码")
    programme_name: str = Field(title="项目名称")
    name: str = Field(title="批次名称")
    opens_on: dt.date = Field(title="开始申报")
    closes_on: dt.date = Field(title="截止申报")
    open_now: bool = Field(title="正在申报")
    applications: int = Field(title="申报数")
    min_award_yuan: int = Field(title="资助下限（元）")
    max_award_yuan: int = Field(title="资助上限（元）")


class ApplicationOut(BaseModel):
    """An application as the caller may see it (scores only for the talent office and for an
    expert who scored it)."""

    id: int = Field(title="申报编号")
    round_id: int = Field(title="批次编号")
    person_id: int = Field(title="人员编号")
    person_name: str = Field(title="姓名")
    enterprise_id: int | None = Field(title="企业编号")
    firm_name: str = Field(title="所在单位")
    state: str = Field(title="状态（代码）")
    state_label: str = Field(title="状态")
    submitted_on: dt.date = Field(title="申报日期")
    amount_yuan: int | None = Field(title="资助金额（元）")
    decided_on: dt.date | None = Field(title="决定日期")
    reviews: int = Field(title="专家评分数")
    average: float | None = Field(title="平均分；不可见或未评分时为空")
    rank: int | None = Field(title="排名（人才办）")


class ProblemOut(BaseModel):
    row: int | None = Field(title="行号（表头为第 1 行）")
    column: str | None = Field(title="列")
    value: str | None = Field(title="原值（身份证号脱敏）")
    reason: str = Field(title="原因")

    @model_validator(mode="after")
    def _mask_identity(self) -> ProblemOut:
        # a safety net: whatever a check put there, an identity-number cell leaves masked
        if self.column is not None and "身份证" in self.column:
            self.value = shown_identity(self.value)
        return self


class FlagOut(BaseModel):
    row: int = Field(title="行号")
    column: str = Field(title="列")
    value: str = Field(title="原值")
    reason: str = Field(title="疑似单位填错的原因；确认后按另一单位换算写入")


class ImportOut(BaseModel):
    """The result of an import: written (committed) or not, and why not."""

    kind: str = Field(title="导入类别")
    filename: str = Field(title="文件名")
    rows_total: int = Field(title="数据行数")
    checked_only: bool = Field(title="只检查，未写入")
    committed: bool = Field(title="已写入")
    created: int = Field(title="写入（或可写入）的行数")
    problems: list[ProblemOut] = Field(title="问题（任何一行有问题则一行也不写入）")
    flags: list[FlagOut] = Field(title="待确认的疑似单位错误（confirm 中列出行号即确认）")
