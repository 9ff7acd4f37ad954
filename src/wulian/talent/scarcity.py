"""The scarcity index (紧缺指数) of an occupation at a chain node, 1 (supply exceeds demand) to 5
(acutely scarce), as shortage catalogues rate it: from supply against demand, the education and
experience the posts require, and the salary they offer. Pure: numbers in, a rating out.

Four scores, each 1–5:

| score | from | 1 | 2 | 3 | 4 | 5 |
|---|---|---|---|---|---|---|
| supply/demand (weight 0.6) | people ÷ openings | ≥ 2 | 1–2 | 0.5–1 | 0.2–0.5 | < 0.2 |
| education (0.15) | the openings' mean minimum | none | 中专/高中 | 大专 | 本科 | 硕士+ |
| experience (0.1) | the openings' mean minimum, years | < 1 | 1–3 | 3–5 | 5–8 | ≥ 8 |
| salary (0.15) | median offer ÷ zone median | < 0.8 | 0.8–1 | 1–1.25 | 1.25–1.6 | ≥ 1.6 |

The index is the weighted mean, rounded half up. A score whose input is unknown (no post states
an education, an experience or a salary) is left out and the other weights are rescaled: unknown
is not zero. With no demand there is no index.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

WEIGHTS = {"ratio": 0.6, "education": 0.15, "experience": 0.1, "salary": 0.15}
LEVELS = {1: "供大于求", 2: "基本平衡", 3: "较为紧缺", 4: "紧缺", 5: "极度紧缺"}


def _step(value: float, bounds: tuple[float, float, float, float]) -> int:
    """1 below the first bound, … 5 at or above the last."""
    return 1 + sum(value >= b for b in bounds)


def ratio_score(supply: int, demand: int) -> int:
    ratio = supply / demand
    return 6 - _step(ratio, (0.2, 0.5, 1.0, 2.0))


def education_score(mean_rank: float) -> int:
    """mean_rank: 0 none required, 1 中专/高中, 2 大专, 3 本科, 4 硕士 and above."""
    return _step(mean_rank, (0.5, 1.5, 2.5, 3.5))


def experience_score(mean_years: float) -> int:
    return _step(mean_years, (1, 3, 5, 8))


def salary_score(relative: float) -> int:
    return _step(relative, (0.8, 1.0, 1.25, 1.6))


@dataclass(frozen=True)
class Rating:
    index: int | None  # None: no demand
    scores: dict[str, int]  # the known scores
    level: str


def rate(
    *,
    supply: int,
    demand: int,
    education_rank: float | None = None,
    experience_years: float | None = None,
    salary_relative: float | None = None,
) -> Rating:
    """The scarcity rating of one occupation at one node."""
    if demand <= 0:
        return Rating(None, {}, "无需求")
    scores = {"ratio": ratio_score(supply, demand)}
    if education_rank is not None:
        scores["education"] = education_score(education_rank)
    if experience_years is not None:
        scores["experience"] = experience_score(experience_years)
    if salary_relative is not None:
        scores["salary"] = salary_score(salary_relative)
    total = sum(WEIGHTS[k] for k in scores)
    mean = sum(WEIGHTS[k] * v for k, v in scores.items()) / total
    index = int(Decimal(str(round(mean, 9))).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    index = max(1, min(5, index))
    return Rating(index, scores, LEVELS[index])
