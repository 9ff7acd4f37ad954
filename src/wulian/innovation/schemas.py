"""API shapes of innovation points (the partner-bank read)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from wulian.core.pagination import PageOut

if TYPE_CHECKING:
    from wulian.core.pagination import Page
    from wulian.innovation.models import InnovationRun
    from wulian.innovation.service import Listed


class ScoreOut(BaseModel):
    uscc: str | None = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    points: float | None = Field(description="创新积分")
    stage: str = Field(description="发展阶段")
    rank: int | None = Field(description="阶段内排名（阶段未知时为空）")
    stage_size: int = Field(description="阶段内企业数")
    percentile: float | None = Field(description="阶段内百分位（0–100，越高越好）")
    band: str | None = Field(description="所在榜单（领跑榜、竞跑榜、进取榜）")
    credit_line: float | None = Field(description="授信参考额度（万元）")


class ScoresPage(PageOut[ScoreOut]):
    period: str | None = Field(description="评价年度")
    spec: str | None = Field(description="评价方案及版本")
    published_at: dt.datetime | None

    @classmethod
    def build(cls, run: InnovationRun | None, page: Page[Listed]) -> ScoresPage:
        return cls(
            period=run.period if run else None,
            spec=f"{run.spec.name}（第 {run.spec.version} 版）" if run else None,
            published_at=run.published_at if run else None,
            **PageOut.fields(page),
            items=[
                ScoreOut(
                    uscc=item.enterprise.uscc,
                    name=item.enterprise.name,
                    points=item.result.points,
                    stage=item.result.cohort,
                    rank=item.result.rank,
                    stage_size=item.result.cohort_size,
                    percentile=item.result.percentile,
                    band=item.result.band,
                    credit_line=item.result.credit_line,
                )
                for item in page.items
            ],
        )


class RunOut(BaseModel):
    """An innovation-points run: its period, method, status in the public-notice cycle, counts."""

    id: int
    period: str = Field(description="评价年度")
    spec: str = Field(description="评价方案及版本")
    status: str = Field(description="draft 草稿、notice 公示中、published 已发布、withdrawn 已撤回")
    firms: int = Field(description="参评企业数")
    scored: int = Field(description="得出积分的企业数")
    notice_from: dt.date | None
    notice_until: dt.date | None
    published_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def of(cls, run: InnovationRun) -> RunOut:
        return cls(
            id=run.id, period=run.period, spec=f"{run.spec.name}（第 {run.spec.version} 版）",
            status=run.status, firms=run.firms, scored=run.scored, notice_from=run.notice_from,
            notice_until=run.notice_until, published_at=run.published_at,
            created_at=run.created_at,
        )  # fmt: skip


class ResultOut(BaseModel):
    """A firm's result in a run: its points, stage, rank and band."""

    enterprise_id: int
    uscc: str | None = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    points: float | None = Field(description="创新积分")
    stage: str = Field(description="发展阶段")
    rank: int | None = Field(description="阶段内排名")
    stage_size: int = Field(description="阶段内企业数")
    percentile: float | None = Field(description="阶段内百分位（0–100）")
    band: str | None = Field(description="所在榜单")

    @classmethod
    def of(cls, item: Listed) -> ResultOut:
        r = item.result
        return cls(
            enterprise_id=r.enterprise_id, uscc=item.enterprise.uscc, name=item.enterprise.name,
            points=r.points, stage=r.cohort, rank=r.rank, stage_size=r.cohort_size,
            percentile=r.percentile, band=r.band,
        )  # fmt: skip
