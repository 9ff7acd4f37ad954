"""API shapes of the talent domain (counts only: no personal data leaves through the API)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from wulian.talent import service


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
