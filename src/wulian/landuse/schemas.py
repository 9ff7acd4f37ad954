"""API shapes of 亩均效益 (the published classes, read by the systems that apply differential
prices and land policy)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from wulian.core.pagination import PageOut
from wulian.landuse.models import LanduseRun


class GradeOut(BaseModel):
    uscc: str | None = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    group: str = Field(description="分组：above 规上，below 规下")
    grade: str | None = Field(description="类别：A、B、C、D，T 为不定等级；租地企业等为空")
    status: str = Field(
        description="rated 参评、T 不定等级、rented 租地、out 不在范围、incomplete 数据不全"
    )
    score: float | None = Field(description="综合得分")
    rank: int | None = Field(description="组内排名")
    size: int | None = Field(description="组内参评企业数")
    low: bool = Field(description="是否为低效企业（亩均税收低于标准）")
    tax_per_mu: float | None = Field(description="亩均税收（万元/亩）")
    policy: str | None = Field(description="该类别执行的差别化政策")


class GradesPage(PageOut[GradeOut]):
    year: int | None = Field(description="评价年度")
    spec: str | None = Field(description="评价方案及版本")
    published_at: dt.datetime | None


class RunOut(BaseModel):
    """A 亩均效益 run: its year, method, status in the public-notice cycle, counts by class."""

    id: int
    period: str = Field(description="评价年度")
    spec: str = Field(description="评价方案及版本")
    status: str = Field(description="draft 草稿、notice 公示中、published 已发布、withdrawn 已撤回")
    counts: dict[str, int] = Field(
        description="各状态、类别的企业数：rated 参评，grade:A…grade:T 各类，low 低效企业"
    )
    notice_from: dt.date | None
    notice_until: dt.date | None
    published_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def of(cls, run: LanduseRun) -> RunOut:
        return cls(
            id=run.id, period=run.period, spec=f"{run.spec.name}（第 {run.spec.version} 版）",
            status=run.status, counts={k: int(v) for k, v in (run.counts or {}).items()},
            notice_from=run.notice_from, notice_until=run.notice_until,
            published_at=run.published_at, created_at=run.created_at,
        )  # fmt: skip


class ResultOut(BaseModel):
    """A firm's result in a run (any status), for the zone's staff."""

    enterprise_id: int
    uscc: str | None = Field(description="统一社会信用代码")
    name: str = Field(description="企业名称")
    group: str = Field(description="分组：above 规上，below 规下")
    grade: str | None = Field(description="类别：A、B、C、D，T 为不定等级")
    status: str = Field(
        description="rated 参评、T 不定等级、rented 租地、out 不在范围、incomplete 数据不全"
    )
    score: float | None = Field(description="综合得分")
    rank: int | None = Field(description="组内排名")
    size: int | None = Field(description="组内参评企业数")
    low: bool = Field(description="是否为低效企业")
    tax_per_mu: float | None = Field(description="亩均税收（万元/亩）")
    reason: str | None = Field(description="未参评或不定等级的原因")
