"""A person's portrait (人才画像): the record, recognitions, programme applications and awards
with their instalments, the talent benefits of the newest policy run, and the person's requests
at the desk; further sections (such as evaluations) are added by registering a section builder.

Who sees it: the talent office and administrators; a firm's users for the firm's own staff (the
identity number masked, as everywhere, and the birth date, as in the firm's staff list);
everyone else is refused; another firm's person is not found, as on the person page (no
existence leak). Every read is audited (`talent.portrait_read`), every refusal too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.permissions import Actor, Permission
from wulian.desk import service as desk
from wulian.policy import service as policy
from wulian.talent import programmes, service
from wulian.talent.crypto import Keys
from wulian.talent.models import Person

BENEFIT_POLICIES = ("talent_recognised", "talent_award")  # the policies that pay talent


@dataclass(frozen=True)
class Section:
    """A further section of the portrait: a title, lines of (label, value) and a link."""

    title: str
    lines: list[tuple[str, str]]
    link: str | None = None
    link_label: str = ""


# Builders of further sections: (session, actor, person id) → a section, or None to show none.
# A talent module adds its own (for example the evaluations) with `register_section`.
SectionBuilder = Callable[[Session, Actor, int], Section | None]
SECTIONS: list[SectionBuilder] = []


def register_section(builder: SectionBuilder) -> SectionBuilder:
    """Add a section to every portrait (usable as a decorator)."""
    if builder not in SECTIONS:
        SECTIONS.append(builder)
    return builder


@dataclass(frozen=True)
class BenefitLine:
    title: str
    period: str
    status: str  # a sentence: what the firm gets in the run and whether the person counts
    amount: float | None
    unit: str
    run_id: int | None
    code: str


@dataclass(frozen=True)
class Portrait:
    person: service.PersonView
    full: bool  # the talent office's view (a firm sees its own staff, as in its staff list)
    recognitions: list[service.RecognitionView]
    applications: list[programmes.ApplicationView]
    counted: bool  # counts for talent benefits today
    counted_why: str
    benefits: list[BenefitLine]
    requests: list[tuple[str, str, str, str]]  # tracking no, title, category, state
    sections: list[Section] = field(default_factory=list)


def _counted(session: Session, person: Person, today: dt.date) -> tuple[bool, str]:
    if person.enterprise_id is None:
        return False, "人才库人员（无单位）：人才待遇由所在企业代发，暂无所在企业"
    people = service.benefit_people(session, day=today, enterprise_ids=[person.enterprise_id])
    if person.id in people.get(person.enterprise_id, set()):
        return True, "经认账或人才项目入选，且本人同意用于人才政策兑现：计入所在企业的人才待遇"
    return False, "尚未经认账或入选，或本人未同意用于人才政策兑现：不计入人才待遇"


def _benefits(session: Session, actor: Actor, enterprise_id: int | None) -> list[BenefitLine]:
    if enterprise_id is None:
        return []
    found = policy.firm_benefits(session, actor=actor, enterprise_id=enterprise_id)
    titles = {}
    for version in policy.newest(session):
        if version.code in BENEFIT_POLICIES:
            titles[policy.policy_of(session, version).title] = version.code
    out = []
    for line in found.outcomes:
        if line.title in titles and line.status in ("eligible", "unknown"):
            state = {"eligible": "所在企业符合", "unknown": "待补充数据"}.get(line.status, "")
            out.append(
                BenefitLine(line.title, line.period, f"{state}（{line.mode or ''}）", line.amount,
                            line.unit, found.run.id if found.run else None, titles[line.title])
            )  # fmt: skip
    for line in found.payouts:
        if line.title in titles:
            out.append(
                BenefitLine(line.title, line.period, f"已兑现（{line.mode or ''}）", line.amount,
                            line.unit, None, titles[line.title])
            )  # fmt: skip
    return out


def _requests(session: Session, actor: Actor, person: Person) -> list[tuple[str, str, str, str]]:
    if person.enterprise_id is None:
        return []
    return desk.person_requests(
        session, actor=actor, enterprise_id=person.enterprise_id, person_id=person.id
    )


def portrait(
    session: Session, *, actor: Actor, keys: Keys, person_id: int, today: dt.date
) -> Portrait:  # fmt: skip
    """A person's portrait as actor may see it; the read is audited."""
    actor.require(Permission.TALENT_READ)
    # another firm's person is answered as one that does not exist (OtherFirmsPerson, recorded
    # by the caller as a refused attempt), as the person page does
    person = service.person_for(session, actor, person_id)
    service.require_people(session, actor, person.enterprise_id)
    full = service.in_office(session, actor)
    view = service.person_view(session, keys=keys, person=person)
    recognitions = service.list_recognitions(session, actor=actor, person_id=person.id)
    counted, why = _counted(session, person, today)
    audit.record(
        session, action="talent.portrait_read", object_type="talent_people", object_id=person.id,
        after={"enterprise_id": person.enterprise_id, "view": "full" if full else "firm"},
    )  # fmt: skip
    return Portrait(
        person=view, full=full, recognitions=recognitions,
        applications=programmes.person_applications(session, actor=actor, person_id=person.id),
        counted=counted, counted_why=why,
        benefits=_benefits(session, actor, person.enterprise_id),
        requests=_requests(session, actor, person),
        sections=[s for build in SECTIONS if (s := build(session, actor, person.id)) is not None],
    )  # fmt: skip
