"""The run lifecycle's actions as pages, the same for every evaluation whose runs are made public
(core/runs.py): start the public notice, publish, withdraw. Each posts a form and comes back to
the run's page, or shows that page again with the error.

    pages.include_router(lifecycle_router(RunPages(base="/landuse/runs", service=service,
                                                   template="landuse/run.html", context=…)))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import runs
from wulian.core.deps import DB, CurrentActor, render_failure
from wulian.core.errors import WulianError
from wulian.core.permissions import Actor


class Lifecycle(Protocol):
    """What a domain's service offers for its runs' lifecycle."""

    def start_notice(
        self, session: Session, *, actor: Actor, run_id: int, days: int = ...
    ) -> object: ...

    def publish(self, session: Session, *, actor: Actor, run_id: int) -> object: ...

    def withdraw(self, session: Session, *, actor: Actor, run_id: int, reason: str) -> object: ...


@dataclass(frozen=True)
class RunPages:
    base: str  # the address of the runs; a run is base/{id}
    service: Lifecycle
    template: str  # the run's page, shown again with an error
    context: Callable[[Session, Actor, int, WulianError], dict[str, Any]]  # its context


def run_action(
    pages: RunPages,
    request: Request,
    db: Session,
    actor: Actor,
    run_id: int,
    action: Callable[[], object],
) -> Response:
    """Do action for a run's page: back to the page, or the page again with the error."""
    try:
        action()
    except WulianError as error:
        return render_failure(
            request, db, error, pages.template, lambda e: pages.context(db, actor, run_id, e)
        )
    return RedirectResponse(f"{pages.base}/{run_id}", status_code=303)


def lifecycle_router(pages: RunPages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def act(
        request: Request, db: Session, actor: Actor, run_id: int, action: Callable[[], object]
    ) -> Response:
        return run_action(pages, request, db, actor, run_id, action)

    @router.post(pages.base + "/{run_id}/notice")
    def start_notice(
        request: Request,
        run_id: int,
        db: DB,
        actor: CurrentActor,
        days: Annotated[int, Form(ge=1, le=runs.MAX_NOTICE_DAYS)] = runs.NOTICE_DAYS,
    ) -> Response:
        return act(
            request, db, actor, run_id,
            lambda: pages.service.start_notice(db, actor=actor, run_id=run_id, days=days),
        )  # fmt: skip

    @router.post(pages.base + "/{run_id}/publish")
    def publish(request: Request, run_id: int, db: DB, actor: CurrentActor) -> Response:
        return act(
            request, db, actor, run_id,
            lambda: pages.service.publish(db, actor=actor, run_id=run_id),
        )  # fmt: skip

    @router.post(pages.base + "/{run_id}/withdraw")
    def withdraw(
        request: Request,
        run_id: int,
        db: DB,
        actor: CurrentActor,
        reason: Annotated[str, Form(max_length=400)] = "",
    ) -> Response:
        return act(
            request, db, actor, run_id,
            lambda: pages.service.withdraw(db, actor=actor, run_id=run_id, reason=reason),
        )  # fmt: skip

    return router
