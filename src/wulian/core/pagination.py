"""One page of a query's rows, with the total, for lists in pages and in the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, TypeVarTuple

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# The page sizes a list offers (the pager's "每页 … 条"); the API accepts any size up to its limit.
PAGE_SIZES = (20, 50, 100, 200)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def numbers(self, around: int = 2) -> list[int | None]:
        """The page numbers a pager shows: the first, the last and those within `around` of this
        page, None where numbers are left out (“…”)."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        out: list[int | None] = []
        for number in sorted(n for n in shown if 1 <= n <= self.pages):
            if out and number - (out[-1] or 0) > 1:
                out.append(None)
            out.append(number)
        return out


class PageOut(BaseModel, Generic[T]):
    """One page of a list in the API, the same fields in every list: the total, which page, how
    many per page, and the items (lists with a context, such as the evaluation they belong to,
    add its fields in a subclass)."""

    total: int = Field(description="符合条件的总条数")
    page: int = Field(description="页码（从 1 开始）")
    per_page: int = Field(description="每页条数")
    items: list[T]

    @staticmethod
    def fields(page: Page[Any]) -> dict[str, int]:
        """The paging fields of page, for building a subclass with extra fields."""
        return {"total": page.total, "page": page.page, "per_page": page.per_page}


def paginate(session: Session, query: sa.Select[Any], *, page: int, per_page: int) -> Page[Any]:
    """The objects of query (already ordered) on page, counted in the same transaction."""
    rows = paginate_rows(session, query, page=page, per_page=per_page)
    items = [row[0] for row in rows.items]
    return Page(items=items, total=rows.total, page=rows.page, per_page=per_page)


def paginate_rows(
    session: Session, query: sa.Select[*Ts], *, page: int, per_page: int
) -> Page[sa.Row[*Ts]]:
    """Like paginate, for a query of several entities or columns: whole rows."""
    total = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    page = max(1, page)
    items = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
    return Page(items=items, total=total or 0, page=page, per_page=per_page)
