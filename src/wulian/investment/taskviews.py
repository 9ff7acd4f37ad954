"""Annual tasks' page: each team's task for a year against what it achieved; the administrator
sets the tasks there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from wulian.core.deps import DB, CurrentActor, FormFields, render, today_of
from wulian.core.errors import InvalidInput, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.investment import service, tasks

pages = APIRouter(include_in_schema=False)

Year = Annotated[int | None, Query(ge=2000, le=2999, title="年份")]


def _context(db: DB, actor: Actor, today_year: int, progress: tasks.Tasks) -> dict[str, Any]:
    return {
        "actor": actor, "t": progress, "yi": service.yi, "share": tasks.Progress.share,
        "teams": tasks.investment_teams(db, actor=actor) if actor.has(Permission.INVESTMENT_ADMIN)
        else [], "can_edit": actor.has(Permission.INVESTMENT_ADMIN), "error": None, "form": {},
        "years": list(range(today_year + 1, today_year - 6, -1)),
    }  # fmt: skip


@pages.get("/investment/tasks")
def task_page(request: Request, db: DB, actor: CurrentActor, year: Year = None) -> Response:
    today = today_of(request)
    progress = tasks.progress(db, actor=actor, year=year or today.year, today=today)
    context = _context(db, actor, today.year, progress)
    return render(request, "investment/tasks.html", context)


def _int(text: str, field: str, label: str) -> int:
    if not text.strip().isdigit():
        raise InvalidInput(f"请选择{label}", field=field, value=text)
    return int(text)


@pages.post("/investment/tasks")
def task_save(request: Request, db: DB, actor: CurrentActor, form: FormFields) -> Response:
    today = today_of(request)
    values = {k: str(form.get(k) or "") for k in ("year", "team_id", "signed", "signed_yi",
                                                  "started")}  # fmt: skip
    year = int(values["year"]) if values["year"].isdigit() else today.year
    try:
        tasks.set_task(
            db, actor=actor, year=_int(values["year"], "year", "年份"),
            team_id=_int(values["team_id"], "team_id", "招商小组"), signed=values["signed"],
            signed_yi=values["signed_yi"], started=values["started"],
        )  # fmt: skip
    except WulianError as error:
        service.refused(db, actor=actor, project_id=None, attempt="设定年度招商任务", error=error)
        progress = tasks.progress(db, actor=actor, year=year, today=today)
        context = _context(db, actor, today.year, progress)
        context.update(error=error, form=values)
        return render(request, "investment/tasks.html", context, status_code=error.status)
    return RedirectResponse(f"/investment/tasks?year={year}&saved=1", status_code=303)
