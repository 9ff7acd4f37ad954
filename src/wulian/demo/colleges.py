"""The demo's partner colleges and one past 人才周: two colleges whose majors map to chain nodes,
three graduation years (the latest without a retained count: not yet surveyed), and an event at a
university that offered some of the zone firms' open posts, with intentions and signings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.chains import service as chains_service
from wulian.core.permissions import Actor
from wulian.talent import colleges, events, service
from wulian.talent.colleges import College

# college → (major, chain, node, occupation code, graduates of the first year)
MAJORS: dict[str, tuple[tuple[str, str, str, str, int], ...]] = {
    "衢州职业技术学院": (
        ("应用化工技术", "fluorosilicon", "monomer", "6-11-01-01", 180),
        ("新能源汽车技术", "lithium", "", "", 150),
        ("工业分析技术", "electronic_chemicals", "", "", 90),
    ),
    "浙江工业职业技术学院（衢州校区）": (
        ("高分子材料智能制造技术", "fluorosilicon", "fluoropolymer", "", 80),
        ("药品生物技术", "biomedicine", "", "", 60),
    ),
}  # fmt: skip
RETAINED = (0.30, 0.34, None)  # per year, oldest first: the latest not yet surveyed


@dataclass(frozen=True)
class CollegeDemo:
    colleges: int
    cohorts: int
    events: int


def build(session: Session, *, actor: Actor, today: dt.date) -> CollegeDemo:
    """Create the colleges demo (once: nothing when a college exists)."""
    if session.scalar(sa.select(sa.func.count()).select_from(College)):
        return CollegeDemo(0, 0, 0)
    known = {c.spec.id for c in chains_service.chains(session, actor=actor)}
    last = today.year - 1 if today.month < 9 else today.year
    cohorts = 0
    for name, majors in MAJORS.items():
        college = colleges.add_college(session, actor=actor, name=name)
        for i, (major, chain, node, code, first) in enumerate(majors):
            if chain not in known:
                continue
            added = colleges.add_major(
                session, actor=actor, college_id=college.id, name=major, chain=chain,
                node=node, occupation_code=code,
            )  # fmt: skip
            for step, share in enumerate(RETAINED):
                graduates = first + 10 * step - 5 * i
                colleges.record_cohort(
                    session, actor=actor, major_id=added.id, year=last - 2 + step,
                    graduates=graduates,
                    employed=None if share is None else round(graduates * (share + 0.05)),
                    retained=None if share is None else round(graduates * share),
                )  # fmt: skip
                cohorts += 1
    posts = service.list_posts(session, actor=actor, limit=40)[::3][:12]
    if not posts:
        return CollegeDemo(len(MAJORS), cohorts, 0)
    start = dt.date(last, 4, 14)
    event = events.create_event(
        session, actor=actor, name=f"衢州人才周·{last}春季西安站", starts_on=start,
        ends_on=start + dt.timedelta(days=2), place="西安交通大学", candidates=860,
    )  # fmt: skip
    for i, post in enumerate(posts):
        wanted = post.openings * 4 + i % 3
        events.record_post(
            session, actor=actor, event_id=event.id, post_id=post.id, intentions=wanted,
            signings=None if i == len(posts) - 1 else wanted // 5,
        )  # fmt: skip
    return CollegeDemo(len(MAJORS), cohorts, 1)
