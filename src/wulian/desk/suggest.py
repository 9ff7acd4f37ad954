"""The category a request's text suggests: the classify engine trained on the configuration's
categories and on the categories officers chose for earlier requests.
"""

from __future__ import annotations

import threading
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import Conflict
from wulian.core.permissions import Actor, Permission
from wulian.desk.access import MAX_DESCRIPTION
from wulian.desk.config import DeskConfig
from wulian.desk.models import DeskEvent, DeskRequest
from wulian.desk.versions import current, database_key
from wulian.engines.classify import model as classify

SUGGEST_THRESHOLD = 0.35  # below: the officer chooses the category at acceptance


class _Suggester:
    """The category model of a configuration version, trained once from its categories' names,
    descriptions and keywords plus the requests officers have accepted, and retrained when
    fifty more have been accepted (counted at most once a minute, not on every request).
    Shared by the server's threads."""

    RECOUNT_SECONDS = 60.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # (database, config version id) → (accepts counted, model); and when last counted
        self.models: dict[tuple[str, int], tuple[int, classify.Model]] = {}
        self.counted: dict[tuple[str, int], float] = {}

    def suggest(
        self, session: Session, config_id: int, spec: DeskConfig, text: str
    ) -> tuple[str, float, str] | None:
        key = (database_key(session), config_id)
        with self.lock:
            known = self.models.get(key)
            now = time.monotonic()
            if known is None or now - self.counted.get(key, 0.0) >= self.RECOUNT_SECONDS:
                self.counted[key] = now
                count = (
                    session.scalar(
                        sa.select(sa.func.count())
                        .select_from(DeskEvent)
                        .where(DeskEvent.action == "accept")
                    )
                    or 0
                )
                if known is None or count - known[0] >= 50:
                    examples = _examples(session, spec)
                    known = (count, classify.train(spec.taxonomy(), examples))
                    self.models[key] = known
            model = known[1]
        prediction = classify.predict(model, [text], top_k=1)
        if prediction.frame.is_empty():
            return None
        row = prediction.frame.row(0, named=True)
        return str(row["code"]), float(row["score"]), str(row["terms"])


def _examples(session: Session, spec: DeskConfig) -> list[tuple[str, str]]:
    rows = session.execute(
        sa.select(DeskRequest.title, DeskRequest.description, DeskRequest.category)
        .join(DeskEvent, DeskEvent.request_id == DeskRequest.id)
        .where(DeskEvent.action == "accept")
        .order_by(DeskRequest.id.desc())
        .limit(2000)
    ).all()
    known = spec.category_map
    return [(f"{t} {d}", c) for t, d, c in rows if c in known]


SUGGESTER = _Suggester()


def warm_up(session: Session) -> bool:
    """Train the category model of the current configuration now (a server does this before it
    takes requests, so the first firm to submit does not wait for it); False when the desk has
    no configuration yet."""
    try:
        config_id, spec = current(session)
    except Conflict:
        return False
    SUGGESTER.suggest(session, config_id, spec, "")
    return True


def suggest(session: Session, *, actor: Actor, text: str) -> tuple[str, float, str] | None:
    """The category the classifier suggests for a request's text, with its confidence and the
    terms that decided it; None when the text has nothing to go by."""
    if not (actor.has(Permission.DESK_SUBMIT) or actor.has(Permission.DESK_HANDLE)):
        actor.require(Permission.DESK_SUBMIT)
    config_id, spec = current(session)
    return SUGGESTER.suggest(session, config_id, spec, text[:MAX_DESCRIPTION])
