"""What the investment domain does when the registry changes: imported with the package."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wulian.core.permissions import Actor
from wulian.enterprises import service as enterprise_service
from wulian.investment import ties


def fold_merged_firm(session: Session, *, kept_id: int, merged_id: int, actor: Actor) -> None:
    """The registry merged merged_id into kept_id: its supply ties move to the kept firm."""
    ties.fold_firm(session, actor=actor, keep_id=kept_id, drop_id=merged_id)


enterprise_service.on_merge(fold_merged_firm)
