"""Projects: entering, changing and moving a project through the stage table; a firm's projects;
what the capital chain reads of a project."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains
from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission, Role
from wulian.enterprises import read
from wulian.enterprises import service as enterprises
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.names import pinyin_key
from wulian.investment.models import InvestmentProject, InvestmentStage, StageEvent
from wulian.investment.pipeline import (
    SOURCES,
    _require_write,
    parse_yi,
    require_read,
    stage_names,
    stage_or_raise,
    stages,
    yi,
)


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
        if officer.department_id != team_id and officer.role != Role.ADMIN:
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
