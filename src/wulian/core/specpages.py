"""The pages of versioned spec files, the same for every module that keeps them: the versions of
each spec, one version with its diff, and the editor that saves a new version or a copy.

    pages.include_router(spec_router(SpecPages(base="/landuse/specs", kind=service.SPECS, …)))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core import specversions
from wulian.core.deps import DB, CurrentActor, render, render_failure
from wulian.core.errors import WulianError
from wulian.core.permissions import Actor, Permission


@dataclass(frozen=True)
class SpecPages:
    base: str  # the address of the list; a version is base/{id}
    kind: specversions.SpecKind[Any]  # the kind's versions, checks and shipped files
    intro: str  # above the list
    hint: str  # above the editor: the format and what is checked
    shipped_note: str  # on a version shipped with the platform
    kinds: dict[str, str] | None = None  # kind → label, where specs are of several kinds
    edit_permission: Permission = Permission.ANALYSES_WRITE  # who sees the editor


def spec_router(pages: SpecPages) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def _may_edit(db: Session, actor: Actor, row: Any) -> bool:
        if pages.kind.may_edit is None:
            return True
        try:
            return pages.kind.may_edit(db, actor, row)
        except WulianError:  # a stored text that no longer checks (a metric retired since)
            return False

    def _offer(db: Session, code: str) -> str | None:
        shipped = pages.kind.shipped
        return None if shipped is None else specversions.offer(db, shipped, code)

    def context(
        db: Session,
        actor: Actor,
        spec_id: int,
        *,
        text: str | None = None,
        note: str = "",
        error: WulianError | None = None,
    ) -> dict[str, Any]:
        spec = specversions.get(db, pages.kind, actor=actor, spec_id=spec_id)
        previous = specversions.previous(db, pages.kind.model, spec)
        latest = specversions.latest(db, pages.kind.model, spec.code)
        offer = _offer(db, spec.code)
        can_edit = actor.has(pages.edit_permission) and _may_edit(db, actor, latest or spec)
        return {
            "actor": actor,
            "spec": spec,
            "previous": previous,
            "diff": specversions.diff(previous, spec),
            "text": spec.text if text is None else text,
            "note": note,
            "latest": latest,
            "offer_diff": None
            if offer is None or latest is None
            else specversions.diff_texts(latest, offer, "平台内置新版本"),
            "can_edit": can_edit,
            # one who may not change this spec may still start a new one from it (their own)
            "can_copy": not can_edit
            and actor.has(pages.edit_permission)
            and actor.enterprise_id is None
            and pages.kind.copies,
            "error": error,
            "base": pages.base,
            "hint": pages.hint,
            "shipped_note": pages.shipped_note,
        }

    @router.get(pages.base)
    def versions(request: Request, db: DB, actor: CurrentActor) -> Response:
        grouped: dict[str, list[Any]] = {}
        for spec in specversions.listed(db, pages.kind, actor=actor):
            grouped.setdefault(spec.code, []).append(spec)
        listed = {
            "actor": actor, "grouped": grouped, "base": pages.base, "kinds": pages.kinds,
            "intro": pages.intro,
        }  # fmt: skip
        return render(request, "specs/list.html", listed)

    @router.get(pages.base + "/{spec_id}")
    def version(request: Request, spec_id: int, db: DB, actor: CurrentActor) -> Response:
        return render(request, "specs/version.html", context(db, actor, spec_id))

    @router.post(pages.base + "/{spec_id}")
    def save(
        request: Request,
        spec_id: int,
        db: DB,
        actor: CurrentActor,
        text: Annotated[str, Form(max_length=specversions.MAX_TEXT)],
        note: Annotated[str, Form(max_length=500)] = "",
        as_copy: Annotated[str, Form(max_length=5)] = "",
    ) -> Response:
        try:
            spec = specversions.save_text(
                db,
                pages.kind,
                actor=actor,
                text=text,
                based_on_id=spec_id,
                copy=bool(as_copy),
                note=note,
            )
        except WulianError as error:
            return render_failure(
                request, db, error, "specs/version.html",
                lambda e: context(db, actor, spec_id, text=text, note=note, error=e),
            )  # fmt: skip
        return RedirectResponse(f"{pages.base}/{spec.id}?saved=1", status_code=303)

    @router.post(pages.base + "/{spec_id}/adopt")
    def adopt(request: Request, spec_id: int, db: DB, actor: CurrentActor) -> Response:
        """A newer shipped file saved as the next version of this spec (who may edit may adopt)."""
        spec = specversions.get(db, pages.kind, actor=actor, spec_id=spec_id)
        offer = _offer(db, spec.code)
        latest = specversions.latest(db, pages.kind.model, spec.code)
        if offer is None or latest is None:  # adopted meanwhile, or nothing to adopt
            return RedirectResponse(f"{pages.base}/{spec_id}", status_code=303)
        try:
            row = specversions.save_text(
                db, pages.kind, actor=actor, text=offer, based_on_id=latest.id, copy=False,
                note="采用平台内置的新版本",
            )  # fmt: skip
        except WulianError as error:
            return render_failure(
                request, db, error, "specs/version.html",
                lambda e: context(db, actor, spec_id, error=e),
            )  # fmt: skip
        specversions.mark_shipped(row)
        return RedirectResponse(f"{pages.base}/{row.id}?saved=1", status_code=303)

    return router
