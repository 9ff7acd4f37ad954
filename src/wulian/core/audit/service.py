"""Every write is audited: actor, time, action, object, and the values before and after.

`track(session, actor)` binds an actor to a session; from then on each flush writes one audit row
per inserted, updated or deleted row of every audited table (tables opt out with
`__audit__ = False`; columns listed in `__audit_mask__` are recorded as changed but masked, and
changes to nothing but the housekeeping columns in `__audit_ignore__` make no row).
A flush that writes audited rows without an actor is refused, so no write goes unattributed.
Bulk writes that bypass the ORM record a summary with `record`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.audit import labels
from wulian.core.audit.models import AuditEntry, AuditSeal
from wulian.core.calendar import CHINA_TIME
from wulian.core.db import utcnow
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission

MASK = "***"
ACTOR_KEY = "wulian.actor"
META_KEY = "wulian.request"


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    request_id: str | None = None


def track(session: Session, actor: Actor, meta: RequestMeta | None = None) -> None:
    """Attribute every write made through session to actor (keeping request details already set)."""
    session.info[ACTOR_KEY] = actor
    if meta is not None or META_KEY not in session.info:
        session.info[META_KEY] = meta or RequestMeta()


def set_request(session: Session, meta: RequestMeta) -> None:
    """Attach the client address and request id to every audit row written through session."""
    session.info[META_KEY] = meta


def actor_of(session: Session) -> Actor | None:
    """The actor bound to session, if any."""
    actor = session.info.get(ACTOR_KEY)
    return actor if isinstance(actor, Actor) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes):
        return MASK
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _columns(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    masked: frozenset[str] = getattr(obj, "__audit_mask__", frozenset())
    values = {}
    for attr in mapper.column_attrs:
        value = getattr(obj, attr.key)
        values[attr.key] = MASK if (attr.key in masked and value is not None) else _jsonable(value)
    return values


def _changes(obj: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    masked: frozenset[str] = getattr(obj, "__audit_mask__", frozenset())
    ignored: frozenset[str] = getattr(obj, "__audit_ignore__", frozenset())
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        if attr.key in masked:
            before[attr.key], after[attr.key] = MASK, MASK
        else:
            before[attr.key], after[attr.key] = _jsonable(old), _jsonable(new)
    return before, after


def _object_id(obj: Any) -> str | None:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if not key or all(part is None for part in key):
        return None
    return ",".join(str(part) for part in key)


def _entry(
    session: Session, action: str, object_type: str, object_id: str | None, before: Any, after: Any
) -> dict[str, Any]:
    actor = actor_of(session)
    meta = session.info.get(META_KEY) or RequestMeta()
    if actor is None:
        raise RuntimeError(f"写入 {object_type} 时没有操作人：每一次写入都必须可追溯")
    return {
        "at": utcnow(),
        "actor_kind": actor.kind,
        "actor_id": actor.id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "before": before,
        "after": after,
        "ip": meta.ip,
        "request_id": meta.request_id,
    }


@event.listens_for(Session, "after_flush")
def _audit_flush(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    for obj in session.new:
        if getattr(obj, "__audit__", False):
            table = obj.__tablename__
            rows.append(_entry(session, "create", table, _object_id(obj), None, _columns(obj)))
    for obj in session.dirty:
        if getattr(obj, "__audit__", False) and session.is_modified(obj, include_collections=False):
            before, after = _changes(obj)
            if after:
                table = obj.__tablename__
                rows.append(_entry(session, "update", table, _object_id(obj), before, after))
    for obj in session.deleted:
        if getattr(obj, "__audit__", False):
            table = obj.__tablename__
            rows.append(_entry(session, "delete", table, _object_id(obj), _columns(obj), None))
    if rows:
        session.connection().execute(sa.insert(AuditEntry), rows)


def record(
    session: Session,
    *,
    action: str,
    object_type: str,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Record an event that is not a plain row change (a login, a bulk import, a failed attempt)."""
    oid = None if object_id is None else str(object_id)
    entry = _entry(session, action, object_type, oid, _jsonable(before), _jsonable(after))
    session.connection().execute(sa.insert(AuditEntry), [entry])


@dataclass(frozen=True)
class Filters:
    """What the audit log is filtered on: an action, an object type, part of the actor's login,
    and a time window [since, until)."""

    action: str | None = None
    object_type: str | None = None
    actor_label: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def where(self, query: sa.Select[Any]) -> sa.Select[Any]:
        if self.action:
            query = query.where(AuditEntry.action == self.action)
        if self.object_type:
            query = query.where(AuditEntry.object_type == self.object_type)
        if self.actor_label:
            query = query.where(AuditEntry.actor_label.contains(self.actor_label, autoescape=True))
        if self.since:
            query = query.where(AuditEntry.at >= self.since)
        if self.until:
            query = query.where(AuditEntry.at < self.until)
        return query


def get_all(
    session: Session,
    *,
    actor: Actor,
    action: str | None = None,
    object_type: str | None = None,
    actor_label: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[AuditEntry]:
    """Audit entries, newest first, filtered; administrators only."""
    actor.require(Permission.AUDIT_READ)
    filters = Filters(action, object_type, actor_label, since, until)
    query = filters.where(sa.select(AuditEntry)).order_by(AuditEntry.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


EXPORT_LIMIT = 100_000  # entries in one exported workbook


@dataclass(frozen=True)
class Export:
    content: bytes
    rows: int
    truncated: bool  # more entries matched than one workbook holds (the newest are exported)


def export_xlsx(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    staff: dict[str, str],
    described: str,
    limit: int = EXPORT_LIMIT,
) -> Export:
    """The entries that match filters (all pages, newest first, at most limit) as a workbook in
    Chinese: who (by name and department; staff maps logins to names), when (China time), what,
    which object, and every changed field with its full value before and after. A second sheet
    states the filter (described, as the page shows it), who exported and when, and whether
    the list was cut at the limit. The export itself is recorded in the audit log."""
    actor.require(Permission.AUDIT_READ)
    query = filters.where(sa.select(AuditEntry)).order_by(AuditEntry.id.desc()).limit(limit + 1)
    entries = session.scalars(query.execution_options(yield_per=2_000))
    counted = {"rows": 0, "more": False}

    def lines() -> Any:
        for entry in entries:
            if counted["rows"] == limit:
                counted["more"] = True
                break
            counted["rows"] += 1
            changes = labels.changes(entry.before, entry.after, cut=None)
            yield [
                entry.id,
                f"{entry.at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}",
                staff.get(entry.actor_label, entry.actor_label),
                entry.actor_label,
                labels.action(entry.action),
                labels.table(entry.object_type),
                entry.object_id or "",
                "\n".join(_change_text(c) for c in changes),
                entry.ip or "",
            ]

    book = xlsx.ListWorkbook()
    book.table(
        "审计日志",
        headers=["序号", "时间（北京时间）", "操作人", "账号", "动作", "对象", "对象编号",
                 "内容（修改前 → 修改后）", "来源地址"],
        rows=lines(),
        widths=[10, 20, 24, 16, 16, 16, 12, 80, 16],
        frozen_columns=2,
    )  # fmt: skip
    now = utcnow()
    rows, more = int(counted["rows"]), bool(counted["more"])
    complete = (
        f"否：符合条件的记录超过 {limit:,} 条，只导出最新的 {limit:,} 条，请缩小时间范围后分批导出"
        if more
        else "是"
    )
    book.table(
        "说明",
        headers=["项目", "内容"],
        rows=[
            ["筛选条件", described or "全部记录"],
            ["导出人", staff.get(actor.label, actor.label)],
            ["导出时间（北京时间）", f"{now.astimezone(CHINA_TIME):%Y-%m-%d %H:%M:%S}"],
            ["导出条数", rows],
            ["是否完整", complete],
        ],
        widths=[22, 80],
    )
    record(
        session,
        action="audit.export",
        object_type="audit_log",
        after={"filter": described, "rows": rows, "truncated": more},
    )
    return Export(book.close(), rows, more)


def _change_text(change: labels.Change) -> str:
    if change.before is not None and change.after is not None:
        return f"{change.field}：{change.before} → {change.after}"
    if change.after is not None:
        return f"{change.field}：{change.after}"
    return f"{change.field}：（删除）{change.before}"


def distinct_values(session: Session, *, actor: Actor) -> tuple[list[str], list[str]]:
    """The actions and object types present, for the filter menus."""
    actor.require(Permission.AUDIT_READ)
    actions = session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    types = session.scalars(
        sa.select(AuditEntry.object_type).distinct().order_by(AuditEntry.object_type)
    )
    return list(actions), list(types)


# ---------------------------------------------------------------- the hash chain

GENESIS = "0" * 64
SEAL_BATCH = 5_000


def _content(entry: AuditEntry) -> bytes:
    """An entry's content as the chain hashes it: every column, in a canonical JSON form that
    reads the same on both databases."""
    at = entry.at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    fields = [
        entry.id, at, entry.actor_kind, entry.actor_id, entry.actor_label, entry.action,
        entry.object_type, entry.object_id, entry.before, entry.after, entry.ip, entry.request_id,
    ]  # fmt: skip
    return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def link_hash(prev_hash: str, entry: AuditEntry) -> str:
    """The hash of the link that seals entry after prev_hash."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + _content(entry)).hexdigest()


def seal(session: Session) -> int:
    """Add every committed entry not yet in the chain, oldest first; how many were sealed.
    Sealers take turns on the chain's last link (a second one waits, then goes on from it).
    Run it in a session of its own: it empties the session between batches."""
    last = session.scalar(
        sa.select(AuditSeal).order_by(AuditSeal.seq.desc()).limit(1).with_for_update()
    )
    seq, prev = (last.seq, last.hash) if last is not None else (0, GENESIS)
    sealed = 0
    while True:
        entries = session.scalars(
            sa.select(AuditEntry)
            .outerjoin(AuditSeal, AuditSeal.entry_id == AuditEntry.id)
            .where(AuditSeal.seq.is_(None))
            .order_by(AuditEntry.id)
            .limit(SEAL_BATCH)
        ).all()
        if not entries:
            return sealed
        links = []
        for entry in entries:
            seq += 1
            digest = link_hash(prev, entry)
            links.append(
                {"seq": seq, "entry_id": entry.id, "prev_hash": prev, "hash": digest,
                 "sealed_at": utcnow()}
            )  # fmt: skip
            prev = digest
        session.execute(sa.insert(AuditSeal), links)
        sealed += len(links)
        session.expunge_all()


@dataclass(frozen=True)
class ChainCheck:
    """What `verify` found: links checked, the first broken one (seq, entry id, why) if any,
    and entries not yet sealed."""

    checked: int
    broken: tuple[int, int | None, str] | None
    unsealed: int


def verify(session: Session) -> ChainCheck:
    """Recompute the chain link by link; stops at the first broken link."""
    prev, expected, checked = GENESIS, 1, 0
    query = (
        sa.select(AuditSeal, AuditEntry)
        .outerjoin(AuditEntry, AuditEntry.id == AuditSeal.entry_id)
        .order_by(AuditSeal.seq)
        .execution_options(yield_per=SEAL_BATCH)
    )
    broken: tuple[int, int | None, str] | None = None
    for link, entry in session.execute(query):
        if link.seq != expected:
            broken = (expected, None, f"第 {expected} 环缺失（链条在此断开）")
        elif link.prev_hash != prev:
            broken = (link.seq, link.entry_id, "与上一环不衔接（前一环被改动或删除）")
        elif entry is None:
            broken = (link.seq, link.entry_id, "这一环对应的审计记录已被删除")
        elif link_hash(prev, entry) != link.hash:
            broken = (link.seq, link.entry_id, "审计记录的内容与封存时不同（已被改动）")
        if broken is not None:
            break
        prev, expected, checked = link.hash, expected + 1, checked + 1
    unsealed = session.scalar(
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .outerjoin(AuditSeal, AuditSeal.entry_id == AuditEntry.id)
        .where(AuditSeal.seq.is_(None))
    )
    return ChainCheck(checked=checked, broken=broken, unsealed=int(unsealed or 0))
