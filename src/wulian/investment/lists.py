"""The pipeline's list: filters, labels, teams and officers, and the workbook export."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from wulian.chains import service as chains
from wulian.core import xlsx
from wulian.core.auth.models import Department, User
from wulian.core.errors import InvalidInput
from wulian.core.pagination import Page, paginate
from wulian.core.permissions import Actor, Permission, Role
from wulian.enterprises import read
from wulian.enterprises.names import pinyin_key
from wulian.investment.models import InvestmentProject, InvestmentStage
from wulian.investment.pipeline import BANDS, SORTS, SOURCES, band_of, require_read, stages


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
