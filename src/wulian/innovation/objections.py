"""Objections raised during a run's public notice, and their answers (all answered before the
run is published).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import calendar
from wulian.core.db import utcnow
from wulian.core.errors import Conflict, InvalidInput, NotFound
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.core.todo import Todo
from wulian.enterprises import read
from wulian.innovation.models import (
    InnovationResult,
    InnovationRun,
    Objection,
    ObjectionOutcome,
)
from wulian.innovation.runs import get_run_or_raise, may_run, require_run_owner
from wulian.innovation.versions import index_model


def raise_objection(
    session: Session,
    *,
    actor: Actor,
    run_id: int,
    enterprise_id: int,
    text: str,
    today: dt.date | None = None,
) -> Objection:
    """Record a firm's objection to its result, during the notice only. Enterprise users object
    for their own firm; analysts may record one received on paper."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
        actor.require(Permission.FACTS_WRITE)
    else:
        actor.require(Permission.ANALYSES_WRITE)
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    day = today or calendar.today()
    if (
        run.status != RunStatus.NOTICE
        or run.notice_from is None
        or run.notice_until is None
        or not run.notice_from <= day <= run.notice_until
    ):
        raise Conflict("只能在公示期内提出异议")
    text = text.strip()
    if not 5 <= len(text) <= 2000:
        raise InvalidInput("异议内容应为 5–2000 字，请写明哪项数据或结果有误", field="text")
    if not session.scalar(
        sa.select(InnovationResult.id).where(
            InnovationResult.run_id == run.id, InnovationResult.enterprise_id == enterprise_id
        )
    ):
        raise NotFound("该企业不在本次评价范围内")
    objection = Objection(
        run_id=run.id, enterprise_id=enterprise_id, text=text, submitted_by=actor.label
    )
    session.add(objection)
    session.flush()
    return objection


def answer_objection(
    session: Session, *, actor: Actor, objection_id: int, outcome: str, answer: str
) -> Objection:
    """Answer an objection: upheld (the data will be corrected and the run redone) or rejected."""
    actor.require(Permission.ANALYSES_WRITE)
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(f"异议不存在：{objection_id}")
    run = get_run_or_raise(session, actor=actor, run_id=objection.run_id)
    require_run_owner(session, actor, index_model(run.spec))
    if objection.outcome != ObjectionOutcome.OPEN:
        raise Conflict("该异议已答复")
    if outcome not in (ObjectionOutcome.UPHELD, ObjectionOutcome.REJECTED):
        raise InvalidInput("答复结论应为“成立”或“不成立”", field="outcome", value=outcome)
    if not answer.strip():
        raise InvalidInput("请填写答复内容", field="answer")
    objection.outcome = outcome
    objection.answer = answer.strip()[:2000]
    objection.answered_by = actor.label
    objection.answered_at = utcnow()
    session.flush()
    return objection


def objections(
    session: Session, *, actor: Actor, run_id: int, enterprise_id: int | None = None
) -> list[tuple[Objection, read.Firm]]:
    """The objections to a run (an enterprise user sees its own firm's)."""
    run = get_run_or_raise(session, actor=actor, run_id=run_id)
    query = sa.select(Objection).where(Objection.run_id == run.id).order_by(Objection.id)
    if actor.enterprise_id is not None:
        query = query.where(Objection.enterprise_id == actor.enterprise_id)
    elif enterprise_id is not None:
        query = query.where(Objection.enterprise_id == enterprise_id)
    return read.attach(session, session.scalars(query), lambda o: o.enterprise_id)


def waiting(session: Session, *, actor: Actor, now: dt.datetime | None = None) -> list[Todo]:
    """Runs on public notice: for a firm, that it may object; for the department that runs the
    evaluation, the objections to answer and the runs whose notice has ended."""
    day = calendar.today(now)
    notices = session.scalars(
        sa.select(InnovationRun)
        .where(InnovationRun.status == RunStatus.NOTICE.value)
        .order_by(InnovationRun.id)
    ).all()
    module = "创新积分"
    if actor.enterprise_id is not None:  # the runs on notice that rate this firm
        rated = set(
            session.scalars(
                sa.select(InnovationResult.run_id).where(
                    InnovationResult.enterprise_id == actor.enterprise_id,
                    InnovationResult.run_id.in_([r.id for r in notices]),
                )
            )
        )
        return [
            Todo(module, f"{r.period} 年度创新积分公示中（至 {r.notice_until}，可提出异议）", 1,
                 f"/innovation/portrait/{actor.enterprise_id}?run={r.id}")
            for r in notices if r.id in rated
        ]  # fmt: skip
    items = []
    for run in notices:
        if not may_run(session, actor=actor, spec=run.spec):
            continue
        answer = int(
            session.scalar(
                sa.select(sa.func.count())
                .select_from(Objection)
                .where(
                    Objection.run_id == run.id,
                    Objection.outcome == ObjectionOutcome.OPEN.value,
                )
            )
            or 0
        )
        link = f"/innovation/runs/{run.id}"
        items.append(Todo(module, f"{run.period} 年度评价待答复的异议", answer, link, urgent=True))
        if answer == 0 and run.notice_until is not None and day > run.notice_until:
            items.append(Todo(module, f"{run.period} 年度评价公示期已满，可以发布", 1, link))
    return items
