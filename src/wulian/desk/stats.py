"""The leaders' view of the request desk: volume by category, chain, region and department,
on-time, closure and satisfaction rates, time to close, trends, hot topics and the overdue list;
and the same as an xlsx workbook.

Definitions (shown on the page):
- 办结率: requests closed (已办结) ÷ requests not sent back or merged.
- 按时办结率: closed requests whose closure clock stopped within its target ÷ closed requests
  with a closure target.
- 满意率: ratings of 3 (基本满意) or more ÷ rated requests. Unrated requests are not counted:
  unknown is not satisfied.
- 平均办结用时: working hours on the closure clock (time waiting for the firm excluded), in
  working days of the request's calendar.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.calendar import CHINA_TIME
from wulian.core.db import utcnow
from wulian.core.errors import PermissionDenied
from wulian.core.permissions import Actor
from wulian.core.xlsx import ListWorkbook
from wulian.desk import access, service
from wulian.desk.models import DeskRequest
from wulian.engines.classify import text as classify_text
from wulian.enterprises import read
from wulian.reference.models import Region

SATISFIED = 3
STOP_WORDS = frozenset((
    "问题", "申请", "企业", "公司", "需要", "协调", "关于", "请求", "希望", "反映", "咨询", "办理",
    "情况", "帮助", "解决", "相关", "我司", "是否", "如何", "尽快", "能否", "一下", "目前",
))  # fmt: skip


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    total: int
    open: int
    closed: int
    overdue: int
    on_time: float | None  # None: nothing closed with a target yet
    satisfaction: float | None  # None: nothing rated


@dataclass(frozen=True)
class Month:
    month: str
    submitted: int
    closed: int
    on_time: float | None = None  # of the requests closed in the month with a target, 0–1


@dataclass(frozen=True)
class Overview:
    total: int
    open: int
    closed: int
    returned: int
    overdue: int
    escalated: int
    closure_rate: float | None
    on_time_rate: float | None
    satisfaction_rate: float | None
    rated: int
    average_days: float | None
    by_category: list[Group]
    by_chain: list[Group]
    by_region: list[Group]
    by_department: list[Group]
    months: list[Month]
    topics: list[tuple[str, int]]
    overdue_list: list[DeskRequest]
    since: dt.date | None
    until: dt.date | None
    scope: str = "全部诉求"  # or the departments whose requests these are
    complete: bool = True  # every request (False: a handling department's own)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def overview(
    session: Session,
    *,
    actor: Actor,
    since: dt.date | None = None,
    until: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Overview:
    """The desk's figures over requests submitted between since and until (inclusive)."""
    _, spec = service.current(session)
    reach = _reach(session, actor)
    now = now or utcnow()
    query = access.visible(sa.select(DeskRequest), reach)
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), tzinfo=CHINA_TIME)
        query = query.where(DeskRequest.created_at >= start)
    if until is not None:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=CHINA_TIME)
        query = query.where(DeskRequest.created_at < end)
    requests = session.scalars(query.order_by(DeskRequest.id)).all()
    firm_regions = dict(
        read.firms(
            session, ids={r.enterprise_id for r in requests}, columns=("region_code",)
        ).iter_rows()
    )
    rows = [(r, firm_regions[r.enterprise_id]) for r in requests if r.enterprise_id in firm_regions]
    closed_states = {s.key for s in spec.states if s.closed}
    done = "closed" if "closed" in spec.state_map else next(iter(closed_states))
    ended = closed_states - {done}  # sent back, merged: not counted as to be closed
    regions = dict(session.execute(sa.select(Region.code, Region.name)).all())
    departments = service.department_names(session)
    chains = _chain_names(session)
    day_hours = {c.key: spec.calendar(c.key).day_seconds() / 3600 for c in spec.calendars}

    def overdue(r: DeskRequest) -> bool:
        return r.state not in closed_states and r.due_at is not None and r.due_at < now

    def on_time(r: DeskRequest) -> bool | None:
        status = (r.clocks or {}).get("closure", {}).get("status")
        return {"met": True, "breached": False}.get(status) if r.state == done else None

    groups: dict[str, dict[str, list[DeskRequest]]] = {
        "category": {}, "chain": {}, "region": {}, "department": {},
    }  # fmt: skip
    for request, region in rows:
        groups["category"].setdefault(request.category, []).append(request)
        groups["chain"].setdefault(request.chain or "", []).append(request)
        groups["region"].setdefault(region or "", []).append(request)
        groups["department"].setdefault(str(request.department_id or ""), []).append(request)

    def summarise(kind: str, labels: dict[str, str]) -> list[Group]:
        out = []
        for key, items in groups[kind].items():
            timed = [t for t in (on_time(r) for r in items) if t is not None]
            rated = [r.rating for r in items if r.rating is not None]
            out.append(
                Group(
                    key=key,
                    label=labels.get(key, key) if key else "未知",
                    total=len(items),
                    open=sum(r.state not in closed_states for r in items),
                    closed=sum(r.state == done for r in items),
                    overdue=sum(overdue(r) for r in items),
                    on_time=_ratio(sum(timed), len(timed)),
                    satisfaction=_ratio(sum(x >= SATISFIED for x in rated), len(rated)),
                )
            )
        return sorted(out, key=lambda g: (-g.total, g.key))

    requests = [r for r, _ in rows]
    timed = [t for t in (on_time(r) for r in requests) if t is not None]
    rated = [r.rating for r in requests if r.rating is not None]
    durations = []
    for r in requests:
        closure = (r.clocks or {}).get("closure", {})
        if r.state == done and closure.get("status") in ("met", "breached"):
            policy = spec.deadline(category=r.category, priority=r.priority)
            durations.append(closure["used_hours"] / day_hours[policy.calendar])
    counted = [r for r in requests if r.state not in ended]
    months: Counter[str] = Counter()
    closed_months: Counter[str] = Counter()
    timed_months: dict[str, list[bool]] = {}
    for r in requests:
        months[f"{r.created_at.astimezone(CHINA_TIME):%Y-%m}"] += 1
        if r.closed_at is not None and r.state == done:
            month = f"{r.closed_at.astimezone(CHINA_TIME):%Y-%m}"
            closed_months[month] += 1
            if (met := on_time(r)) is not None:
                timed_months.setdefault(month, []).append(met)
    topics: Counter[str] = Counter()
    recent = now - dt.timedelta(days=90)
    titles = [r.title for r in requests if r.created_at >= recent] or [r.title for r in requests]
    for text in classify_text.normalise(titles):
        topics.update(w for w in set(classify_text.words(text)) if w not in STOP_WORDS)
    overdue_list = sorted((r for r in requests if overdue(r)), key=lambda r: r.due_at or now)
    return Overview(
        total=len(requests),
        open=sum(r.state not in closed_states for r in requests),
        closed=sum(r.state == done for r in requests),
        returned=sum(r.state in ended for r in requests),
        overdue=len(overdue_list),
        escalated=sum(r.escalated_at is not None for r in requests),
        closure_rate=_ratio(sum(r.state == done for r in counted), len(counted)),
        on_time_rate=_ratio(sum(timed), len(timed)),
        satisfaction_rate=_ratio(sum(x >= SATISFIED for x in rated), len(rated)),
        rated=len(rated),
        average_days=sum(durations) / len(durations) if durations else None,
        by_category=summarise("category", {c.key: c.name for c in spec.categories}),
        by_chain=summarise("chain", chains),
        by_region=summarise("region", regions),
        by_department=summarise("department", {str(k): v for k, v in departments.items()}),
        months=[
            Month(
                m,
                months[m],
                closed_months.get(m, 0),
                _ratio(sum(timed_months.get(m, [])), len(timed_months.get(m, []))),
            )
            for m in sorted(set(months) | set(closed_months))
        ],
        topics=topics.most_common(20),
        overdue_list=overdue_list,
        since=since,
        until=until,
        scope=_scope(session, reach),
        complete=reach.all,
    )


def _reach(session: Session, actor: Actor) -> service.Reach:
    """Whose requests actor's statistics cover: every request for leaders, analysts, the
    dispatching and supervising offices and administrators; a handling department's own
    (those it was assigned); nobody else's."""
    service.staff_only(actor)
    _, spec = service.current(session)
    reach = service.reach(session, actor, spec)
    if not reach.all and not reach.departments:
        raise PermissionDenied("诉求统计仅向领导、分析员、受理部门、督办部门和承办部门开放")
    return reach


def _scope(session: Session, reach: service.Reach) -> str:
    if reach.all:
        return "全部诉求"
    names = service.department_names(session)
    return (
        "本部门承办的诉求（"
        + "、".join(names.get(d, str(d)) for d in sorted(reach.departments))
        + "）"
    )


def _chain_names(session: Session) -> dict[str, str]:
    from wulian.chains import service as chains_service

    return chains_service.chain_names(session)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def export_xlsx(session: Session, *, actor: Actor, figures: Overview) -> bytes:
    """The overview as a workbook: one sheet per breakdown, the monthly trend and the overdue
    list, with Chinese headers."""
    _reach(session, actor)
    period = f"{figures.since or '开始'} 至 {figures.until or '今'}"
    book = ListWorkbook()
    notice = (
        f"统计范围：{figures.scope}；统计区间：{period}；诉求 {figures.total} 件，"
        f"办结率 {_percent(figures.closure_rate)}，"
        f"按时办结率 {_percent(figures.on_time_rate)}，满意率 {_percent(figures.satisfaction_rate)}"
        f"（{figures.rated} 件已评价）。"
    )
    headers = ["分组", "诉求数", "办理中", "已办结", "超期", "按时办结率", "满意率"]
    for name, items in (
        ("按类别", figures.by_category),
        ("按产业链", figures.by_chain),
        ("按区域", figures.by_region),
        ("按承办部门", figures.by_department),
    ):
        book.sheet(
            name, title=f"企呼我应诉求统计（{name}）", notice=notice, headers=headers,
            rows=[[g.label, g.total, g.open, g.closed, g.overdue, _percent(g.on_time),
                   _percent(g.satisfaction)] for g in items],
            widths=[24, 10, 10, 10, 8, 12, 10],
        )  # fmt: skip
    book.sheet(
        "月度趋势", title="企呼我应月度趋势", notice=notice, headers=["月份", "提交", "办结"],
        rows=[[m.month, m.submitted, m.closed] for m in figures.months], widths=[12, 10, 10],
    )  # fmt: skip
    book.sheet(
        "超期清单", title="企呼我应超期诉求清单", notice=notice,
        headers=["受理编号", "标题", "类别", "状态", "期限", "是否已督办"],
        rows=[[r.tracking_no, r.title, r.category, r.state,
               r.due_at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M") if r.due_at else "",
               "是" if r.escalated_at else "否"] for r in figures.overdue_list],
        widths=[16, 40, 12, 10, 18, 10],
    )  # fmt: skip
    return book.close()
