"""Talent evaluations as runs: the 七维 points and the A–E catalogue class of the people who
agreed to 人才认定, kept as a run (the spec version and rule files as evaluated, the input
frame) and published like other evaluations (draft → published → withdrawn; no public notice:
a person's result is not public).

Who may do what: the talent office runs, publishes and withdraws evaluations and reads every
result (drafts too); a firm's users read their own staff's results in published runs; everyone
else is refused, and the attempt is audited (`service.refused`). Every read of results (one
person or a list) is audited with the ids shown, like the people records.

The 七维 spec is versioned (`SPECS`: edits are new versions, the talent office edits); the
catalogue's rule files ship with the platform (`talent/rules/catalogue/`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, runs, specversions
from wulian.core.calendar import CHINA_TIME
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import read
from wulian.talent import evaluation, portrait, service, sevenform
from wulian.talent.models import (
    EvaluationResult,
    EvaluationRunRow,
    EvaluationSpecVersion,
    Person,
)

CODE = "talent_seven"
PURPOSE = "recognition"  # the consent the evaluations need (人才认定)
OFFICE_RUNS = "只有人才办工作人员可以运行、发布或撤回人才评价"
NO_RUN = "还没有已发布的人才评价"
PAGE_SIZE = 50


# ---------------------------------------------------------------- the 七维 spec's versions


def _describe(session: Session, code: str, text: str) -> dict[str, Any]:
    return {"name": evaluation.load(text).name}


SHIPPED_SPECS = specversions.Shipped(
    key="talent_seven",
    label="七维人才评价方案",
    model=EvaluationSpecVersion,
    files=lambda: {CODE: evaluation.shipped_text()},
    describe=_describe,
)


def _may_read(actor: Actor) -> None:
    actor.require_staff("七维人才评价方案只对园区工作人员开放", Permission.TALENT_READ)


def _check(
    session: Session, actor: Actor, base: EvaluationSpecVersion, text: str, copy: bool
) -> specversions.Checked:
    if not service.in_office(session, actor):
        raise PermissionDenied("只有人才办工作人员可以修改七维人才评价方案")
    if copy:
        raise InvalidInput("七维人才评价只有一份方案：请修改后保存为新版本", field="text")
    spec = evaluation.load(text)
    if spec.id != CODE:
        raise InvalidInput(f"方案编号（id）应为 {CODE}", field="text", value=spec.id)
    return specversions.Checked(spec.id, spec.name)


SPECS = specversions.SpecKind(
    model=EvaluationSpecVersion, what="七维人才评价方案", write=Permission.TALENT_WRITE,
    may_read=_may_read, check=_check, shipped=SHIPPED_SPECS,
    may_edit=lambda session, actor, row: service.in_office(session, actor), copies=False,
)  # fmt: skip


def spec_form(
    session: Session, *, actor: Actor, spec_id: int
) -> tuple[EvaluationSpecVersion, sevenform.SevenForm]:
    """A version of the 七维 spec and its weights and tables as a form (the talent office)."""
    row = SPECS.get(session, actor=actor, spec_id=spec_id)
    if not service.in_office(session, actor):
        raise PermissionDenied("只有人才办工作人员可以修改七维人才评价方案")
    return row, sevenform.form_of(row.text)


def save_form(
    session: Session, *, actor: Actor, spec_id: int, fields: Mapping[str, str], note: str = ""
) -> EvaluationSpecVersion:
    """The weights and tables typed into the form, saved as a new version of the spec (as an
    edit of its text is); every problem of the form named at once, nothing saved."""
    row, _ = spec_form(session, actor=actor, spec_id=spec_id)
    form, unreadable = sevenform.read_form_boxes(row.text, fields)
    if unreadable:
        rest = [p for p in sevenform.check_boxes(form) if "请填写" not in p.text]
        keys = [d.key for d in form.dimensions]
        raise sevenform.refusal(sevenform.in_form_order(unreadable + rest, keys))
    text = sevenform.write(row.text, form)
    return specversions.save_text(
        session, SPECS, actor=actor, text=text, based_on_id=row.id,
        note=note.strip() or "按表单修改权重和分档",
    )  # fmt: skip


def current_spec(session: Session, *, actor: Actor) -> EvaluationSpecVersion:
    """The newest version of the 七维 spec (the shipped file installed first if none is)."""
    row = specversions.latest(session, EvaluationSpecVersion, CODE)
    if row is None:
        specversions.install(session, SHIPPED_SPECS, created_by=actor.label)
        row = specversions.latest(session, EvaluationSpecVersion, CODE)
    if row is None:  # pragma: no cover - installing adds it
        raise NotFound("七维人才评价方案不存在")
    return row


# ---------------------------------------------------------------- runs


def require_office(session: Session, actor: Actor) -> None:
    actor.require(Permission.TALENT_WRITE)
    if not service.in_office(session, actor):
        raise PermissionDenied(OFFICE_RUNS)


def inputs(session: Session) -> list[evaluation.PersonInput]:
    """The people with a standing consent to 人才认定, as the evaluations read them."""
    query = (
        sa.select(Person)
        .where(Person.id.in_(service.consented(session, PURPOSE)))
        .order_by(Person.id)
    )
    out = []
    for p in session.scalars(query):
        band = service.SALARY_BANDS.get(p.salary_band or "")
        out.append(
            evaluation.PersonInput(
                person_id=p.id, education=p.education, experience_years=p.experience_years,
                salary_floor_wan=evaluation.salary_floor(band[1]) if band else None,
                position_level=p.position_level, achievements=p.achievements,
                title_level=p.title_level, honour_level=p.honour_level,
            )
        )  # fmt: skip
    return out


def create_run(
    session: Session, *, actor: Actor, today: dt.date, note: str = ""
) -> EvaluationRunRow:
    """Evaluate everyone who agreed to 人才认定 on the newest 七维 spec and the catalogue; keep
    the results as a draft (talent office)."""
    require_office(session, actor)
    people = inputs(session)
    if not people:
        raise InvalidInput("没有同意“人才认定”用途的人员，无法评价", field="people")
    spec_row = current_spec(session, actor=actor)
    spec = evaluation.load(spec_row.text)
    texts = evaluation.catalogue_texts()
    policies = evaluation.catalogue(texts)
    frame = evaluation.frame_of(people)
    period = runs.year_period(today.year)
    scored = evaluation.score(spec, frame)
    graded = evaluation.grade(policies, frame, period=today.year)
    rules_text = json.dumps([[name, text] for text, name in texts], ensure_ascii=False)
    run = EvaluationRunRow(
        period=period, spec_id=spec_row.id, spec_code=spec_row.code, spec_name=spec_row.name,
        spec_version=str(spec_row.version), spec_text=spec_row.text, rules_text=rules_text,
        inputs=runs.pack(frame),
        snapshot_hash=runs.snapshot([spec_row.text, rules_text], period, frame),
        note=note.strip()[:500], created_by=actor.label,
    )  # fmt: skip
    session.add(run)
    session.flush()
    firms = dict(
        session.execute(
            sa.select(Person.id, Person.enterprise_id).where(
                Person.id.in_([p.person_id for p in people])
            )
        ).all()
    )
    session.execute(
        sa.insert(EvaluationResult),
        [
            {
                "run_id": run.id, "person_id": s.person_id,
                "enterprise_id": firms.get(s.person_id), "score": s.score, "known": s.known,
                "grade": g.grade, "grade_status": g.status,
                "explanation": {"seven": s.as_dict(), "catalogue": g.as_dict(),
                                "award_wan": g.award_wan},
            }
            for s, g in zip(scored, graded, strict=True)
        ],
    )  # fmt: skip
    audit.record(
        session, action="talent.evaluation_run", object_type="talent_eval_runs",
        object_id=run.id,
        after={"people": len(people), "spec_version": spec_row.version,
               "graded": sum(1 for g in graded if g.grade)},
    )  # fmt: skip
    return run


def run_or_raise(session: Session, *, actor: Actor, run_id: int) -> EvaluationRunRow:
    actor.require(Permission.TALENT_READ)
    run = session.get(EvaluationRunRow, run_id)
    if run is None:
        raise NotFound(f"人才评价不存在：{run_id}")
    if actor.enterprise_id is not None:
        if run.status != RunStatus.PUBLISHED.value:
            raise NotFound(f"人才评价不存在：{run_id}")
    elif not service.in_office(session, actor):
        raise PermissionDenied(service.OFFICE_ONLY)
    return run


def publish(session: Session, *, actor: Actor, run_id: int, today: dt.date) -> EvaluationRunRow:
    require_office(session, actor)
    run = run_or_raise(session, actor=actor, run_id=run_id)
    runs.publish(run, by=actor.label, today=today, notice_required=False)
    audit.record(
        session, action="talent.evaluation_publish", object_type="talent_eval_runs",
        object_id=run.id, after={"status": run.status},
    )  # fmt: skip
    session.flush()
    return run


def withdraw(session: Session, *, actor: Actor, run_id: int, reason: str) -> EvaluationRunRow:
    require_office(session, actor)
    run = run_or_raise(session, actor=actor, run_id=run_id)
    runs.withdraw(run, reason=reason)
    audit.record(
        session, action="talent.evaluation_withdraw", object_type="talent_eval_runs",
        object_id=run.id, after={"status": run.status, "note": run.note},
    )  # fmt: skip
    session.flush()
    return run


def run_list(session: Session, *, actor: Actor) -> list[EvaluationRunRow]:
    """The runs: every one for the talent office, the published ones for a firm."""
    actor.require(Permission.TALENT_READ)
    query = sa.select(EvaluationRunRow).order_by(EvaluationRunRow.id.desc())
    if actor.enterprise_id is not None:
        query = query.where(EvaluationRunRow.status == RunStatus.PUBLISHED.value)
    elif not service.in_office(session, actor):
        raise PermissionDenied(service.OFFICE_ONLY)
    return list(session.scalars(query))


def latest_published(session: Session) -> EvaluationRunRow | None:
    """The current evaluation: the newest published run of the latest year (the last published
    wins within a year, as in every domain's runs); person pages and portraits read it."""
    return session.scalar(
        sa.select(EvaluationRunRow)
        .where(EvaluationRunRow.status == RunStatus.PUBLISHED.value)
        .order_by(
            EvaluationRunRow.period.desc(), EvaluationRunRow.published_at.desc(),
            EvaluationRunRow.id.desc(),
        )
        .limit(1)
    )  # fmt: skip


def current_of(rows: list[EvaluationRunRow]) -> EvaluationRunRow | None:
    """Among listed runs, the current one (the one latest_published reads)."""
    found = runs.current_published(rows)
    return found[max(found)] if found else None


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class Evaluated:
    """One person's result, as shown."""

    run_id: int
    person_id: int
    name: str
    firm_name: str
    score: float | None
    known: int
    grade: str | None
    grade_status: str
    explanation: dict[str, Any]

    @property
    def score_label(self) -> str:
        return evaluation.TOO_FEW if self.score is None else f"{self.score:g}"

    @property
    def grade_label(self) -> str:
        if self.grade is not None:
            return evaluation.GRADE_NAMES.get(self.grade, self.grade)
        return evaluation.TO_COMPLETE if self.grade_status == "unknown" else "未达到目录标准"

    @property
    def dimensions(self) -> list[dict[str, Any]]:
        out = []
        for d in self.explanation.get("seven", {}).get("dimensions", []):
            if d.get("key") == "salary_floor" and d.get("value") is not None:
                d = d | {"shown": band_shown(float(d["value"]))}
            out.append(d)
        return out

    @property
    def catalogue(self) -> dict[str, Any]:
        found = dict(self.explanation.get("catalogue", {}))
        found["matched"] = [plain_salary(line) for line in found.get("matched", [])]
        found["near"] = [
            n | {"reasons": [plain_salary(r) for r in n.get("reasons", [])]}
            for n in found.get("near", [])
        ]
        return found

    @property
    def award_wan(self) -> float | None:
        value = self.explanation.get("award_wan")
        return None if value is None else float(value)


LOWEST_BAND = re.compile(r"年薪(?:档次)?下限 0(?![\d.]) ?万元")


def band_shown(floor_wan: float) -> str:
    """A person's salary as the evaluations read it (the band's lower bound, 万元), shown as
    the band: 10 万元以下 (its lower bound is 0, no floor at all), 20–50 万元 ……"""
    for label, low, _ in service.SALARY_BANDS.values():
        if low / 10_000 == floor_wan:
            return label
    return f"{floor_wan:g} 万元"


def plain_salary(text: str) -> str:
    """An explanation's “年薪档次下限 0 万元” as the band it is: “年薪档次 10 万元以下”."""
    return LOWEST_BAND.sub(f"年薪档次 {service.SALARY_BANDS['lt10'][0]}", text)


def _evaluated(session: Session, rows: list[EvaluationResult]) -> list[Evaluated]:
    ids = [r.person_id for r in rows]
    names = dict(session.execute(sa.select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    firms = read.names(session, {r.enterprise_id for r in rows if r.enterprise_id})
    return [
        Evaluated(
            r.run_id, r.person_id, names.get(r.person_id, ""),
            firms.get(r.enterprise_id, "") if r.enterprise_id else "人才库（无单位）",
            r.score, r.known, r.grade, r.grade_status, r.explanation,
        )
        for r in rows
    ]  # fmt: skip


def person_result(
    session: Session, *, actor: Actor, person_id: int, run_id: int | None = None
) -> tuple[EvaluationRunRow | None, Evaluated | None]:
    """A person's result in a run (by default the newest published one): the talent office, or
    the person's firm (published runs only); the read is audited."""
    actor.require(Permission.TALENT_READ)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("没有这条人员记录")
    service.require_people(session, actor, person.enterprise_id)
    run = (
        run_or_raise(session, actor=actor, run_id=run_id)
        if run_id is not None
        else latest_published(session)
    )
    if run is None:
        return None, None
    row = session.scalar(
        sa.select(EvaluationResult).where(
            EvaluationResult.run_id == run.id, EvaluationResult.person_id == person_id
        )
    )
    if row is None:
        return run, None
    audit.record(
        session, action="talent.evaluation_read", object_type="talent_people",
        object_id=person_id, after={"run_id": run.id, "enterprise_id": person.enterprise_id},
    )  # fmt: skip
    return run, _evaluated(session, [row])[0]


GRADE_FILTERS = {**evaluation.GRADE_NAMES, "none": "未达到目录标准", "unknown": "待补充"}


@dataclass(frozen=True)
class Page:
    items: list[Evaluated]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def results(
    session: Session, *, actor: Actor, run_id: int, grade: str | None = None, page: int = 1
) -> Page:
    """The people of a run by class (A first), then those 待补充, then those below the
    catalogue, each group by 七维 points (unknown last); a firm sees its own staff only. The
    read is audited with the ids shown."""
    run = run_or_raise(session, actor=actor, run_id=run_id)
    base = sa.select(EvaluationResult).where(EvaluationResult.run_id == run.id)
    if actor.enterprise_id is not None:
        base = base.where(EvaluationResult.enterprise_id == actor.enterprise_id)
    counts_query = sa.select(
        EvaluationResult.grade, EvaluationResult.grade_status, sa.func.count()
    ).where(EvaluationResult.run_id == run.id)
    if actor.enterprise_id is not None:
        counts_query = counts_query.where(EvaluationResult.enterprise_id == actor.enterprise_id)
    counts = dict.fromkeys(GRADE_FILTERS, 0)
    for g, status, n in session.execute(
        counts_query.group_by(EvaluationResult.grade, EvaluationResult.grade_status)
    ):
        key = g if g is not None else status
        counts[key] = counts.get(key, 0) + int(n)
    if grade:
        if grade not in GRADE_FILTERS:
            raise InvalidInput(
                f"没有“{grade}”这个类别：可选 {'、'.join(GRADE_FILTERS.values())}", field="grade",
                value=grade,
            )  # fmt: skip
        base = base.where(
            EvaluationResult.grade == grade
            if grade in evaluation.GRADE_NAMES
            else sa.and_(EvaluationResult.grade.is_(None), EvaluationResult.grade_status == grade)
        )
    total = int(session.scalar(sa.select(sa.func.count()).select_from(base.subquery())) or 0)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    ordered = base.order_by(
        EvaluationResult.grade.is_(None), EvaluationResult.grade,
        EvaluationResult.grade_status != "unknown",  # 待补充 together, before those below
        EvaluationResult.score.is_(None), EvaluationResult.score.desc(),
        EvaluationResult.person_id,
    ).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)  # fmt: skip
    items = _evaluated(session, list(session.scalars(ordered)))
    if items:
        audit.record(
            session, action="talent.people_read", object_type="talent_people",
            after={"run_id": run.id, "purpose": "evaluation",
                   "ids": [i.person_id for i in items]},
        )  # fmt: skip
    return Page(items, total, page, pages, counts)


@portrait.register_section
def portrait_section(session: Session, actor: Actor, person_id: int) -> portrait.Section:
    """The portrait's 人才评价 section: the newest published evaluation's points and class."""
    run, found = person_result(session, actor=actor, person_id=person_id)
    if run is None:
        return portrait.Section("人才评价", [("七维得分", "尚无已发布的人才评价")])
    period = f"第 {run.id} 次评价（{run.created_at.astimezone(CHINA_TIME):%Y-%m-%d}，当前结果）"
    if found is None:
        return portrait.Section("人才评价", [("七维得分", f"不在最新一次已发布的评价中：{period}")])
    lines = [
        ("评价", period),
        ("七维得分", found.score_label),
        ("人才分类目录", found.grade_label),
    ]
    if found.award_wan is not None:
        lines.append(("目录对应奖励", f"{found.award_wan:g} 万元（分年兑现）"))
    return portrait.Section(
        "人才评价", lines, link=f"/talent/people?person={person_id}", link_label="各维度得分"
    )
