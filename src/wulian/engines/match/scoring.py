"""The criteria, their weights, and the scores of pairs as arrays (the reference the compiled
top k is checked against).

Each criterion scores a (person, post) pair from 0 to 1, or is unknown (NaN) when either side
lacks the data:
- skills: the share of the post's required skills the person has;
- occupation: 1 the same occupation, 0.6 the same 小类 (x-xx-xx), 0.3 the same 中类 (x-xx), else 0;
- education: 1 at or above the post's least (or 不限), 0.5 one level below, else 0;
- experience: 1 at or above the least years, else the share of them the person has;
- salary: 1 when the person's expectation is not above the post's offer (at most its top: within
  the band, or below it, which the firm can pay), falling to 0 at 50% above the top;
- location: 1 the same place, 0.6 the same city, 0.3 the same province, else 0.
The total is the weighted sum over the criteria, an unknown criterion counting UNKNOWN (neither
a fit nor a miss: unknown is not zero). It is compared rounded to 10⁻⁶ (`key`), ties going to
the smaller id, so that every way of computing it ranks the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from wulian.engines.match.inputs import Side

CRITERIA = ("skills", "occupation", "education", "experience", "salary", "location")
LABELS = {
    "skills": "技能",
    "occupation": "职业",
    "education": "学历",
    "experience": "经验",
    "salary": "薪资",
    "location": "地点",
}
WEIGHTS = np.array([0.30, 0.25, 0.10, 0.10, 0.10, 0.15], np.float64)
UNKNOWN = 0.5
SCALE = 1_000_000.0  # totals are compared as integers of millionths
OCCUPATION_LEVELS = (1.0, 0.6, 0.3)  # same code, same 小类, same 中类
LOCATION_LEVELS = (1.0, 0.6, 0.3)  # same place, same city, same province
EDUCATION_BELOW = 0.5  # one level under the post's least
SALARY_SLACK = 0.5  # the salary score reaches 0 this far above the band's top


@dataclass
class PairScores:
    """Scores of pairs (person[i], post[i]): criteria × pairs (NaN unknown), totals, keys."""

    person: np.ndarray
    post: np.ndarray
    criteria: np.ndarray  # len(CRITERIA) × pairs
    matched: np.ndarray  # skills the person has among the post's required
    total: np.ndarray
    key: np.ndarray  # the total in millionths (int64)


def skills_matrix(side: Side, width: int) -> sp.csr_matrix:
    data = np.ones(len(side.skills_indices), np.float64)
    return sp.csr_matrix(
        (data, side.skills_indices, side.skills_indptr), shape=(len(side), max(width, 1))
    )


def _levels(a: np.ndarray, b: np.ndarray, levels: tuple[float, float, float]) -> np.ndarray:
    """1/0.6/0.3/0 by the first of the three ids equal (NaN where either is unknown)."""
    out = np.zeros(len(a), np.float64)
    for depth in (2, 1, 0):
        same = (a[:, depth] == b[:, depth]) & (a[:, depth] >= 0)
        out = np.where(same, levels[depth], out)
    return np.where((a[:, 0] < 0) | (b[:, 0] < 0), np.nan, out)


def pairs(people: Side, posts: Side, person: np.ndarray, post: np.ndarray) -> PairScores:
    """Every criterion's score and the total of each pair (person[i], post[i])."""
    width = int(
        max(
            people.skills_indices.max(initial=-1),
            posts.skills_indices.max(initial=-1),
        )
        + 1
    )
    have = skills_matrix(people, width)[person]
    need = skills_matrix(posts, width)[post]
    matched = np.asarray(have.multiply(need).sum(axis=1)).ravel()
    required = np.diff(posts.skills_indptr)[post].astype(np.float64)
    held = np.diff(people.skills_indptr)[person]
    skills = np.where((required > 0) & (held > 0), matched / np.maximum(required, 1.0), np.nan)

    occupation = _levels(people.occupation[person], posts.occupation[post], OCCUPATION_LEVELS)

    level, least = people.education[person], posts.education[post]
    education = np.where(
        (least == 0) | (level >= least), 1.0, np.where(level == least - 1, EDUCATION_BELOW, 0.0)
    )
    education = np.where((level < 0) | (least < 0), np.nan, education)

    years, need_years = people.experience[person], posts.experience[post]
    with np.errstate(divide="ignore", invalid="ignore"):
        experience = np.where(
            need_years <= 0.0, 1.0, np.minimum(1.0, years / np.where(need_years > 0, need_years, 1))
        )
    experience = np.where(np.isnan(years) | np.isnan(need_years), np.nan, experience)

    expected, top = people.salary_low[person], posts.salary_high[post]
    with np.errstate(invalid="ignore"):
        over = np.maximum(0.0, 1.0 - (expected - top) / (SALARY_SLACK * top))
        salary = np.where(expected <= top, 1.0, over)
    salary = np.where(np.isnan(expected) | np.isnan(top), np.nan, salary)

    location = _levels(people.location[person], posts.location[post], LOCATION_LEVELS)

    criteria = np.vstack([skills, occupation, education, experience, salary, location])
    total = np.zeros(len(person), np.float64)
    for c in range(len(CRITERIA)):  # in this order, as the compiled kernel adds them
        value = np.where(np.isnan(criteria[c]), UNKNOWN, criteria[c])
        total = total + WEIGHTS[c] * value
    key = np.rint(total * SCALE).astype(np.int64)
    return PairScores(person, post, criteria, matched, total, key)


def brute_top(people: Side, posts: Side, post_rows: np.ndarray, k: int) -> np.ndarray:
    """The reference: for each post in post_rows, every person scored and sorted by total
    (millionths) down, then by id; the first k person rows (posts × k, -1 where fewer)."""
    n = len(people)
    out = np.full((len(post_rows), k), -1, np.int64)
    everyone = np.arange(n, dtype=np.int64)
    for at, post in enumerate(post_rows.tolist()):
        scored = pairs(people, posts, everyone, np.full(n, post, np.int64))
        order = np.lexsort((everyone, -scored.key))[:k]
        out[at, : len(order)] = order
    return out


def brute_top_posts(people: Side, posts: Side, person_rows: np.ndarray, k: int) -> np.ndarray:
    """The reference the other way: for each person, the k best posts (ties: smaller id)."""
    m = len(posts)
    out = np.full((len(person_rows), k), -1, np.int64)
    every = np.arange(m, dtype=np.int64)
    for at, person in enumerate(person_rows.tolist()):
        scored = pairs(people, posts, np.full(m, person, np.int64), every)
        order = np.lexsort((every, -scored.key))[:k]
        out[at, : len(order)] = order
    return out
