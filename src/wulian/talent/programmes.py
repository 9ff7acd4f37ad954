"""Talent programmes (人才项目: 南孔精英, 领军人才 …): rounds, applications, expert review, award
decisions, milestones and instalments paid through the policy domain.

Who does what:

- the talent office (department `talent`, or an administrator) sets up programmes and rounds
  (with the round's experts: staff users named by the office), applies for anyone, sees every
  expert's scores, the average and the ranking, decides awards and confirms milestones;
- a firm applies for its own staff only, before the round's deadline, and sees its applications'
  state and awards (no scores);
- an expert of a round (a staff user on its reviewer list) sees the round's applications and
  scores each one once, every criterion within its range; before submitting they see no other
  expert's scores, afterwards they see them all.

An award's instalments fall due in given years; once the talent office confirms an instalment's
milestone it becomes an input of the policy `talent_award` (`service.benefit_inputs`), so the
policy run lists the firm and the payout is approved there (once per firm and year), by the
talent office as the policy's department. Refused steps change nothing and are audited.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, WulianError
from wulian.core.permissions import Actor, Permission
from wulian.enterprises import read
from wulian.policy import service as policy
from wulian.talent import service
from wulian.talent.crypto import Keys, mask
from wulian.talent.models import Consent, Person
from wulian.talent.programme_models import (
    AwardInstalment,
    Programme,
    ProgrammeApplication,
    ProgrammeReview,
    ProgrammeRound,
)

AWARD_POLICY = "talent_award"  # the policy that pays the instalments
OFFICE_SETS_UP = "只有人才办工作人员可以设立人才项目和申报批次"
OFFICE_DECIDES = "只有人才办工作人员可以决定人才项目资助"
OFFICE_CONFIRMS = "只有人才办工作人员可以确认里程碑"
OWN_STAFF = "企业只能为本企业在职人员申报人才项目"
NOT_EXPERT = "您不是本批次的评审专家，不能评分"
NO_FIRM = (
    "人员 #{id} 是人才库人员，没有登记所在的园区企业：人才项目资助按里程碑由所在企业兑现，"
    "只能为在园区企业任职的人员申报。请先登记此人所在的企业，再申报"
)
STATES = {"submitted": "评审中", "awarded": "已立项资助", "declined": "未入选"}
MAX_INSTALMENTS = 10


def refused(
    session: Session, *, actor: Actor, attempt: str, error: WulianError,
    object_type: str = "talent_programme_applications", object_id: int | None = None,
) -> None:  # fmt: skip
    """Roll back a refused programme step and record the attempt (who tried what), on its own."""
    session.rollback()
    audit.track(session, actor)
    audit.record(
        session, action="talent.programme_refused", object_type=object_type, object_id=object_id,
        after={"attempt": attempt, "code": error.code, "message": error.message},
    )  # fmt: skip
    session.commit()


def _office(session: Session, actor: Actor, why: str) -> None:
    actor.require(Permission.TALENT_WRITE)
    if not service.in_office(session, actor):
        raise PermissionDenied(why)


def _reader(actor: Actor) -> None:
    actor.require(Permission.TALENT_READ)


def _is_expert(actor: Actor, item: ProgrammeRound) -> bool:
    return actor.kind == "user" and actor.id is not None and actor.id in (item.reviewers or [])


# ---------------------------------------------------------------- programmes and rounds


@dataclass(frozen=True)
class Criterion:
    key: str
    name: str
    max: float


def criteria_of(programme: Programme) -> list[Criterion]:
    return [Criterion(str(c["key"]), str(c["name"]), float(c["max"])) for c in programme.criteria]


def create_programme(
    session: Session, *, actor: Actor, code: str, name: str, summary: str,
    min_award_yuan: int, max_award_yuan: int, criteria: Sequence[tuple[str, str, float]],
) -> Programme:  # fmt: skip
    """A programme with its award range and the criteria its experts score (key, name, max)."""
    _office(session, actor, OFFICE_SETS_UP)
    code, name = code.strip(), name.strip()
    if not code or len(code) > 32 or not name or len(name) > 100:
        raise InvalidInput(
            "请填写项目代码（不超过 32 字）和项目名称（不超过 100 字）", field="name"
        )
    if min_award_yuan <= 0 or max_award_yuan < min_award_yuan:
        raise InvalidInput("资助金额范围不对：下限应大于 0，上限不低于下限", field="max_award")
    if not criteria:
        raise InvalidInput("请至少设一个评分项", field="criteria")
    keys = [k for k, _, _ in criteria]
    if len(set(keys)) != len(keys) or any(m <= 0 for _, _, m in criteria):
        raise InvalidInput("评分项的代码不能重复，满分应大于 0", field="criteria")
    if session.scalar(sa.select(Programme.id).where(Programme.code == code)) is not None:
        raise Conflict(f"项目代码“{code}”已被使用", field="code", value=code)
    item = Programme(
        code=code, name=name, summary=summary.strip()[:1000], min_award_yuan=min_award_yuan,
        max_award_yuan=max_award_yuan,
        criteria=[{"key": k, "name": n, "max": m} for k, n, m in criteria],
        created_by=actor.label,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


def create_round(
    session: Session, *, actor: Actor, programme_id: int, name: str, opens_on: dt.date,
    closes_on: dt.date, reviewers: Sequence[str],
) -> ProgrammeRound:  # fmt: skip
    """A round of a programme: applications from opens_on to closes_on (inclusive), reviewed by
    the named experts (usernames of staff users, not of firms)."""
    _office(session, actor, OFFICE_SETS_UP)
    if session.get(Programme, programme_id) is None:
        raise NotFound("没有这个人才项目")
    if closes_on < opens_on:
        raise InvalidInput("申报截止日不能早于开始日", field="closes_on")
    ids: list[int] = []
    for username in [r.strip() for r in reviewers if r.strip()]:
        user = auth_service.get_user_by_username(session, username=username)
        if user is None or not user.is_active or user.enterprise_id is not None:
            raise InvalidInput(
                f"评审专家“{username}”不是在用的园区工作人员账号", field="reviewers",
                value=username,
            )  # fmt: skip
        if user.id not in ids:
            ids.append(user.id)
    if not ids:
        raise InvalidInput("请至少指定一名评审专家（园区工作人员账号）", field="reviewers")
    item = ProgrammeRound(
        programme_id=programme_id, name=name.strip()[:100] or f"{opens_on.year} 年度",
        opens_on=opens_on, closes_on=closes_on, reviewers=ids, created_by=actor.label,
    )  # fmt: skip
    session.add(item)
    session.flush()
    return item


@dataclass(frozen=True)
class RoundView:
    id: int
    programme: Programme
    name: str
    opens_on: dt.date
    closes_on: dt.date
    open_now: bool
    applications: int
    expert: bool  # actor is one of its experts


def programmes(session: Session, *, actor: Actor, today: dt.date) -> list[RoundView]:
    """Every round of every programme, newest first (programmes and rounds are public)."""
    _reader(actor)
    counts = dict(
        session.execute(
            sa.select(ProgrammeApplication.round_id, sa.func.count()).group_by(
                ProgrammeApplication.round_id
            )
        ).all()
    )
    rows = session.execute(
        sa.select(ProgrammeRound, Programme)
        .join(Programme, Programme.id == ProgrammeRound.programme_id)
        .order_by(ProgrammeRound.closes_on.desc(), ProgrammeRound.id.desc())
    ).all()
    return [
        RoundView(r.id, p, r.name, r.opens_on, r.closes_on, r.opens_on <= today <= r.closes_on,
                  int(counts.get(r.id, 0)), _is_expert(actor, r))
        for r, p in rows
    ]  # fmt: skip


def all_programmes(session: Session, *, actor: Actor) -> list[Programme]:
    """Every programme, by name."""
    _reader(actor)
    return list(session.scalars(sa.select(Programme).order_by(Programme.name)))


def get_round(session: Session, round_id: int) -> tuple[ProgrammeRound, Programme]:
    item = session.get(ProgrammeRound, round_id)
    if item is None:
        raise NotFound("没有这个申报批次")
    programme = session.get(Programme, item.programme_id)
    if programme is None:  # pragma: no cover - a foreign key
        raise NotFound("没有这个人才项目")
    return item, programme


# ---------------------------------------------------------------- applications


def apply(
    session: Session, *, actor: Actor, round_id: int, person_id: int, summary: str,
    today: dt.date,
) -> ProgrammeApplication:  # fmt: skip
    """Apply for one person: a firm for its own staff, the talent office for anyone; only while
    the round takes applications, with the person's consent to 人才认定, once per round."""
    actor.require(Permission.TALENT_WRITE)
    item, programme = get_round(session, round_id)
    person = session.get(Person, person_id)
    if actor.enterprise_id is not None:
        if person is None or person.enterprise_id != actor.enterprise_id:
            raise PermissionDenied(OWN_STAFF, field="person_id")
    elif not service.in_office(session, actor):
        raise PermissionDenied("人才项目由人员所在企业或人才办申报", field="person_id")
    if person is None:
        raise NotFound("没有这条人员记录")
    if person.enterprise_id is None:
        raise InvalidInput(NO_FIRM.format(id=person.id), field="person_id")
    if today > item.closes_on:
        raise InvalidInput(
            f"“{programme.name}”{item.name}的申报已于 {item.closes_on.isoformat()} 截止，"
            "不能再申报",
            field="round_id",
        )
    if today < item.opens_on:
        raise InvalidInput(
            f"“{programme.name}”{item.name}自 {item.opens_on.isoformat()} 起接受申报",
            field="round_id",
        )
    text = summary.strip()
    if len(text) < 10 or len(text) > 4000:
        raise InvalidInput(
            "请填写申报材料摘要（10–4000 字）：业绩、成果、项目计划", field="summary"
        )
    standing = session.scalar(
        sa.select(Consent.id).where(
            Consent.person_id == person.id, Consent.purpose == "recognition",
            Consent.withdrawn_on.is_(None),
        )
    )  # fmt: skip
    if standing is None:
        raise InvalidInput(
            f"人员 #{person.id} 未同意将个人信息用于人才认定（含人才项目评审），请先取得本人同意",
            field="consent",
        )
    taken = sa.select(ProgrammeApplication.id).where(
        ProgrammeApplication.round_id == round_id, ProgrammeApplication.person_id == person.id
    )
    if session.scalar(taken) is not None:
        raise Conflict(f"人员 #{person.id} 已申报本批次，不能重复申报", field="person_id")
    application = ProgrammeApplication(
        round_id=round_id, person_id=person.id, enterprise_id=person.enterprise_id,
        summary=text, state="submitted", submitted_on=today, created_by=actor.label,
    )  # fmt: skip
    session.add(application)
    session.flush()
    return application


@dataclass(frozen=True)
class Candidate:
    """A person one may apply for, as the application form offers them: name, masked identity
    number, firm; why they cannot be chosen, if they cannot."""

    id: int
    name: str
    identity_masked: str
    firm_name: str
    reason: str = ""  # empty: may be applied for


MAX_CANDIDATES = 50


def candidates(
    session: Session, *, actor: Actor, keys: Keys, round_id: int, search: str = ""
) -> tuple[list[Candidate], int, int]:
    """The people actor may apply for in a round (a firm: its own staff; the talent office:
    everyone) who consented to 人才认定, matching search (part of the name, or the person
    number), those who may be applied for first, at most MAX_CANDIDATES; how many matched; and
    how many matching people are left out because they have not consented (purpose limitation:
    only their number is shown). Filtered, ordered and cut in the database; the read is
    audited."""
    actor.require(Permission.TALENT_WRITE)
    if actor.enterprise_id is None and not service.in_office(session, actor):
        raise PermissionDenied("人才项目由人员所在企业或人才办申报")
    get_round(session, round_id)
    where: list[sa.ColumnElement[bool]] = []
    if actor.enterprise_id is not None:
        where.append(Person.enterprise_id == actor.enterprise_id)
    text = search.strip().lstrip("#＃")
    if text.isascii() and text.isdigit():
        number = int(text)
        where.append(Person.id == number if number < 2**31 else sa.false())
    elif text:
        where.append(Person.name.contains(text[:50], autoescape=True))
    consented = sa.exists().where(
        Consent.person_id == Person.id, Consent.purpose == "recognition",
        Consent.withdrawn_on.is_(None),
    )  # fmt: skip
    applied = sa.exists().where(
        ProgrammeApplication.person_id == Person.id, ProgrammeApplication.round_id == round_id
    )

    def count(*also: sa.ColumnElement[bool]) -> int:
        query = sa.select(sa.func.count()).select_from(Person).where(*where, *also)
        return int(session.scalar(query) or 0)

    matched, unconsented = count(consented), count(sa.not_(consented))
    barred = sa.case((sa.or_(Person.enterprise_id.is_(None), applied), 1), else_=0)
    rows = session.execute(
        sa.select(Person, applied.label("applied"))
        .where(*where, consented)
        .order_by(barred, Person.name, Person.id)
        .limit(MAX_CANDIDATES)
    ).all()

    def why(p: Person, was_applied: bool) -> str:
        if p.enterprise_id is None:
            return "人才库人员（无单位），须先登记所在企业"
        return "已申报本批次" if was_applied else ""

    firms = read.names(session, {p.enterprise_id for p, _ in rows if p.enterprise_id})
    out = [
        Candidate(
            p.id, p.name, mask(keys.decrypt(p.id_cipher)),
            firms.get(p.enterprise_id, "") if p.enterprise_id else "人才库（无单位）",
            why(p, bool(was_applied)),
        )
        for p, was_applied in rows
    ]  # fmt: skip
    if out:
        audit.record(
            session, action="talent.people_read", object_type="talent_people",
            after={"ids": [c.id for c in out], "purpose": "programme", "round_id": round_id},
        )  # fmt: skip
    return out, matched, unconsented


@dataclass(frozen=True)
class ScoreView:
    reviewer: str
    scores: dict[str, float]
    total: float
    comment: str
    mine: bool


@dataclass(frozen=True)
class InstalmentView:
    id: int
    seq: int
    year: int
    amount_yuan: int
    milestone: str
    met_on: dt.date | None
    paid: bool

    @property
    def state(self) -> str:
        if self.paid:
            return "已兑现"
        return "里程碑已确认，待兑现" if self.met_on else "待确认里程碑"


@dataclass(frozen=True)
class ApplicationView:
    """An application as the actor may see it: the scores only for the talent office, and for an
    expert who has scored it."""

    id: int
    round_id: int
    programme_name: str
    round_name: str
    person_id: int
    person_name: str
    enterprise_id: int | None
    firm_name: str
    summary: str
    state: str
    state_label: str
    submitted_on: dt.date
    amount_yuan: int | None
    decided_on: dt.date | None
    decision_note: str
    reviews: int
    average: float | None  # None: not shown to actor, or no score yet
    scores: list[ScoreView] = field(default_factory=list)
    scored_by_me: bool = False
    rank: int | None = None
    instalments: list[InstalmentView] = field(default_factory=list)


def _views(
    session: Session, actor: Actor, rows: Sequence[ProgrammeApplication], *, office: bool
) -> list[ApplicationView]:
    ids = [a.id for a in rows]
    reviews: dict[int, list[ProgrammeReview]] = {i: [] for i in ids}
    for review in session.scalars(
        sa.select(ProgrammeReview)
        .where(ProgrammeReview.application_id.in_(ids))
        .order_by(ProgrammeReview.id)
    ):
        reviews[review.application_id].append(review)
    plans: dict[int, list[AwardInstalment]] = {i: [] for i in ids}
    for part in session.scalars(
        sa.select(AwardInstalment)
        .where(AwardInstalment.application_id.in_(ids))
        .order_by(AwardInstalment.seq)
    ):
        plans[part.application_id].append(part)
    firms = read.names(session, {a.enterprise_id for a in rows if a.enterprise_id})
    paid = (
        policy.paid_periods(
            session, actor=actor, code=AWARD_POLICY,
            enterprise_ids=sorted({a.enterprise_id for a in rows if a.enterprise_id}),
        )
        if any(plans.values()) else {}
    )  # fmt: skip
    people = dict(
        session.execute(
            sa.select(Person.id, Person.name).where(Person.id.in_({a.person_id for a in rows}))
        ).all()
    )
    rounds = {
        r.id: (r, p)
        for r, p in session.execute(
            sa.select(ProgrammeRound, Programme)
            .join(Programme, Programme.id == ProgrammeRound.programme_id)
            .where(ProgrammeRound.id.in_({a.round_id for a in rows}))
        )
    }
    out = []
    for a in rows:
        item, programme = rounds[a.round_id]
        mine = any(r.reviewer_id == actor.id for r in reviews[a.id]) and actor.kind == "user"
        sees = office or (mine and _is_expert(actor, item))
        given = reviews[a.id]
        out.append(
            ApplicationView(
                id=a.id, round_id=a.round_id, programme_name=programme.name,
                round_name=item.name, person_id=a.person_id,
                person_name=people.get(a.person_id, ""), enterprise_id=a.enterprise_id,
                firm_name=firms.get(a.enterprise_id, "") if a.enterprise_id else "人才库（无单位）",
                summary=a.summary, state=a.state, state_label=STATES.get(a.state, a.state),
                submitted_on=a.submitted_on, amount_yuan=a.amount_yuan, decided_on=a.decided_on,
                decision_note=a.decision_note, reviews=len(given),
                average=(sum(r.total for r in given) / len(given)) if sees and given else None,
                scores=[
                    ScoreView(r.reviewer_label, dict(r.scores), r.total, r.comment,
                              r.reviewer_id == actor.id)
                    for r in given
                ] if sees else [],
                scored_by_me=mine,
                instalments=[
                    InstalmentView(
                        p.id, p.seq, p.year, p.amount_yuan, p.milestone, p.met_on,
                        p.met_on is not None
                        and a.enterprise_id is not None
                        and (str(p.year), a.enterprise_id) in paid,
                    )
                    for p in plans[a.id]
                ],
            )
        )  # fmt: skip
    return out


def round_applications(
    session: Session, *, actor: Actor, round_id: int
) -> tuple[ProgrammeRound, Programme, list[ApplicationView]]:
    """A round's applications as actor may see them: the talent office every one, ranked by the
    experts' average; an expert every one (scores once they have scored); a firm its own."""
    _reader(actor)
    item, programme = get_round(session, round_id)
    office = service.in_office(session, actor)
    query = sa.select(ProgrammeApplication).where(ProgrammeApplication.round_id == round_id)
    if actor.enterprise_id is not None:
        query = query.where(ProgrammeApplication.enterprise_id == actor.enterprise_id)
    elif not office and not _is_expert(actor, item):
        raise PermissionDenied("申报材料只对人才办和本批次的评审专家开放")
    rows = list(session.scalars(query.order_by(ProgrammeApplication.id)))
    views = _views(session, actor, rows, office=office)
    if office:
        ranked = sorted(
            (v for v in views if v.average is not None), key=lambda v: (-(v.average or 0), v.id)
        )
        # equal averages (as shown, one decimal) share a rank; the next rank skips: 1, 1, 3
        shown = [round(v.average or 0, 1) for v in ranked]
        place = {v.id: 1 + sum(1 for x in shown if x > shown[i]) for i, v in enumerate(ranked)}
        views = sorted(
            (_ranked(v, place.get(v.id)) for v in views),
            key=lambda v: (v.rank is None, v.rank or 0, v.id),
        )
    audit.record(
        session, action="talent.people_read", object_type="talent_people",
        after={"ids": [v.person_id for v in views], "purpose": "programme",
               "round_id": round_id},
    )  # fmt: skip
    return item, programme, views


def applicant(session: Session, application_id: int) -> str:
    """Who an application is for, as the round page names them to the talent office."""
    found = session.get(ProgrammeApplication, application_id)
    if found is None:
        return f"申报 {application_id}"
    name = session.scalar(sa.select(Person.name).where(Person.id == found.person_id))
    return f"{name}（申报 {application_id}）" if name else f"申报 {application_id}"


def _ranked(view: ApplicationView, rank: int | None) -> ApplicationView:
    from dataclasses import replace

    return replace(view, rank=rank)


def get_application(session: Session, *, actor: Actor, application_id: int) -> ApplicationView:
    """One application, as `round_applications` shows it."""
    _reader(actor)
    found = session.get(ProgrammeApplication, application_id)
    if found is None:
        raise NotFound("没有这份申报")
    item, _ = get_round(session, found.round_id)
    office = service.in_office(session, actor)
    if actor.enterprise_id is not None:
        if found.enterprise_id != actor.enterprise_id:
            raise NotFound("没有这份申报")
    elif not office and not _is_expert(actor, item):
        raise PermissionDenied("申报材料只对人才办和本批次的评审专家开放")
    view = _views(session, actor, [found], office=office)[0]
    audit.record(
        session, action="talent.person_read", object_type="talent_people",
        object_id=found.person_id,
        after={"purpose": "programme", "application_id": found.id},
    )  # fmt: skip
    return view


# ---------------------------------------------------------------- review


def score(
    session: Session, *, actor: Actor, application_id: int, scores: dict[str, float],
    comment: str = "",
) -> ProgrammeReview:  # fmt: skip
    """An expert of the round scores an application: every criterion, within its range, once."""
    actor.require(Permission.TALENT_READ)
    found = session.get(ProgrammeApplication, application_id)
    if found is None:
        raise NotFound("没有这份申报")
    item, programme = get_round(session, found.round_id)
    if not _is_expert(actor, item):
        raise PermissionDenied(NOT_EXPERT)
    if found.state != "submitted":
        raise Conflict(f"这份申报{STATES[found.state]}，评审已结束", field="state")
    done = sa.select(ProgrammeReview.id).where(
        ProgrammeReview.application_id == found.id, ProgrammeReview.reviewer_id == actor.id
    )
    if session.scalar(done) is not None:
        raise Conflict("您已对这份申报评分，不能重复评分", field="scores")
    values: dict[str, float] = {}
    for criterion in criteria_of(programme):
        value = scores.get(criterion.key)
        if value is None:
            raise InvalidInput(f"请为“{criterion.name}”评分", field=criterion.key)
        if not 0 <= value <= criterion.max:
            raise InvalidInput(
                f"“{criterion.name}”的评分应在 0 到 {criterion.max:g} 之间，填写的是 {value:g}",
                field=criterion.key, value=f"{value:g}",
            )  # fmt: skip
        values[criterion.key] = float(value)
    review = ProgrammeReview(
        application_id=found.id, reviewer_id=int(actor.id or 0), reviewer_label=actor.label,
        scores=values, total=sum(values.values()), comment=comment.strip()[:1000],
    )  # fmt: skip
    session.add(review)
    session.flush()
    return review


# ---------------------------------------------------------------- decisions and instalments


@dataclass(frozen=True)
class Instalment:
    year: int
    amount_yuan: int
    milestone: str
    line: int = 0  # its line in the plan as typed (problems name it so); 0: its place


def award_problems(
    programme: Programme, found: ProgrammeApplication, *, amount_yuan: int | None,
    instalments: Sequence[Instalment], today: dt.date, unread: Mapping[str, Sequence[str]],
) -> list[str]:  # fmt: skip
    """Every reason an award cannot be made as asked, in the form's order; unread holds what the
    form could not read, by field ("amount", "instalments"), reported as read and not checked
    again."""
    problems: list[str] = []
    if found.enterprise_id is None:
        problems.append(
            "人才库人员（无单位）的资助按所在企业兑现：请先登记此人所在的企业，再决定资助"
        )
    low, high = programme.min_award_yuan, programme.max_award_yuan
    problems += unread.get("amount", [])
    if "amount" not in unread and (amount_yuan is None or not low <= amount_yuan <= high):
        problems.append(
            f"“{programme.name}”的资助金额应在 {service.wan(low)} 万元到 {service.wan(high)} 万元"
            "之间" + ("（未填写）" if amount_yuan is None else
                       f"，填写的是 {service.wan(amount_yuan)} 万元")
        )  # fmt: skip
    problems += unread.get("instalments", [])
    if "instalments" in unread:
        pass  # the plan as typed cannot be added up; its readable lines are checked below
    elif not instalments or len(instalments) > MAX_INSTALMENTS:
        problems.append(f"请分 1–{MAX_INSTALMENTS} 期填写资助计划")
    elif amount_yuan is not None and sum(i.amount_yuan for i in instalments) != amount_yuan:
        problems.append(
            f"各期金额合计 {service.wan(sum(i.amount_yuan for i in instalments))} 万元，"
            f"应等于资助金额 {service.wan(amount_yuan)} 万元"
        )
    # every line is named by its line in the plan as typed, as the lines that cannot be read are
    lines = [part.line or n for n, part in enumerate(instalments, 1)]
    years = [part.year for part in instalments]
    for year in sorted({y for y in years if years.count(y) > 1}):
        numbers = "、".join(str(n) for n, y in zip(lines, years, strict=True) if y == year)
        problems.append(f"资助计划第 {numbers} 行同在 {year} 年：每年一期，请合并或改到其他年度")
    for number, part in zip(lines, instalments, strict=True):
        if part.amount_yuan <= 0 or not part.milestone.strip():
            problems.append(f"资助计划第 {number} 行须有大于 0 的金额和里程碑")
        if not today.year <= part.year <= today.year + 10:
            problems.append(
                f"资助计划第 {number} 行的兑现年度 {part.year} 应在 "
                f"{today.year}–{today.year + 10} 年之间"
            )
    return problems


def decide(
    session: Session, *, actor: Actor, application_id: int, award: bool, note: str,
    amount_yuan: int | None = None, instalments: Sequence[Instalment] = (),
    today: dt.date, unread: Mapping[str, Sequence[str]] | None = None,
) -> ProgrammeApplication:  # fmt: skip
    """The talent office awards (an amount in the programme's range, paid in instalments that add
    up to it, each with its milestone) or declines an application that experts have scored; an
    award asked for wrongly is refused with every problem at once (see award_problems)."""
    unread = unread or {}
    _office(session, actor, OFFICE_DECIDES)
    found = session.get(ProgrammeApplication, application_id)
    if found is None:
        raise NotFound("没有这份申报")
    item, programme = get_round(session, found.round_id)
    if found.state != "submitted":
        raise Conflict(f"这份申报{STATES[found.state]}，不能再决定", field="state")
    if _is_expert(actor, item):
        raise PermissionDenied(
            "本批次的评审专家不能对申报作出资助决定（回避），请由人才办其他人员决定"
        )
    if today <= item.closes_on:
        raise InvalidInput(
            f"“{item.name}”{item.closes_on.isoformat()} 截止申报，截止后再作决定", field="state"
        )
    scored = set(
        session.scalars(
            sa.select(ProgrammeReview.reviewer_id).where(ProgrammeReview.application_id == found.id)
        )
    )
    if not scored:
        raise InvalidInput("这份申报还没有专家评分，不能决定", field="state")
    waiting = [r for r in (item.reviewers or []) if r not in scored]
    if waiting:
        raise InvalidInput(
            f"还有 {len(waiting)} 位评审专家未评分（已评 {len(scored)} 位），全部评分后再决定",
            field="state",
        )
    note = note.strip()
    if not award:
        if not note:
            raise InvalidInput("不予资助时请写明理由", field="note")
        found.state, found.decided_on, found.decided_by = "declined", today, actor.label
        found.decision_note = note[:500]
        session.flush()
        return found
    problems = award_problems(
        programme, found, amount_yuan=amount_yuan, instalments=instalments, today=today,
        unread=unread,
    )  # fmt: skip
    if problems:
        raise InvalidInput(
            f"资助决定有 {len(problems)} 处问题，未保存："
            + "；".join(f"{n}. {p}" for n, p in enumerate(problems, 1)),
            field="decision", problems=problems,
        )  # fmt: skip
    found.state, found.decided_on, found.decided_by = "awarded", today, actor.label
    found.amount_yuan, found.decision_note = amount_yuan, note[:500]
    for seq, part in enumerate(sorted(instalments, key=lambda i: i.year), 1):
        session.add(
            AwardInstalment(
                application_id=found.id,
                seq=seq,
                year=part.year,
                amount_yuan=part.amount_yuan,
                milestone=part.milestone.strip()[:200],
            )
        )
    session.flush()
    return found


def confirm_milestone(
    session: Session, *, actor: Actor, instalment_id: int, today: dt.date
) -> AwardInstalment:
    """The talent office confirms an instalment's milestone: the instalment then counts in the
    policy run of its year (policy `talent_award`)."""
    _office(session, actor, OFFICE_CONFIRMS)
    part = session.get(AwardInstalment, instalment_id)
    if part is None:
        raise NotFound("没有这一期资助")
    if part.met_on is not None:
        raise Conflict(f"这一期的里程碑已于 {part.met_on.isoformat()} 确认", field="met_on")
    # an instalment is paid in its year's policy run, once per firm and year: confirmed after its
    # year, or after that year's payout to the firm, it would never be paid
    if today.year > part.year:
        raise Conflict(
            f"这一期资助安排在 {part.year} 年，该年已过：请重新安排资助计划后再确认", field="met_on"
        )
    if today.year < part.year:
        raise Conflict(f"这一期资助安排在 {part.year} 年，到该年里程碑达成后再确认", field="met_on")
    earlier = session.scalar(
        sa.select(sa.func.min(AwardInstalment.seq)).where(
            AwardInstalment.application_id == part.application_id,
            AwardInstalment.seq < part.seq, AwardInstalment.met_on.is_(None),
        )
    )  # fmt: skip
    if earlier is not None:
        raise Conflict(f"第 {earlier} 期的里程碑还没有确认，请按顺序确认", field="met_on")
    firm = session.scalar(
        sa.select(ProgrammeApplication.enterprise_id).where(
            ProgrammeApplication.id == part.application_id
        )
    )
    if firm is not None and (str(part.year), firm) in policy.paid_periods(
        session, actor=actor, code=AWARD_POLICY, enterprise_ids=[firm]
    ):
        raise Conflict(
            f"所在企业 {part.year} 年的人才项目资助已兑现，这一期须安排到以后年度", field="met_on"
        )
    part.met_on, part.met_by = today, actor.label
    session.flush()
    return part


def person_applications(session: Session, *, actor: Actor, person_id: int) -> list[ApplicationView]:
    """A person's applications and awards (for the portrait; the caller checked the access)."""
    rows = list(
        session.scalars(
            sa.select(ProgrammeApplication)
            .where(ProgrammeApplication.person_id == person_id)
            .order_by(ProgrammeApplication.id)
        )
    )
    return _views(session, actor, rows, office=service.in_office(session, actor))


def criteria_form(programme: Programme) -> list[dict[str, Any]]:
    return [{"key": c.key, "name": c.name, "max": c.max} for c in criteria_of(programme)]
