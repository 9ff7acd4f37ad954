"""Published composite indices reproduced from their definitions: the UNDP HDI, and a COINr
pipeline (denominate, group-mean imputation, iterative winsorisation with log fallback, min-max
0–100, arithmetic means up a four-level tree) checked against a plain step-by-step computation."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from wulian.engines.index import pipeline, spec, treat

# HDR 2023/2024, statistical annex table 1 (data year 2022).
HDI_2022 = pl.DataFrame(
    {
        "country": ["瑞士", "挪威", "冰岛", "中国"],
        "le": [84.3, 83.4, 82.7, 78.6],
        "eys": [16.6, 18.7, 19.1, 15.2],
        "mys": [13.9, 13.1, 13.8, 8.1],
        "gni": [69433.0, 69190.0, 54688.0, 18025.0],
    }
)
PUBLISHED = {"瑞士": (0.967, 1), "挪威": (0.966, 2), "冰岛": (0.959, 3), "中国": (0.788, 4)}


def test_the_human_development_index(hdi_text):
    result = pipeline.run(spec.load(hdi_text, "hdi.yaml"), HDI_2022.reverse())
    got = {r["country"]: (r["hdi"], r["rank_hdi"]) for r in result.scores.iter_rows(named=True)}
    assert got == PUBLISHED
    norway = result.explain("挪威")
    eys = next(line for line in norway.indicators if line.key == "eys")
    assert (eys.raw, eys.normalised) == (18.7, 1.0)  # capped at the 18-year goalpost


def test_hdi_ties_share_the_better_rank(hdi_text):
    twins = pl.concat([HDI_2022, HDI_2022.head(1).with_columns(pl.lit("瑞士乙").alias("country"))])
    result = pipeline.run(spec.load(hdi_text, "hdi.yaml"), twins)
    ranks = dict(result.scores.select("country", "rank_hdi").iter_rows())
    assert ranks["瑞士"] == ranks["瑞士乙"] == 1
    assert ranks["挪威"] == 3


COINR = """
id: coin
name: 四级示例指数
unit: code
cohort: {column: group, name: 组}
indicators:
  - {key: gdp, name: 人均产值, parent: economy, column: gdp_total}
  - {key: exports, name: 出口, parent: economy}
  - {key: patents, name: 专利, parent: innovation}
  - {key: rd, name: 研发, parent: innovation, weight: 2}
  - {key: emissions, name: 排放, parent: environment, direction: -1}
  - {key: forest, name: 森林, parent: environment}
aggregates:
  - {key: economy, name: 经济, parent: prosperity}
  - {key: innovation, name: 创新, parent: prosperity}
  - {key: environment, name: 环境, parent: sustainability}
  - {key: prosperity, name: 繁荣, parent: index}
  - {key: sustainability, name: 可持续, parent: index}
  - {key: index, name: 总指数}
pipeline:
  - {stage: denominate, indicators: [gdp], by: population, scale: 1000}
  - {stage: impute, method: group_mean}
  - {stage: treat, method: winsorise, skew: 2, kurtosis: 3.5, winmax: 5}
  - {stage: normalise, method: minmax, range: [0, 100]}
  - {stage: aggregate}
  - {stage: rank, within: all}
"""


def coinr_data(seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n = 60
    frame = pl.DataFrame(
        {
            "code": [f"U{i:02d}" for i in range(n)],
            "group": ["A" if i % 3 else "B" for i in range(n)],
            "population": rng.uniform(1, 50, n).round(2),
            "gdp_total": rng.lognormal(5, 1, n).round(1),
            "exports": np.append(rng.uniform(10, 20, n - 2), [400.0, 900.0]).round(2),
            # too heavy-tailed for five points of winsorisation
            "patents": np.random.default_rng(4).lognormal(0, 3, n),
            "rd": rng.uniform(0, 5, n).round(3),
            "emissions": rng.uniform(1, 9, n).round(2),
            "forest": rng.uniform(0, 70, n).round(1),
        }
    )
    # missing values, imputed with their group's mean
    return frame.with_columns(
        pl.when(pl.col("code").is_in(["U03", "U10"])).then(None).otherwise("rd").alias("rd"),
        pl.when(pl.col("code") == "U05").then(None).otherwise("forest").alias("forest"),
    )


def naive_winsorise(x: np.ndarray, winmax: int) -> np.ndarray:
    """COINr's loop, literally: sort-free, one distinct extreme at a time, from the start."""

    def stats(v):
        n = v.size
        d = v - v.mean()
        g1 = np.sqrt(n) * (d**3).sum() / (d**2).sum() ** 1.5
        skew = g1 * np.sqrt(n * (n - 1)) / (n - 2)
        r = n * (d**4).sum() / (d**2).sum() ** 2
        kurt = ((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
        return skew, kurt

    def passes(v):
        if np.all(v == v[0]):
            return True  # nothing left to measure
        skew, kurt = stats(v)
        return abs(skew) < 2 or kurt < 3.5

    original, x = x, x.copy()
    changed_hi = changed_lo = 0
    while not passes(x) and changed_hi + changed_lo < winmax:
        if stats(x)[0] >= 0:
            top = x.max()
            at = x == top
            x[at] = x[~at].max()
            changed_hi = int(at.sum())
        else:
            bottom = x.min()
            at = x == bottom
            x[at] = x[~at].min()
            changed_lo = int(at.sum())
    if passes(x):
        return x
    lo, hi = original.min(), original.max()
    return np.log(original - lo + 0.01 * (hi - lo))


def test_a_coinr_pipeline_matches_a_plain_computation():
    data = coinr_data()
    model = spec.load(COINR, "coin.yaml")
    result = pipeline.run(model, data)
    # The same index, computed plainly, one stage at a time.
    frame = data.sort("code")
    group = frame["group"].to_numpy()
    columns = {
        "gdp": frame["gdp_total"].to_numpy() / frame["population"].to_numpy() * 1000,
        **{k: frame[k].to_numpy().astype(float) for k in ("exports", "patents", "rd")},
        **{k: frame[k].to_numpy().astype(float) for k in ("emissions", "forest")},
    }
    normalised = {}
    for key, x in columns.items():
        x = np.where(np.isnan(x), np.nan, x)
        for g in ("A", "B"):
            inside = group == g
            mean = np.nanmean(x[inside])
            x[inside & np.isnan(x)] = mean
        x = naive_winsorise(x, 5)
        direction = -1 if key == "emissions" else 1
        share = (x - x.min()) / (x.max() - x.min())
        normalised[key] = 100 * (share if direction == 1 else 1 - share)
    economy = (normalised["gdp"] + normalised["exports"]) / 2
    innovation = (normalised["patents"] + 2 * normalised["rd"]) / 3
    environment = (normalised["emissions"] + normalised["forest"]) / 2
    index = ((economy + innovation) / 2 + environment) / 2
    assert result.scores["index"].to_numpy() == pytest.approx(index, rel=1e-12)
    assert result.scores["environment"].to_numpy() == pytest.approx(environment, rel=1e-12)
    applied = {t["indicator"]: t["applied"] for t in result.treatments}
    assert applied["exports"] == "winsorise"  # two outliers, winsorised away
    assert applied["patents"] == "log_ct"  # five points were not enough
    assert result.imputed.filter(pl.col("code") == "U03")["rd"].item() is True
    assert result.scores.sort("rank_index")["code"][0] == frame["code"][int(np.argmax(index))]


def test_winsorisation_on_coinrs_documented_example():
    x = np.array([*range(1, 11), 30.0, 100.0])
    treated, info = treat.winsorise(x, skew=2, kurtosis=3.5, winmax=2, fallback="log_ct")
    assert treated.tolist() == naive_winsorise(x, 2).tolist()
    assert info.applied == "winsorise"
    # 100 becomes 30, and then |skew| 1.7 and kurtosis 1.8 are inside the thresholds
    assert (info.changed, treated.max()) == (1, 30.0)
    assert info.skew_after == pytest.approx(1.712, abs=1e-3)
