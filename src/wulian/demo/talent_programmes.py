"""The demo's talent programme (made-up, as people data: only with a talent key): 南孔精英计划
with one round reviewed by two experts of the talent office, applications by firms for their
staff, an award paid in three instalments (the first milestone confirmed, so the policy run of
the year lists it) and a declined application."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.auth import service as auth_service
from wulian.core.errors import WulianError
from wulian.core.permissions import Actor, Permission, Role
from wulian.talent import programmes, service
from wulian.talent.programme_models import Programme, ProgrammeApplication

SEED = 20261205
EXPERTS = (("talent_expert1", "评审专家甲"), ("talent_expert2", "评审专家乙"))
CRITERIA = [("merit", "业绩成果", 40.0), ("plan", "项目计划", 30.0), ("fit", "产业契合", 30.0)]
SUMMARIES = (
    "主持企业重点研发项目，获授权发明专利 4 件，拟在园区建设中试线，三年内实现量产",
    "牵头省级重点研发计划课题，核心产品国产替代，拟组建 20 人研发团队",
    "长期从事关键工艺研发，成果在链主企业应用，拟联合高校建设联合实验室",
    "带领团队突破关键材料制备工艺，拟在园区设立研发中心并引进博士 3 名",
)


def _experts(session: Session, actor: Actor) -> list[str]:
    office = service.office_id(session)
    names = []
    for username, display in EXPERTS:
        if auth_service.get_user_by_username(session, username=username) is None:
            # an inert account until an administrator resets its password for the expert
            auth_service.create_user(
                session, actor=actor, username=username, role=Role.OFFICER,
                display_name=display, department_id=office,
            )  # fmt: skip
        names.append(username)
    return names


def build(session: Session, *, actor: Actor, today: dt.date, staff: dict[int, list[int]]) -> int:
    """Create the demo programme (once: nothing when a programme exists); the applications made."""
    if session.scalar(sa.select(sa.func.count()).select_from(Programme)) or not staff:
        return 0
    rng = random.Random(SEED)  # noqa: S311  (made-up demo data, not secrets)
    experts = _experts(session, actor)
    programme = programmes.create_programme(
        session, actor=actor, code="nankong", name="南孔精英计划",
        summary="面向六大产业链的高层次创新创业人才，评审入选后按里程碑分期资助 20万–500万元",
        min_award_yuan=200_000, max_award_yuan=5_000_000, criteria=CRITERIA,
    )  # fmt: skip
    opens, closes = today - dt.timedelta(days=60), today - dt.timedelta(days=10)
    item = programmes.create_round(
        session, actor=actor, programme_id=programme.id, name=f"{today.year} 年第一批",
        opens_on=opens, closes_on=closes, reviewers=experts,
    )  # fmt: skip
    made: list[ProgrammeApplication] = []
    for firm, people in staff.items():
        if len(made) == len(SUMMARIES):
            break
        firm_actor = Actor(
            kind="system", id=None, label=f"{actor.label}（企业）",
            permissions=frozenset({Permission.TALENT_READ, Permission.TALENT_WRITE}),
            enterprise_id=firm,
        )  # fmt: skip
        for person_id in people:
            try:
                application = programmes.apply(
                    session, actor=firm_actor, round_id=item.id, person_id=person_id,
                    summary=SUMMARIES[len(made)], today=opens + dt.timedelta(days=5),
                )  # fmt: skip
            except WulianError:  # no consent to 人才认定: not applied
                continue
            made.append(application)
            break
    for username in experts:
        user = auth_service.get_user_by_username(session, username=username)
        if user is None:  # pragma: no cover - just made
            continue
        # the demo enters the made-up experts' scores for them (their accounts stay inert)
        expert = dataclasses.replace(auth_service.actor_for_user(user), must_change_password=False)
        for application in made:
            scores = {key: float(round(top * rng.uniform(0.55, 0.95))) for key, _, top in CRITERIA}
            programmes.score(session, actor=expert, application_id=application.id, scores=scores)
    if not made:
        return 0
    ranked = programmes.round_applications(session, actor=actor, round_id=item.id)[2]
    best, last = ranked[0], ranked[-1]
    programmes.decide(
        session, actor=actor, application_id=best.id, award=True, note="专家评审排名第一",
        amount_yuan=1_000_000, today=today,
        instalments=[
            programmes.Instalment(today.year, 400_000, "中试线建成投用"),
            programmes.Instalment(today.year + 1, 300_000, "产品量产并实现销售"),
            programmes.Instalment(today.year + 2, 300_000, "年营业收入达到 5000 万元"),
        ],
    )  # fmt: skip
    first = programmes.person_applications(session, actor=actor, person_id=best.person_id)
    programmes.confirm_milestone(
        session, actor=actor, instalment_id=first[0].instalments[0].id, today=today
    )
    if last.id != best.id:
        programmes.decide(
            session, actor=actor, application_id=last.id, award=False,
            note="项目计划与园区产业链契合度不足", today=today,
        )  # fmt: skip
    return len(made)
