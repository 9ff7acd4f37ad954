"""Knowledge-value credit (知识价值信用贷): evaluation runs of the shipped spec on the registry's
data, published like other evaluations, and the hand-off of grades to partner banks.

The finance office (金融办) runs and publishes an evaluation for a year; staff with the finance
permission read every result; a firm reads its own grade once published and decides whether
partner banks may read it. A bank reads through the API with a token of the `innovation:credit`
scope (the same scoping as 创新积分贷): only firms that consented, and a token bound to a firm
reads that firm only. A bank asking for a firm that did not consent is refused, and the attempt
is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.capital import credit, service
from wulian.capital.models import (
    CreditSpecVersion,
    KnowledgeCreditConsent,
    KnowledgeCreditResult,
    KnowledgeCreditRun,
)
from wulian.core import audit, runs, specversions
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.core.runs import RunStatus
from wulian.enterprises import facts, read
from wulian.reference.catalogue import derive, needs

NOT_CONSENTED = "该企业未授权合作银行查看知识价值信用评价结果"
NOT_GRADED = "该企业在已发布的知识价值信用评价中没有结果"
TOO_FEW = "资料不足"


# ---------------------------------------------------------------- input


def build_input(
    session: Session, *, actor: Actor, spec: credit.CreditSpec, period: str
) -> pl.DataFrame:
    """One row per zone firm with at least one known figure for period: the spec's columns from
    the facts store (ratios and growth from the catalogue's formulas; unknown stays null) and
    high-tech status from the registry's titles held at the end of the year."""
    tags = {c: t for c, t in credit.TAG_COLUMNS.items() if c in spec.columns}
    columns = [c for c in spec.columns if c not in tags]
    need = needs(columns)
    current = facts.build_matrix(session, actor=actor, metrics=need.current, period=period).frame
    previous = None
    if need.previous:
        previous = facts.build_matrix(
            session, actor=actor, metrics=need.previous, period=str(int(period) - 1)
        ).frame
    frame = derive(current, previous, columns)
    frame = frame.filter(pl.any_horizontal(pl.col(c).is_not_null() for c in columns))
    if tags:
        held = read.titles(session, on=dt.date(int(period), 12, 31), tags=set(tags.values()))
        for column, tag in tags.items():
            ids = held.filter(pl.col("tag") == tag)["enterprise_id"].implode()
            frame = frame.with_columns(
                pl.col(credit.UNIT).is_in(ids).cast(pl.Float64).alias(column)
            )
    return frame.select(credit.UNIT, *spec.columns).sort(credit.UNIT)


# ---------------------------------------------------------------- the spec files' versions


def _describe(session: Session, code: str, text: str) -> dict[str, object]:
    return {"name": credit.load(text, credit.SHIPPED_SPECS.get(code, f"{code}.yaml")).name}


SHIPPED_SPECS = specversions.Shipped(
    key="capital_credit",
    label="知识价值信用评价方案",
    model=CreditSpecVersion,
    files=lambda: {code: credit.shipped_text(code) for code in credit.SHIPPED_SPECS},
    describe=_describe,
)


def _check_spec(
    session: Session, actor: Actor, base: CreditSpecVersion, text: str, copy: bool
) -> specversions.Checked:
    """A new version (or a copy) of a credit spec: the finance office; refused at its line."""
    service.require_write(session, actor)
    model = credit.load(text, "方案文件")
    return specversions.Checked(model.id, model.name)


SPECS = specversions.SpecKind(
    model=CreditSpecVersion, what="知识价值信用评价方案", write=Permission.FINANCE_WRITE,
    may_read=service.require_read, check=_check_spec, shipped=SHIPPED_SPECS,
    may_edit=lambda session, actor, row: service.may_write(session, actor),
)  # fmt: skip


def spec_text(session: Session, code: str) -> tuple[str, int]:
    """The text of code's newest stored version and its version (the shipped file, version 1,
    where none is stored)."""
    row = specversions.latest(session, CreditSpecVersion, code)
    if row is not None:
        return row.text, row.version
    if code not in credit.SHIPPED_SPECS:
        raise InvalidInput(f"没有代码为“{code}”的评价方案", field="spec_code")
    return credit.shipped_text(code), 1


def spec_choices(session: Session) -> dict[str, str]:
    """code → name of the specs a run may use: the shipped ones and any stored."""
    out = {code: credit.shipped(code).name for code in credit.SHIPPED_SPECS}
    for row in session.scalars(sa.select(CreditSpecVersion).order_by(CreditSpecVersion.id)):
        out[row.code] = row.name
    return out


# ---------------------------------------------------------------- runs


def create_run(
    session: Session, *, actor: Actor, period: str, today: dt.date, note: str = "",
    spec_code: str = "knowledge_credit",
) -> KnowledgeCreditRun:  # fmt: skip
    """Evaluate a shipped spec (Hubei's by default; spec_code picks another) on period's data;
    keep the results as a draft (finance office)."""
    service.require_write(session, actor)
    choices = spec_choices(session)
    if spec_code not in choices:
        names = "、".join(choices.values())
        raise InvalidInput(f"没有代码为“{spec_code}”的评价方案（可选：{names}）", field="spec_code")
    period = runs.year_period(period, latest=today.year)
    text, version = spec_text(session, spec_code)
    spec = credit.load(text, f"{spec_code} v{version}")
    frame = build_input(session, actor=actor, spec=spec, period=period)
    if frame.is_empty():
        raise InvalidInput(f"{period} 年没有可评价的企业数据", field="period", value=period)
    rows, result = credit.score(spec, frame)
    run = KnowledgeCreditRun(
        period=period, spec_code=spec_code, spec_name=spec.name, spec_version=str(version),
        spec_text=text, inputs=runs.pack(frame), snapshot_hash=runs.snapshot([text], period, frame),
        note=note.strip()[:500], created_by=actor.label,
    )  # fmt: skip
    session.add(run)
    session.flush()
    details = credit.explanations(spec, result)
    session.execute(
        sa.insert(KnowledgeCreditResult),
        [
            {
                "run_id": run.id,
                "enterprise_id": row["enterprise_id"],
                "score": row["score"],
                "grade": row["grade"],
                "line_wan": row["credit_line"],
                "known": row["known"],
                "explanation": detail,
            }
            for row, detail in zip(rows.iter_rows(named=True), details, strict=True)
        ],
    )
    graded = rows.filter(pl.col("grade").is_not_null()).height
    audit.record(
        session, action="capital.credit_run", object_type="capital_credit_runs", object_id=run.id,
        after={"period": period, "firms": rows.height, "graded": graded},
    )  # fmt: skip
    return run


def run_or_raise(session: Session, *, actor: Actor, run_id: int) -> KnowledgeCreditRun:
    service.require_read(actor)
    run = session.get(KnowledgeCreditRun, run_id)
    if run is None:
        raise NotFound(f"知识价值信用评价不存在：{run_id}")
    return run


def publish(session: Session, *, actor: Actor, run_id: int, today: dt.date) -> KnowledgeCreditRun:
    """Publish a draft (no public notice: a grade is a firm's own business with its bank)."""
    service.require_write(session, actor)
    run = run_or_raise(session, actor=actor, run_id=run_id)
    runs.publish(run, by=actor.label, today=today, notice_required=False)
    session.flush()
    return run


def withdraw(session: Session, *, actor: Actor, run_id: int, reason: str) -> KnowledgeCreditRun:
    service.require_write(session, actor)
    run = run_or_raise(session, actor=actor, run_id=run_id)
    runs.withdraw(run, reason=reason)
    session.flush()
    return run


def run_list(session: Session, *, actor: Actor) -> list[KnowledgeCreditRun]:
    service.require_read(actor)
    query = sa.select(KnowledgeCreditRun).order_by(KnowledgeCreditRun.id.desc())
    return list(session.scalars(query))


@dataclass(frozen=True)
class Graded:
    enterprise_id: int
    name: str
    uscc: str | None
    score: float | None
    grade: str | None
    line_wan: float | None
    known: int
    explanation: dict[str, Any]

    @property
    def grade_label(self) -> str:
        return self.grade or TOO_FEW

    @property
    def line_label(self) -> str:
        return "—" if self.line_wan is None else f"{self.line_wan:,.0f} 万元"

    @property
    def missing(self) -> list[str]:
        lines = self.explanation.get("indicators", [])
        return [str(i["name"]) for i in lines if i.get("raw") is None]


def _graded(session: Session, rows: list[KnowledgeCreditResult]) -> list[Graded]:
    firms = read.records(session, [r.enterprise_id for r in rows])
    out = []
    for r in rows:
        firm = firms.get(r.enterprise_id)
        out.append(
            Graded(
                r.enterprise_id,
                firm.name if firm else str(r.enterprise_id),
                firm.uscc if firm else None,
                r.score,
                r.grade,
                r.line_wan,
                r.known,
                r.explanation,
            )
        )
    return out


def results(session: Session, *, actor: Actor, run_id: int) -> list[Graded]:
    """Every firm of a run, best score first, firms without a grade last (finance staff)."""
    run_or_raise(session, actor=actor, run_id=run_id)
    query = (
        sa.select(KnowledgeCreditResult)
        .where(KnowledgeCreditResult.run_id == run_id)
        .order_by(
            KnowledgeCreditResult.score.is_(None), KnowledgeCreditResult.score.desc(),
            KnowledgeCreditResult.enterprise_id,
        )
    )  # fmt: skip
    return _graded(session, list(session.scalars(query)))


def grade_counts(rows: list[Graded], grades: list[str]) -> dict[str, int]:
    counts = dict.fromkeys([*grades, TOO_FEW], 0)
    for row in rows:
        counts[row.grade_label] = counts.get(row.grade_label, 0) + 1
    return counts


def latest_published(session: Session) -> KnowledgeCreditRun | None:
    query = (
        sa.select(KnowledgeCreditRun)
        .where(KnowledgeCreditRun.status == RunStatus.PUBLISHED.value)
        .order_by(KnowledgeCreditRun.period.desc(), KnowledgeCreditRun.published_at.desc())
        .limit(1)
    )
    return session.scalar(query)


def _result(session: Session, run: KnowledgeCreditRun, enterprise_id: int) -> Graded | None:
    row = session.scalar(
        sa.select(KnowledgeCreditResult).where(
            KnowledgeCreditResult.run_id == run.id,
            KnowledgeCreditResult.enterprise_id == enterprise_id,
        )
    )
    return _graded(session, [row])[0] if row is not None else None


def firm_grade(
    session: Session, *, actor: Actor, enterprise_id: int
) -> tuple[KnowledgeCreditRun | None, Graded | None]:
    """A firm's grade in the newest published run (the firm itself, or finance staff)."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
    else:
        service.require_read(actor)
    run = latest_published(session)
    return run, (_result(session, run, enterprise_id) if run is not None else None)


# ---------------------------------------------------------------- consent and banks


def consent_of(session: Session, *, actor: Actor, enterprise_id: int) -> bool:
    actor.require_enterprise(enterprise_id)
    row = session.get(KnowledgeCreditConsent, enterprise_id)
    return bool(row and row.granted)


def set_consent(session: Session, *, actor: Actor, enterprise_id: int, granted: bool) -> None:
    """A firm grants or withdraws its consent (its own users, or an administrator)."""
    if actor.enterprise_id is not None:
        actor.require_enterprise(enterprise_id)
        actor.require(Permission.FACTS_WRITE)
    else:
        actor.require(Permission.ENTERPRISES_WRITE)
    read.get_or_raise(session, enterprise_id)
    row = session.get(KnowledgeCreditConsent, enterprise_id)
    if row is None:
        session.add(
            KnowledgeCreditConsent(
                enterprise_id=enterprise_id, granted=granted, changed_by=actor.label
            )
        )
    else:
        row.granted = granted
        row.changed_by = actor.label
        row.changed_at = utcnow()
    session.flush()


def bank_grade(session: Session, *, actor: Actor, uscc: str) -> tuple[KnowledgeCreditRun, Graded]:
    """A firm's grade in the newest published run, for a partner bank's token; refused (and the
    attempt audited by the caller through `refused`) for a firm that did not consent, or outside
    a token bound to another firm."""
    actor.require(Permission.CREDIT_READ)
    code = uscc.strip().upper()
    ids = sorted(session.scalars(read.ids_where(uscc=code)))
    if not ids:
        raise NotFound(f"没有统一社会信用代码为 {code} 的企业")
    enterprise_id = ids[0]
    if actor.enterprise_id is not None and actor.enterprise_id != enterprise_id:
        raise PermissionDenied("本令牌只能查看所绑定企业的结果")
    consent = session.get(KnowledgeCreditConsent, enterprise_id)
    if consent is None or not consent.granted:
        raise PermissionDenied(NOT_CONSENTED)
    run = latest_published(session)
    found = _result(session, run, enterprise_id) if run is not None else None
    if run is None or found is None:
        raise NotFound(NOT_GRADED)
    return run, found


def bank_grades(
    session: Session, *, actor: Actor
) -> tuple[KnowledgeCreditRun | None, list[Graded]]:
    """Grades of every consenting firm in the newest published run (a bound token: its firm)."""
    actor.require(Permission.CREDIT_READ)
    run = latest_published(session)
    if run is None:
        return None, []
    query = (
        sa.select(KnowledgeCreditResult)
        .join(
            KnowledgeCreditConsent,
            KnowledgeCreditConsent.enterprise_id == KnowledgeCreditResult.enterprise_id,
        )
        .where(
            KnowledgeCreditResult.run_id == run.id,
            KnowledgeCreditConsent.granted == sa.true(),
        )
        .order_by(KnowledgeCreditResult.enterprise_id)
    )
    if actor.enterprise_id is not None:
        query = query.where(KnowledgeCreditResult.enterprise_id == actor.enterprise_id)
    return run, _graded(session, list(session.scalars(query)))


def refused(session: Session, *, actor: Actor, uscc: str, error: PermissionDenied) -> None:
    """Record a bank's refused read (who asked for which firm), on its own transaction."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="capital.credit_refused", object_type="capital_credit_results",
        after={"uscc": uscc.strip().upper()[:18], "message": error.message},
    )  # fmt: skip
    session.commit()
