"""The enterprise registry: the only module that reads and writes the enterprise tables."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased, selectinload

from wulian.core import audit, xlsx
from wulian.core.auth.models import User
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.models import PROFILE_FIELDS, Enterprise, EnterpriseTag, Fact, name_matches
from wulian.enterprises.names import clean_name, name_key
from wulian.enterprises.tags import TAGS
from wulian.reference.models import Region


def get(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise | None:
    """The enterprise with enterprise_id, if actor may see it."""
    actor.require_enterprise(enterprise_id)
    return session.get(Enterprise, enterprise_id)


def get_or_raise(session: Session, *, actor: Actor, enterprise_id: int) -> Enterprise:
    """The enterprise with enterprise_id, or NotFound; PermissionDenied if actor may not see it."""
    enterprise = get(session, actor=actor, enterprise_id=enterprise_id)
    if enterprise is None:
        raise NotFound(f"企业不存在：{enterprise_id}")
    return enterprise


def get_by_uscc(session: Session, *, code: str) -> Enterprise | None:
    """The enterprise registered under a unified social credit code, if any."""
    return session.scalar(
        sa.select(Enterprise).where(Enterprise.uscc == uscc_check.normalise(code))
    )


def get_by_uscc_or_raise(session: Session, *, code: str) -> Enterprise:
    """The enterprise registered under code, or a clear error."""
    enterprise = get_by_uscc(session, code=code)
    if enterprise is None:
        raise NotFound(f"没有统一社会信用代码为 {code} 的企业")
    return enterprise


def find_id(session: Session, *, text: str) -> int | None:
    """The id of the firm a person named by its number, credit code or full name, if any."""
    text = text.strip()
    if text.isdigit():
        query = sa.select(Enterprise.id).where(Enterprise.id == int(text))
    else:
        query = sa.select(Enterprise.id).where(
            (Enterprise.uscc == text.upper()) | (Enterprise.name == text)
        )
    return session.scalar(query.limit(1))


def id_for_uscc(session: Session, *, code: str | None) -> int | None:
    """The id of the enterprise registered under code; None when no code is given."""
    if code is None or not code.strip():
        return None
    return get_by_uscc_or_raise(session, code=code.strip()).id


USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}")
SIZES: dict[str, tuple[str, int, int | None]] = {
    "micro": ("微型（20 人以下）", 0, 20),
    "small": ("小型（20–299 人）", 20, 300),
    "medium": ("中型（300–999 人）", 300, 1000),
    "large": ("大型（1000 人及以上）", 1000, None),
}
SORTS = {
    "name": (Enterprise.name_pinyin, Enterprise.id),  # by pinyin (the index's order)
    "-staff": (Enterprise.staff_size.desc().nulls_last(), Enterprise.id),
    "-founded": (Enterprise.founded_on.desc().nulls_last(), Enterprise.id),
    "founded": (Enterprise.founded_on.asc().nulls_last(), Enterprise.id),
    "-capital": (Enterprise.registered_capital.desc().nulls_last(), Enterprise.id),
}


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    in_zone: bool | None = None
    chain: str | None = None
    tag: str | None = None
    region: str | None = None
    size: str | None = None
    sort: str = "name"


def check_filters(filters: Filters) -> None:
    """Refuse filter values that name no order, size or title, with the reason (the API; the
    page's choices come from these lists)."""
    if filters.sort not in SORTS:
        raise InvalidInput(f"没有“{filters.sort}”这种排序，可用：{'、'.join(SORTS)}", field="sort")
    if filters.size and filters.size not in SIZES:
        raise InvalidInput(f"没有“{filters.size}”这种规模，可用：{'、'.join(SIZES)}", field="size")
    if filters.tag and filters.tag not in TAGS:
        raise InvalidInput(f"没有“{filters.tag}”这种资质标签", field="tag")


def _filtered(actor: Actor, filters: Filters, dialect: str) -> sa.Select[Enterprise]:
    query = sa.select(Enterprise)
    if actor.enterprise_id is not None:
        query = query.where(Enterprise.id == actor.enterprise_id)
    if filters.q:
        term = filters.q.strip()
        if USCC_SHAPE.fullmatch(term.upper()):  # a credit code: its unique index, no scan
            query = query.where(Enterprise.uscc == term.upper())
        else:  # name_search holds each name folded as name_key, and its pinyin
            query = query.where(name_matches(name_key(term), dialect))
    if filters.in_zone is not None:
        query = query.where(Enterprise.in_zone == filters.in_zone)
    if filters.chain:
        query = query.where(Enterprise.chain == filters.chain)
    if filters.region:
        query = query.where(Enterprise.region_code == filters.region)
    if filters.tag:
        held = sa.select(EnterpriseTag.id).where(
            EnterpriseTag.enterprise_id == Enterprise.id, EnterpriseTag.tag == filters.tag
        )
        query = query.where(held.exists())
    if filters.size in SIZES:
        _, low, high = SIZES[filters.size]
        query = query.where(Enterprise.staff_size >= low)
        if high is not None:
            query = query.where(Enterprise.staff_size < high)
    return query.order_by(*SORTS.get(filters.sort, SORTS["name"]))


def get_all(
    session: Session,
    *,
    actor: Actor,
    q: str | None = None,
    in_zone: bool | None = None,
    filters: Filters | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[Enterprise]:
    """Enterprises visible to actor, filtered and sorted (by name unless told otherwise)."""
    actor.require(Permission.ENTERPRISES_READ)
    filters = filters or Filters(q=q, in_zone=in_zone)
    query = _filtered(actor, filters, session.get_bind().dialect.name).options(
        selectinload(Enterprise.tags)
    )
    return paginate(session, query, page=page, per_page=per_page)


@dataclass(frozen=True)
class Facets:
    chains: list[str]
    regions: list[tuple[str, str]]  # code, name
    tags: list[tuple[str, str]]  # key, label
    sizes: list[tuple[str, str]]


def facets(session: Session, *, actor: Actor) -> Facets:
    """The values the list can be filtered by."""
    actor.require(Permission.ENTERPRISES_READ)
    chains = session.scalars(
        sa.select(Enterprise.chain).where(Enterprise.chain.is_not(None)).distinct()
    ).all()
    regions = session.execute(
        sa.select(Region.code, Region.name)
        .where(Region.code.in_(sa.select(Enterprise.region_code).where(Enterprise.in_zone)))
        .order_by(Region.code)
    ).all()
    return Facets(
        chains=sorted(c for c in chains if c),
        regions=[(code, name) for code, name in regions],
        tags=[(t.key, t.label) for t in TAGS.values()],
        sizes=[(key, label) for key, (label, _, _) in SIZES.items()],
    )


EXPORT_LIMIT = 200_000


def export_xlsx(session: Session, *, actor: Actor, filters: Filters) -> bytes:
    """The filtered list as an xlsx workbook with Chinese headers."""
    actor.require(Permission.ENTERPRISES_READ)
    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    query = (
        _filtered(actor, filters, session.get_bind().dialect.name)
        .options(selectinload(Enterprise.tags))
        .limit(EXPORT_LIMIT)
    )
    headers = [
        "统一社会信用代码", "企业名称", "园区内外", "所属产业链", "行业代码", "区县", "法定代表人",
        "成立日期", "注册资本（万元）", "从业人数", "用地面积（亩）", "资质标签",
    ]  # fmt: skip
    rows = (
        [
            e.uscc or "",
            e.name,
            "园区内" if e.in_zone else "园区外",
            e.chain or "",
            e.industry_code or "",
            regions.get(e.region_code or "", ""),
            e.legal_rep or "",
            e.founded_on,
            e.registered_capital,
            e.staff_size,
            e.land_area,
            "、".join(TAGS[t.tag].label for t in e.tags if t.tag in TAGS),
        ]
        for e in session.scalars(query)
    )
    book = xlsx.ListWorkbook()
    book.table(
        "企业名录", headers=headers, rows=rows, widths=[28, 28, *[14] * 10], frozen_columns=2
    )
    return book.close()


def likely_duplicates(session: Session, *, actor: Actor) -> list[list[Enterprise]]:
    """Groups of firms whose folded names agree where at least one has no credit code."""
    actor.require(Permission.ZONE_READ)
    shared = (
        sa.select(Enterprise.name_key)
        .group_by(Enterprise.name_key)
        .having(sa.func.count() > 1, sa.func.count(Enterprise.uscc) < sa.func.count())
    )
    rows = session.scalars(
        sa.select(Enterprise)
        .where(Enterprise.name_key.in_(shared))
        .order_by(Enterprise.name_key, Enterprise.id)
    ).all()
    groups: dict[str, list[Enterprise]] = {}
    for enterprise in rows:
        groups.setdefault(enterprise.name_key, []).append(enterprise)
    return list(groups.values())


def current_fact_counts(session: Session, *, actor: Actor, ids: list[int]) -> dict[int, int]:
    """How many current values each of the firms ids holds (for telling duplicates apart)."""
    actor.require(Permission.ENTERPRISES_READ)
    counts = dict.fromkeys(ids, 0)
    for firm, count in session.execute(
        sa.select(Fact.enterprise_id, sa.func.count())
        .where(Fact.enterprise_id.in_(ids), Fact.is_current == sa.true())
        .group_by(Fact.enterprise_id)
    ):
        counts[firm] = count
    return counts


@dataclass(frozen=True)
class MergeResult:
    kept: Enterprise
    facts_moved: int
    facts_superseded: int  # moved, but the kept firm already had a current value from that source
    tags_moved: int
    fields_filled: list[str]


REGISTRY_TABLES = {"facts", "enterprise_tags", "users"}  # moved (or checked) by merge itself


class MergeHook(Protocol):
    """What another domain does with its own rows when the registry merges merged_id into
    kept_id; it runs in the merge's transaction, so raising undoes the whole merge."""

    def __call__(self, session: Session, *, kept_id: int, merged_id: int, actor: Actor) -> None: ...


_MERGE_HOOKS: list[MergeHook] = []


def on_merge(hook: MergeHook) -> MergeHook:
    """Register hook to run at every merge, before the duplicate is deleted (once per function,
    in the order registered); usable as a decorator. Domains that keep rows about firms register
    at import, so that the registry need not know them."""
    if hook not in _MERGE_HOOKS:
        _MERGE_HOOKS.append(hook)
    return hook


def remove_merge_hook(hook: Callable[..., None]) -> None:
    """Unregister hook (tests)."""
    if hook in _MERGE_HOOKS:
        _MERGE_HOOKS.remove(hook)


def _held_elsewhere(session: Session, enterprise_id: int) -> str:
    """The other tables (evaluation results, objections, …) with rows that point at the firm, as
    “table n 条”; empty when none."""
    found = []
    for table in Enterprise.metadata.sorted_tables:
        if table.name in REGISTRY_TABLES:
            continue
        for key in table.foreign_keys:
            if key.column.table.name == Enterprise.__tablename__:
                count = session.scalar(
                    sa.select(sa.func.count()).select_from(table).where(key.parent == enterprise_id)
                )
                if count:
                    found.append(f"{table.name} {count} 条")
    return "、".join(found)


def merge(session: Session, *, actor: Actor, keep_id: int, drop_id: int) -> MergeResult:
    """Fold a duplicate record without a credit code into the firm it duplicates.

    The duplicate's facts move over (where the kept firm already has a current value of the same
    metric, period and source, the moved value stays as history), its titles move where the kept
    firm lacks them, its empty-elsewhere profile fields fill the kept firm's blanks, and its name
    becomes a former name. First the merge hooks of other domains (`on_merge`) fold their own
    rows (the chains move officers' placements over and drop automatic ones); a hook that
    raises undoes the merge with the rest of the unit of work. Then the duplicate is deleted.
    Two firms with credit codes are two firms and are never merged."""
    actor.require(Permission.ENTERPRISES_WRITE)
    if keep_id == drop_id:
        raise InvalidInput("不能把企业合并到它自己", field="keep")
    keep = get_or_raise(session, actor=actor, enterprise_id=keep_id)
    drop = get_or_raise(session, actor=actor, enterprise_id=drop_id)
    if drop.uscc:
        if keep.uscc:
            raise Conflict(
                f"两条记录都有统一社会信用代码（{keep.uscc}、{drop.uscc}），是两家不同的企业，不能合并"
            )
        raise InvalidInput(
            "请保留有统一社会信用代码的那一条，把没有代码的记录合并进来", field="keep"
        )
    accounts = session.scalar(
        sa.select(sa.func.count()).select_from(User).where(User.enterprise_id == drop_id)
    )
    if accounts:
        raise Conflict(f"“{drop.name}”已关联 {accounts} 个企业账号，请先把账号改关联到保留的企业")
    for hook in list(_MERGE_HOOKS):
        hook(session, kept_id=keep_id, merged_id=drop_id, actor=actor)
    held = _held_elsewhere(session, drop_id)
    if held:
        raise Conflict(
            f"“{drop.name}”已出现在评价结果等记录中（{held}），合并会改写已有的结果，不能合并"
        )
    before = {"kept": _snapshot(keep), "dropped": _snapshot(drop)}

    now = utcnow()
    moved = aliased(Fact, name="moved")
    clashing = session.scalars(
        sa.select(moved.id).where(
            moved.enterprise_id == drop_id,
            moved.is_current == sa.true(),
            sa.select(Fact.id)
            .where(
                Fact.enterprise_id == keep_id,
                Fact.is_current == sa.true(),
                Fact.metric_id == moved.metric_id,
                Fact.period == moved.period,
                Fact.source_id == moved.source_id,
            )
            .exists(),
        )
    ).all()
    if clashing:
        session.execute(
            sa.update(Fact)
            .where(Fact.id.in_(clashing))
            .values(is_current=False, superseded_at=now),
            execution_options={"synchronize_session": False},
        )
    facts_moved = session.scalar(
        sa.select(sa.func.count()).select_from(Fact).where(Fact.enterprise_id == drop_id)
    )
    session.execute(
        sa.update(Fact).where(Fact.enterprise_id == drop_id).values(enterprise_id=keep_id),
        execution_options={"synchronize_session": False},
    )
    held_tags = {t.tag for t in keep.tags}
    tags_moved = 0
    for tag in list(drop.tags):
        if tag.tag not in held_tags:
            drop.tags.remove(tag)
            tag.enterprise_id = keep_id
            keep.tags.append(tag)
            tags_moved += 1
    filled = []
    for name in PROFILE_FIELDS:
        if getattr(keep, name) is None and getattr(drop, name) is not None:
            setattr(keep, name, getattr(drop, name))
            filled.append(name)
    former = [*keep.former_names]
    for name in (drop.name, *drop.former_names):
        if name != keep.name and name not in former:
            former.append(name)
    keep.former_names = former
    if not keep.in_zone and drop.in_zone:
        keep.in_zone = True
        filled.append("in_zone")
    session.delete(drop)
    session.flush()
    result = MergeResult(keep, facts_moved or 0, len(clashing), tags_moved, filled)
    audit.record(
        session,
        action="enterprise.merge",
        object_type="enterprise",
        object_id=keep_id,
        before=before,
        after={
            "kept": _snapshot(keep),
            "facts_moved": result.facts_moved,
            "facts_superseded": len(clashing),
            "tags_moved": tags_moved,
            "fields_filled": filled,
        },
    )
    return result


def _snapshot(enterprise: Enterprise) -> dict[str, object]:
    return {
        "id": enterprise.id,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "former_names": list(enterprise.former_names),
        "tags": [t.tag for t in enterprise.tags],
        **{name: _plain(getattr(enterprise, name)) for name in PROFILE_FIELDS},
    }


def _plain(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def create(
    session: Session, *, actor: Actor, name: str, code: str | None = None, in_zone: bool = True
) -> Enterprise:
    """Register an enterprise; the code, when given, must be valid and not yet registered."""
    actor.require(Permission.ENTERPRISES_WRITE)
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("企业名称不能为空，且不超过 200 个字", field="name")
    normalised = uscc_check.normalise(code) if code else None
    if normalised and session.scalar(sa.select(Enterprise.id).where(Enterprise.uscc == normalised)):
        raise Conflict(f"统一社会信用代码已登记：{normalised}", field="uscc")
    enterprise = Enterprise(
        name=clean_name(name), name_key=name_key(name), uscc=normalised, in_zone=in_zone
    )
    session.add(enterprise)
    session.flush()
    return enterprise


@dataclass(frozen=True)
class RegistryCounts:
    in_zone: int
    external: int


def counts(session: Session, *, actor: Actor) -> RegistryCounts:
    """How many enterprises are in the zone and outside it (investment-promotion candidates)."""
    actor.require(Permission.ZONE_READ)
    query = sa.select(Enterprise.in_zone, sa.func.count()).group_by(Enterprise.in_zone)
    rows: dict[bool, int] = {bool(in_zone): count for in_zone, count in session.execute(query)}
    return RegistryCounts(in_zone=rows.get(True, 0), external=rows.get(False, 0))
