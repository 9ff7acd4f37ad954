"""One page of a query's rows, with the total, for lists in pages and in the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def paginate(session: Session, query: sa.Select[Any], *, page: int, per_page: int) -> Page[Any]:
    """The rows of query (already ordered) on page, counted in the same transaction."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, page)
    items = session.scalars(query.offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items=items, total=total or 0, page=page, per_page=per_page)
