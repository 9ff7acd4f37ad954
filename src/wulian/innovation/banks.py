"""The bank hand-off (创新积分贷): firms' consent and the scores partner banks may read."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.db import utcnow
from wulian.core.pagination import Page
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import read
from wulian.innovation.lists import Listed, paginate_pairs
from wulian.innovation.models import (
    CreditConsent,
    InnovationResult,
    InnovationRun,
)


def consent_of(session: Session, *, actor: Actor, enterprise_id: int) -> bool:
    """Whether the firm lets partner banks read its points."""
    actor.require_enterprise(enterprise_id)
    row = session.get(CreditConsent, enterprise_id)
    return bool(row and row.granted)


def set_consent(session: Session, *, actor: Actor, enterprise_id: int, granted: bool) -> None:
    """A firm grants or withdraws its consent (its own users, or an administrator)."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
        actor.require(Permission.FACTS_WRITE)
    else:
        actor.require(Permission.ENTERPRISES_WRITE)
    read.get_or_raise(session, enterprise_id)
    row = session.get(CreditConsent, enterprise_id)
    if row is None:
        row = CreditConsent(enterprise_id=enterprise_id, granted=granted, changed_by=actor.label)
        session.add(row)
    else:
        row.granted = granted
        row.changed_by = actor.label
    session.flush()


def grant_consents(session: Session, *, actor: Actor, enterprise_ids: list[int]) -> int:
    """Record consent for many firms at once (the demo zone; a bank's signed batch), audited as
    one entry. Firms that already decided keep their decision."""
    actor.require(Permission.ENTERPRISES_WRITE)
    decided = set(session.scalars(sa.select(CreditConsent.enterprise_id)))
    rows = [
        {"enterprise_id": i, "granted": True, "changed_by": actor.label, "changed_at": utcnow()}
        for i in dict.fromkeys(enterprise_ids)
        if i not in decided
    ]
    if rows:
        session.execute(sa.insert(CreditConsent), rows)
        audit.record(
            session,
            action="innovation.consents",
            object_type="innovation_credit_consents",
            after={"granted": len(rows)},
        )
    return len(rows)


def bank_scores(
    session: Session,
    *,
    actor: Actor,
    period: str | None = None,
    uscc: str | None = None,
    page: int = 1,
    per_page: int = 100,
) -> tuple[InnovationRun | None, Page[Listed]]:
    """Scores of consenting firms in the newest published run (of period when given); for a
    token bound to a firm, that firm's only."""
    actor.require(Permission.CREDIT_READ)
    query = sa.select(InnovationRun).where(InnovationRun.status == RunStatus.PUBLISHED.value)
    if period:
        query = query.where(InnovationRun.period == period)
    run = session.scalar(
        query.order_by(InnovationRun.period.desc(), InnovationRun.published_at.desc()).limit(1)
    )
    if run is None:
        return None, Page(items=[], total=0, page=1, per_page=per_page)
    rows = (
        sa.select(InnovationResult)
        .join(CreditConsent, CreditConsent.enterprise_id == InnovationResult.enterprise_id)
        .where(
            InnovationResult.run_id == run.id,
            CreditConsent.granted == sa.true(),
            InnovationResult.points.is_not(None),
        )
        .order_by(read.field_of(InnovationResult.enterprise_id, "uscc"))
    )
    if actor.enterprise_id is not None:  # a token bound to one firm reads that firm only
        rows = rows.where(InnovationResult.enterprise_id == actor.enterprise_id)
    if uscc:
        rows = rows.where(
            InnovationResult.enterprise_id.in_(read.ids_where(uscc=uscc.strip().upper()))
        )
    return run, paginate_pairs(session, rows, page=page, per_page=per_page)
