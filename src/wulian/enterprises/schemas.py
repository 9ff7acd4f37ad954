"""API shapes of the enterprise registry."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from wulian.core.pagination import PageOut


class EnterpriseOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uscc: str | None
    name: str
    in_zone: bool
    created_at: dt.datetime


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    uscc: str | None = None
    in_zone: bool = True


class EnterprisePageOut(PageOut[EnterpriseOut]):
    """One page of the registry."""


class ReviewOut(BaseModel):
    """A value waiting for review (a firm's report, or an import beside a verified value)."""

    id: int
    enterprise_id: int
    enterprise_name: str
    uscc: str | None
    metric: str = Field(description="指标代码")
    metric_name: str = Field(description="指标名称")
    unit: str | None = Field(description="单位")
    period: str = Field(description="期间（YYYY 或 YYYY-MM）")
    value: float
    source: str = Field(description="数据来源代码")
    source_name: str = Field(description="数据来源")
    as_of: dt.date = Field(description="数据日期")
    entered_by: str = Field(description="填报人")
    note: str
    created_at: dt.datetime
