"""The top k of every post over all the people (or of every person over all the posts),
compiled and in parallel.

For one post, the people holding each of its required skills are counted through the skills'
inverted index (only those people are touched); then every person is scored on the six criteria
in the order scoring.py adds them, and kept when their total (in millionths) beats the k-th
best so far. People are visited in id order, so a tie keeps the smaller id, as the reference
does. Posts are taken in blocks, one block per task, each with its own counters.
"""

from __future__ import annotations

import numba
import numpy as np

from wulian.engines.match import scoring
from wulian.engines.match.inputs import Side

BLOCK = 64

_W = scoring.WEIGHTS
W0, W1, W2, W3, W4, W5 = (float(w) for w in _W)
UNKNOWN = scoring.UNKNOWN
SCALE = scoring.SCALE
O1, O2, O3 = scoring.OCCUPATION_LEVELS
L1, L2, L3 = scoring.LOCATION_LEVELS
BELOW = scoring.EDUCATION_BELOW
SLACK = scoring.SALARY_SLACK


@numba.njit(inline="always")
def _levels(
    a0: int, a1: int, a2: int, b0: int, b1: int, b2: int, v1: float, v2: float, v3: float
) -> float:
    if a0 < 0 or b0 < 0:
        return UNKNOWN
    if a0 == b0:
        return v1
    if a1 == b1 and a1 >= 0:
        return v2
    if a2 == b2 and a2 >= 0:
        return v3
    return 0.0


@numba.njit(inline="always")
def _key(
    i: int, j: int, matched: int,
    p_held: np.ndarray, p_edu: np.ndarray, p_exp: np.ndarray, p_occ: np.ndarray,
    p_sal: np.ndarray, p_loc: np.ndarray,
    q_need: np.ndarray, q_edu: np.ndarray, q_exp: np.ndarray, q_occ: np.ndarray,
    q_top: np.ndarray, q_loc: np.ndarray,
) -> np.int64:  # fmt: skip
    """The total of person i and post j in millionths (see scoring.pairs)."""
    need = q_need[j]
    s0 = matched / float(need) if need > 0 and p_held[i] > 0 else UNKNOWN
    s1 = _levels(
        p_occ[i, 0], p_occ[i, 1], p_occ[i, 2], q_occ[j, 0], q_occ[j, 1], q_occ[j, 2], O1, O2, O3
    )
    level = p_edu[i]
    least = q_edu[j]
    if level < 0 or least < 0:
        s2 = UNKNOWN
    elif least == 0 or level >= least:
        s2 = 1.0
    elif level == least - 1:
        s2 = BELOW
    else:
        s2 = 0.0
    years = p_exp[i]
    need_years = q_exp[j]
    if np.isnan(years) or np.isnan(need_years):
        s3 = UNKNOWN
    elif need_years <= 0.0:
        s3 = 1.0
    else:
        s3 = min(1.0, years / need_years)
    expected = p_sal[i]
    top = q_top[j]
    if np.isnan(expected) or np.isnan(top):
        s4 = UNKNOWN
    elif expected <= top:
        s4 = 1.0
    else:
        s4 = max(0.0, 1.0 - (expected - top) / (SLACK * top))
    s5 = _levels(
        p_loc[i, 0], p_loc[i, 1], p_loc[i, 2], q_loc[j, 0], q_loc[j, 1], q_loc[j, 2], L1, L2, L3
    )
    total = 0.0
    total = total + W0 * s0
    total = total + W1 * s1
    total = total + W2 * s2
    total = total + W3 * s3
    total = total + W4 * s4
    total = total + W5 * s5
    return np.int64(np.rint(total * SCALE))


@numba.njit(inline="always")
def _better(key: np.int64, row: int, other_key: np.int64, other_row: int) -> bool:
    return bool(key > other_key or (key == other_key and row < other_row))


@numba.njit(inline="always")
def _offer(
    keys: np.ndarray, rows: np.ndarray, o: int, filled: int, k: int, key: np.int64, x: int
) -> int:
    """Put (key, x) among the best of o (best first: key down, then row up); the new count."""
    if filled == k and not _better(key, x, keys[o, k - 1], rows[o, k - 1]):
        return filled
    at = filled if filled < k else k - 1
    if filled < k:
        filled += 1
    while at > 0 and _better(key, x, keys[o, at - 1], rows[o, at - 1]):
        keys[o, at] = keys[o, at - 1]
        rows[o, at] = rows[o, at - 1]
        at -= 1
    keys[o, at] = key
    rows[o, at] = x
    return filled


@numba.njit(inline="always")
def _score_offer(
    by_post: bool, o: int, x: int, matched: int, keys: np.ndarray, rows: np.ndarray,
    filled: int, k: int,
    p_held: np.ndarray, p_edu: np.ndarray, p_exp: np.ndarray, p_occ: np.ndarray,
    p_sal: np.ndarray, p_loc: np.ndarray,
    q_need: np.ndarray, q_edu: np.ndarray, q_exp: np.ndarray, q_occ: np.ndarray,
    q_top: np.ndarray, q_loc: np.ndarray,
) -> int:  # fmt: skip
    if by_post:
        key = _key(
            x, o, matched, p_held, p_edu, p_exp, p_occ, p_sal, p_loc,
            q_need, q_edu, q_exp, q_occ, q_top, q_loc,
        )  # fmt: skip
    else:
        key = _key(
            o, x, matched, p_held, p_edu, p_exp, p_occ, p_sal, p_loc,
            q_need, q_edu, q_exp, q_occ, q_top, q_loc,
        )  # fmt: skip
    return _offer(keys, rows, o, filled, k, key, x)


@numba.njit(parallel=True, nogil=True, cache=True)
def _top(
    by_post: bool, k: int,
    o_indptr: np.ndarray, o_indices: np.ndarray,  # the outer side's skills
    inv_indptr: np.ndarray, inv_rows: np.ndarray,  # skill → inner rows holding it
    grp_indptr: np.ndarray, grp_rows: np.ndarray,  # 小类 → inner rows in it
    cls_indptr: np.ndarray, cls_rows: np.ndarray,  # class (unknown flags) → inner rows
    i_class: np.ndarray,  # each inner row's class (int8: bits 1, 2, 4 as in _classes)
    p_held: np.ndarray, p_edu: np.ndarray, p_exp: np.ndarray, p_occ: np.ndarray,
    p_sal: np.ndarray, p_loc: np.ndarray,
    q_need: np.ndarray, q_edu: np.ndarray, q_exp: np.ndarray, q_occ: np.ndarray,
    q_top: np.ndarray, q_loc: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    outer = o_indptr.shape[0] - 1
    inner = p_held.shape[0] if by_post else q_need.shape[0]
    rows = np.full((outer, k), -1, np.int64)
    keys = np.full((outer, k), -1, np.int64)
    blocks = (outer + BLOCK - 1) // BLOCK
    for b in numba.prange(blocks):
        counts = np.zeros(inner, np.int16)
        seen = np.full(inner, -1, np.int64)
        touched = np.empty(inner, np.int64)
        for o in range(b * BLOCK, min(outer, (b + 1) * BLOCK)):
            n = 0
            for a in range(o_indptr[o], o_indptr[o + 1]):  # the inner rows sharing a skill
                s = o_indices[a]
                for c in range(inv_indptr[s], inv_indptr[s + 1]):
                    x = inv_rows[c]
                    if counts[x] == 0:
                        touched[n] = x
                        n += 1
                    counts[x] += 1
            if by_post:
                o_skills = q_need[o] > 0
                o_occ = q_occ[o, 0] >= 0
                o_loc = q_loc[o, 0] >= 0
                e2 = 1.0 if q_edu[o] >= 0 else UNKNOWN
                e3 = 1.0 if not np.isnan(q_exp[o]) else UNKNOWN
                e4 = 1.0 if not np.isnan(q_top[o]) else UNKNOWN
            else:
                o_skills = p_held[o] > 0
                o_occ = p_occ[o, 0] >= 0
                o_loc = p_loc[o, 0] >= 0
                e2 = 1.0 if p_edu[o] >= 0 else UNKNOWN
                e3 = 1.0 if not np.isnan(p_exp[o]) else UNKNOWN
                e4 = 1.0 if not np.isnan(p_sal[o]) else UNKNOWN
            filled = 0
            # First the same 小类, exactly: the likeliest best, which sets a high bar.
            group = p_occ[o, 1] if not by_post else q_occ[o, 1]
            if group >= 0:
                for c in range(grp_indptr[group], grp_indptr[group + 1]):
                    x = grp_rows[c]
                    seen[x] = o
                    filled = _score_offer(
                        by_post, o, x, counts[x], keys, rows, filled, k,
                        p_held, p_edu, p_exp, p_occ, p_sal, p_loc,
                        q_need, q_edu, q_exp, q_occ, q_top, q_loc,
                    )  # fmt: skip
            # Then those sharing a skill: scored where their bound (the skills exact, the rest
            # at most what their unknowns allow) reaches the bar.
            for t in range(n):
                x = touched[t]
                if seen[x] == o:
                    continue
                seen[x] = o
                if filled == k:
                    need = q_need[o] if by_post else q_need[x]
                    flags = i_class[x]
                    i_occ = (flags & 2) == 0
                    i_loc = (flags & 4) == 0
                    b0 = counts[x] / float(need)
                    b1 = O3 if (o_occ and i_occ) else UNKNOWN
                    b5 = 1.0 if (o_loc and i_loc) else UNKNOWN
                    bound = 0.0
                    bound = bound + W0 * b0
                    bound = bound + W1 * b1
                    bound = bound + W2 * e2
                    bound = bound + W3 * e3
                    bound = bound + W4 * e4
                    bound = bound + W5 * b5
                    if np.int64(np.rint(bound * SCALE)) < keys[o, k - 1]:
                        continue
                filled = _score_offer(
                    by_post, o, x, counts[x], keys, rows, filled, k,
                    p_held, p_edu, p_exp, p_occ, p_sal, p_loc,
                    q_need, q_edu, q_exp, q_occ, q_top, q_loc,
                )  # fmt: skip
            for t in range(n):
                counts[touched[t]] = 0
            # The rest share no skill and no 小类: a class at a time, skipped when even its
            # bound cannot reach the k-th best.
            for cls in range(8):
                if cls_indptr[cls] == cls_indptr[cls + 1]:
                    continue
                i_skills = (cls & 1) == 0
                i_occ = (cls & 2) == 0
                i_loc = (cls & 4) == 0
                b0 = 0.0 if (o_skills and i_skills) else UNKNOWN
                b1 = O3 if (o_occ and i_occ) else UNKNOWN
                b5 = 1.0 if (o_loc and i_loc) else UNKNOWN
                bound = 0.0
                bound = bound + W0 * b0
                bound = bound + W1 * b1
                bound = bound + W2 * e2
                bound = bound + W3 * e3
                bound = bound + W4 * e4
                bound = bound + W5 * b5
                if filled == k and np.int64(np.rint(bound * SCALE)) < keys[o, k - 1]:
                    continue
                for c in range(cls_indptr[cls], cls_indptr[cls + 1]):
                    x = cls_rows[c]
                    if seen[x] == o:
                        continue
                    filled = _score_offer(
                        by_post, o, x, 0, keys, rows, filled, k,
                        p_held, p_edu, p_exp, p_occ, p_sal, p_loc,
                        q_need, q_edu, q_exp, q_occ, q_top, q_loc,
                    )  # fmt: skip
    return rows, keys


def _inverted(side: Side, width: int) -> tuple[np.ndarray, np.ndarray]:
    """skill → the rows of side holding it (CSR over the skills, rows ascending)."""
    owners = np.repeat(np.arange(len(side), dtype=np.int64), np.diff(side.skills_indptr))
    return _grouped(side.skills_indices, owners, width)


def _grouped(groups: np.ndarray, rows: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """group → its rows (CSR over 0 … width - 1; rows with a negative group left out)."""
    keep = groups >= 0
    groups, rows = groups[keep], rows[keep]
    order = np.argsort(groups, kind="stable")
    counts = np.bincount(groups, minlength=width)
    return np.r_[0, np.cumsum(counts)].astype(np.int64), rows[order].astype(np.int64)


def _class_of(side: Side, has_skills: np.ndarray) -> np.ndarray:
    """Which of skills, occupation and location each row lacks (bits 1, 2, 4), as int8."""
    cls = (
        (~has_skills).astype(np.int8)
        + 2 * (side.occupation[:, 0] < 0).astype(np.int8)
        + 4 * (side.location[:, 0] < 0).astype(np.int8)
    )
    return cls.astype(np.int8)


def top(
    people: Side, posts: Side, k: int, *, by_post: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, keys): for every post (by_post) the k best people, or for every person the k best
    posts, best first, as rows of the other side (-1 where there are fewer) and totals in
    millionths."""
    if k < 1:
        raise ValueError("k ≥ 1")
    width = int(
        max(people.skills_indices.max(initial=-1), posts.skills_indices.max(initial=-1)) + 1
    )
    outer, inner = (posts, people) if by_post else (people, posts)
    inv_indptr, inv_rows = _inverted(inner, max(width, 1))
    groups = int(
        max(people.occupation[:, 1].max(initial=-1), posts.occupation[:, 1].max(initial=-1)) + 1
    )
    grp_indptr, grp_rows = _grouped(
        inner.occupation[:, 1], np.arange(len(inner), dtype=np.int64), max(groups, 1)
    )
    i_class = _class_of(inner, np.diff(inner.skills_indptr) > 0)
    cls_indptr, cls_rows = _grouped(
        i_class.astype(np.int64), np.arange(len(inner), dtype=np.int64), 8
    )
    k = min(k, len(inner)) if len(inner) else 0
    if k == 0 or len(outer) == 0:
        empty = np.full((len(outer), max(k, 0)), -1, np.int64)
        return empty, empty.copy()
    found: tuple[np.ndarray, np.ndarray] = _top(
        by_post, k,
        outer.skills_indptr, outer.skills_indices, inv_indptr, inv_rows,
        grp_indptr, grp_rows, cls_indptr, cls_rows, i_class,
        np.diff(people.skills_indptr), people.education, people.experience, people.occupation,
        people.salary_low, people.location,
        np.diff(posts.skills_indptr), posts.education, posts.experience, posts.occupation,
        posts.salary_high, posts.location,
    )  # fmt: skip
    return found
