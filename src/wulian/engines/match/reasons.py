"""The pairs shown, explained: each criterion's score (empty where unknown) and a reason in
Chinese, and the result table of a match.

Reasons name what the person has and what is missing: the skills held and lacking, the two
occupations and how close they are, education and experience against the least required, the
expected salary against the band (within it, below it: not above the offer, a fit too; or
above its top by how much), and the two places. An unknown criterion says which side
lacks the data; it counts as scoring.UNKNOWN in the total, neither a fit nor a miss.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from wulian.engines.match import scoring
from wulian.engines.match.inputs import LEVEL_NAMES, Side, Vocabulary

SHOWN_SKILLS = 8  # at most this many skills named in a reason, then “等”


def _names(skills: list[str]) -> str:
    shown = "、".join(skills[:SHOWN_SKILLS])
    return shown + ("等" if len(skills) > SHOWN_SKILLS else "")


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _years(value: float) -> str:
    return f"{value:g} 年"


def _texts(side: Side, column: str, rows: np.ndarray) -> list[str]:
    if column not in side.frame.columns:
        return [""] * len(rows)
    values = side.frame[column].cast(pl.String).gather(rows).to_list()
    return [(v or "").strip() for v in values]


def explain(
    people: Side,
    posts: Side,
    vocabulary: Vocabulary,
    person: np.ndarray,
    post: np.ndarray,
) -> tuple[PairFrame, list[str]]:
    """The pairs' scores and each pair's reasons (one text, criteria joined by “；”)."""
    scored = scoring.pairs(people, posts, person, post)
    c = scored.criteria
    columns = [
        _skills(people, posts, vocabulary.skill_text, person, post),
        _levels(
            "职业",
            ("相同", "同一小类", "同一中类", "不同"),
            scoring.OCCUPATION_LEVELS,
            _texts(people, "occupation", person),
            _texts(posts, "occupation", post),
            people.occupation[person, 0] < 0,
            posts.occupation[post, 0] < 0,
            c[1],
            ("人才未填职业", "岗位未填职业"),
        ),
        _education(people.education[person].tolist(), posts.education[post].tolist()),
        _experience(people.experience[person].tolist(), posts.experience[post].tolist()),
        _salary(
            people.salary_low[person].tolist(),
            posts.salary_low[post].tolist(),
            posts.salary_high[post].tolist(),
        ),
        _levels(
            "地点",
            ("相同", "同城", "同省", "不同"),
            scoring.LOCATION_LEVELS,
            _texts(people, "location", person),
            _texts(posts, "location", post),
            people.location[person, 0] < 0,
            posts.location[post, 0] < 0,
            c[5],
            ("人才未填地点", "岗位未填地点"),
        ),
    ]
    return PairFrame(scored), ["；".join(parts) for parts in zip(*columns, strict=True)]


class PairFrame:
    """The scores of explained pairs as columns: total and each criterion (None: unknown)."""

    def __init__(self, scored: scoring.PairScores) -> None:
        self.scored = scored

    def columns(self) -> dict[str, list[float | None] | list[str]]:
        out: dict[str, list[float | None] | list[str]] = {
            "score": np.round(self.scored.total, 4).tolist(),
        }
        for c, name in enumerate(scoring.CRITERIA):
            values = np.round(self.scored.criteria[c], 3)
            out[name] = [None if v != v else v for v in values.tolist()]
        unknown = np.isnan(self.scored.criteria)
        labels = [scoring.LABELS[n] for n in scoring.CRITERIA]
        out["unknown"] = [
            "、".join(label for label, u in zip(labels, flags, strict=True) if u)
            for flags in unknown.T.tolist()
        ]
        return out


def _skills(
    people: Side, posts: Side, texts: list[str], person: np.ndarray, post: np.ndarray
) -> list[str]:
    out = []
    p_ptr, p_ind = people.skills_indptr.tolist(), people.skills_indices.tolist()
    q_ptr, q_ind = posts.skills_indptr.tolist(), posts.skills_indices.tolist()
    for i, j in zip(person.tolist(), post.tolist(), strict=True):
        need = q_ind[q_ptr[j] : q_ptr[j + 1]]
        if not need:
            out.append("技能：未知（岗位未列技能要求）")
            continue
        have = set(p_ind[p_ptr[i] : p_ptr[i + 1]])
        if not have:
            out.append("技能：未知（人才未填技能）")
            continue
        met = [texts[s] for s in need if s in have]
        missing = [texts[s] for s in need if s not in have]
        if not missing:
            out.append(f"技能：具备全部 {len(need)} 项要求（{_names(met)}）")
        elif not met:
            out.append(f"技能：要求的 {len(need)} 项都不具备（缺 {_names(missing)}）")
        else:
            out.append(
                f"技能：要求 {len(need)} 项，具备 {len(met)} 项（{_names(met)}），"
                f"缺 {len(missing)} 项（{_names(missing)}）"
            )
    return out


def _levels(
    label: str,
    words: tuple[str, str, str, str],
    levels: tuple[float, float, float],
    mine: list[str],
    theirs: list[str],
    mine_unknown: np.ndarray,
    theirs_unknown: np.ndarray,
    values: np.ndarray,
    unknown_words: tuple[str, str],
) -> list[str]:
    out = []
    for a, b, ua, ub, v in zip(
        mine, theirs, mine_unknown.tolist(), theirs_unknown.tolist(), values.tolist(), strict=True
    ):
        if ua:
            out.append(f"{label}：未知（{unknown_words[0]}）")
        elif ub:
            out.append(f"{label}：未知（{unknown_words[1]}）")
        elif v >= levels[0]:
            out.append(f"{label}：{words[0]}（{b}）")
        else:
            word = words[1] if v >= levels[1] else words[2] if v >= levels[2] else words[3]
            out.append(f"{label}：{word}（人才 {a}，岗位 {b}）")
    return out


def _education(levels: list[int], leasts: list[int]) -> list[str]:
    out = []
    for level, least in zip(levels, leasts, strict=True):
        if level < 0:
            out.append("学历：未知（人才未填学历）")
        elif least < 0:
            out.append("学历：未知（岗位未填学历要求）")
        elif least == 0:
            out.append(f"学历：{LEVEL_NAMES[level]}，岗位不限")
        elif level >= least:
            out.append(f"学历：{LEVEL_NAMES[level]}，达到要求（{LEVEL_NAMES[least]}）")
        elif level == least - 1:
            out.append(f"学历：{LEVEL_NAMES[level]}，比要求（{LEVEL_NAMES[least]}）低一级")
        else:
            out.append(f"学历：{LEVEL_NAMES[level]}，低于要求（{LEVEL_NAMES[least]}）")
    return out


def _experience(years: list[float], leasts: list[float]) -> list[str]:
    out = []
    for y, least in zip(years, leasts, strict=True):
        if y != y:
            out.append("经验：未知（人才未填工作年限）")
        elif least != least:
            out.append("经验：未知（岗位未填经验要求）")
        elif least <= 0:
            out.append(f"经验：{_years(y)}，岗位不限")
        elif y >= least:
            out.append(f"经验：{_years(y)}，达到要求（{_years(least)}）")
        else:
            out.append(f"经验：{_years(y)}，不足要求（{_years(least)}），达到 {y / least:.0%}")
    return out


def _salary(expected: list[float], lows: list[float], tops: list[float]) -> list[str]:
    out = []
    for e, low, top in zip(expected, lows, tops, strict=True):
        if e != e:
            out.append("薪资：未知（人才未填期望薪资）")
            continue
        if top != top:
            out.append("薪资：未知（岗位未填薪资范围）")
            continue
        band = (
            f"{_money(low)}–{_money(top)} 元/月"
            if low == low and low != top
            else f"{_money(top)} 元/月"
        )
        if e < low:  # below the offer: within the firm's budget, a fit (scored 1)
            out.append(f"薪资：期望 {_money(e)} 元/月，不高于岗位薪资（{band}，低于下限）")
        elif e <= top:
            out.append(f"薪资：期望 {_money(e)} 元/月，在岗位薪资（{band}）之内")
        else:
            out.append(
                f"薪资：期望 {_money(e)} 元/月，高于岗位上限 {(e - top) / top:.0%}（{band}）"
            )
    return out


def result(
    people: Side,
    posts: Side,
    vocabulary: Vocabulary,
    rows: np.ndarray,
    *,
    by_post: bool = True,
) -> pl.DataFrame:
    """The top k table: for every post (by_post) its candidates, or for every person the posts,
    best first: post_id, rank, person_id (or person_id, rank, post_id), score, the six criteria
    (0–1, empty where unknown), unknown (the criteria not known) and reasons."""
    outer = len(posts) if by_post else len(people)
    k = rows.shape[1] if rows.ndim == 2 else 0
    at_outer = np.repeat(np.arange(outer, dtype=np.int64), k)
    at_inner = rows.reshape(-1) if k else np.zeros(0, np.int64)
    rank = np.tile(np.arange(1, k + 1, dtype=np.int64), outer)
    keep = at_inner >= 0
    at_outer, at_inner, rank = at_outer[keep], at_inner[keep], rank[keep]
    person, post = (at_inner, at_outer) if by_post else (at_outer, at_inner)
    scores, reasons = explain(people, posts, vocabulary, person, post)
    person_ids = pl.Series(people.ids, dtype=pl.String).gather(person)
    post_ids = pl.Series(posts.ids, dtype=pl.String).gather(post)
    first, second = ("post_id", "person_id") if by_post else ("person_id", "post_id")
    ids = {"post_id": post_ids, "person_id": person_ids}
    return pl.DataFrame(
        {
            first: ids[first],
            "rank": rank,
            second: ids[second],
            **scores.columns(),
            "reasons": reasons,
        },
        schema_overrides=dict.fromkeys(("score", *scoring.CRITERIA), pl.Float64),
    )
