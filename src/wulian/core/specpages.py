"""The pages and the API of versioned spec files, the same for every module that keeps them: the
versions of each spec, one version with its diff, and the editor that saves a new version or a
copy; under /api/v1 the same at the same address, as JSON.

    SPEC_PAGES = SpecPages(base="/landuse/specs", kind=service.SPECS, …)
    pages.include_router(spec_router(SPEC_PAGES))
    api.include_router(spec_api(SPEC_PAGES))     # GET/POST /api/v1/landuse/specs…
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
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
    form: str | None = None  # a form for the spec's main figures, at base/{id}/{form}
    form_label: str = ""  # the link to it, beside the editor
    # what changed between two versions' texts in plain words, shown above the raw diff
    summary: Callable[[str, str], list[str]] | None = None


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
            "summary": pages.summary(previous.text, spec.text)
            if pages.summary is not None and previous is not None
            else [],
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
            "form_href": f"{pages.base}/{spec.id}/{pages.form}" if pages.form else None,
            "form_label": pages.form_label,
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


class SpecVersionOut(BaseModel):
    """One version of a spec (without its text)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str = Field(description="规格编号（同一规格的各版本相同）")
    version: int
    name: str
    note: str
    shipped: bool = Field(description="与平台内置文件相同")
    based_on_id: int | None = Field(description="由哪个版本修改或复制而来")
    created_by: str
    created_at: dt.datetime


class SpecVersionDetail(SpecVersionOut):
    text: str = Field(description="规格文件全文（YAML）")
    diff: str = Field(
        description="与所依据版本相比的统一差异格式（unified diff）；没有依据版本时为空"
    )
    newer_shipped: bool = Field(description="平台内置文件有更新的版本可以采用")


class SpecVersionIn(BaseModel):
    text: str = Field(max_length=specversions.MAX_TEXT, description="新版本的全文（YAML）")
    note: str = Field(default="", max_length=500, description="修改说明")
    copy_as_new: bool = Field(
        default=False, description="另存为新规格（文件中的编号必须是新的），而不是本规格的新版本"
    )


def spec_api(pages: SpecPages) -> APIRouter:
    """The JSON API of a spec kind at the pages' address: list, one version, a new version.
    Reading and saving follow the kind's permissions, as the pages do."""
    router = APIRouter()
    label = pages.base.strip("/").replace("/", " ")

    def detail(db: Session, row: Any) -> SpecVersionDetail:
        older = specversions.previous(db, pages.kind.model, row)
        shipped = pages.kind.shipped
        offered = shipped is not None and specversions.offer(db, shipped, row.code) is not None
        return SpecVersionDetail.model_validate(
            {
                **SpecVersionOut.model_validate(row).model_dump(),
                "text": row.text,
                "diff": "\n".join(line for _, line in specversions.diff(older, row)),
                "newer_shipped": offered,
            }
        )

    @router.get(pages.base, summary=f"规格版本列表（{label}）")
    def api_versions(db: DB, actor: CurrentActor) -> list[SpecVersionOut]:
        return [
            SpecVersionOut.model_validate(r)
            for r in specversions.listed(db, pages.kind, actor=actor)
        ]

    @router.get(pages.base + "/{spec_id}", summary=f"一个规格版本：全文与差异（{label}）")
    def api_version(spec_id: int, db: DB, actor: CurrentActor) -> SpecVersionDetail:
        return detail(db, specversions.get(db, pages.kind, actor=actor, spec_id=spec_id))

    @router.post(
        pages.base + "/{spec_id}", status_code=201, summary=f"保存为新版本或另存为新规格（{label}）"
    )
    def api_save(
        spec_id: int, body: SpecVersionIn, db: DB, actor: CurrentActor
    ) -> SpecVersionDetail:
        row = specversions.save_text(
            db, pages.kind, actor=actor, text=body.text, based_on_id=spec_id,
            copy=body.copy_as_new, note=body.note,
        )  # fmt: skip
        return detail(db, row)

    return router
