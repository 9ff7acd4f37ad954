"""The demo zone's request desk: a few hundred requests of the past year in realistic categories,
taken through the real service (submit, accept, assign, handle, pauses, transfers, replies,
closing, ratings and follow-ups) with dated steps, so that deadlines, the overdue list and the
leaders' figures come from the same code as in production.

Everything is dated back from `now` on the working-day calendar: steps that would come after now
are not taken, so the newest requests are still open, most within their deadlines; a few were
left stuck and are overdue. A last handful, submitted in the working hours just before now, is
taken to each state a request can wait in (待受理 to 回访复核), some due soon and one overdue,
whatever the day and hour the demo is built."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth.models import Department
from wulian.core.calendar import CHINA_TIME, WorkCalendar
from wulian.core.errors import WulianError
from wulian.core.permissions import ROLE_PERMISSIONS, Actor, Role
from wulian.core.workdays import service as workdays
from wulian.desk import service
from wulian.desk.models import DeskRequest
from wulian.desk.service import Command
from wulian.desk.versions import current
from wulian.enterprises.models import Enterprise

SEED = 20261121 + 8
COUNT = 300
SPAN_DAYS = 320  # the requests' first day, before today

# category → (weight, [(title, description)])
REQUESTS: dict[str, tuple[int, list[tuple[str, str]]]] = {
    "land": (14, [
        ("二期扩产项目用地指标尚未落实", "公司二期扩产项目需新增用地约 {n} 亩，已提交用地申请两个月，请协调用地指标与预审意见。"),
        ("标准地出让进度咨询", "拟参与园区东片标准地出让，希望了解出让时间、亩均税收承诺与容积率要求。"),
        ("厂房租赁到期后续租问题", "现租用的标准厂房 {m} 月到期，业主方拟收回，请协调续租或推荐替代厂房。"),
        ("不动产权证办理迟缓", "新建厂房已竣工验收 {m} 个月，不动产权证仍未办出，影响银行抵押贷款。"),
    ]),
    "power": (14, [
        ("新产线用电增容申请", "新产线 {m} 月投产，需增容 {n}00 千伏安，请协调供电部门加快报装。"),
        ("频繁停电影响生产", "近一个月厂区停电 {m} 次，每次影响连续生产，请协调排查线路。"),
        ("天然气用量指标不足", "窑炉改造后天然气用量增加，现有指标不够，请协调增加用气指标。"),
        ("能耗指标与节能审查", "技改项目需做节能审查，请指导办理流程与所需材料。"),
    ]),
    "financing": (13, [
        ("流动资金贷款需求", "订单增长导致流动资金紧张，需贷款约 {n}00 万元，希望对接创新积分贷等产品。"),
        ("设备购置融资", "拟购置自动化设备约 {n}00 万元，希望了解设备融资租赁与贴息政策。"),
        ("续贷衔接困难", "一笔 {n}00 万元贷款 {m} 月到期，银行续贷审批慢，请协调无还本续贷。"),
        ("上市辅导咨询", "公司计划三年内申报上市，希望对接券商与上市辅导政策。"),
    ]),
    "talent_housing": (10, [
        ("人才公寓申请", "新引进硕士以上人才 {m} 名，申请园区人才公寓。"),
        ("引进人才子女入学", "引进的技术骨干子女 {m} 名需在园区就近入学，请协调学位。"),
        ("员工宿舍紧张", "扩产后新增员工 {n}0 人，宿舍不足，请协调周边公寓房源。"),
    ]),
    "permits": (12, [
        ("技改项目环评审批进度", "技改项目环评报告已提交 {m} 周，希望加快审批或告知需补充的材料。"),
        ("施工许可办理", "新建车间已取得规划许可，申请施工许可需哪些材料，能否容缺受理。"),
        ("消防验收预约", "厂房装修完工，申请消防验收，希望尽快安排现场检查。"),
        ("危化品经营许可证延续", "危化品经营许可证 {m} 月到期，请指导延续办理。"),
    ]),
    "logistics": (9, [
        ("货车通行证办理", "公司配送货车需进入限行路段，申请货车通行证。"),
        ("园区道路拥堵影响出货", "上下班高峰园区主干道拥堵严重，影响出货，请优化信号灯或增设道路。"),
        ("公交线路调整建议", "员工通勤不便，建议增开一条至厂区的公交线路。"),
        ("危化品运输车辆停放", "危化品运输车辆缺少合规停车场，请协调专用停车区域。"),
    ]),
    "policy": (16, [
        ("高新技术企业认定奖励兑现进度", "公司去年通过高新技术企业认定，奖励资金何时兑现？"),
        ("专精特新申报条件咨询", "公司主营单一产品，营收 {n} 千万元，是否符合专精特新申报条件？"),
        ("研发费用补助政策咨询", "研发投入 {n}00 万元，可享受哪些研发费用补助，是否需要申请？"),
        ("技改补助申报材料", "技改项目设备投资 {n}00 万元，申报技改补助需要哪些材料？"),
    ]),
    "technology": (6, [
        ("共建研发中心对接高校", "希望与高校共建研发中心，请对接相关院所。"),
        ("中试基地使用申请", "新材料产品需中试验证，申请使用园区中试基地。"),
    ]),
    "employment": (6, [
        ("技术工人招聘困难", "急需数控、电工等技术工人 {n}0 名，请协助组织专场招聘。"),
        ("技能培训补贴咨询", "组织员工参加技能培训，能否申请培训补贴？"),
    ]),
}  # fmt: skip

CENTRE = Actor.system("企服中心 陈静")
OFFICERS = {
    "planning": "规划分局 刘洋", "economy": "经信局 赵磊", "finance": "金融办 孙悦",
    "talent": "人才办 周婷", "approval": "审批局 吴凯", "transport": "交通局 郑涛",
    "science": "科技局 王芳", "business-env": "企服中心 陈静", "chain-office": "链长办 黄河",
}  # fmt: skip
LEADER = Actor.system("管委会 督查室")
ACCEPT = Command("accept")
ASSIGN = Command("assign")  # to the routed department (filled in per request)
HANDLE = Command("handle")
PROGRESS = Command("progress", note="已与企业对接，正在协调相关单位")
REPLY = Command("reply", note="经协调，问题已解决，具体情况已电话告知企业")
# The last requests: (category, working hours before now it was submitted, steps taken, evenly
# spaced). Each open state is held by one at least. The deadlines (response 1 working hour,
# closure 5 or 7 working days of 7 hours, due soon when a fifth is left) make three due soon and
# the last one overdue.
TAIL: tuple[tuple[str, float, tuple[Command, ...]], ...] = (
    ("power", 0.2, ()),
    ("logistics", 0.5, ()),
    ("employment", 0.9, ()),  # the response (1 working hour) due soon
    ("talent_housing", 1.5, (ACCEPT,)),
    ("financing", 3, (ACCEPT, ASSIGN)),
    ("technology", 6, (ACCEPT, ASSIGN, HANDLE)),
    ("land", 14, (ACCEPT, ASSIGN, HANDLE, PROGRESS)),
    ("power", 31, (ACCEPT, ASSIGN, HANDLE, PROGRESS)),  # closure (5 days) due soon
    ("land", 45, (ACCEPT, ASSIGN, HANDLE, PROGRESS)),  # closure (7 days) due soon
    ("permits", 10, (ACCEPT, ASSIGN, HANDLE, Command("suspend", reason="请补充项目备案证明"))),
    ("logistics", 18, (ACCEPT, ASSIGN, HANDLE, PROGRESS, REPLY)),
    ("talent_housing", 24, (ACCEPT, ASSIGN, HANDLE, REPLY, Command("close"),
                            Command("rate", rating=2))),  # a low rating: 回访复核
    ("financing", 40, (ACCEPT, ASSIGN, HANDLE, PROGRESS)),  # closure overdue
)  # fmt: skip


@dataclass(frozen=True)
class DeskDemo:
    requests: int
    open: int
    closed: int
    escalated: int


def _firm_actor(enterprise_id: int, name: str) -> Actor:
    return Actor(
        kind="user", id=None, label=name[:20], permissions=ROLE_PERMISSIONS[Role.ENTERPRISE],
        role=Role.ENTERPRISE, enterprise_id=enterprise_id,
    )  # fmt: skip


def working_calendar(session: Session) -> WorkCalendar:
    """The desk's working days: the State Council's notices entered here, then the packages."""
    return WorkCalendar("法定工作日", sources=workdays.sources(session))


def before(calendar: WorkCalendar, at: dt.datetime, hours: float) -> dt.datetime:
    """The moment so many working hours before at (the inverse of `calendar.add`)."""
    low, high = at - dt.timedelta(days=60), at
    target = hours * 3600
    while (high - low) > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if calendar.working_seconds(middle, at) > target:
            low = middle
        else:
            high = middle
    return high


def build(session: Session, *, now: dt.datetime, count: int = COUNT) -> DeskDemo:
    """The demo requests up to now (an aware datetime): count over the past year, steps after
    now not taken, then the last handful (`TAIL`)."""
    rng = np.random.default_rng(SEED)
    calendar = working_calendar(session)
    firms = session.execute(
        sa.select(Enterprise.id, Enterprise.name).where(Enterprise.in_zone).order_by(Enterprise.id)
    ).all()
    codes = dict(session.execute(sa.select(Department.id, Department.code)).all())
    cutoff = before(calendar, now, 2)  # the history stops where the last handful starts
    today = cutoff.astimezone(CHINA_TIME).date()
    first_day = today - dt.timedelta(days=SPAN_DAYS)
    keys = list(REQUESTS)
    weights = np.array([REQUESTS[k][0] for k in keys], dtype=float)
    days = [
        first_day + dt.timedelta(days=i)
        for i in range(SPAN_DAYS + 1)
        if calendar.is_workday(first_day + dt.timedelta(days=i))
    ]

    def later(at: dt.datetime, hours: float) -> dt.datetime:
        """at plus so many working hours (demo steps happen in office hours)."""
        return calendar.add(at, hours * 3600)

    def take(request_id: int, actor: Actor, command: Command, at: dt.datetime) -> bool:
        try:
            service.act(session, actor=actor, request_id=request_id, step=command, now=at)
        except WulianError:
            return False  # a step the state no longer allows (a review already reopened it)
        return True

    made = escalated = 0
    for i in range(count):
        category = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
        title, text = REQUESTS[category][1][int(rng.integers(len(REQUESTS[category][1])))]
        enterprise_id, name = firms[int(rng.integers(len(firms)))]
        day = days[min(len(days) - 1, int(len(days) * (i + rng.random()) / count))]
        start = dt.datetime.combine(day, dt.time(9), tzinfo=CHINA_TIME) + dt.timedelta(
            minutes=int(rng.integers(0, 8 * 60))
        )
        start = calendar.add(start, 0)
        if start > cutoff:
            continue
        firm = _firm_actor(enterprise_id, name)
        description = text.format(n=int(rng.integers(2, 60)), m=int(rng.integers(1, 12)))
        attributes: dict[str, Any] = {}
        if category == "financing":
            attributes = {"amount_wan": int(rng.integers(1, 50)) * 100, "purpose": "流动资金"}
        request = service.submit(
            session, actor=firm, title=title, description=description, category=category,
            priority="urgent" if rng.random() < 0.08 else "normal",
            common=category in ("logistics", "employment") and rng.random() < 0.3,
            channel="portal", contact_name=f"{name[:2]}联系人", attributes=attributes, now=start,
        )  # fmt: skip
        made += 1
        routed = codes.get(request.routed_department_id or 0)
        steps = _life(rng, routed, request.category)
        if rng.random() < 0.012:  # stuck: overdue, escalated by the sweep
            steps = steps[: int(rng.integers(0, min(5, len(steps))))]
        at = start
        for hours, actor_kind, command in steps:
            at = later(at, hours)
            if at > cutoff:
                break
            actor = {"centre": CENTRE, "firm": firm, "leader": LEADER}.get(actor_kind)
            if actor is None:
                actor = Actor.system(OFFICERS.get(actor_kind, "承办人"))
            if not take(request.id, actor, command, at):
                break
        escalated += int(request.escalated_at is not None)
    swept = service.sweep(session, actor=Actor.system("系统"), now=cutoff)
    made += _tail(session, rng, calendar, now, firms, codes, take)
    swept_now = service.sweep(session, actor=Actor.system("系统"), now=now)
    _, spec = current(session)
    open_count = int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(DeskRequest)
            .where(DeskRequest.state.in_(spec.open_states()))
        )
        or 0
    )
    escalated += swept.escalated + swept_now.escalated
    return DeskDemo(made, open_count, made - open_count, escalated)


def _tail(
    session: Session,
    rng: np.random.Generator,
    calendar: WorkCalendar,
    now: dt.datetime,
    firms: Sequence[Any],
    codes: dict[int, str],
    take: Callable[[int, Actor, Command, dt.datetime], bool],
) -> int:
    """The last requests (`TAIL`), each in the state its steps lead to; returns how many."""
    first: tuple[int, str, str] = (0, "", "")  # the first request still to accept
    for category, age, steps in TAIL:
        title, text = REQUESTS[category][1][int(rng.integers(len(REQUESTS[category][1])))]
        enterprise_id, name = firms[int(rng.integers(len(firms)))]
        firm = _firm_actor(enterprise_id, name)
        start = before(calendar, now, age)
        attributes: dict[str, Any] = {}
        if category == "financing":
            attributes = {"amount_wan": int(rng.integers(1, 50)) * 100, "purpose": "流动资金"}
        request = service.submit(
            session, actor=firm, title=title, category=category, channel="portal",
            description=text.format(n=int(rng.integers(2, 60)), m=int(rng.integers(1, 12))),
            contact_name=f"{name[:2]}联系人", attributes=attributes, now=start,
        )  # fmt: skip
        handler = codes.get(request.routed_department_id or 0) or "business-env"
        at = start
        for command in steps:
            at = calendar.add(at, age * 3600 / (len(steps) + 1))
            if command.action == "assign":
                command = Command("assign", department=handler)
            elif command.action == "accept":
                command = Command("accept", category=category)
            actor = firm if command.action == "rate" else CENTRE
            if command.action not in ("accept", "assign", "rate"):
                actor = Actor.system(OFFICERS.get(handler, "承办人"))
            take(request.id, actor, command, at)
        if not first[0] and not steps:
            first = (enterprise_id, name, request.tracking_no or "")
    # A firm that wrote twice about the same thing: the second is merged into the first.
    enterprise_id, name, tracking_no = first
    title, text = REQUESTS["power"][1][1]
    duplicate = service.submit(
        session, actor=_firm_actor(enterprise_id, name), title=title, category="power",
        description=text.format(m=3), channel="portal", contact_name=f"{name[:2]}联系人",
        now=before(calendar, now, 0.15),
    )  # fmt: skip
    take(duplicate.id, CENTRE, Command("merge", into=tracking_no), before(calendar, now, 0.1))
    return len(TAIL) + 1


def _life(
    rng: np.random.Generator, department: str | None, category: str
) -> list[tuple[float, str, Command]]:
    """The steps of one request: (working hours after the previous step, who, what). Quick
    consultations move faster than land and permits, as their deadlines do."""
    pace = {"policy": 0.35, "land": 1.4, "permits": 1.4}.get(category, 1.0)
    handler = department or "business-env"
    if rng.random() < 0.05:
        return [(rng.uniform(0.2, 2), "centre", Command("send_back", reason="不属于企业诉求受理范围，已告知相关渠道"))]  # fmt: skip
    steps: list[tuple[float, str, Command]] = [
        (rng.uniform(0.1, 1.4), "centre", Command("accept", category=category)),
        (rng.uniform(0.1, 2), "centre", Command("assign", department=handler)),
        (rng.uniform(0.5, 6) * pace, handler, Command("handle")),
    ]
    if rng.random() < 0.08:
        other = "economy" if handler != "economy" else "approval"
        steps.append((rng.uniform(1, 4), handler, Command("transfer", reason="职责调整", department=other)))  # fmt: skip
        steps.append((rng.uniform(1, 4), other, Command("handle")))
        handler = other
    if rng.random() < 0.15:
        steps.append((rng.uniform(1, 6), handler, Command("suspend", reason="请补充相关证明材料")))
        steps.append((rng.uniform(4, 30), "firm", Command("supply", note="材料已补充")))
    if category != "policy":
        steps.append((rng.uniform(3, 12) * pace, handler, Command("progress", note="已与企业对接，正在协调相关单位")))  # fmt: skip
    late = rng.random() < 0.1
    steps.append((rng.uniform(40, 70) if late else rng.uniform(2, 14) * pace, handler,
                  Command("reply", note="经协调，问题已解决，具体情况已电话告知企业")))  # fmt: skip
    steps.append((rng.uniform(0.5, 3), handler, Command("close")))
    if rng.random() < 0.75:
        score = int(rng.choice([5, 5, 5, 5, 5, 4, 4, 3, 2]))
        steps.append((rng.uniform(2, 20), "firm", Command("rate", rating=score)))
        if score <= 2 and rng.random() < 0.5:  # reviewed and handled again
            steps.append((rng.uniform(2, 8), handler, Command("reopen", reason="复核后继续办理")))  # fmt: skip
            steps.append((rng.uniform(4, 16), handler, Command("reply", note="已补充协调，问题解决")))  # fmt: skip
            steps.append((rng.uniform(0.5, 2), handler, Command("close")))
            steps.append((rng.uniform(2, 10), "firm", Command("rate", rating=4)))
        elif score <= 2:  # reviewed: the reply stands
            steps.append((rng.uniform(2, 8), handler, Command("close")))
    return steps
