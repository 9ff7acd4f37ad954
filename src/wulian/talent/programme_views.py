"""The talent programme pages (人才项目: rounds, applications, expert scoring, awards and
instalments) and a person's portrait (人才画像)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi import Path as Path_
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from wulian.core.deps import DB, CurrentActor, FormFields, render, today_of
from wulian.core.errors import InvalidInput, PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.talent import portrait, programmes, service
from wulian.talent.crypto import KeyMissing
from wulian.talent.views import keys_of

pages = APIRouter(include_in_schema=False)
api = APIRouter(tags=["人才"])

RoundId = Annotated[int, Path_(title="申报批次编号")]
ApplicationId = Annotated[int, Path_(title="申报编号")]
InstalmentId = Annotated[int, Path_(title="资助分期编号")]
PersonId = Annotated[int, Path_(title="人员编号")]


def _yuan(text: str, label: str) -> int:
    """万元 typed on a form, as yuan."""
    value = text.strip().replace(",", "").replace("，", "")
    try:
        wan = float(value)
    except ValueError:
        raise InvalidInput(f"{label}应为数字（万元），填写的是“{text}”", value=text) from None
    if wan != wan or wan <= 0 or wan > 1_000_000:
        raise InvalidInput(f"{label}应为大于 0 的金额（万元）", value=text)
    return round(wan * 10_000)


def parse_instalments(text: str) -> list[programmes.Instalment]:
    """Instalments typed one a line: 年度，金额（万元），里程碑; InvalidInput naming every line
    that cannot be read."""
    out, problems = read_instalments(text)
    if problems:
        raise InvalidInput("；".join(problems), field="instalments", problems=problems)
    return out


def read_instalments(text: str) -> tuple[list[programmes.Instalment], list[str]]:
    """The instalments typed one a line, and every line that cannot be read."""
    out, problems = [], []
    for number, line in enumerate([x for x in text.splitlines() if x.strip()], 1):
        parts = [p.strip() for p in re.split(r"[,，、\t]", line, maxsplit=2)]
        if len(parts) != 3 or not (
            parts[0].isascii() and parts[0].isdigit() and len(parts[0]) == 4
        ):
            problems.append(
                f"资助计划第 {number} 行“{line.strip()[:60]}”应为“年度，金额（万元），里程碑”，"
                "如“2026，40，中试线建成”"
            )
            continue
        try:
            amount = _yuan(parts[1], f"资助计划第 {number} 行金额")
        except InvalidInput as error:
            problems.append(error.message)
            continue
        out.append(programmes.Instalment(int(parts[0]), amount, parts[2], number))
    return out, problems


# ---------------------------------------------------------------- programmes and rounds


def _list_context(request: Request, db: Session, actor: Actor) -> dict[str, Any]:
    today = today_of(request)
    return {
        "actor": actor, "today": today,
        "rounds": programmes.programmes(db, actor=actor, today=today),
        "office": service.in_office(db, actor) and actor.has(Permission.TALENT_WRITE),
        "all_programmes": programmes.all_programmes(db, actor=actor),
    }  # fmt: skip


@pages.get("/talent/programmes")
def programme_list(request: Request, db: DB, actor: CurrentActor) -> Response:
    """Every round of every programme; the talent office sets up programmes and rounds here."""
    return render(request, "talent/programmes.html", _list_context(request, db, actor))


def _list_error(request: Request, db: Session, actor: Actor, error: WulianError) -> Response:
    if isinstance(error, PermissionDenied):
        raise error
    context = _list_context(request, db, actor) | {"error": error}
    return render(request, "talent/programmes.html", context, status_code=error.status)


@pages.post("/talent/programmes")
def programme_create(
    request: Request, db: DB, actor: CurrentActor,
    code: Annotated[str, Form(max_length=32, title="项目代码")],
    name: Annotated[str, Form(max_length=100, title="项目名称")],
    min_award: Annotated[str, Form(max_length=20, title="资助下限（万元）")],
    max_award: Annotated[str, Form(max_length=20, title="资助上限（万元）")],
    criteria: Annotated[str, Form(max_length=2000, title="评分项")],
    summary: Annotated[str, Form(max_length=1000, title="简介")] = "",
) -> Response:  # fmt: skip
    """A programme; criteria one a line: 名称，满分."""
    try:
        items = []
        for number, line in enumerate([x for x in criteria.splitlines() if x.strip()], 1):
            parts = [p.strip() for p in re.split(r"[,，、\t]", line, maxsplit=1)]
            try:
                top = float(parts[1]) if len(parts) == 2 else -1.0
            except ValueError:
                top = -1.0
            if top <= 0:
                raise InvalidInput(
                    f"评分项第 {number} 行应为“名称，满分”，如“业绩成果，40”", field="criteria"
                )
            items.append((f"c{number}", parts[0][:40], top))
        programmes.create_programme(
            db, actor=actor, code=code, name=name, summary=summary,
            min_award_yuan=_yuan(min_award, "资助下限"),
            max_award_yuan=_yuan(max_award, "资助上限"), criteria=items,
        )  # fmt: skip
    except WulianError as error:
        programmes.refused(
            db, actor=actor, attempt="设立人才项目", error=error, object_type="talent_programmes"
        )
        return _list_error(request, db, actor, error)
    return RedirectResponse("/talent/programmes?created=1", status_code=303)


@pages.post("/talent/programmes/rounds")
def round_create(
    request: Request, db: DB, actor: CurrentActor,
    programme_id: Annotated[int, Form(ge=1, title="人才项目")],
    name: Annotated[str, Form(max_length=100, title="批次名称")],
    opens_on: Annotated[dt.date, Form(title="申报开始日")],
    closes_on: Annotated[dt.date, Form(title="申报截止日")],
    reviewers: Annotated[str, Form(max_length=1000, title="评审专家")],
) -> Response:  # fmt: skip
    try:
        item = programmes.create_round(
            db, actor=actor, programme_id=programme_id, name=name, opens_on=opens_on,
            closes_on=closes_on, reviewers=re.split(r"[\s,，、]+", reviewers),
        )  # fmt: skip
    except WulianError as error:
        programmes.refused(
            db, actor=actor, attempt="设立申报批次", error=error,
            object_type="talent_programme_rounds",
        )  # fmt: skip
        return _list_error(request, db, actor, error)
    return RedirectResponse(f"/talent/programmes/rounds/{item.id}", status_code=303)


def _round_context(
    request: Request, db: Session, actor: Actor, round_id: int, who: str = ""
) -> dict[str, Any]:
    item, programme, views = programmes.round_applications(db, actor=actor, round_id=round_id)
    today = today_of(request)
    office = service.in_office(db, actor)
    context: dict[str, Any] = {
        "actor": actor, "today": today, "round": item, "programme": programme,
        "applications": views, "office": office and actor.has(Permission.TALENT_WRITE),
        "expert": actor.kind == "user" and actor.id in (item.reviewers or []),
        "criteria": programmes.criteria_of(programme),
        "open_now": item.opens_on <= today <= item.closes_on, "candidates": [],
        "matched": 0, "unconsented": 0, "who": who, "firm": actor.enterprise_id,
    }  # fmt: skip
    applies = actor.enterprise_id is not None or context["office"]
    if applies and context["open_now"]:
        try:
            found = programmes.candidates(
                db, actor=actor, keys=keys_of(request), round_id=round_id, search=who
            )
            context["candidates"], context["matched"], context["unconsented"] = found
        except KeyMissing as missing:
            context["key_missing"] = missing.message
    return context


@pages.get("/talent/programmes/rounds/{round_id}")
def round_page(
    request: Request, round_id: RoundId, db: DB, actor: CurrentActor,
    who: Annotated[str, Query(max_length=500, title="查找人员")] = "",
) -> Response:  # fmt: skip
    """A round: applications (ranked for the talent office), scoring for its experts, a firm's
    own applications and the application form while the round is open (people chosen by name,
    searchable)."""
    try:
        context = _round_context(request, db, actor, round_id, who.strip()[:50])  # as the box
    except PermissionDenied as error:
        programmes.refused(
            db, actor=actor, attempt="查看人才项目申报", error=error,
            object_type="talent_programme_rounds", object_id=round_id,
        )  # fmt: skip
        raise
    return render(request, "talent/round.html", context)


def _round_error(
    request: Request, db: Session, actor: Actor, round_id: int, error: WulianError,
    typed: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    """The round page again with the error; typed: the form that failed (its "form" key names
    it, e.g. decide-12) and what was typed in it, shown again as typed."""
    try:
        context = _round_context(request, db, actor, round_id)
    except WulianError:
        raise error from None
    context["error"] = error
    context["typed"] = typed or {}
    return render(request, "talent/round.html", context, status_code=error.status)


@pages.post("/talent/programmes/rounds/{round_id}/apply")
def round_apply(
    request: Request, round_id: RoundId, db: DB, actor: CurrentActor,
    person_id: Annotated[int, Form(ge=1, title="人员")],
    summary: Annotated[str, Form(max_length=4000, title="申报材料摘要")],
) -> Response:  # fmt: skip
    try:
        programmes.apply(
            db, actor=actor, round_id=round_id, person_id=person_id, summary=summary,
            today=today_of(request),
        )  # fmt: skip
    except WulianError as error:
        programmes.refused(db, actor=actor, attempt="申报人才项目", error=error)
        typed = {"form": "apply", "person_id": str(person_id), "summary": summary}
        return _round_error(request, db, actor, round_id, error, typed)
    return RedirectResponse(f"/talent/programmes/rounds/{round_id}?applied=1", status_code=303)


def _round_of(db: Session, application_id: int) -> int:
    from wulian.talent.programme_models import ProgrammeApplication

    found = db.get(ProgrammeApplication, application_id)
    if found is None:
        from wulian.core.errors import NotFound

        raise NotFound("没有这份申报")
    return found.round_id


@pages.post("/talent/programmes/applications/{application_id}/score")
def application_score(
    request: Request, application_id: ApplicationId, db: DB, actor: CurrentActor,
    form: FormFields,
) -> Response:  # fmt: skip
    round_id = _round_of(db, application_id)
    try:
        scores: dict[str, float] = {}
        for key, value in form.multi_items():
            if key.startswith("score_") and isinstance(value, str) and value.strip():
                try:
                    scores[key.removeprefix("score_")[:32]] = float(value)
                except ValueError:
                    raise InvalidInput(f"评分应为数字，填写的是“{value[:20]}”") from None
        comment = str(form.get("comment") or "")[:1000]
        programmes.score(
            db, actor=actor, application_id=application_id, scores=scores, comment=comment
        )
    except WulianError as error:
        programmes.refused(
            db, actor=actor, attempt="专家评分", error=error, object_id=application_id
        )
        return _round_error(request, db, actor, round_id, error)
    return RedirectResponse(f"/talent/programmes/rounds/{round_id}?scored=1", status_code=303)


@pages.post("/talent/programmes/applications/{application_id}/decide")
def application_decide(
    request: Request, application_id: ApplicationId, db: DB, actor: CurrentActor,
    decision: Annotated[str, Form(max_length=8, title="决定")],
    amount: Annotated[str, Form(max_length=20, title="资助金额（万元）")] = "",
    instalments: Annotated[str, Form(max_length=2000, title="资助计划")] = "",
    note: Annotated[str, Form(max_length=500, title="说明")] = "",
) -> Response:  # fmt: skip
    round_id = _round_of(db, application_id)
    try:
        if decision not in ("award", "decline"):
            raise InvalidInput("请选择立项资助或不予资助", field="decision")
        award = decision == "award"
        unread: dict[str, list[str]] = {}
        amount_yuan = None
        if award and amount.strip():
            try:
                amount_yuan = _yuan(amount, "资助金额")
            except InvalidInput as error:
                unread["amount"] = [error.message]
        plan, plan_problems = read_instalments(instalments) if award else ([], [])
        if plan_problems:
            unread["instalments"] = plan_problems
        programmes.decide(
            db, actor=actor, application_id=application_id, award=award, note=note,
            amount_yuan=amount_yuan, instalments=plan, today=today_of(request), unread=unread,
        )  # fmt: skip
    except WulianError as error:
        programmes.refused(
            db, actor=actor, attempt="决定人才项目资助", error=error, object_id=application_id
        )
        typed = {
            "form": f"decide-{application_id}", "decision": decision, "amount": amount,
            "instalments": instalments, "note": note,
        }  # fmt: skip
        if not isinstance(error, PermissionDenied) and service.in_office(db, actor):
            # the office sees every applicant's name on the page: name whom it is about
            who = programmes.applicant(db, application_id)
            error.message = (
                f"{who}的{error.message}" if error.extra.get("problems")
                else f"{who}：{error.message}"
            )  # fmt: skip
        return _round_error(request, db, actor, round_id, error, typed)
    return RedirectResponse(f"/talent/programmes/rounds/{round_id}?decided=1", status_code=303)


@pages.post("/talent/programmes/instalments/{instalment_id}/confirm")
def instalment_confirm(
    request: Request, instalment_id: InstalmentId, db: DB, actor: CurrentActor
) -> Response:
    try:
        part = programmes.confirm_milestone(
            db, actor=actor, instalment_id=instalment_id, today=today_of(request)
        )
        round_id = _round_of(db, part.application_id)
    except WulianError as error:
        programmes.refused(
            db, actor=actor, attempt="确认里程碑", error=error,
            object_type="talent_award_instalments", object_id=instalment_id,
        )  # fmt: skip
        raise
    return RedirectResponse(f"/talent/programmes/rounds/{round_id}?confirmed=1", status_code=303)


# ---------------------------------------------------------------- portrait


@pages.get("/talent/people/{person_id}/portrait")
def portrait_page(request: Request, person_id: PersonId, db: DB, actor: CurrentActor) -> Response:
    """A person's portrait: the talent office in full, the person's firm without the identity
    number; every read audited, refusals too."""
    try:
        keys = keys_of(request)
    except KeyMissing as missing:
        # as the people pages: the page stays and says why nobody can be shown
        return render(
            request, "talent/portrait.html", {"actor": actor, "key_missing": missing.message}
        )
    try:
        shown = portrait.portrait(
            db, actor=actor, keys=keys, person_id=person_id, today=today_of(request)
        )
    except (PermissionDenied, service.OtherFirmsPerson) as error:
        # another firm's person: 404 as for a missing one, recorded as a refused attempt
        service.refused(db, actor=actor, attempt="查看人才画像", error=error, object_id=person_id)
        raise
    return render(request, "talent/portrait.html", {"actor": actor, "p": shown})
