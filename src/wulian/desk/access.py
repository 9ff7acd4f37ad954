"""Who may see and do what on a request (by role, department and the firm it concerns), reading
requests and their events, the officers' queue, and the shapes of a command and an upload.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import xlsx
from wulian.core.auth.models import Department, User
from wulian.core.calendar import CHINA_TIME
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission, Role
from wulian.core.todo import Todo
from wulian.desk import config as desk_config
from wulian.desk.config import Action, DeskConfig
from wulian.desk.models import DeskAttachment, DeskEvent, DeskRequest
from wulian.desk.versions import config_of, current
from wulian.enterprises import read

MAX_TITLE = 100

MAX_DESCRIPTION = 5000

SYSTEM_LABEL = "系统"

Ts = TypeVarTuple("Ts")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "当前状态不允许此操作"


def department_codes(session: Session) -> dict[str, int]:
    return dict(session.execute(sa.select(Department.code, Department.id)).all())


@dataclass(frozen=True)
class Reach:
    """What an actor may see on the desk: everything, one firm's requests, or departments'."""

    all: bool = False
    enterprise_id: int | None = None
    departments: frozenset[int] = frozenset()
    dispatcher: bool = False
    supervisor: bool = False


def reach(session: Session, actor: Actor, spec: DeskConfig) -> Reach:
    """The requests actor may see (and, for officers, act on)."""
    if actor.enterprise_id is not None:
        actor.require(Permission.DESK_SUBMIT)
        return Reach(enterprise_id=actor.enterprise_id)
    if actor.answers_for_all:
        return Reach(all=True, dispatcher=True, supervisor=True)
    codes = department_codes(session)
    dispatcher = actor.department_id is not None and actor.department_id == codes.get(
        spec.settings.dispatcher
    )
    supervisor = actor.department_id is not None and actor.department_id == codes.get(
        spec.settings.supervisor
    )
    if actor.has(Permission.DESK_HANDLE):
        own = frozenset({actor.department_id} if actor.department_id is not None else set())
        return Reach(
            all=dispatcher or supervisor or actor.has(Permission.DESK_READ),
            departments=own,
            dispatcher=dispatcher,
            supervisor=supervisor,
        )
    actor.require(Permission.DESK_READ)
    return Reach(all=True)


def visible(query: sa.Select[*Ts], where: Reach) -> sa.Select[*Ts]:
    if where.enterprise_id is not None:
        return query.where(DeskRequest.enterprise_id == where.enterprise_id)
    if where.all:
        return query
    return query.where(DeskRequest.department_id.in_(where.departments))


def _may_see(where: Reach, request: DeskRequest) -> bool:
    if where.enterprise_id is not None:
        return request.enterprise_id == where.enterprise_id
    return where.all or request.department_id in where.departments


def roles_of(actor: Actor, where: Reach, request: DeskRequest) -> set[str]:
    """The roles of the configuration's action table that actor holds for request."""
    roles: set[str] = set()
    if actor.kind == "system":
        return {"system", "officer", "supervisor"}
    if where.enterprise_id is not None and request.enterprise_id == where.enterprise_id:
        roles.add("enterprise")
    if actor.enterprise_id is None and actor.has(Permission.DESK_HANDLE):
        if (
            actor.role == Role.ADMIN
            or where.dispatcher
            or (request.department_id is not None and request.department_id in where.departments)
        ):
            roles.add("officer")
        if actor.role == Role.ADMIN or where.supervisor:
            roles.add("supervisor")
    return roles


def get_or_raise(session: Session, *, actor: Actor, request_id: int) -> DeskRequest:
    """One request, when actor may see it."""
    request = session.get(DeskRequest, request_id)
    if request is None:
        raise NotFound(f"诉求不存在：{request_id}")
    where = reach(session, actor, config_of(session, request))
    if not _may_see(where, request):
        if actor.enterprise_id is not None:
            raise PermissionDenied("只能查看本企业的诉求")
        raise PermissionDenied("只能查看分派给本部门的诉求")
    return request


def get_by_tracking_or_raise(session: Session, *, actor: Actor, tracking_no: str) -> DeskRequest:
    found = session.scalar(
        sa.select(DeskRequest.id).where(DeskRequest.tracking_no == tracking_no.strip().upper())
    )
    if found is None:
        raise NotFound(f"没有受理编号为 {tracking_no} 的诉求")
    return get_or_raise(session, actor=actor, request_id=found)


def events(session: Session, *, actor: Actor, request: DeskRequest) -> list[DeskEvent]:
    """The request's timeline; the firm sees the public steps only."""
    query = sa.select(DeskEvent).where(DeskEvent.request_id == request.id)
    if actor.enterprise_id is not None:
        query = query.where(DeskEvent.public)
    return list(session.scalars(query.order_by(DeskEvent.at, DeskEvent.id)))


def attachments(session: Session, *, request: DeskRequest) -> list[DeskAttachment]:
    return list(
        session.scalars(
            sa.select(DeskAttachment)
            .where(DeskAttachment.request_id == request.id)
            .order_by(DeskAttachment.id)
        )
    )


def actions_for(session: Session, *, actor: Actor, request: DeskRequest) -> list[Action]:
    """The actions actor may take on request now (for the buttons of its page)."""
    spec = config_of(session, request)
    where = reach(session, actor, spec)
    roles = roles_of(actor, where, request)
    return [
        a
        for a in spec.allowed(request.state)
        if roles & set(a.by)
        and a.key != "review"  # the platform's own step
        and not (a.key == "rate" and request.rating is not None)  # rated once
    ]


# The queue's orders (the list's 排序): nearest deadline first is how officers work.
QUEUE_SORTS = {
    "due": "按期限（先到期的在前）",
    "-submitted": "提交时间从新到旧",
    "firm": "按企业名称",
}
EXPORT_LIMIT = 100_000  # rows in one exported workbook


@dataclass(frozen=True)
class Filters:
    state: str = ""  # a state key, "open" or "closed"
    category: str = ""
    department_id: int | None = None
    enterprise_id: int | None = None
    due: str = ""  # overdue | soon
    escalated: bool = False
    mine: bool = False
    q: str = ""
    sort: str = "due"  # a key of QUEUE_SORTS


def _queue_query(
    session: Session, actor: Actor, filters: Filters, now: dt.datetime
) -> sa.Select[DeskRequest]:
    """The requests actor may see that match filters, in the order the filter asks for."""
    _, spec = current(session)
    where = reach(session, actor, spec)
    query = visible(sa.select(DeskRequest), where)
    closed = [s.key for s in spec.states if s.closed]
    if filters.state == "open":
        query = query.where(DeskRequest.state.not_in(closed))
    elif filters.state == "closed":
        query = query.where(DeskRequest.state.in_(closed))
    elif filters.state:
        query = query.where(DeskRequest.state == filters.state)
    if filters.category:
        query = query.where(DeskRequest.category == filters.category)
    if filters.department_id is not None:
        query = query.where(DeskRequest.department_id == filters.department_id)
    if filters.enterprise_id is not None:
        query = query.where(DeskRequest.enterprise_id == filters.enterprise_id)
    if filters.due == "overdue":
        query = query.where(DeskRequest.due_at < now)
    elif filters.due == "soon":
        query = query.where(DeskRequest.warn_at <= now, DeskRequest.due_at >= now)
    if filters.escalated:
        query = query.where(DeskRequest.escalated_at.is_not(None))
    if filters.mine and actor.id is not None:
        query = query.where(DeskRequest.assignee_id == actor.id)
    if filters.q.strip():
        text = filters.q.strip()
        query = query.where(
            DeskRequest.title.contains(text, autoescape=True)
            | (DeskRequest.tracking_no == text.upper())
        )
    if filters.sort not in QUEUE_SORTS:
        raise InvalidInput(f"排序方式“{filters.sort}”不对", field="sort")
    if filters.sort == "firm":
        return query.order_by(read.name_order(DeskRequest.enterprise_id), DeskRequest.id.desc())
    if filters.sort == "-submitted":
        return query.order_by(DeskRequest.created_at.desc(), DeskRequest.id.desc())
    return query.order_by(DeskRequest.due_at.is_(None), DeskRequest.due_at, DeskRequest.id.desc())


def queue(
    session: Session,
    *,
    actor: Actor,
    filters: Filters = Filters(),
    now: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[DeskRequest]:
    """Requests actor may see, nearest deadline first (closed ones last, newest first) unless the
    filter sorts otherwise."""
    query = _queue_query(session, actor, filters, now or utcnow())
    return paginate(session, query, page=page, per_page=per_page)


def queue_xlsx(
    session: Session, *, actor: Actor, filters: Filters, now: dt.datetime | None = None
) -> bytes:
    """Every request of the queue that matches filters, in the list's order, as a workbook."""
    now = now or utcnow()
    query = _queue_query(session, actor, filters, now).limit(EXPORT_LIMIT)
    rows: list[DeskRequest] = list(session.scalars(query))
    _, spec = current(session)
    firms = read.names(session, sorted({r.enterprise_id for r in rows}))
    departments = dict(session.execute(sa.select(Department.id, Department.name)).all())
    staff = actor.enterprise_id is None
    headers = ["受理编号", "标题", "类别", "状态", "提交时间", "期限", "是否超期"]
    if staff:
        headers[2:2] = ["企业"]
        headers[5:5] = ["承办部门"]
        headers.append("督办")

    def line(r: DeskRequest) -> list[str]:
        state = spec.state_map.get(r.state)
        overdue = r.due_at is not None and r.due_at < now and not (state and state.closed)
        out = [r.tracking_no or "", r.title,
               spec.category_map[r.category].name if r.category in spec.category_map
               else r.category,
               state.name if state else r.state,
               local_time(r.created_at), local_time(r.due_at),
               "是" if overdue else "否"]  # fmt: skip
        if staff:
            out[2:2] = [firms.get(r.enterprise_id, "")]
            out[5:5] = [departments.get(r.department_id, "") if r.department_id else ""]
            out.append("是" if r.escalated_at else "")
        return out

    book = xlsx.ListWorkbook()
    book.table(
        "诉求", headers=headers, rows=(line(r) for r in rows),
        widths=[16, 36, *([30] if staff else []), 14, 12, *([20] if staff else []), 18, 18, 10,
                *([8] if staff else [])],
        frozen_columns=1,
    )  # fmt: skip
    return book.close()


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    sha256: str | None = None  # the checksum the client sent, if any


@dataclass(frozen=True)
class Command:
    """What an actor asks to do to a request."""

    action: str
    reason: str = ""
    note: str = ""
    department: str = ""  # department code, for 交办 and 转办
    assignee_id: int | None = None
    category: str = ""  # an officer may correct the category when accepting
    rating: int | None = None
    into: str = ""  # the tracking number a request is merged into
    revision: int | None = None  # the revision the actor saw (a concurrent change is refused)
    uploads: Sequence[Upload] = field(default_factory=tuple)


def spec_allows(spec: DeskConfig, state: str, action: str) -> bool:
    return any(a.key == action for a in spec.allowed(state))


def deadlines_label(request: DeskRequest) -> str:
    return desk_config.CLOCK_NAMES.get(request.due_clock or "", "期限") + "期限"


def local_time(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if value else "—"


def departments(session: Session) -> list[Department]:
    return list(session.scalars(sa.select(Department).where(Department.is_active)
                                .order_by(Department.code)))  # fmt: skip


def latest_notes(session: Session, request_ids: Sequence[int]) -> dict[int, str]:
    """Each request's newest public note (requests without one are left out)."""
    if not request_ids:
        return {}
    newest = (
        sa.select(sa.func.max(DeskEvent.id))
        .where(DeskEvent.request_id.in_(request_ids), DeskEvent.public, DeskEvent.note != "")
        .group_by(DeskEvent.request_id)
    )
    rows = session.execute(
        sa.select(DeskEvent.request_id, DeskEvent.note).where(DeskEvent.id.in_(newest))
    )
    return {request_id: note for request_id, note in rows}  # noqa: C416 (rows are not pairs)


def department_names(session: Session) -> dict[int, str]:
    return dict(session.execute(sa.select(Department.id, Department.name)).all())


def officers(session: Session, *, department_id: int | None) -> list[User]:
    if department_id is None:
        return []
    return list(
        session.scalars(
            sa.select(User)
            .where(User.department_id == department_id, User.is_active,
                   User.role == Role.OFFICER)
            .order_by(User.username)
        )
    )  # fmt: skip


def counts_by_state(session: Session, *, actor: Actor) -> Counter[str]:
    _, spec = current(session)
    where = reach(session, actor, spec)
    query = visible(
        sa.select(DeskRequest.state, sa.func.count()).group_by(DeskRequest.state), where
    )
    return Counter(dict(session.execute(query).all()))


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """The requests waiting for actor. The accepting department (受理) sees those to accept; an
    officer those of their department (the accepting and supervising departments: all) due soon
    or overdue and those they handle; others who may read the desk see the overdue ones. A
    firm's user sees its open requests and those waiting for it to supply material."""
    try:
        _, spec = current(session)
        where = reach(session, actor, spec)
    except (PermissionDenied, Conflict):  # not a desk user, or no desk configured yet
        return []
    now = now or utcnow()
    whole = where.dispatcher or where.supervisor or actor.answers_for_all
    if not whole and where.enterprise_id is None and actor.has(Permission.DESK_HANDLE):
        where = Reach(departments=where.departments)  # an officer's own department's work
    open_ = visible(sa.select(sa.func.count()).select_from(DeskRequest), where).where(
        DeskRequest.state.in_(spec.open_states())
    )

    def count(query: sa.Select[int]) -> int:
        return int(session.scalar(query) or 0)

    module = "企呼我应"
    if where.enterprise_id is not None:
        return [
            Todo(module, "办理中的诉求", count(open_), "/desk?state=open"),
            *(
                Todo(module, f"{s.name}的诉求", count(open_.where(DeskRequest.state == s.key)),
                     f"/desk?state={s.key}", urgent=True)
                for s in spec.states if s.pauses
            ),
        ]  # fmt: skip
    overdue = Todo(
        module, "已超期的诉求", count(open_.where(DeskRequest.due_at < now)), "/desk?due=overdue",
        urgent=True,
    )  # fmt: skip
    if not actor.has(Permission.DESK_HANDLE):
        return [overdue]
    first = spec.initial
    soon = open_.where(DeskRequest.warn_at <= now, DeskRequest.due_at >= now)
    items = [
        overdue,
        Todo(module, "即将到期的诉求", count(soon), "/desk?due=soon"),
    ]
    if where.dispatcher or actor.answers_for_all:
        to_accept = count(open_.where(DeskRequest.state == first.key))
        items.insert(0, Todo(module, f"{first.name}的诉求", to_accept, f"/desk?state={first.key}"))
    if actor.id is not None:
        mine = count(open_.where(DeskRequest.assignee_id == actor.id))
        items.append(Todo(module, "由我承办的诉求", mine, "/desk?state=open&mine=1"))
    return items


@dataclass(frozen=True)
class FirmRequests:
    """A firm's requests for its page (一企一档): how many are open and closed, the latest."""

    open: int
    closed: int
    latest: list[DeskRequest]
    states: dict[str, str]  # state key → name


def firm_requests(session: Session, *, actor: Actor, enterprise_id: int) -> FirmRequests | None:
    """The firm's requests as far as actor may see them (None: actor does not use the desk)."""
    actor.require_enterprise(enterprise_id)
    try:
        _, spec = current(session)
        where = reach(session, actor, spec)
    except (PermissionDenied, Conflict):  # not a desk user, or no desk configured yet
        return None
    counted = visible(
        sa.select(DeskRequest.state, sa.func.count()).group_by(DeskRequest.state), where
    ).where(DeskRequest.enterprise_id == enterprise_id)
    by_state: dict[str, int] = dict(session.execute(counted).all())
    open_states = set(spec.open_states())
    latest = session.scalars(
        visible(sa.select(DeskRequest), where)
        .where(DeskRequest.enterprise_id == enterprise_id)
        .order_by(DeskRequest.created_at.desc(), DeskRequest.id.desc())
        .limit(5)
    ).all()
    return FirmRequests(
        open=sum(n for s, n in by_state.items() if s in open_states),
        closed=sum(n for s, n in by_state.items() if s not in open_states),
        latest=list(latest),
        states={s.key: s.name for s in spec.states},
    )


def person_requests(
    session: Session, *, actor: Actor, enterprise_id: int, person_id: int, limit: int = 50
) -> list[tuple[str, str, str, str]]:
    """The firm's requests linked to one of its people (attribute `talent_person`), as far as
    actor may see them, newest first: tracking number, title, category and state names."""
    actor.require_enterprise(enterprise_id)
    try:
        _, spec = current(session)
        where = reach(session, actor, spec)
    except (PermissionDenied, Conflict):  # not a desk user, or no desk configured yet
        return []
    linked = [
        c.key for c in spec.categories if any(a.code == "talent_person" for a in c.attributes)
    ]
    rows = session.scalars(
        visible(sa.select(DeskRequest), where)
        .where(DeskRequest.enterprise_id == enterprise_id, DeskRequest.category.in_(linked))
        .order_by(DeskRequest.created_at.desc(), DeskRequest.id.desc())
        .limit(2000)
    ).all()
    linked_rows = [r for r in rows if (r.attributes or {}).get("talent_person") == person_id]
    categories, states = spec.category_map, spec.state_map
    return [
        (r.tracking_no or "", r.title,
         categories[r.category].name if r.category in categories else r.category,
         states[r.state].name if r.state in states else r.state)
        for r in linked_rows[:limit]
    ]  # fmt: skip
