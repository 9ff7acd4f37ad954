"""Matching in the talent domain: 推荐人选 for a post, and the posts that fit a person.

The people and posts are read from the database and handed to the match engine
(`wulian.engines.match`) as its two frames with the minimum fields: an internal id, skills,
education, experience, occupation code, salary and place. Names and identity numbers never
reach the engine. Only people with a standing consent to 人才岗位匹配 (`matching`) are
candidates.

What each side sees (PIPL, purpose and minimum necessary):
- the talent office: the person (name, firm) with the scores and reasons;
- the firm that owns the post: candidates by rank with a masked name (王**), education,
  occupation and the reasons, never the identity number, the employer or the record; the
  office introduces a candidate once the person agrees;
- anyone else (another firm, other departments, analysts): refused, and the attempt audited.
Every list of recommended people shown is audited with the ids shown.

Fields the database does not hold are unknown to the engine, never zero: a person's years of
work when not recorded, and the place of a person without a recorded region outside a firm (a
person's own recorded region comes first; otherwise a person of a firm, and a post, are placed at
the firm's registered region). A person keeps only a salary band: the engine gets the
band's middle (its floor for the top band) per month; posts' annual salaries are divided by 12.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.errors import InvalidInput, NotFound, PermissionDenied
from wulian.core.permissions import Actor, Permission
from wulian.engines.match import inputs, kernel, reasons, scoring
from wulian.enterprises import read
from wulian.reference import service as reference
from wulian.talent import service
from wulian.talent.models import Consent, Person, Post

PURPOSE = "matching"
READ_LIST = "talent.people_read"  # a list of recommended people shown (after: purpose, ids)
READ_ONE = "talent.person_read"  # one person's data used to find posts (after: purpose)
TOP = 10
OTHER_FIRM = "只能查看本企业岗位的推荐人选"
STAFF_NOT_OFFICE = "推荐人选涉及个人信息，只对人才办工作人员和发布岗位的企业开放"
PERSON_OFFICE_ONLY = "为人员推荐岗位只对人才办工作人员开放"
NO_CONSENT = "此人没有同意“人才岗位匹配”，不能为其推荐岗位"

# the stored education keys, as the engine reads them ("other": not a level, unknown)
EDUCATION = {
    "doctor": "博士",
    "master": "硕士",
    "bachelor": "本科",
    "college": "大专",
    "secondary": "高中",
}


@dataclass(frozen=True)
class Criterion:
    label: str  # 技能, 职业, ...
    score: float | None  # 0–1; None: unknown

    @property
    def shown(self) -> str:
        return "未知" if self.score is None else f"{self.score:.0%}"


@dataclass(frozen=True)
class Candidate:
    """One recommended person for a post, as the viewer may see them."""

    rank: int
    person_id: int | None  # the office only
    name: str  # the office: the name; the firm: masked
    firm_name: str  # the office only ("" for the firm)
    education_label: str
    occupation_code: str | None
    score: float  # 0–1
    criteria: list[Criterion]
    reasons: list[str]

    @property
    def score_shown(self) -> str:
        return f"{self.score:.0%}"


@dataclass(frozen=True)
class Fit:
    """One post that fits a person (for the talent office)."""

    rank: int
    post_id: int
    title: str
    firm_name: str
    score: float
    criteria: list[Criterion]
    reasons: list[str]

    @property
    def score_shown(self) -> str:
        return f"{self.score:.0%}"


def mask_name(name: str) -> str:
    """A name as a firm sees a candidate: the surname and a star per other character."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else "*"


# ---------------------------------------------------------------- frames


def _monthly(yuan: int | None) -> str:
    return "" if yuan is None else str(round(yuan / 12))


def _band_monthly(band: str | None) -> str:
    if band not in service.SALARY_BANDS:
        return ""
    _, low, high = service.SALARY_BANDS[band]
    middle = low if high is None else (low + high) // 2
    return _monthly(max(middle, 6_000))  # 500 元/月 is the engine's floor


def people_frame(people: Sequence[Person], places: dict[int, str]) -> pl.DataFrame:
    """The engine's people frame: ids and the matching fields only (no name, no identity)."""
    return pl.DataFrame(
        {
            "id": [str(p.id) for p in people],
            "skills": ["、".join(p.skills or []) for p in people],
            "education": [EDUCATION.get(p.education or "", "") for p in people],
            "experience_years": [
                "" if p.experience_years is None else str(p.experience_years) for p in people
            ],  # not recorded: unknown
            "occupation": [p.occupation_code or "" for p in people],
            "expected_salary": [_band_monthly(p.salary_band) for p in people],
            "location": [p.region_code or places.get(p.enterprise_id or 0, "") for p in people],
        },
        schema=dict.fromkeys(inputs.PEOPLE_COLUMNS, pl.String),
    )


def posts_frame(posts: Sequence[Post], places: dict[int, str]) -> pl.DataFrame:
    """The engine's posts frame."""
    return pl.DataFrame(
        {
            "id": [str(p.id) for p in posts],
            "skills": ["、".join(p.skills or []) for p in posts],
            "education": [EDUCATION.get(p.education or "", "不限") for p in posts],
            "experience_years": [
                "" if p.experience_years is None else str(p.experience_years) for p in posts
            ],
            "occupation": [p.occupation_code or "" for p in posts],
            "salary_min": [_monthly(p.salary_min_yuan) for p in posts],
            "salary_max": [_monthly(p.salary_max_yuan) for p in posts],
            "location": [places.get(p.enterprise_id, "") for p in posts],
            "count": [str(p.openings) for p in posts],
        },
        schema=dict.fromkeys(inputs.POST_COLUMNS, pl.String),
    )


def _places(session: Session, firm_ids: set[int]) -> dict[int, str]:
    return {
        i: f.region_code
        for i, f in read.records(session, firm_ids).items()
        if f.region_code and len(f.region_code) == 6 and f.region_code.isdigit()
    }


def _consented() -> sa.Select[Any]:
    return sa.select(Consent.person_id).where(
        Consent.purpose == PURPOSE, Consent.withdrawn_on.is_(None)
    )


def _pool(session: Session) -> list[Person]:
    query = sa.select(Person).where(Person.id.in_(_consented())).order_by(Person.id)
    return list(session.scalars(query))


def _run(
    people: list[Person], posts: list[Post], places: dict[int, str], k: int, *, by_post: bool
) -> pl.DataFrame:
    vocabulary = inputs.Vocabulary.new()
    left = inputs.encode(people_frame(people, places), "people", vocabulary, source="人员")
    right = inputs.encode(posts_frame(posts, places), "posts", vocabulary, source="岗位")
    rows, _ = kernel.top(left, right, k, by_post=by_post)
    return reasons.result(left, right, vocabulary, np.asarray(rows), by_post=by_post)


def warm_up() -> None:
    """Compile the matching engine's kernels (Numba; cached on disk after the first time, which
    can take a minute on a fresh install) on two made-up people and posts, both ways, so that
    the first post page a user opens does not wait for it. Run when the server starts."""
    people = pl.DataFrame(
        {"id": ["1", "2"], "skills": ["注塑、质量管理", "PLC"], "education": ["本科", ""],
         "experience_years": ["3", ""], "occupation": ["", ""],
         "expected_salary": ["8000", ""], "location": ["330802", ""]},
        schema=dict.fromkeys(inputs.PEOPLE_COLUMNS, pl.String),
    )  # fmt: skip
    posts = pl.DataFrame(
        {"id": ["1", "2"], "skills": ["注塑", "PLC、质量管理"], "education": ["本科", "不限"],
         "experience_years": ["2", ""], "occupation": ["", ""], "salary_min": ["6000", ""],
         "salary_max": ["9000", ""], "location": ["330802", ""], "count": ["1", "2"]},
        schema=dict.fromkeys(inputs.POST_COLUMNS, pl.String),
    )  # fmt: skip
    for by_post in (True, False):
        vocabulary = inputs.Vocabulary.new()
        left = inputs.encode(people, "people", vocabulary, source="人员")
        right = inputs.encode(posts, "posts", vocabulary, source="岗位")
        rows, _ = kernel.top(left, right, 1, by_post=by_post)
        reasons.result(left, right, vocabulary, np.asarray(rows), by_post=by_post)


def _criteria(row: dict[str, object]) -> list[Criterion]:
    out = []
    for name in scoring.CRITERIA:
        value = row[name]
        out.append(Criterion(scoring.LABELS[name], None if value is None else float(value)))  # type: ignore[arg-type]
    return out


EXPECTED = re.compile(r"^薪资：期望 ([\d,]+) 元/月")
REGION_CODE = re.compile(r"(?<!\d)\d{6}(?!\d)")


def _reasons(text: str, person: Person, regions: dict[str, str]) -> list[str]:
    """The engine's reasons, one per criterion; the salary says it is the band's middle, and
    the place names the regions (by the region table; a code it does not know stays a code)."""
    out = []
    for part in text.split("；"):
        band = service.SALARY_BANDS.get(person.salary_band or "")
        if band is not None:
            part = EXPECTED.sub(f"薪资：年薪档次 {band[0]}（约 \\1 元/月）", part)
        if part.startswith("地点："):
            part = REGION_CODE.sub(lambda m: regions.get(m.group(0), m.group(0)), part)
        if part:
            out.append(part)
    return out


def _region_names(people: Sequence[Person], places: dict[int, str]) -> set[str]:
    return {p.region_code for p in people if p.region_code} | set(places.values())


def _refuse(
    session: Session, actor: Actor, attempt: str, error: PermissionDenied, oid: int
) -> None:
    service.refused(session, actor=actor, attempt=attempt, error=error, object_id=oid)


# ---------------------------------------------------------------- the service


def candidates_for_post(
    session: Session, *, actor: Actor, post_id: int, k: int = TOP
) -> list[Candidate]:
    """推荐人选: the k best people of the pool for the post, best first, as actor may see them;
    refusals and every list shown are audited."""
    actor.require(Permission.TALENT_READ)
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("没有这个岗位")
    try:
        if actor.enterprise_id is not None:
            if actor.enterprise_id != post.enterprise_id:
                raise PermissionDenied(OTHER_FIRM)
        elif not service.in_office(session, actor):
            raise PermissionDenied(STAFF_NOT_OFFICE)
    except PermissionDenied as error:
        _refuse(session, actor, "查看岗位推荐人选", error, post_id)
        raise
    if not post.is_open:
        raise NotFound("岗位已关闭")
    office = actor.enterprise_id is None
    people = _pool(session)
    if not people:
        return []
    places = _places(
        session, {post.enterprise_id} | {p.enterprise_id for p in people if p.enterprise_id}
    )
    table = _run(people, [post], places, k, by_post=True)
    regions = reference.region_names(session, _region_names(people, places))
    by_id = {p.id: p for p in people}
    firms = (
        read.names(session, {p.enterprise_id for p in people if p.enterprise_id}) if office else {}
    )
    out: list[Candidate] = []
    for row in table.iter_rows(named=True):
        person = by_id[int(row["person_id"])]
        out.append(
            Candidate(
                rank=int(row["rank"]),
                person_id=person.id if office else None,
                name=person.name if office else mask_name(person.name),
                firm_name=(firms.get(person.enterprise_id, "") if person.enterprise_id
                           else "人才库（无单位）") if office else "",
                education_label=service.EDUCATION.get(person.education or "", "未知"),
                occupation_code=person.occupation_code,
                score=float(row["score"]),
                criteria=_criteria(row),
                reasons=_reasons(str(row["reasons"]), person, regions),
            )
        )  # fmt: skip
    audit.record(
        session, action=READ_LIST, object_type="talent_posts", object_id=post.id,
        after={"purpose": PURPOSE, "post_id": post.id, "ids": [int(r) for r in table["person_id"]],
               "view": "full" if office else "masked"},
    )  # fmt: skip
    return out


def posts_for_person(session: Session, *, actor: Actor, person_id: int, k: int = TOP) -> list[Fit]:
    """The k open posts that fit a person best (the talent office only; audited)."""
    actor.require(Permission.TALENT_READ)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound("没有这条人员记录")
    if actor.enterprise_id is not None or not service.in_office(session, actor):
        error = PermissionDenied(PERSON_OFFICE_ONLY)
        _refuse(session, actor, "查看人员的推荐岗位", error, person_id)
        raise error
    agreed = session.scalar(_consented().where(Consent.person_id == person.id).limit(1))
    if agreed is None:
        raise InvalidInput(NO_CONSENT, field="person_id", value=str(person_id))
    posts = list(session.scalars(sa.select(Post).where(Post.is_open).order_by(Post.id)))
    if not posts:
        return []
    firm_ids = {p.enterprise_id for p in posts} | (
        {person.enterprise_id} if person.enterprise_id else set()
    )
    places = _places(session, firm_ids)
    table = _run([person], posts, places, k, by_post=False)
    regions = reference.region_names(session, _region_names([person], places))
    by_id = {p.id: p for p in posts}
    firms = read.names(session, {p.enterprise_id for p in posts})
    out = []
    for row in table.iter_rows(named=True):
        post = by_id[int(row["post_id"])]
        out.append(
            Fit(
                rank=int(row["rank"]), post_id=post.id, title=post.title,
                firm_name=firms.get(post.enterprise_id, ""), score=float(row["score"]),
                criteria=_criteria(row),
                reasons=_reasons(str(row["reasons"]), person, regions),
            )
        )  # fmt: skip
    audit.record(
        session, action=READ_ONE, object_type="talent_people", object_id=person.id,
        after={"purpose": PURPOSE, "enterprise_id": person.enterprise_id,
               "posts": [f.post_id for f in out]},
    )  # fmt: skip
    return out


def get_post(session: Session, *, actor: Actor, post_id: int) -> service.PostView:
    """One open or closed post, for the office, zone staff with talent.read, or its firm."""
    actor.require(Permission.TALENT_READ)
    post = session.get(Post, post_id)
    if post is None or (
        actor.enterprise_id is not None and actor.enterprise_id != post.enterprise_id
    ):
        raise NotFound("没有这个岗位")
    views = [
        v
        for v in service.list_posts(
            session, actor=actor, enterprise_id=post.enterprise_id, limit=100_000
        )
        if v.id == post_id
    ]
    if not views:
        raise NotFound("岗位已关闭")
    return views[0]
