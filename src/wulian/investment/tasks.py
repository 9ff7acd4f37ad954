"""Annual tasks (年度招商任务): an administrator sets each team's task for a year (signed projects,
signed investment in 亿元, projects started 开工); the dashboard sets what the team achieved
against it, with the share of the year gone by (the quarter). A part of a task not set is
unknown (未下达), never 0; a team with no projects has achieved 0 of a task it was given.
招商 teams (the teams a plan or project may be given to by the atlas's forms) are the departments
that hold a task, a project or an approach plan, or whose name says 招商 or 投资促进.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth.models import Department, User
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput
from wulian.core.permissions import Actor, Permission, Role
from wulian.investment.models import (
    AnnualTask,
    ApproachPlan,
    InvestmentProject,
    InvestmentStage,
    StageEvent,
)
from wulian.investment.pipeline import parse_yi, require_read

STARTED = "started"  # the key of the stage 开工 in the stage table
TEAM_WORDS = ("招商", "投资促进")
COUNT_LIMIT = 100_000


def _count(text: str | int | None, *, field: str, label: str) -> int | None:
    if text is None or (isinstance(text, str) and not text.strip()):
        return None
    raw = str(text).strip()
    if not raw.isdigit():
        raise InvalidInput(f"{label}“{text}”应为不小于 0 的整数", field=field, value=str(text))
    value = int(raw)
    if value > COUNT_LIMIT:
        raise InvalidInput(f"{label}“{text}”过大", field=field, value=str(text))
    return value


def set_task(
    session: Session,
    *,
    actor: Actor,
    year: int,
    team_id: int,
    signed: str | int | None,
    signed_yi: str | None,
    started: str | int | None,
) -> AnnualTask:
    """Set (or change) a team's task for year; every part empty removes nothing and is refused."""
    actor.require(Permission.INVESTMENT_ADMIN)
    require_read(actor)
    if not 2000 <= year <= 2999:
        raise InvalidInput(f"年份 {year} 不正确", field="year", value=str(year))
    team = session.get(Department, team_id)
    if team is None or not team.is_active:
        raise InvalidInput("所选的招商小组（部门）不存在或已停用", field="team_id")
    count = _count(signed, field="signed", label="签约项目数")
    wan = parse_yi(signed_yi, field="signed_yi", label="签约投资额")
    begun = _count(started, field="started", label="开工项目数")
    if count is None and wan is None and begun is None:
        raise InvalidInput("请至少填写一项任务（签约项目数、签约投资额或开工项目数）")
    task = session.scalar(
        sa.select(AnnualTask).where(AnnualTask.year == year, AnnualTask.team_id == team_id)
    )
    if task is None:
        task = AnnualTask(year=year, team_id=team_id, updated_by=actor.label)
        session.add(task)
    task.task_signed, task.task_signed_wan, task.task_started = count, wan, begun
    task.updated_by, task.updated_at = actor.label, utcnow()
    session.flush()
    return task


@dataclass(frozen=True)
class Progress:
    """One team's year: each task (None: not set) and what was achieved (None: unknown)."""

    team_id: int
    team: str
    task_signed: int | None
    task_signed_wan: int | None
    task_started: int | None
    signed: int
    signed_wan: int
    started: int | None  # None when the stage table has no 开工 stage

    @staticmethod
    def share(achieved: int | None, task: int | None) -> float | None:
        """achieved / task; None when either is unknown or the task is 0."""
        if achieved is None or not task:
            return None
        return achieved / task


@dataclass(frozen=True)
class Tasks:
    year: int
    quarter: int  # quarters of the year gone by or under way (0 before it, 4 after)
    rows: list[Progress]

    @property
    def time_share(self) -> float:
        return self.quarter / 4


def quarter_of(year: int, today: dt.date) -> int:
    if year < today.year:
        return 4
    if year > today.year:
        return 0
    return (today.month - 1) // 3 + 1


def progress(session: Session, *, actor: Actor, year: int, today: dt.date) -> Tasks:
    """Each team with a task for year or a project signed in it: tasks against achievements."""
    require_read(actor)
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    tasks = {
        t.team_id: t for t in session.scalars(sa.select(AnnualTask).where(AnnualTask.year == year))
    }
    signed: dict[int, tuple[int, int]] = {
        team: (int(n), int(wan or 0))
        for team, n, wan in session.execute(
            sa.select(
                InvestmentProject.team_id,
                sa.func.count(),
                sa.func.sum(InvestmentProject.amount_wan),
            )
            .where(InvestmentProject.signed_on.between(start, end))
            .group_by(InvestmentProject.team_id)
        )
    }
    started = _started(session, start, end)
    teams = dict(session.execute(sa.select(Department.id, Department.name)).all())
    rows = []
    for team_id in sorted(set(tasks) | set(signed), key=lambda t: teams.get(t, "")):
        task = tasks.get(team_id)
        n, wan = signed.get(team_id, (0, 0))
        rows.append(
            Progress(
                team_id=team_id,
                team=teams.get(team_id, str(team_id)),
                task_signed=task.task_signed if task else None,
                task_signed_wan=task.task_signed_wan if task else None,
                task_started=task.task_started if task else None,
                signed=n,
                signed_wan=wan,
                started=None if started is None else started.get(team_id, 0),
            )
        )
    return Tasks(year=year, quarter=quarter_of(year, today), rows=rows)


def _started(session: Session, start: dt.date, end: dt.date) -> dict[int, int] | None:
    """Projects per team that first reached 开工 (or a later stage) between start and end; None
    when the stage table has no 开工 stage."""
    stage = session.get(InvestmentStage, STARTED)
    if stage is None:
        return None
    later = sa.select(InvestmentStage.key).where(
        InvestmentStage.position >= stage.position, sa.not_(InvestmentStage.closed)
    )
    first = (
        sa.select(StageEvent.project_id, sa.func.min(StageEvent.moved_on).label("day"))
        .where(StageEvent.to_stage.in_(later))
        .group_by(StageEvent.project_id)
        .subquery()
    )
    query = (
        sa.select(InvestmentProject.team_id, sa.func.count())
        .join(first, first.c.project_id == InvestmentProject.id)
        .where(first.c.day.between(start, end))
        .group_by(InvestmentProject.team_id)
    )
    return {team: int(n) for team, n in session.execute(query)}


def investment_teams(session: Session, *, actor: Actor) -> list[Department]:
    """The 招商 teams: active departments holding a task, a project or a plan, or named so."""
    require_read(actor)
    held = sa.union(
        sa.select(AnnualTask.team_id),
        sa.select(InvestmentProject.team_id),
        sa.select(ApproachPlan.team_id),
    )
    named = sa.or_(*(Department.name.contains(word, autoescape=True) for word in TEAM_WORDS))
    query = (
        sa.select(Department)
        .where(Department.is_active, sa.or_(Department.id.in_(held), named))
        .order_by(Department.id)
    )
    return list(session.scalars(query))


def investment_officers(session: Session, *, actor: Actor) -> list[User]:
    """Active staff of the 招商 teams, and the administrators."""
    teams = [t.id for t in investment_teams(session, actor=actor)]
    query = sa.select(User).where(
        User.is_active,
        sa.or_(
            sa.and_(User.role != Role.ENTERPRISE, User.department_id.in_(teams)),
            User.role == Role.ADMIN,
        ),
    )
    return list(session.scalars(query.order_by(User.department_id, User.username)))
