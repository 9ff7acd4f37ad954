"""What the chains do when the registry changes: imported with the package (chains/__init__)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from wulian.chains import service
from wulian.core.permissions import Actor
from wulian.enterprises import service as enterprise_service


def fold_merged_firm(session: Session, *, kept_id: int, merged_id: int, actor: Actor) -> None:
    """The registry merged merged_id into kept_id: fold its chain placements into the kept firm."""
    service.fold_firm(session, actor=actor, keep_id=kept_id, drop_id=merged_id)


enterprise_service.on_merge(fold_merged_firm)
