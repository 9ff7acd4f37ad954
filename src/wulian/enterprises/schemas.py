"""API shapes of the enterprise registry."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

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
