"""The registry's read API: what other domains know of firms and their titles.

Beside `facts.build_matrix` (metrics × firms), these functions answer the registry questions of
innovation, landuse, policy, chains and desk with Polars frames or plain values; no ORM object
leaves the module. Functions that take an actor check it like `build_matrix`: staff need the
zone-read permission, an enterprise user may read only its own firm. Those without an actor are
for callers that have already checked who asks (evaluations, lists built from their own rows).

Titles held on a date follow one rule (`titles`): a title is held on day D when
(valid_from is null or valid_from <= D) and (valid_to is null or D <= valid_to). A title
recorded without dates is held on every day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session

from wulian.core.errors import NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.enterprises.models import Enterprise, EnterpriseTag
from wulian.enterprises.names import name_key
from wulian.enterprises.service import USCC_SHAPE

T = TypeVar("T")

# The registry fields `firms` can return, with their Polars types.
FIRM_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "name": pl.String,
    "uscc": pl.String,
    "in_zone": pl.Boolean,
    "legal_rep": pl.String,
    "founded_on": pl.Date,
    "registered_capital": pl.Float64,
    "address": pl.String,
    "region_code": pl.String,
    "industry_code": pl.String,
    "chain": pl.String,
    "staff_size": pl.Int64,
    "land_area": pl.Float64,
    "main_products": pl.String,
    "business_scope": pl.String,
}
TITLE_SCHEMA: dict[str, type[pl.DataType] | pl.DataType] = {
    "enterprise_id": pl.Int64,
    "tag": pl.String,
    "valid_from": pl.Date,
    "valid_to": pl.Date,
}


@dataclass(frozen=True)
class Firm:
    """One firm's registry record, as plain values (for pages, lists and exports)."""

    id: int
    name: str
    uscc: str | None
    in_zone: bool
    region_code: str | None
    industry_code: str | None
    chain: str | None
    founded_on: dt.date | None
    land_area: float | None
    main_products: str | None
    business_scope: str | None


_FIRM_FIELDS = [f for f in Firm.__dataclass_fields__ if f != "id"]


def _check(actor: Actor | None, ids: Collection[int] | None) -> None:
    """Staff read the zone; an enterprise user reads only its own firm."""
    if actor is None:
        return
    if actor.enterprise_id is not None:
        if ids is None or set(ids) != {actor.enterprise_id}:
            raise PermissionDenied("只能查看本企业的数据")
        actor.require(Permission.ENTERPRISES_READ)
    else:
        actor.require(Permission.ZONE_READ)


def _ids(ids: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in ids})


def firms(
    session: Session,
    *,
    actor: Actor | None = None,
    ids: Iterable[int] | None = None,
    in_zone: bool | None = None,
    columns: Sequence[str] = ("name",),
) -> pl.DataFrame:
    """One row per firm (those of ids, else those in or outside the zone, else all), ordered by
    id: enterprise_id and the asked registry fields of FIRM_SCHEMA."""
    wanted = _ids(ids) if ids is not None else None
    _check(actor, wanted)
    unknown = [c for c in columns if c not in FIRM_SCHEMA]
    if unknown:
        raise ValueError(f"not a registry field: {', '.join(unknown)}")
    fields = list(dict.fromkeys(columns))
    query = sa.select(Enterprise.id, *(getattr(Enterprise, c) for c in fields))
    if wanted is not None:
        query = query.where(Enterprise.id.in_(wanted))
    if in_zone is not None:
        query = query.where(Enterprise.in_zone == in_zone)
    return pl.DataFrame(
        session.execute(query.order_by(Enterprise.id)).all(),
        schema={"enterprise_id": pl.Int64, **{c: FIRM_SCHEMA[c] for c in fields}},
        orient="row",
    )


def titles(
    session: Session,
    *,
    on: dt.date | None,
    tags: Iterable[str] | None = None,
    ids: Iterable[int] | None = None,
    with_dates: bool = False,
) -> pl.DataFrame:
    """The titles firms hold on day `on`: (enterprise_id, tag[, valid_from, valid_to]), ordered.

    One rule for every domain: a title is held on `on` when (valid_from is null or
    valid_from <= on) and (valid_to is null or on <= valid_to); both ends count as held and a
    title without dates is always held. With on=None every recorded title is returned,
    whatever its dates. Only the tags asked for (all when None), of the firms asked for."""
    query = sa.select(
        EnterpriseTag.enterprise_id, EnterpriseTag.tag, EnterpriseTag.valid_from,
        EnterpriseTag.valid_to,
    )  # fmt: skip
    if tags is not None:
        query = query.where(EnterpriseTag.tag.in_(sorted(set(tags))))
    if ids is not None:
        query = query.where(EnterpriseTag.enterprise_id.in_(_ids(ids)))
    if on is not None:
        query = query.where(
            sa.or_(EnterpriseTag.valid_from.is_(None), EnterpriseTag.valid_from <= on),
            sa.or_(EnterpriseTag.valid_to.is_(None), EnterpriseTag.valid_to >= on),
        )
    frame = pl.DataFrame(
        session.execute(query.order_by(EnterpriseTag.enterprise_id, EnterpriseTag.tag)).all(),
        schema=TITLE_SCHEMA,
        orient="row",
    )
    return frame if with_dates else frame.select("enterprise_id", "tag")


def holders(
    session: Session, *, tag: str, on: dt.date | None, ids: Iterable[int] | None = None
) -> set[int]:
    """The ids of the firms holding tag on day `on` (the rule of `titles`)."""
    frame = titles(session, on=on, tags=[tag], ids=ids)
    return set(frame["enterprise_id"].to_list())


def names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Firm id → name, for the ids that exist."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    rows = session.execute(
        sa.select(Enterprise.id, Enterprise.name).where(Enterprise.id.in_(wanted))
    )
    return {int(i): str(n) for i, n in rows}


def records(session: Session, ids: Iterable[int]) -> dict[int, Firm]:
    """Firm id → its record, for the ids that exist."""
    wanted = _ids(ids)
    if not wanted:
        return {}
    query = sa.select(Enterprise.id, *(getattr(Enterprise, f) for f in _FIRM_FIELDS)).where(
        Enterprise.id.in_(wanted)
    )
    return {row[0]: Firm(*row) for row in session.execute(query)}


def in_name_order(session: Session, ids: Iterable[int]) -> list[int]:
    """The ids of the firms that exist, their names in pinyin order (ties by id)."""
    wanted = _ids(ids)
    if not wanted:
        return []
    query = sa.select(Enterprise.id).where(Enterprise.id.in_(wanted))
    return list(session.scalars(query.order_by(Enterprise.name_pinyin, Enterprise.id)))


def attach(session: Session, items: Iterable[T], key: Callable[[T], int]) -> list[tuple[T, Firm]]:
    """Each item with the record of its firm (key gives the firm's id), in the items' order; items
    whose firm is not registered are left out (as an inner join would)."""
    listed = list(items)
    found = records(session, (key(item) for item in listed))
    return [(item, found[key(item)]) for item in listed if key(item) in found]


def get(session: Session, enterprise_id: int, *, actor: Actor | None = None) -> Firm | None:
    """The record of the firm, if it exists (and actor, when given, may read it)."""
    _check(actor, [enterprise_id])
    return records(session, [enterprise_id]).get(enterprise_id)


def get_or_raise(session: Session, enterprise_id: int, *, actor: Actor | None = None) -> Firm:
    """The record of the firm, or NotFound."""
    firm = get(session, enterprise_id, actor=actor)
    if firm is None:
        raise NotFound(f"企业不存在：{enterprise_id}")
    return firm


def exists(session: Session, enterprise_id: int) -> bool:
    """Whether a firm with this id is registered."""
    found = session.scalar(sa.select(Enterprise.id).where(Enterprise.id == enterprise_id))
    return found is not None


def ids_for_names(
    session: Session, names: Iterable[str], *, in_zone: bool | None = None
) -> dict[str, int]:
    """Each name → the id of the one registered firm whose name folds to the same key as it
    (`names.name_key`: width, spaces, brackets and the company-form suffix 有限公司 /
    有限责任公司 … do not count), when that firm is in (or outside) the zone as asked; a name
    that folds to no firm, or to several (wherever they are: which one is meant is unknown), is
    left out."""
    wanted: dict[str, list[str]] = {}
    for name in names:
        key = name_key(name)
        if key:
            wanted.setdefault(key, []).append(name)
    found: dict[str, list[tuple[int, bool]]] = {}
    keys = sorted(wanted)
    for start in range(0, len(keys), 1000):
        query = sa.select(Enterprise.name_key, Enterprise.id, Enterprise.in_zone).where(
            Enterprise.name_key.in_(keys[start : start + 1000])
        )
        for key, enterprise_id, zone in session.execute(query):
            found.setdefault(str(key), []).append((int(enterprise_id), bool(zone)))
    return {
        name: ids[0][0]
        for key, ids in found.items()
        if len(ids) == 1 and (in_zone is None or ids[0][1] == in_zone)
        for name in wanted[key]
    }


def ids_named(session: Session, text: str, *, ids: Iterable[int] | None = None) -> set[int]:
    """The ids of the firms whose name contains text (of ids, when given): for list filters."""
    query = sa.select(Enterprise.id).where(Enterprise.name.contains(text, autoescape=True))
    if ids is not None:
        query = query.where(Enterprise.id.in_(_ids(ids)))
    return set(session.scalars(query))


# ---------------------------------------------------------------- for callers' own queries
# Lists of a domain's rows (results, memberships, requests) are filtered, ordered and paged in
# the database. These return SQL expressions over the registry (never ORM objects) to use in
# such queries: `Result.enterprise_id.in_(read.ids_where(in_zone=True))`.


def ids_where(
    *,
    in_zone: bool | None = None,
    name_contains: str | None = None,
    uscc: str | None = None,
    region_code: str | None = None,
) -> sa.Select[int]:
    """A query of the ids of the firms matching every condition given."""
    query = sa.select(Enterprise.id)
    if in_zone is not None:
        query = query.where(Enterprise.in_zone == in_zone)
    if name_contains is not None:
        query = query.where(Enterprise.name.contains(name_contains, autoescape=True))
    if uscc is not None:
        query = query.where(Enterprise.uscc == uscc)
    if region_code is not None:
        query = query.where(Enterprise.region_code == region_code)
    return query


def field_of(
    enterprise_id: sa.ColumnElement[int] | Mapped[int], field: str
) -> sa.ScalarSelect[object]:
    """The registry field (name, uscc, region_code, …) of the firm enterprise_id points at, as a
    correlated scalar: for ordering or grouping a domain's rows by a firm field."""
    if field not in FIRM_SCHEMA:
        raise ValueError(f"not a registry field: {field}")
    column = getattr(Enterprise, field)
    return sa.select(column).where(Enterprise.id == enterprise_id).scalar_subquery()


def name_order(enterprise_id: sa.ColumnElement[int] | Mapped[int]) -> sa.ScalarSelect[str]:
    """The pinyin sort key of the firm's name (enterprise_id points at it), as a correlated
    scalar: to order a domain's rows by firm name as Chinese readers expect (by pinyin, not by
    code point). Break ties with the row's own id."""
    return sa.select(Enterprise.name_pinyin).where(Enterprise.id == enterprise_id).scalar_subquery()


def ids_matching(text: str) -> sa.Select[int]:
    """A query of the ids of the firms a list's search box finds by text, as the registry's own
    list does: a credit code exactly, else part of the name or a former name, its pinyin or its
    pinyin initials."""
    term = text.strip()
    if USCC_SHAPE.fullmatch(term.upper()):
        return sa.select(Enterprise.id).where(Enterprise.uscc == term.upper())
    return sa.select(Enterprise.id).where(
        Enterprise.name_search.contains(name_key(term), autoescape=True)
    )
