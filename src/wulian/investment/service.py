"""The project pipeline (招商项目库): the service API of the investment package.

A project moves through the stage table an administrator edits (线索 → 接洽 → 考察 → 洽谈 → 签约 →
供地/落地 → 开工 → 投产 → 达产, and 终止); only the moves the table allows are taken. Staff with the
investment permission see every project; officers write only the projects of their own team (a
department). Every write is audited by the flush hook; a refused write is recorded on its own.
Money is whole 万元 (integers): amounts are typed in 亿元 and converted exactly.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from wulian.chains import service as chains
from wulian.core import audit, xlsx
from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission, Role
from wulian.enterprises import read
from wulian.enterprises import service as enterprises
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.names import pinyin_key
from wulian.investment.models import InvestmentProject, InvestmentStage, SigningEvent, StageEvent

STAFF_ONLY = "招商项目库只对园区工作人员开放，企业用户不能查看"

SOURCES: dict[str, str] = {
    "business": "以商招商",
    "fund": "基金招商/以投促引",
    "overseas": "驻外招商",
    "expo": "展会",
    "platform": "平台推荐",
    "other": "其他",
}

WAN_PER_YI = 10_000  # 1 亿元 = 10,000 万元
# Bands by total investment (万元 lower bound): 百亿级 ≥ 100亿, 十亿级 10–100亿, below.
BANDS: dict[str, tuple[str, int, int | None]] = {
    "100": ("百亿级（≥100亿元）", 1_000_000, None),
    "10": ("十亿级（10–100亿元）", 100_000, 1_000_000),
    "small": ("10亿元以下", 0, 100_000),
}
# An amount in 亿元 this large (1 万亿 and more) was almost surely typed in 万元 (off by 10⁴).
UNIT_SUSPECT_YI = Decimal(10_000)

SORTS: dict[str, str] = {
    "name": "按项目名称（拼音）",
    "-amount": "按投资额（大→小）",
    "stage": "按阶段",
    "-since": "按本阶段开始日期（新→旧）",
}


# ---------------------------------------------------------------- money


def parse_yi(text: str | Decimal | int | None, *, field: str, label: str) -> int | None:
    """An amount typed in 亿元 as whole 万元; None when nothing is typed. Refuses what is not a
    positive number, finer than 1 万元, or so large that it was surely typed in 万元."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise InvalidInput(
            f"{label}“{text}”不是数字，请按亿元填写（如 12.5）", field=field, value=str(text)
        ) from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput(f"{label}应大于 0（亿元）", field=field, value=str(text))
    if value >= UNIT_SUSPECT_YI:
        raise InvalidInput(
            f"{label}“{text}”亿元超过 1 万亿元，疑似按万元填写（按万元即 {yi(int(value))} 亿元），"
            "请按亿元填写",
            field=field,
            value=str(text),
            unit_suspect=True,
        )
    wan = value * WAN_PER_YI
    if wan != wan.to_integral_value():
        raise InvalidInput(
            f"{label}“{text}”最多保留 4 位小数（精确到 1 万元）", field=field, value=str(text)
        )
    return int(wan)


def yi(wan: int | None) -> str:
    """万元 shown in 亿元, exactly (12.5, 0.0350, 155)."""
    if wan is None:
        return ""
    value = Decimal(wan) / WAN_PER_YI
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def band_of(wan: int) -> str:
    """The band key of an amount in 万元."""
    for key, (_, low, high) in BANDS.items():
        if wan >= low and (high is None or wan < high):
            return key
    return "small"


# ---------------------------------------------------------------- stages


def stages(session: Session) -> list[InvestmentStage]:
    """The stage table in order."""
    return list(session.scalars(sa.select(InvestmentStage).order_by(InvestmentStage.position)))


def stage_names(session: Session) -> dict[str, str]:
    return {s.key: s.name for s in stages(session)}


def stage_or_raise(session: Session, key: str) -> InvestmentStage:
    stage = session.get(InvestmentStage, key)
    if stage is None:
        raise InvalidInput(f"阶段表里没有“{key}”这个阶段", field="stage", value=key)
    return stage


def update_stage(
    session: Session,
    *,
    actor: Actor,
    key: str,
    name: str,
    next_keys: Sequence[str],
    stale_days: int | None,
) -> InvestmentStage:
    """Rename a stage, set the stages a project may move to from it and its stale warning."""
    actor.require(Permission.INVESTMENT_ADMIN)
    stage = stage_or_raise(session, key)
    name = name.strip()
    if not name or len(name) > 40:
        raise InvalidInput("阶段名称不能为空，且不超过 40 个字", field="name")
    others = {s.key: s for s in stages(session)}
    if any(s.name == name and s.key != key for s in others.values()):
        raise Conflict(f"已有名为“{name}”的阶段", field="name")
    unknown = [k for k in next_keys if k not in others]
    if unknown:
        raise InvalidInput(f"阶段表里没有“{unknown[0]}”这个阶段", field="next_keys")
    if key in next_keys:
        raise InvalidInput("阶段不能转到它自己", field="next_keys")
    if stale_days is not None and not 1 <= stale_days <= 3650:
        raise InvalidInput("停滞提醒天数应在 1–3650 之间，或留空表示不提醒", field="stale_days")
    stage.name = name
    stage.next_keys = list(dict.fromkeys(next_keys))
    stage.stale_days = stale_days
    session.flush()
    return stage


# ---------------------------------------------------------------- access


def require_read(actor: Actor) -> None:
    """Staff with the investment permission; never an enterprise user."""
    actor.require_staff(STAFF_ONLY, Permission.INVESTMENT_READ)


def may_write(actor: Actor, project: InvestmentProject) -> bool:
    """Whether actor may change project: its team's officers, administrators and the system."""
    if not actor.has(Permission.INVESTMENT_WRITE) or actor.enterprise_id is not None:
        return False
    return actor.answers_for_all or actor.department_id == project.team_id


def _require_write(session: Session, actor: Actor, project: InvestmentProject) -> None:
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    if not may_write(actor, project):
        team = session.get(Department, project.team_id)
        raise PermissionDenied(
            f"项目“{project.name}”由{team.name if team else '其他小组'}负责，"
            "只有该小组的工作人员或系统管理员可以修改"
        )


def refused(
    session: Session, *, actor: Actor, project_id: int | None, attempt: str, error: WulianError
) -> None:
    """Roll back a write that failed and record the attempt (who tried what), on its own."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="investment.refused", object_type="investment_projects",
        object_id=project_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()


# ---------------------------------------------------------------- projects


@dataclass(frozen=True)
class NewProject:
    """What a new lead (or an imported ledger row) says; amounts are text in 亿元."""

    name: str
    amount_yi: str | Decimal | None
    source: str
    firm: str = ""  # an existing registry firm: its number, credit code or full name
    firm_name: str = ""  # a new firm, by name
    firm_uscc: str = ""
    reinvestment: bool = False
    fixed_asset_yi: str | Decimal | None = None
    industry_code: str = ""
    manufacturing: bool = False
    high_tech: bool = False
    chain: str = ""
    node: str = ""
    fund_name: str = ""
    team_id: int | None = None
    officer_id: int | None = None
    stage: str = "lead"
    lead_on: dt.date | None = None
    signed_on: dt.date | None = None  # a ledger row already signed: the day it was signed
    note: str = ""


@dataclass(frozen=True)
class Firm:
    enterprise_id: int | None
    name: str
    uscc: str | None


def resolve_firm(session: Session, *, actor: Actor, firm: str, name: str, code: str) -> Firm:
    """The project's firm: a registry firm (by number, credit code or full name) or a new firm by
    name with an optional credit code (validated; a code already registered names that firm)."""
    firm, name, code = firm.strip(), name.strip(), code.strip()
    if firm:
        found = enterprises.find_id(session, text=firm)
        if found is None:
            raise InvalidInput(
                f"企业名录里没有“{firm}”（请输入企业全称或统一社会信用代码，或按新企业填写名称）",
                field="firm",
                value=firm,
            )
        record = read.get_or_raise(session, found, actor=actor)
        return Firm(record.id, record.name, record.uscc)
    if not name:
        raise InvalidInput("请填写项目的企业：选择名录中的企业，或填写新企业名称", field="firm")
    if len(name) > 200:
        raise InvalidInput("企业名称不超过 200 个字", field="firm_name")
    normalised = uscc_check.normalise(code) if code else None
    if normalised:  # a code already registered names that firm
        existing = enterprises.get_by_uscc(session, code=normalised)
        if existing is not None:
            return Firm(existing.id, existing.name, existing.uscc)
    return Firm(None, name, normalised)


def _check_team(
    session: Session, actor: Actor, team_id: int | None, officer_id: int | None
) -> tuple[int, int | None]:
    if team_id is None:
        if actor.department_id is None:
            raise InvalidInput("请选择负责的招商小组（部门）", field="team_id")
        team_id = actor.department_id
    team = session.get(Department, team_id)
    if team is None or not team.is_active:
        raise InvalidInput("所选的招商小组（部门）不存在或已停用", field="team_id")
    if not actor.answers_for_all and actor.department_id != team_id:
        raise PermissionDenied(
            f"只能为本小组登记项目，不能登记为“{team.name}”的项目", field="team_id"
        )
    if officer_id is not None:
        officer = session.get(User, officer_id)
        if officer is None or officer.role == Role.ENTERPRISE or not officer.is_active:
            raise InvalidInput("所选的负责人不存在或不是园区工作人员", field="officer_id")
        if officer.department_id != team_id:
            raise InvalidInput(
                f"负责人“{officer.display_name or officer.username}”不属于{team.name}",
                field="officer_id",
            )
    return team_id, officer_id


def create(
    session: Session, *, actor: Actor, today: dt.date, data: NewProject
) -> InvestmentProject:
    """Enter a project (a new lead, or a ledger row at its current stage), checked in full."""
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    name = data.name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("项目名称不能为空，且不超过 200 个字", field="name")
    amount = parse_yi(data.amount_yi, field="amount_yi", label="总投资")
    if amount is None:
        raise InvalidInput("请填写总投资（亿元）", field="amount_yi")
    fixed = parse_yi(data.fixed_asset_yi, field="fixed_asset_yi", label="固定资产投资")
    if fixed is not None and fixed > amount:
        raise InvalidInput(
            f"固定资产投资 {yi(fixed)} 亿元大于总投资 {yi(amount)} 亿元", field="fixed_asset_yi"
        )
    if data.source not in SOURCES:
        raise InvalidInput(f"没有“{data.source}”这种项目来源", field="source", value=data.source)
    firm = resolve_firm(
        session, actor=actor, firm=data.firm, name=data.firm_name, code=data.firm_uscc
    )
    chain, node = chains.checked_position(session, actor=actor, chain=data.chain, node=data.node)
    team_id, officer_id = _check_team(session, actor, data.team_id, data.officer_id)
    stage = stage_or_raise(session, data.stage)
    lead_on = data.lead_on or today
    if lead_on > today:
        raise InvalidInput(f"线索日期 {lead_on} 晚于今天", field="lead_on")
    signed_on = data.signed_on
    if signed_on is not None:
        if not stage.signed:
            raise InvalidInput(
                f"阶段为“{stage.name}”（尚未签约），不应填写签约日期", field="signed_on"
            )
        if signed_on > today or signed_on < lead_on:
            raise InvalidInput(
                f"签约日期 {signed_on} 应在线索日期 {lead_on} 与今天之间", field="signed_on"
            )
    since = (signed_on or lead_on) if stage.signed else lead_on
    industry = data.industry_code.strip().upper() or None
    if industry and (len(industry) > 8 or not industry.isalnum()):
        raise InvalidInput(f"行业代码“{industry}”格式不正确", field="industry_code")
    project = InvestmentProject(
        name=name, name_pinyin=pinyin_key(name), enterprise_id=firm.enterprise_id,
        firm_name=firm.name, firm_uscc=firm.uscc, reinvestment=data.reinvestment,
        amount_wan=amount, fixed_asset_wan=fixed, industry_code=industry,
        manufacturing=data.manufacturing, high_tech=data.high_tech, chain=chain, node=node,
        source=data.source, fund_name=data.fund_name.strip()[:100], team_id=team_id,
        officer_id=officer_id, stage=stage.key, stage_since=since, lead_on=lead_on,
        signed_on=since if stage.signed else None, note=data.note.strip(),
        created_by=actor.label,
    )  # fmt: skip
    session.add(project)
    session.flush()
    first = stages(session)[0].key
    events: list[tuple[str | None, str, dt.date, str]] = [(None, first, lead_on, "登记")]
    if stage.key != first:  # entered at its current stage (a ledger row): one move to it
        events.append((first, stage.key, since, "按台账登记当前阶段"))
    for from_stage, to_stage, day, note in events:
        session.add(
            StageEvent(
                project_id=project.id, from_stage=from_stage, to_stage=to_stage, moved_on=day,
                note=note, created_by=actor.label,
            )
        )  # fmt: skip
    session.flush()
    return project


@dataclass(frozen=True)
class Changes:
    """A project's details as the edit form sends them (amounts in 亿元 text)."""

    amount_yi: str
    fixed_asset_yi: str = ""
    source: str = "other"
    fund_name: str = ""
    chain: str = ""
    node: str = ""
    industry_code: str = ""
    manufacturing: bool = False
    high_tech: bool = False
    reinvestment: bool = False
    officer_id: int | None = None
    note: str = ""


def update(
    session: Session, *, actor: Actor, project_id: int, revision: int, changes: Changes
) -> InvestmentProject:
    """Change a project's details, checked as a new lead's are; revision is the one the person
    saw: when someone saved in between, nothing is changed and the person is told."""
    project = session.get(InvestmentProject, project_id, with_for_update=True)
    if project is None:
        raise NotFound(f"没有编号为 {project_id} 的招商项目")
    _require_write(session, actor, project)
    if project.revision != revision:
        raise Conflict(f"项目“{project.name}”刚被其他人修改过，本次没有保存，请刷新页面后重试")
    amount = parse_yi(changes.amount_yi, field="amount_yi", label="总投资")
    if amount is None:
        raise InvalidInput("请填写总投资（亿元）", field="amount_yi")
    fixed = parse_yi(changes.fixed_asset_yi, field="fixed_asset_yi", label="固定资产投资")
    if fixed is not None and fixed > amount:
        raise InvalidInput(
            f"固定资产投资 {yi(fixed)} 亿元大于总投资 {yi(amount)} 亿元", field="fixed_asset_yi"
        )
    if changes.source not in SOURCES:
        raise InvalidInput(f"没有“{changes.source}”这种项目来源", field="source")
    chain, node = chains.checked_position(
        session, actor=actor, chain=changes.chain, node=changes.node
    )
    _, officer_id = _check_team(session, actor, project.team_id, changes.officer_id)
    industry = changes.industry_code.strip().upper() or None
    if industry and (len(industry) > 8 or not industry.isalnum()):
        raise InvalidInput(f"行业代码“{industry}”格式不正确", field="industry_code")
    project.amount_wan, project.fixed_asset_wan = amount, fixed
    project.source, project.fund_name = changes.source, changes.fund_name.strip()[:100]
    project.chain, project.node, project.industry_code = chain, node, industry
    project.manufacturing, project.high_tech = changes.manufacturing, changes.high_tech
    project.reinvestment, project.officer_id = changes.reinvestment, officer_id
    project.note = changes.note.strip()[:2000]
    project.updated_at = utcnow()
    session.flush()
    return project


def get_or_raise(session: Session, *, actor: Actor, project_id: int) -> InvestmentProject:
    require_read(actor)
    project = session.get(InvestmentProject, project_id)
    if project is None:
        raise NotFound(f"没有编号为 {project_id} 的招商项目")
    return project


def history(session: Session, *, actor: Actor, project_id: int) -> list[StageEvent]:
    """The project's stage moves, oldest first."""
    require_read(actor)
    query = sa.select(StageEvent).where(StageEvent.project_id == project_id)
    return list(session.scalars(query.order_by(StageEvent.moved_on, StageEvent.id)))


def move(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    project_id: int,
    to_stage: str,
    expected_stage: str,
    on: dt.date | None = None,
    note: str = "",
) -> InvestmentProject:
    """Move a project to another stage, as the stage table allows, on a day between the day it
    entered its stage and today. expected_stage is the stage the person saw: when the project
    has moved since (a colleague was first), nothing is changed and the person is told."""
    project = session.get(InvestmentProject, project_id, with_for_update=True)
    if project is None:
        raise NotFound(f"没有编号为 {project_id} 的招商项目")
    _require_write(session, actor, project)
    names = stage_names(session)
    if project.stage != expected_stage:
        raise Conflict(
            f"项目“{project.name}”已转到“{names.get(project.stage, project.stage)}”"
            f"（您看到的是“{names.get(expected_stage, expected_stage)}”），本次没有保存，"
            "请刷新页面后再操作"
        )
    current = stage_or_raise(session, project.stage)
    target = stage_or_raise(session, to_stage)
    if target.key not in current.next_keys:
        allowed = "、".join(names[k] for k in current.next_keys if k in names) or "无"
        raise InvalidInput(
            f"阶段表不允许从“{current.name}”直接转到“{target.name}”（可转到：{allowed}）",
            field="to_stage",
            value=to_stage,
        )
    day = on or today
    if day > today:
        raise InvalidInput(f"日期 {day} 晚于今天", field="on")
    if day < project.stage_since:
        raise InvalidInput(
            f"日期 {day} 早于项目进入“{current.name}”的日期 {project.stage_since}", field="on"
        )
    session.add(
        StageEvent(
            project_id=project.id, from_stage=current.key, to_stage=target.key, moved_on=day,
            note=note.strip()[:500], created_by=actor.label,
        )
    )  # fmt: skip
    project.stage = target.key
    project.stage_since = day
    if target.signed and project.signed_on is None:
        project.signed_on = day
    elif not target.signed and current.signed:  # returned before signing: no longer signed
        project.signed_on = None
    project.updated_at = utcnow()
    session.flush()
    return project


@dataclass(frozen=True)
class FirmProjects:
    """A firm's 招商 projects, for its page (一企一档)."""

    total: int
    amount: str  # 亿元, all the firm's projects
    latest: list[tuple[InvestmentProject, str]]  # each with its amount in 亿元
    stages: dict[str, str]


def firm_projects(session: Session, *, actor: Actor, enterprise_id: int) -> FirmProjects | None:
    """The firm's projects, newest first (None where actor may not read the pipeline: an
    enterprise user never sees it, even for its own firm)."""
    try:
        require_read(actor)
    except PermissionDenied:
        return None
    mine = InvestmentProject.enterprise_id == enterprise_id
    total, wan = session.execute(
        sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(InvestmentProject.amount_wan), 0)
        ).where(mine)
    ).one()
    if not total:
        return None
    latest = session.scalars(
        sa.select(InvestmentProject).where(mine)
        .order_by(InvestmentProject.lead_on.desc(), InvestmentProject.id.desc()).limit(5)
    ).all()  # fmt: skip
    shown = [(p, yi(p.amount_wan)) for p in latest]
    return FirmProjects(int(total), yi(int(wan)), shown, stage_names(session))


# ---------------------------------------------------------------- lists


@dataclass(frozen=True)
class Filters:
    stage: str | None = None
    chain: str | None = None
    source: str | None = None
    team: int | None = None
    band: str | None = None
    stale: bool = False
    q: str | None = None  # the project's or the firm's name (part, pinyin, initials)
    sort: str = "name"


def _check(session: Session, filters: Filters) -> None:
    if filters.sort not in SORTS:
        raise InvalidInput(f"没有“{filters.sort}”这种排序", field="sort")
    if filters.stage and session.get(InvestmentStage, filters.stage) is None:
        raise InvalidInput(f"没有“{filters.stage}”这个阶段", field="stage")
    if filters.source and filters.source not in SOURCES:
        raise InvalidInput(f"没有“{filters.source}”这种项目来源", field="source")
    if filters.band and filters.band not in BANDS:
        raise InvalidInput(f"没有“{filters.band}”这个投资规模档", field="band")


def _filtered(session: Session, filters: Filters, today: dt.date) -> sa.Select[Any]:
    _check(session, filters)
    query = sa.select(InvestmentProject)
    if filters.stage:
        query = query.where(InvestmentProject.stage == filters.stage)
    if filters.chain:
        query = query.where(InvestmentProject.chain == filters.chain)
    if filters.source:
        query = query.where(InvestmentProject.source == filters.source)
    if filters.team:
        query = query.where(InvestmentProject.team_id == filters.team)
    if filters.band:
        _, low, high = BANDS[filters.band]
        query = query.where(InvestmentProject.amount_wan >= low)
        if high is not None:
            query = query.where(InvestmentProject.amount_wan < high)
    if filters.stale:
        query = query.where(sa.or_(*_stale_conditions(session, today)))
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        query = query.where(
            sa.or_(
                InvestmentProject.name.contains(text, autoescape=True),
                InvestmentProject.firm_name.contains(text, autoescape=True),
                InvestmentProject.name_pinyin.contains(pinyin_key(text), autoescape=True),
                InvestmentProject.enterprise_id.in_(read.ids_matching(text)),
            )
        )
    if filters.sort == "-amount":
        return query.order_by(InvestmentProject.amount_wan.desc(), InvestmentProject.id)
    if filters.sort == "stage":
        position = (
            sa.select(InvestmentStage.position)
            .where(InvestmentStage.key == InvestmentProject.stage)
            .scalar_subquery()
        )
        return query.order_by(position, InvestmentProject.name_pinyin, InvestmentProject.id)
    if filters.sort == "-since":
        return query.order_by(InvestmentProject.stage_since.desc(), InvestmentProject.id)
    return query.order_by(InvestmentProject.name_pinyin, InvestmentProject.id)


def _stale_conditions(session: Session, today: dt.date) -> list[sa.ColumnElement[bool]]:
    """One condition per stage with a stale warning: resting there longer than its days."""
    out: list[sa.ColumnElement[bool]] = []
    for stage in stages(session):
        if stage.stale_days is not None and not stage.closed:
            limit = today - dt.timedelta(days=stage.stale_days)
            out.append(
                sa.and_(InvestmentProject.stage == stage.key, InvestmentProject.stage_since < limit)
            )
    return out or [sa.false()]


def get_all(
    session: Session,
    *,
    actor: Actor,
    today: dt.date,
    filters: Filters,
    page: int = 1,
    per_page: int = 50,
) -> Page[InvestmentProject]:
    """One page of the pipeline; bad filter values are refused with the reason."""
    require_read(actor)
    return paginate(session, _filtered(session, filters, today), page=page, per_page=per_page)


def stale_days(stage: InvestmentStage | None, project: InvestmentProject, today: dt.date) -> int:
    """Days the project has rested in its stage beyond the stage's warning; 0 when not stale."""
    if stage is None or stage.stale_days is None or stage.closed:
        return 0
    return max(0, (today - project.stage_since).days - stage.stale_days)


@dataclass(frozen=True)
class Labels:
    """What a list shows for the codes it stores: stages, teams, officers, chains and nodes."""

    stages: dict[str, InvestmentStage]
    teams: dict[int, str]
    officers: dict[int, str]
    chains: dict[str, str]
    nodes: dict[tuple[str, str], str]


def labels(session: Session, *, actor: Actor) -> Labels:
    require_read(actor)
    teams: dict[int, str] = dict(session.execute(sa.select(Department.id, Department.name)).all())
    officers = {
        uid: display or username
        for uid, display, username in session.execute(
            sa.select(User.id, User.display_name, User.username).where(User.role != Role.ENTERPRISE)
        )
    }
    atlas = chains.chains(session, actor=actor) if actor.has(Permission.ENTERPRISES_READ) else []
    return Labels(
        stages={s.key: s for s in stages(session)},
        teams=teams,
        officers=officers,
        chains={c.spec.id: c.spec.name for c in atlas},
        nodes={(c.spec.id, n.key): n.name for c in atlas for n in c.spec.nodes},
    )


def teams(session: Session, *, actor: Actor) -> list[Department]:
    """The departments a project may be given to (active ones)."""
    require_read(actor)
    query = sa.select(Department).where(Department.is_active).order_by(Department.id)
    return list(session.scalars(query))


def officers(session: Session, *, actor: Actor, team_id: int | None = None) -> list[User]:
    """Staff who may be responsible for a project (of team_id when given)."""
    require_read(actor)
    query = sa.select(User).where(User.role != Role.ENTERPRISE, User.is_active)
    if team_id is not None:
        query = query.where(User.department_id == team_id)
    return list(session.scalars(query.order_by(User.department_id, User.username)))


EXPORT_LIMIT = 100_000
HEADERS = [
    "项目名称", "企业名称", "统一社会信用代码", "新引进/再投资", "总投资（万元）",
    "其中固定资产投资（万元）", "投资规模", "行业代码", "制造业", "高新技术", "产业链", "环节",
    "项目来源", "基金", "负责小组", "负责人", "阶段", "本阶段开始日期", "线索日期", "签约日期",
    "停滞天数", "备注",
]  # fmt: skip


def export_xlsx(session: Session, *, actor: Actor, today: dt.date, filters: Filters) -> bytes:
    """The filtered pipeline (every match, in the list's order) as a workbook; amounts in whole
    万元, exact (the ledger import reads them back by the unit in the header)."""
    require_read(actor)
    rows = list(session.scalars(_filtered(session, filters, today).limit(EXPORT_LIMIT)))
    names = labels(session, actor=actor)

    def line(p: InvestmentProject) -> list[Any]:
        stage = names.stages.get(p.stage)
        return [
            p.name, p.firm_name, p.firm_uscc or "", "再投资/二期" if p.reinvestment else "新引进",
            p.amount_wan, p.fixed_asset_wan,
            BANDS[band_of(p.amount_wan)][0], p.industry_code or "",
            "是" if p.manufacturing else "否", "是" if p.high_tech else "否",
            names.chains.get(p.chain, p.chain) if p.chain else "",
            names.nodes.get((p.chain, p.node), p.node) if p.chain and p.node else "",
            SOURCES.get(p.source, p.source), p.fund_name, names.teams.get(p.team_id, ""),
            names.officers.get(p.officer_id, "") if p.officer_id else "",
            stage.name if stage else p.stage, p.stage_since, p.lead_on, p.signed_on,
            stale_days(stage, p, today) or None, p.note,
        ]  # fmt: skip

    book = xlsx.ListWorkbook()
    book.table(
        "招商项目库",
        headers=HEADERS,
        rows=(line(p) for p in rows),
        widths=[
            30,
            30,
            22,
            12,
            14,
            14,
            18,
            10,
            8,
            8,
            14,
            18,
            16,
            16,
            18,
            12,
            10,
            14,
            12,
            12,
            10,
            30,
        ],
        frozen_columns=1,
    )
    return book.close()


def with_history(session: Session, project_id: int) -> InvestmentProject | None:
    """The project with its events loaded (for the API)."""
    query = (
        sa.select(InvestmentProject)
        .where(InvestmentProject.id == project_id)
        .options(selectinload(InvestmentProject.events))
    )
    return session.scalar(query)


# ---------------------------------------------------------------- figures


@dataclass(frozen=True)
class Quarter:
    quarter: int
    count: int
    amount_wan: int
    reinvestment: int  # of which 再投资/二期


@dataclass(frozen=True)
class FunnelRow:
    group: str  # the chain, source or team's name ("全部" for every project)
    reached: dict[str, int]  # stage key → projects that reached it
    median_days: dict[str, float | None]  # stage key → median days spent there (left it)


@dataclass(frozen=True)
class Dashboard:
    year: int
    quarters: list[Quarter]
    signed: int
    signed_wan: int
    reinvestment: int
    hundred_yi: int  # signed 百亿级 projects
    manufacturing: int
    manufacturing_high_tech: int
    stages: list[InvestmentStage]  # the funnel's stages (closed ones left out)
    funnel: list[FunnelRow]
    group: str
    stale: int

    @property
    def high_tech_share(self) -> float | None:
        """High-tech share among signed manufacturing projects; None when there are none."""
        return self.manufacturing_high_tech / self.manufacturing if self.manufacturing else None


GROUPS = {"chain": "按产业链", "source": "按来源", "team": "按负责小组"}


def dashboard(
    session: Session, *, actor: Actor, year: int, today: dt.date, group: str = "chain"
) -> Dashboard:
    """Signed projects and investment by quarter of year; the funnel (projects that reached each
    stage, conversion, median days spent in a stage) for every project and by group."""
    require_read(actor)
    if group not in GROUPS:
        raise InvalidInput(f"没有“{group}”这种分组", field="group")
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    signed = list(
        session.scalars(
            sa.select(InvestmentProject).where(InvestmentProject.signed_on.between(start, end))
        )
    )
    quarters = []
    for q in range(1, 5):
        inside = [p for p in signed if p.signed_on and (p.signed_on.month - 1) // 3 + 1 == q]
        quarters.append(
            Quarter(q, len(inside), sum(p.amount_wan for p in inside),
                    sum(1 for p in inside if p.reinvestment))
        )  # fmt: skip
    made = [p for p in signed if p.manufacturing]
    table = [s for s in stages(session) if not s.closed]
    position = {s.key: s.position for s in table}
    projects = {p.id: p for p in session.scalars(sa.select(InvestmentProject))}
    events: dict[int, list[StageEvent]] = {}
    for event in session.scalars(
        sa.select(StageEvent).order_by(StageEvent.project_id, StageEvent.moved_on, StageEvent.id)
    ):
        events.setdefault(event.project_id, []).append(event)
    names = labels(session, actor=actor)

    def group_of(p: InvestmentProject) -> str:
        if group == "chain":
            return names.chains.get(p.chain, p.chain) if p.chain else "未指定产业链"
        if group == "source":
            return SOURCES.get(p.source, p.source)
        return names.teams.get(p.team_id, str(p.team_id))

    reached: dict[str, dict[str, int]] = {}
    days: dict[str, dict[str, list[int]]] = {}
    for pid, project in projects.items():
        trail = events.get(pid, [])
        top = max((position.get(e.to_stage, 0) for e in trail), default=0)
        top = max(top, position.get(project.stage, 0))
        for key in ("全部", group_of(project)):
            row = reached.setdefault(key, {s.key: 0 for s in table})
            for s in table:
                if s.position <= top:
                    row[s.key] += 1
            spent = days.setdefault(key, {s.key: [] for s in table})
            for here, after in pairwise(trail):
                if here.to_stage in spent:
                    spent[here.to_stage].append((after.moved_on - here.moved_on).days)
    order = ["全部", *sorted(k for k in reached if k != "全部")]
    funnel = [
        FunnelRow(
            k,
            reached[k],
            {s: float(statistics.median(v)) if v else None for s, v in days[k].items()},
        )
        for k in order
    ]
    stale = sum(1 for p in projects.values() if stale_days(names.stages.get(p.stage), p, today) > 0)
    return Dashboard(
        year=year, quarters=quarters, signed=len(signed),
        signed_wan=sum(p.amount_wan for p in signed),
        reinvestment=sum(1 for p in signed if p.reinvestment),
        hundred_yi=sum(1 for p in signed if band_of(p.amount_wan) == "100"),
        manufacturing=len(made), manufacturing_high_tech=sum(1 for p in made if p.high_tech),
        stages=table, funnel=funnel, group=group, stale=stale,
    )  # fmt: skip


# ---------------------------------------------------------------- signing ceremonies


def signings(session: Session, *, actor: Actor) -> list[tuple[SigningEvent, int, int]]:
    """Signing ceremonies, newest first, each with its projects' count and total (万元)."""
    require_read(actor)
    totals = (
        sa.select(
            InvestmentProject.signing_id,
            sa.func.count().label("n"),
            sa.func.sum(InvestmentProject.amount_wan).label("wan"),
        )
        .group_by(InvestmentProject.signing_id)
        .subquery()
    )
    query = (
        sa.select(SigningEvent, totals.c.n, totals.c.wan)
        .outerjoin(totals, totals.c.signing_id == SigningEvent.id)
        .order_by(SigningEvent.held_on.desc(), SigningEvent.id.desc())
    )
    return [(e, int(n or 0), int(wan or 0)) for e, n, wan in session.execute(query)]


def create_signing(
    session: Session, *, actor: Actor, today: dt.date, name: str, held_on: dt.date | None,
    place: str = "",
) -> SigningEvent:  # fmt: skip
    """Enter a signing ceremony (集中签约)."""
    actor.require(Permission.INVESTMENT_WRITE)
    require_read(actor)
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("签约活动名称不能为空，且不超过 100 个字", field="name")
    if held_on is None:
        raise InvalidInput("请填写签约活动日期", field="held_on")
    if held_on > today + dt.timedelta(days=366):
        raise InvalidInput(f"签约活动日期 {held_on} 过远", field="held_on")
    event = SigningEvent(
        name=name, held_on=held_on, place=place.strip()[:100], created_by=actor.label
    )
    session.add(event)
    session.flush()
    return event


def get_signing_or_raise(session: Session, *, actor: Actor, signing_id: int) -> SigningEvent:
    require_read(actor)
    event = session.get(SigningEvent, signing_id)
    if event is None:
        raise NotFound(f"没有编号为 {signing_id} 的签约活动")
    return event


def signing_projects(session: Session, *, actor: Actor, signing_id: int) -> list[InvestmentProject]:
    require_read(actor)
    query = sa.select(InvestmentProject).where(InvestmentProject.signing_id == signing_id)
    return list(session.scalars(query.order_by(InvestmentProject.amount_wan.desc())))


def signable(session: Session, *, actor: Actor) -> list[InvestmentProject]:
    """Signed projects not yet at any ceremony, that actor may change."""
    require_read(actor)
    query = sa.select(InvestmentProject).where(
        InvestmentProject.signed_on.is_not(None), InvestmentProject.signing_id.is_(None)
    )
    rows = session.scalars(query.order_by(InvestmentProject.name_pinyin, InvestmentProject.id))
    return [p for p in rows if may_write(actor, p)]


def attach(session: Session, *, actor: Actor, signing_id: int, project_ids: Sequence[int]) -> int:
    """Put signed projects on a ceremony's list; each must be signed and actor's to change."""
    event = get_signing_or_raise(session, actor=actor, signing_id=signing_id)
    if not project_ids:
        raise InvalidInput("请勾选要列入签约活动的项目", field="project_ids")
    for pid in project_ids:
        project = session.get(InvestmentProject, pid)
        if project is None:
            raise NotFound(f"没有编号为 {pid} 的招商项目")
        _require_write(session, actor, project)
        if project.signed_on is None:
            raise InvalidInput(f"项目“{project.name}”尚未签约，不能列入签约活动")
        if project.signing_id is not None and project.signing_id != event.id:
            raise Conflict(f"项目“{project.name}”已列入另一场签约活动")
        project.signing_id = event.id
    session.flush()
    return len(project_ids)


# ---------------------------------------------------------------- for the capital chain


@dataclass(frozen=True)
class ProjectFacts:
    """What the capital chain reads of a project a fund invested in (以投促引)."""

    id: int
    name: str
    firm_name: str
    enterprise_id: int | None
    amount_wan: int
    chain: str | None
    node: str | None
    source: str
    signed: bool


def project_facts(session: Session, ids: Sequence[int]) -> dict[int, ProjectFacts]:
    """The projects of ids, for callers that have already checked who asks (the capital chain's
    service: staff with the finance permission)."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return {}
    rows = session.scalars(sa.select(InvestmentProject).where(InvestmentProject.id.in_(wanted)))
    return {
        p.id: ProjectFacts(
            p.id, p.name, p.firm_name, p.enterprise_id, p.amount_wan, p.chain, p.node, p.source,
            p.signed_on is not None,
        )
        for p in rows
    }  # fmt: skip


def project_choices(session: Session, limit: int = 500) -> list[ProjectFacts]:
    """The pipeline's projects a fund may invest in (not dropped), newest first, for the capital
    chain's forms (callers have already checked who asks)."""
    closed = sa.select(InvestmentStage.key).where(InvestmentStage.closed)
    query = (
        sa.select(InvestmentProject.id)
        .where(InvestmentProject.stage.not_in(closed))
        .order_by(InvestmentProject.lead_on.desc(), InvestmentProject.id.desc())
        .limit(limit)
    )
    ids = list(session.scalars(query))
    found = project_facts(session, ids)
    return [found[i] for i in ids if i in found]
