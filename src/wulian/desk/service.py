"""The request desk (企呼我应): the only module that reads and writes the desk's tables.

A request is submitted by its firm (portal or API) or by an officer for a firm (hotline, visit);
it gets its tracking number in the same transaction that stores it. Every later step is an action
of the configuration's table, checked against the request's state and the actor's role, and
written as an event; the request's deadlines are then replayed from its events (see
`deadlines`). The sweep warns of deadlines due soon and escalates (督办) overdue requests.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVarTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from wulian.core import audit, specversions
from wulian.core.auth.models import Department, User
from wulian.core.calendar import CHINA_TIME, WorkCalendar
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission, Role
from wulian.core.workdays import service as workdays
from wulian.desk import config as desk_config
from wulian.desk import deadlines
from wulian.desk.config import CLOCKS, PREVIOUS, SAME, Action, DeskConfig
from wulian.desk.models import DeskAttachment, DeskConfigVersion, DeskEvent, DeskRequest, DeskSurvey
from wulian.engines.classify import model as classify
from wulian.engines.classify import text as classify_text
from wulian.engines.specfile import refuse
from wulian.enterprises import read

CODE = "desk"
CHANNELS = {"portal": "企业门户", "api": "接口", "hotline": "服务热线", "visit": "走访发现"}
MAX_TITLE = 100
MAX_DESCRIPTION = 5000
SUGGEST_THRESHOLD = 0.35  # below: the officer chooses the category at acceptance
ATTACHMENT_TYPES = {
    b"%PDF-": (".pdf", "application/pdf"),
    b"\x89PNG\r\n\x1a\n": (".png", "image/png"),
    b"\xff\xd8\xff": (".jpg", "image/jpeg"),
}
OFFICE_TYPES = {  # zip containers, told apart by name
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SYSTEM_LABEL = "系统"
Ts = TypeVarTuple("Ts")


class InvalidTransition(Conflict):
    code = "invalid_transition"
    title = "当前状态不允许此操作"


# ---------------------------------------------------------------- configuration


def shipped_text() -> str:
    return resources.files("wulian.desk").joinpath("specs/desk.yaml").read_text("utf-8")


@lru_cache(maxsize=64)
def parse(text: str) -> DeskConfig:
    """A configuration from its text (parsed once per text)."""
    return desk_config.load(text)


def install_shipped(session: Session, *, actor: Actor) -> bool:
    """The shipped configuration as version 1, unless there is one."""
    text = shipped_text()
    spec = parse(text)
    return specversions.install(
        session, DeskConfigVersion, code=CODE, text=text, name=spec.name, created_by=actor.label
    )


def get_configs(session: Session, *, actor: Actor) -> list[DeskConfigVersion]:
    """Every version of the configuration, newest first."""
    staff_only(actor)
    return specversions.versions(session, DeskConfigVersion)


def get_config_or_raise(session: Session, *, actor: Actor, spec_id: int) -> DeskConfigVersion:
    staff_only(actor)
    return specversions.get_or_raise(session, DeskConfigVersion, spec_id, "服务台配置")


def current(session: Session) -> tuple[int, DeskConfig]:
    """The newest configuration version's id and its parsed content (the text is read once per
    version: versions never change)."""
    config_id = session.scalar(
        sa.select(DeskConfigVersion.id)
        .where(DeskConfigVersion.code == CODE)
        .order_by(DeskConfigVersion.version.desc())
        .limit(1)
    )
    if config_id is None:
        raise Conflict("服务台尚未配置：请管理员载入服务台配置")
    return config_id, _config_text(session, config_id)


def config_of(session: Session, request: DeskRequest) -> DeskConfig:
    """The configuration a request runs under (the version current when it was submitted)."""
    return _config_text(session, request.config_id)


def _config_text(session: Session, config_id: int) -> DeskConfig:
    key = (_database(session), config_id)
    text = _TEXTS.get(key)
    if text is None:
        row = session.get(DeskConfigVersion, config_id)
        if row is None:
            raise NotFound(f"服务台配置不存在：{config_id}")
        text = _TEXTS[key] = row.text
    return parse(text)


def _database(session: Session) -> str:
    """Which database session reads (caches keyed by row ids must not mix two databases)."""
    return session.get_bind().engine.url.render_as_string()


# (database, config version id) → text: versions never change, so each is read once.
_TEXTS: dict[tuple[str, int], str] = {}


def save_config(
    session: Session, *, actor: Actor, text: str, based_on_id: int, copy: bool, note: str
) -> DeskConfigVersion:
    """A new version of the configuration (administrators); department codes must exist."""
    actor.require(Permission.DESK_ADMIN)
    if copy:
        raise InvalidInput("服务台只有一份配置：请修改后保存为新版本", field="text")
    base = get_config_or_raise(session, actor=actor, spec_id=based_on_id)
    text = specversions.checked_text(text)
    spec = desk_config.load(text)
    known = set(session.scalars(sa.select(Department.code).where(Department.is_active)))
    problems: list[tuple[tuple[str | int, ...], Any, str]] = []
    for i, route in enumerate(spec.routes):
        if route.department not in known:
            problems.append((("routes", i, "department"), route.department, "没有这个部门代码"))
    for key in ("dispatcher", "supervisor", "chain_office"):
        code = getattr(spec.settings, key)
        if code is not None and code not in known:
            problems.append((("settings", key), code, "没有这个部门代码"))
    if problems:
        raise refuse(text, "desk.yaml", problems)
    return specversions.save(
        session, DeskConfigVersion, base=base, text=text, spec_id=spec.id, name=spec.name,
        copy=False, note=note, created_by=actor.label,
    )  # fmt: skip


# ---------------------------------------------------------------- who may do what


def staff_only(actor: Actor) -> None:
    """Refuse enterprise users and officers without a desk permission."""
    if actor.enterprise_id is not None:
        raise PermissionDenied("企业用户只能查看本企业的诉求")
    if not (actor.has(Permission.DESK_HANDLE) or actor.has(Permission.DESK_READ)):
        actor.require(Permission.DESK_READ)


def _department_codes(session: Session) -> dict[str, int]:
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
    codes = _department_codes(session)
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


def _visible(query: sa.Select[*Ts], where: Reach) -> sa.Select[*Ts]:
    if where.enterprise_id is not None:
        return query.where(DeskRequest.enterprise_id == where.enterprise_id)
    if where.all:
        return query
    return query.where(DeskRequest.department_id.in_(where.departments))


def _may_see(where: Reach, request: DeskRequest) -> bool:
    if where.enterprise_id is not None:
        return request.enterprise_id == where.enterprise_id
    return where.all or request.department_id in where.departments


def _roles(actor: Actor, where: Reach, request: DeskRequest) -> set[str]:
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


# ---------------------------------------------------------------- reading


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
    roles = _roles(actor, where, request)
    return [
        a
        for a in spec.allowed(request.state)
        if roles & set(a.by)
        and a.key != "review"  # the platform's own step
        and not (a.key == "rate" and request.rating is not None)  # rated once
    ]


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


def queue(
    session: Session,
    *,
    actor: Actor,
    filters: Filters = Filters(),
    now: dt.datetime | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page[DeskRequest]:
    """Requests actor may see, nearest deadline first (closed ones last, newest first)."""
    _, spec = current(session)
    where = reach(session, actor, spec)
    now = now or utcnow()
    query = _visible(sa.select(DeskRequest), where)
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
    query = query.order_by(DeskRequest.due_at.is_(None), DeskRequest.due_at, DeskRequest.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


# ---------------------------------------------------------------- the classifier


class _Suggester:
    """The category model of a configuration version, trained once from its categories' names,
    descriptions and keywords plus the requests officers have accepted, and retrained when
    fifty more have been accepted (counted at most once a minute, not on every request).
    Shared by the server's threads."""

    RECOUNT_SECONDS = 60.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (database, config version id) → (accepts counted, model); and when last counted
        self.models: dict[tuple[str, int], tuple[int, classify.Model]] = {}
        self.counted: dict[tuple[str, int], float] = {}

    def suggest(
        self, session: Session, config_id: int, spec: DeskConfig, text: str
    ) -> tuple[str, float, str] | None:
        key = (_database(session), config_id)
        with self.lock:
            known = self.models.get(key)
            now = time.monotonic()
            if known is None or now - self.counted.get(key, 0.0) >= self.RECOUNT_SECONDS:
                self.counted[key] = now
                count = (
                    session.scalar(
                        sa.select(sa.func.count())
                        .select_from(DeskEvent)
                        .where(DeskEvent.action == "accept")
                    )
                    or 0
                )
                if known is None or count - known[0] >= 50:
                    examples = _examples(session, spec)
                    known = (count, classify.train(spec.taxonomy(), examples))
                    self.models[key] = known
            model = known[1]
        prediction = classify.predict(model, [text], top_k=1)
        if prediction.frame.is_empty():
            return None
        row = prediction.frame.row(0, named=True)
        return str(row["code"]), float(row["score"]), str(row["terms"])


def _examples(session: Session, spec: DeskConfig) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.select(DeskRequest.title, DeskRequest.description, DeskRequest.category)
        .join(DeskEvent, DeskEvent.request_id == DeskRequest.id)
        .where(DeskEvent.action == "accept")
        .order_by(DeskRequest.id.desc())
        .limit(2000)
    ).all()
    known = spec.category_map
    return [(f"{t} {d}", c) for t, d, c in rows if c in known]


SUGGESTER = _Suggester()


def warm_up(session: Session) -> bool:
    """Train the category model of the current configuration now (a server does this before it
    takes requests, so the first firm to submit does not wait for it); False when the desk has
    no configuration yet."""
    try:
        config_id, spec = current(session)
    except Conflict:
        return False
    SUGGESTER.suggest(session, config_id, spec, "")
    return True


def suggest(session: Session, *, actor: Actor, text: str) -> tuple[str, float, str] | None:
    """The category the classifier suggests for a request's text, with its confidence and the
    terms that decided it; None when the text has nothing to go by."""
    if not (actor.has(Permission.DESK_SUBMIT) or actor.has(Permission.DESK_HANDLE)):
        actor.require(Permission.DESK_SUBMIT)
    config_id, spec = current(session)
    return SUGGESTER.suggest(session, config_id, spec, text[:MAX_DESCRIPTION])


# ---------------------------------------------------------------- attachments


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    sha256: str | None = None  # the checksum the client sent, if any


def _store(data_dir: Path, request_id: int, upload: Upload, limit_mb: int) -> DeskAttachment:
    name = Path(upload.filename or "附件").name[:200]
    if not upload.content:
        raise InvalidInput(f"附件“{name}”是空文件", field="attachments", value=name)
    if len(upload.content) > limit_mb * 1024 * 1024:
        raise InvalidInput(
            f"附件“{name}”超过 {limit_mb} MB 的上限", field="attachments", value=name
        )
    kind = next(
        (found for magic, found in ATTACHMENT_TYPES.items() if upload.content.startswith(magic)),
        None,
    )
    suffix = Path(name).suffix.lower()
    if kind is None and upload.content.startswith(b"PK\x03\x04") and suffix in OFFICE_TYPES:
        kind = (suffix, OFFICE_TYPES[suffix])
    if kind is None:
        raise InvalidInput(
            f"附件“{name}”的类型不允许：只接受 PDF、PNG、JPG、Word（docx）和 Excel（xlsx）",
            field="attachments",
            value=name,
        )
    digest = hashlib.sha256(upload.content).hexdigest()
    if upload.sha256 is not None and upload.sha256.strip().lower() != digest:
        raise InvalidInput(
            f"附件“{name}”的校验值与内容不符（传输中可能损坏），请重新上传",
            field="attachments",
            value=name,
        )
    relative = f"desk/{request_id}/{digest}{kind[0]}"
    path = data_dir / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_suffix(path.suffix + ".part")
        temporary.write_bytes(upload.content)
        temporary.replace(path)
    return DeskAttachment(
        request_id=request_id, filename=name, content_type=kind[1], size=len(upload.content),
        sha256=digest, path=relative, created_by="",
    )  # fmt: skip


def attachment_file(
    session: Session, *, actor: Actor, attachment_id: int, data_dir: Path
) -> tuple[DeskAttachment, bytes]:
    """An attachment's content, checked against its checksum (a file that fails is refused)."""
    row = session.get(DeskAttachment, attachment_id)
    if row is None:
        raise NotFound("附件不存在")
    get_or_raise(session, actor=actor, request_id=row.request_id)
    path = data_dir / row.path
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"附件文件“{row.filename}”已丢失，请联系管理员") from None
    if hashlib.sha256(content).hexdigest() != row.sha256:
        raise Conflict(f"附件“{row.filename}”校验失败（文件已被改动或损坏），拒绝提供")
    return row, content


def _attach(
    session: Session,
    request: DeskRequest,
    uploads: Sequence[Upload],
    spec: DeskConfig,
    data_dir: Path | None,
    actor: Actor,
    event: DeskEvent | None,
) -> None:
    if not uploads:
        return
    if data_dir is None:
        raise InvalidInput("此处不接受附件", field="attachments")
    have = session.scalar(
        sa.select(sa.func.count())
        .select_from(DeskAttachment)
        .where(DeskAttachment.request_id == request.id)
    )
    if (have or 0) + len(uploads) > spec.settings.max_attachments:
        raise InvalidInput(
            f"每件诉求最多 {spec.settings.max_attachments} 个附件", field="attachments"
        )
    for upload in uploads:
        row = _store(data_dir, request.id, upload, spec.settings.max_attachment_mb)
        row.created_by = actor.label
        row.event_id = event.id if event is not None else None
        session.add(row)
    session.flush()


# ---------------------------------------------------------------- submitting


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def _duplicate_of(
    session: Session, spec: DeskConfig, enterprise_id: int, text: str, exclude: int | None = None
) -> int | None:
    """An open request of the same firm whose text is at least as similar as the setting: the
    Jaccard similarity of the two texts' character bigrams, after normalising."""
    rows = session.execute(
        sa.select(DeskRequest.id, DeskRequest.title, DeskRequest.description)
        .where(DeskRequest.enterprise_id == enterprise_id,
               DeskRequest.state.in_(spec.open_states()),
               DeskRequest.merged_into_id.is_(None))
        .order_by(DeskRequest.id.desc())
        .limit(50)
    ).all()  # fmt: skip
    rows = [r for r in rows if r.id != exclude]
    if not rows:
        return None
    new, *others = classify_text.normalise([text] + [f"{r.title} {r.description}" for r in rows])
    grams = _bigrams(new)
    best, found = spec.settings.duplicate_similarity, None
    for row, other in zip(rows, others, strict=True):
        theirs = _bigrams(other)
        if not grams or not theirs:
            continue
        score = len(grams & theirs) / len(grams | theirs)
        if score >= best:
            best, found = score, row.id
    return found


def _clean(value: str, label: str, field_name: str, limit: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(f"{label}不能为空", field=field_name)
    if len(value) > limit:
        raise InvalidInput(f"{label}最多 {limit} 个字", field=field_name)
    return value


def _number(attribute: desk_config.Attribute, text: str, *, field: str) -> float:
    """A number attribute's value, within the range the category declares."""
    try:
        number = float(text.replace(",", "").replace("，", ""))
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(f"“{attribute.name}”应为数字", field=field, value=text)
    if attribute.min is not None and number < attribute.min:
        raise InvalidInput(
            f"“{attribute.name}”不能小于 {attribute.min:.15g}", field=field, value=text
        )
    if attribute.max is not None and number > attribute.max:
        raise InvalidInput(
            f"“{attribute.name}”不能大于 {attribute.max:.15g}", field=field, value=text
        )
    return number


def _attributes(spec: DeskConfig, category: str, given: dict[str, Any]) -> dict[str, Any]:
    """The category's typed attributes, checked (Open311 service definition)."""
    known = {a.code: a for a in spec.category_map[category].attributes}
    out: dict[str, Any] = {}
    for code in given:
        if code not in known:
            raise InvalidInput(f"类别“{spec.category_map[category].name}”没有属性 {code}",
                               field=f"attribute[{code}]")  # fmt: skip
    for code, attribute in known.items():
        value = given.get(code)
        if value is None or (isinstance(value, str) and not value.strip()):
            if attribute.required:
                raise InvalidInput(f"请填写“{attribute.name}”", field=f"attribute[{code}]")
            continue
        text = str(value).strip()
        if attribute.datatype == "number":
            out[code] = _number(attribute, text, field=f"attribute[{code}]")
        elif attribute.datatype == "singlevaluelist":
            if text not in attribute.values:
                raise InvalidInput(
                    f"“{attribute.name}”应为以下之一：{'、'.join(attribute.values)}",
                    field=f"attribute[{code}]", value=text,
                )  # fmt: skip
            out[code] = text
        elif attribute.datatype == "datetime":
            try:
                out[code] = dt.datetime.fromisoformat(text).isoformat()
            except ValueError:
                raise InvalidInput(f"“{attribute.name}”应为日期时间（YYYY-MM-DD HH:MM）",
                                   field=f"attribute[{code}]", value=text) from None  # fmt: skip
        else:
            out[code] = text[:2000]
    return out


def submit(
    session: Session,
    *,
    actor: Actor,
    title: str,
    description: str,
    category: str = "",
    enterprise_id: int | None = None,
    priority: str = "normal",
    level: str = "",
    common: bool = False,
    channel: str = "portal",
    contact_name: str = "",
    contact_phone: str = "",
    attributes: dict[str, Any] | None = None,
    uploads: Sequence[Upload] = (),
    data_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> DeskRequest:
    """A new request, routed, with its deadlines; its tracking number is set before return."""
    if actor.enterprise_id is not None:
        actor.require(Permission.DESK_SUBMIT)
        if enterprise_id is not None and enterprise_id != actor.enterprise_id:
            raise PermissionDenied("只能以本企业的名义提交诉求")
        enterprise_id = actor.enterprise_id
        if channel not in ("portal", "api"):
            channel = "portal"
    else:
        actor.require(Permission.DESK_HANDLE)
        if enterprise_id is None:
            raise InvalidInput("请指定提出诉求的企业", field="enterprise_id")
        if channel not in CHANNELS:
            raise InvalidInput(f"受理渠道应为：{'、'.join(CHANNELS)}", field="channel")
    read.get_or_raise(session, enterprise_id)
    config_id, spec = current(session)
    title = _clean(title, "标题", "title", MAX_TITLE)
    description = _clean(description, "诉求内容", "description", MAX_DESCRIPTION)
    contact_name = _clean(contact_name, "联系人", "contact_name", 50, required=False)
    contact_phone = _clean(contact_phone, "联系电话", "contact_phone", 30, required=False)
    if priority not in spec.priorities:
        raise InvalidInput(f"优先级应为：{'、'.join(spec.priorities)}", field="priority")
    text = f"{title} {description}"
    suggestion = SUGGESTER.suggest(session, config_id, spec, text)
    category = (category or "").strip()
    if not category:
        if suggestion is None or suggestion[1] < SUGGEST_THRESHOLD:
            category = "other"
        else:
            category = suggestion[0]
    if category not in spec.category_map:
        raise InvalidInput(f"诉求类别“{category}”不存在", field="category", value=category)
    clean_attributes = _attributes(spec, category, attributes or {})
    level = level or spec.category_map[category].level
    if level not in spec.levels:
        raise InvalidInput(f"层级应为：{'、'.join(spec.levels)}", field="level", value=level)
    from wulian.chains import service as chains_service  # a domain's service, not its tables

    chain = chains_service.chain_of(session, enterprise_id=enterprise_id)
    codes = _department_codes(session)
    routed = codes.get(spec.route(category=category, level=level, chain=chain, common=common))
    at = now or utcnow()
    request = DeskRequest(
        enterprise_id=enterprise_id, config_id=config_id, title=title, description=description,
        category=category, priority=priority, level=level, chain=chain, common=common,
        channel=channel, contact_name=contact_name, contact_phone=contact_phone,
        attributes=clean_attributes, state=spec.initial.key,
        department_id=codes.get(spec.settings.dispatcher), routed_department_id=routed,
        created_by=actor.label, created_at=at, updated_at=at,
        suggested_category=suggestion[0] if suggestion else None,
        suggested_score=round(suggestion[1], 4) if suggestion else None,
    )  # fmt: skip
    request.duplicate_of_id = _duplicate_of(session, spec, enterprise_id, text)
    session.add(request)
    session.flush()
    request.tracking_no = f"QH{at.astimezone(CHINA_TIME):%Y}{request.id:07d}"
    data: dict[str, Any] = {"category": category, "routed": spec.route(
        category=category, level=level, chain=chain, common=common)}  # fmt: skip
    if suggestion is not None:
        data["suggested"] = {"category": suggestion[0], "score": round(suggestion[1], 4),
                             "terms": suggestion[2]}  # fmt: skip
    if request.duplicate_of_id is not None:
        data["duplicate_of"] = request.duplicate_of_id
    event = _event(request, actor, "submit", None, request.state, at, data=data)
    event.department_id = request.department_id
    session.add(event)
    # The submission is the request's only event so far: its clocks start from it, without
    # reading it back (one flush less on the busiest path).
    _recompute(session, request, spec, steps=[deadlines.Step(at, "submit", request.state)])
    session.flush()
    _attach(session, request, uploads, spec, data_dir, actor, event)
    return request


def _event(
    request: DeskRequest,
    actor: Actor,
    action: str,
    before: str | None,
    after: str,
    at: dt.datetime,
    *,
    reason: str = "",
    note: str = "",
    public: bool = True,
    data: dict[str, Any] | None = None,
) -> DeskEvent:
    return DeskEvent(
        request_id=request.id, at=at, action=action, from_state=before, to_state=after,
        actor_kind=actor.kind, actor_id=actor.id, actor_label=actor.label,
        from_department_id=request.department_id, department_id=request.department_id,
        reason=reason, note=note, public=public, data=data or {},
    )  # fmt: skip


# ---------------------------------------------------------------- deadlines


def _calendar(session: Session, spec: DeskConfig, key: str) -> WorkCalendar:
    """The calendar key of spec, with the holiday notices an administrator has entered."""
    return spec.calendar(key, workdays.tables(session))


def _steps(session: Session, request: DeskRequest) -> list[deadlines.Step]:
    rows = session.execute(
        sa.select(DeskEvent.at, DeskEvent.action, DeskEvent.to_state)
        .where(DeskEvent.request_id == request.id)
        .order_by(DeskEvent.at, DeskEvent.id)
    ).all()
    return [deadlines.Step(at, action, state) for at, action, state in rows]


def clock_results(
    session: Session,
    request: DeskRequest,
    spec: DeskConfig | None = None,
    steps: list[deadlines.Step] | None = None,
) -> list[tuple[str, deadlines.ClockResult, str]]:
    """Each deadline clock of request replayed from its events (read from the database unless
    given), with the target's label."""
    spec = spec or config_of(session, request)
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = _calendar(session, spec, policy.calendar)
    steps = _steps(session, request) if steps is None else steps
    out = []
    for key in CLOCKS:
        target = getattr(policy, key)
        clock = spec.clocks.get(key)  # type: ignore[call-overload]
        if target is None or clock is None:
            continue
        budget = deadlines.Budget(
            key, target.amount, target.unit, frozenset(clock.starts), frozenset(clock.stops)
        )
        result = deadlines.replay(steps, budget, calendar, spec.pause_states(), warn=policy.warn)
        out.append((key, result, target.label()))
    return out


def _recompute(
    session: Session,
    request: DeskRequest,
    spec: DeskConfig,
    steps: list[deadlines.Step] | None = None,
) -> None:
    results = clock_results(session, request, spec, steps)
    running = [r for _, r, _ in results if r.status == "running" and r.due_at is not None]
    nearest = min(running, key=lambda r: r.due_at or dt.datetime.max) if running else None
    request.due_at = nearest.due_at if nearest else None
    request.warn_at = nearest.warn_at if nearest else None
    request.due_clock = nearest.key if nearest else None
    request.provisional = any(r.provisional for _, r, _ in results)
    request.clocks = {
        key: {
            "status": r.status,
            "due_at": r.due_at.isoformat() if r.due_at else None,
            "started_at": r.started_at.isoformat() if r.started_at else None,
            "stopped_at": r.stopped_at.isoformat() if r.stopped_at else None,
            "used_hours": round(r.used / 3600, 2),
            "budget_hours": round(r.budget / 3600, 2),
            "target": label,
            "provisional": r.provisional,
        }
        for key, r, label in results
    }


def _provisional_open(session: Session) -> list[tuple[DeskRequest, DeskConfig]]:
    rows = session.scalars(
        sa.select(DeskRequest).where(DeskRequest.provisional.is_(True)).order_by(DeskRequest.id)
    ).all()
    out = []
    for request in rows:
        spec = config_of(session, request)
        if not spec.state_map[request.state].closed:
            out.append((request, spec))
    return out


def recompute_provisional(session: Session, *, actor: Actor) -> int:
    """Count again the deadlines of every open request that were provisional (after a holiday
    notice is entered); returns how many requests were counted again."""
    actor.require(Permission.CALENDAR_MANAGE)
    found = _provisional_open(session)
    for request, spec in found:
        _recompute(session, request, spec)
    audit.record(session, action="desk.recompute_provisional", object_type="desk_requests",
                 after={"requests": [r.id for r, _ in found]})  # fmt: skip
    session.flush()
    return len(found)


def _now_official(session: Session, request: DeskRequest, spec: DeskConfig) -> bool:
    """Whether a provisional clock of request now spans official years only (the packages
    were upgraded since it was counted)."""
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = _calendar(session, spec, policy.calendar)
    for clock in request.clocks.values():
        start, end = clock.get("started_at"), clock.get("due_at") or clock.get("stopped_at")
        if clock.get("provisional") and start:
            began = dt.datetime.fromisoformat(start)
            if not calendar.provisional(began, dt.datetime.fromisoformat(end) if end else began):
                return True
    return False


# ---------------------------------------------------------------- acting


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


def act(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    step: Command,
    data_dir: Path | None = None,
    now: dt.datetime | None = None,
) -> DeskRequest:
    """Take one action on a request, as the configuration's table allows."""
    request = get_or_raise(session, actor=actor, request_id=request_id)
    spec = config_of(session, request)
    if step.revision is not None and step.revision != request.revision:
        raise Conflict("这件诉求刚被其他人更新过，请刷新页面后重试")
    action = spec.action_map.get(step.action)
    if action is None:
        raise InvalidInput(f"没有名为“{step.action}”的动作", field="action", value=step.action)
    state_name = spec.state_map[request.state].name
    if action not in spec.allowed(request.state):
        raise InvalidTransition(f"诉求当前为“{state_name}”，不能执行“{action.name}”")
    where = reach(session, actor, spec)
    if not (_roles(actor, where, request) & set(action.by)):
        raise PermissionDenied(_why_not(action, request))
    at = now or utcnow()
    reason = _clean(step.reason, "理由", "reason", 500, required=action.reason)
    note = _clean(step.note, "回复内容", "note", MAX_DESCRIPTION, required=action.note)
    before = request.state
    if action.target == SAME:
        after = before
    elif action.target == PREVIOUS:
        after = _state_before_pause(session, request, spec)
    else:
        after = action.target
    data: dict[str, Any] = {}
    department_before = request.department_id
    if action.department:
        _move(session, request, spec, step, data)
    if step.assignee_id is not None and "officer" in action.by:
        _assign_person(session, request, step.assignee_id, data)
    if action.key == "accept" and step.category and step.category != request.category:
        if step.category not in spec.category_map:
            raise InvalidInput(f"诉求类别“{step.category}”不存在", field="category")
        data["category"] = {"from": request.category, "to": step.category}
        request.category = step.category
    if action.key == "rate":
        _rate(request, step, data, at)
    if (
        action.key == "reopen"
        and "enterprise" in _roles(actor, where, request)
        and (actor.enterprise_id is not None)
    ):
        _check_reopen_window(session, spec, request, at)
    if action.key == "merge":
        _merge(session, actor, request, step, data)
    if action.key == "escalate":
        request.escalated_at = at
    if action.key == "handle" and request.assignee_id is None and actor.role == Role.OFFICER:
        request.assignee_id = actor.id  # who starts handling it is its officer
    if action.key == "reopen":
        request.reopened += 1
        request.closed_at = None
        request.rating = None
        request.rating_comment = ""
        request.rated_at = None
    request.state = after
    request.updated_at = at
    if spec.state_map[after].closed and not spec.state_map[before].closed:
        request.closed_at = at
    event = _event(
        request, actor, action.key, before, after, at, reason=reason, note=note,
        public=action.public, data=data,
    )  # fmt: skip
    event.from_department_id = department_before
    session.add(event)
    if step.uploads:
        session.flush()  # the event's id, for its attachments
    _attach(session, request, step.uploads, spec, data_dir, actor, event)
    if action.key == "close":
        _schedule_survey(session, request, spec, at)
    _recompute(session, request, spec)
    low = spec.settings.low_rating
    if action.key == "rate" and request.rating is not None and request.rating <= low:
        _review(session, request, spec, at, f"企业评价 {request.rating} 分")
    try:
        session.flush()
    except StaleDataError:
        raise Conflict("这件诉求刚被其他人更新过，请刷新页面后重试") from None
    return request


def _why_not(action: Action, request: DeskRequest) -> str:
    if action.by == ["enterprise"]:
        return f"“{action.name}”只能由提出诉求的企业操作"
    if "supervisor" in action.by and "officer" not in action.by:
        return f"“{action.name}”只能由督办部门操作"
    return f"“{action.name}”只能由承办部门（或受理部门）操作：这件诉求不在本部门"


def _state_before_pause(session: Session, request: DeskRequest, spec: DeskConfig) -> str:
    pauses = spec.pause_states()
    rows = session.execute(
        sa.select(DeskEvent.from_state, DeskEvent.to_state)
        .where(DeskEvent.request_id == request.id)
        .order_by(DeskEvent.at.desc(), DeskEvent.id.desc())
    ).all()
    for before, after in rows:
        if after in pauses and before is not None and before not in pauses:
            return str(before)
    return spec.initial.key


def _move(
    session: Session, request: DeskRequest, spec: DeskConfig, step: Command, data: dict[str, Any]
) -> None:
    code = step.department.strip()
    if not code:
        raise InvalidInput("请选择承办部门", field="department")
    department = session.scalar(sa.select(Department).where(Department.code == code))
    if department is None or not department.is_active:
        raise InvalidInput(f"部门不存在或已停用：{code}", field="department", value=code)
    if step.action == "transfer" and department.id == request.department_id:
        raise InvalidInput("转办须转到其他部门", field="department", value=code)
    data["department"] = {"from": request.department_id, "to": department.id}
    if request.routed_department_id is not None and department.id != request.routed_department_id:
        data["routing_override"] = {"suggested": request.routed_department_id,
                                    "chosen": department.id}  # fmt: skip
    request.department_id = department.id
    request.assignee_id = None


def _assign_person(
    session: Session, request: DeskRequest, user_id: int, data: dict[str, Any]
) -> None:
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.role != Role.OFFICER:
        raise InvalidInput("承办人应为在岗的部门工作人员", field="assignee_id")
    if user.department_id != request.department_id:
        raise InvalidInput("承办人应属于承办部门", field="assignee_id")
    data["assignee"] = {"from": request.assignee_id, "to": user.id}
    request.assignee_id = user.id


def _rate(request: DeskRequest, step: Command, data: dict[str, Any], at: dt.datetime) -> None:
    if request.rating is not None:
        raise Conflict("这件诉求已经评价过")
    if step.rating is None or not 1 <= step.rating <= 5:
        raise InvalidInput("评分应为 1 到 5 的整数", field="rating")
    request.rating = step.rating
    request.rating_comment = step.note.strip()[:500]
    request.rated_at = at
    data["rating"] = step.rating


def _check_reopen_window(
    session: Session, spec: DeskConfig, request: DeskRequest, at: dt.datetime
) -> None:
    if request.closed_at is None:
        return
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = _calendar(session, spec, policy.calendar)
    days = spec.settings.reopen_days
    if days == 0 or at > calendar.end_of_workday(request.closed_at, days):
        raise Conflict(f"办结超过 {days} 个工作日后不能重新办理，请提交新的诉求")


def _merge(
    session: Session, actor: Actor, request: DeskRequest, step: Command, data: dict[str, Any]
) -> None:
    target = session.scalar(
        sa.select(DeskRequest).where(DeskRequest.tracking_no == step.into.strip().upper())
    )
    if target is None or target.id == request.id:
        raise InvalidInput("请填写要合并到的另一件诉求的受理编号", field="into", value=step.into)
    spec = config_of(session, target)
    if target.enterprise_id != request.enterprise_id:
        raise InvalidInput("只能合并同一企业的诉求", field="into", value=step.into)
    if spec.state_map[target.state].closed:
        raise InvalidInput("不能合并到已结束的诉求", field="into", value=step.into)
    request.merged_into_id = target.id
    data["merged_into"] = target.tracking_no
    session.add(
        _event(target, actor, "comment", target.state, target.state, utcnow(),
               note=f"已合并诉求 {request.tracking_no}：{request.title}",
               data={"merged": request.tracking_no})
    )  # fmt: skip


def _schedule_survey(
    session: Session, request: DeskRequest, spec: DeskConfig, at: dt.datetime
) -> None:
    policy = spec.deadline(category=request.category, priority=request.priority)
    calendar = _calendar(session, spec, policy.calendar)
    due = (
        calendar.end_of_workday(at, spec.settings.survey_days) if spec.settings.survey_days else at
    )
    session.add(DeskSurvey(request_id=request.id, due_at=due))


def _review(
    session: Session, request: DeskRequest, spec: DeskConfig, at: dt.datetime, why: str
) -> None:
    """A low rating or an unsatisfied follow-up reopens review (回访复核)."""
    action = spec.action_map["review"]
    if action not in spec.allowed(request.state):
        return
    system = Actor.system(SYSTEM_LABEL)
    target = request.state if action.target == SAME else action.target
    session.add(
        _event(request, system, "review", request.state, target, at, reason=why, public=True)
    )
    request.state = target
    session.flush()
    _recompute(session, request, spec)


# ---------------------------------------------------------------- surveys


def surveys_due(
    session: Session, *, actor: Actor, now: dt.datetime | None = None
) -> list[tuple[DeskSurvey, DeskRequest]]:
    """Follow-up questionnaires due and not answered, of the requests actor may see."""
    staff_only(actor)
    _, spec = current(session)
    where = reach(session, actor, spec)
    joined = sa.select(DeskSurvey, DeskRequest).join(
        DeskRequest, DeskRequest.id == DeskSurvey.request_id
    )
    query = _visible(joined, where).where(
        DeskSurvey.answered_at.is_(None), DeskSurvey.due_at <= (now or utcnow())
    )
    return [(s, r) for s, r in session.execute(query.order_by(DeskSurvey.due_at)).all()]


def survey_of(session: Session, *, request: DeskRequest) -> DeskSurvey | None:
    return session.scalar(
        sa.select(DeskSurvey)
        .where(DeskSurvey.request_id == request.id)
        .order_by(DeskSurvey.id.desc())
        .limit(1)
    )


def answer_survey(
    session: Session,
    *,
    actor: Actor,
    request_id: int,
    solved: bool,
    satisfaction: int,
    comment: str = "",
    channel: str = "portal",
    now: dt.datetime | None = None,
) -> DeskSurvey:
    """Record the follow-up questionnaire (by the firm on the portal, or an officer's call); an
    unsolved problem or a low satisfaction reopens review."""
    request = get_or_raise(session, actor=actor, request_id=request_id)
    spec = config_of(session, request)
    where = reach(session, actor, spec)
    roles = _roles(actor, where, request)
    if not roles & {"enterprise", "officer"}:
        raise PermissionDenied("回访只能由企业本身或承办部门填写")
    survey = survey_of(session, request=request)
    if survey is None or survey.answered_at is not None:
        raise Conflict("这件诉求没有待填写的回访问卷")
    if not 1 <= satisfaction <= 5:
        raise InvalidInput("满意度应为 1 到 5", field="satisfaction")
    at = now or utcnow()
    survey.answered_at = at
    survey.answered_by = actor.label
    survey.channel = "portal" if "enterprise" in roles else (channel or "phone")
    survey.solved = solved
    survey.satisfaction = satisfaction
    survey.comment = comment.strip()[:500]
    note = f"问题{'已' if solved else '未'}解决，满意度 {satisfaction} 分" + (
        f"：{survey.comment}" if survey.comment else ""
    )
    session.add(
        _event(request, actor, "follow_up", request.state, request.state, at, note=note,
               data={"survey": survey.id, "solved": solved, "satisfaction": satisfaction})
    )  # fmt: skip
    session.flush()
    if not solved or satisfaction <= spec.settings.low_rating:
        _review(session, request, spec, at, note)
    return survey


# ---------------------------------------------------------------- the sweep


@dataclass(frozen=True)
class SweepResult:
    warned: int
    escalated: int
    recounted: int = 0  # provisional deadlines whose years became official (a newer package)


def sweep(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> SweepResult:
    """Warn of deadlines due soon and escalate (督办) overdue requests; each once."""
    if actor.kind != "system":
        actor.require(Permission.DESK_ADMIN)
    at = now or utcnow()
    warned = escalated = 0
    recounted = [r for r, spec in _provisional_open(session) if _now_official(session, r, spec)]
    for request in recounted:
        _recompute(session, request, config_of(session, request))
    if recounted:
        session.flush()
    soon = session.scalars(
        sa.select(DeskRequest).where(
            DeskRequest.warn_at <= at, DeskRequest.due_at >= at, DeskRequest.warned_at.is_(None)
        )
    ).all()
    system = Actor.system(SYSTEM_LABEL)
    for request in soon:
        request.warned_at = at
        label = deadlines_label(request)
        session.add(
            _event(request, system, "warn", request.state, request.state, at, public=False,
                   note=f"{label}即将到期（{_local(request.due_at)}）")
        )  # fmt: skip
        warned += 1
    overdue = session.scalars(
        sa.select(DeskRequest).where(DeskRequest.due_at < at, DeskRequest.escalated_at.is_(None))
    ).all()
    for request in overdue:
        if spec_allows(config_of(session, request), request.state, "escalate"):
            reason = f"{deadlines_label(request)}已超期（期限 {_local(request.due_at)}）"
            act(session, actor=system, request_id=request.id,
                step=Command("escalate", reason=reason), now=at)  # fmt: skip
            escalated += 1
    if warned or escalated or recounted:
        audit.record(session, action="desk.sweep", object_type="desk_requests",
                     after={"warned": warned, "escalated": escalated,
                            "recounted": [r.id for r in recounted]})  # fmt: skip
    return SweepResult(warned, escalated, len(recounted))


def spec_allows(spec: DeskConfig, state: str, action: str) -> bool:
    return any(a.key == action for a in spec.allowed(state))


def deadlines_label(request: DeskRequest) -> str:
    return desk_config.CLOCK_NAMES.get(request.due_clock or "", "期限") + "期限"


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if value else "—"


# ---------------------------------------------------------------- bulk


def bulk_assign(
    session: Session,
    *,
    actor: Actor,
    request_ids: Sequence[int],
    department: str,
    assignee_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Assign several accepted requests to one department at once (all or none)."""
    if not request_ids:
        raise InvalidInput("请先勾选要交办的诉求", field="request_id")
    step = Command("assign", department=department, assignee_id=assignee_id)
    for request_id in request_ids:
        act(session, actor=actor, request_id=request_id, step=step, now=now)
    return len(request_ids)


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
    query = _visible(
        sa.select(DeskRequest.state, sa.func.count()).group_by(DeskRequest.state), where
    )
    return Counter(dict(session.execute(query).all()))
