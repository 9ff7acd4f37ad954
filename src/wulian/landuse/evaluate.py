"""One year's 亩均效益 evaluation on plain frames: who is rated, each group's benchmarks, scores,
ranks and classes, the low-efficiency flag, and what would move a firm up a class.

    evaluation = evaluate(spec, firms, year=2022)
    evaluation.rows          # a row per firm: group, status, reason, score, rank, class, …
    evaluation.details[id]   # per item: value, benchmark, ratio, points

firms: enterprise_id, name, guishang, rented, building (bools), section (GB/T 4754 门类),
founded_on (date), the inputs `spec.inputs()` names, and tag_<tag> (bool) for bonus points.
Statuses: rated; T (not rated, with the reason); rented (listed apart, scored, not classed);
out (not in scope: a 规下 firm with too little land of its own); incomplete (data missing or
zero land: named in the reason, never divided by).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from wulian.core.errors import InvalidInput
from wulian.engines.index import pipeline
from wulian.landuse.spec import Group, Item, LanduseSpec, PreviousAverage, index_spec
from wulian.reference import catalogue

FIRM_COLUMNS = ("enterprise_id", "name", "guishang", "rented", "building", "section", "founded_on")
STATUS_NAMES = {
    "rated": "参评",
    "T": "不定等级",
    "rented": "租地企业（另列）",
    "out": "不在评价范围",
    "incomplete": "数据不全",
}


@dataclass
class Evaluation:
    rows: pl.DataFrame  # enterprise_id, name, group, status, reason, score, rank, size, grade, …
    benchmarks: dict[str, dict[str, float]]  # group → item → the benchmark used
    averages: dict[str, dict[str, float]]  # group → item → Σ numerator / Σ denominator
    details: dict[int, dict[str, dict[str, float | None]]] = field(default_factory=dict)


def evaluate(
    spec: LanduseSpec,
    firms: pl.DataFrame,
    *,
    year: int,
    previous_averages: dict[str, dict[str, float]] | None = None,
) -> Evaluation:
    """See the module docstring. previous_averages (group → item → last year's average) is needed
    by benchmarks written as {previous_average: factor}."""
    _check(spec, firms)
    keys = list(dict.fromkeys(["tax_per_mu", *(i.key for g in spec.groups for i in g.items)]))
    inputs = spec.inputs()
    values = catalogue.derive(firms.select("enterprise_id", *inputs), None, keys)
    frame = firms.join(values, on="enterprise_id", how="left", suffix="__item")
    frame = frame.with_columns(_bonus(spec).alias("bonus"), _group().alias("group"))
    frame = frame.with_columns(_status(spec, year).alias("__status"))
    frame = frame.with_columns(
        pl.col("__status").struct.field("status").alias("status"),
        pl.col("__status").struct.field("reason").alias("reason"),
    ).drop("__status")
    frame = _incomplete(spec, frame)
    benchmarks: dict[str, dict[str, float]] = {}
    averages: dict[str, dict[str, float]] = {}
    scored: list[pl.DataFrame] = []
    details: dict[int, dict[str, dict[str, float | None]]] = {}
    for group in spec.groups:
        mine = frame.filter(pl.col("group") == group.key)
        rated = mine.filter(pl.col("status") == "rated")
        averages[group.key] = _averages(group, rated)
        benchmarks[group.key] = _benchmarks(group, rated, averages[group.key], previous_averages)
        for status, classify in (("rated", True), ("rented", False)):
            part = mine.filter(pl.col("status") == status)
            if part.height:
                result = _run(spec, group, benchmarks[group.key], part, classify)
                scored.append(result[0])
                details.update(result[1])
    columns = ["enterprise_id", "score", "rank", "size", "grade"]
    scores = pl.concat(scored, how="diagonal") if scored else pl.DataFrame(
        schema={"enterprise_id": pl.Int64, "score": pl.Float64, "rank": pl.Int64,
                "size": pl.Int64, "grade": pl.String}
    )  # fmt: skip
    rows = frame.join(scores.select(columns), on="enterprise_id", how="left")
    rows = rows.with_columns(
        pl.when(pl.col("status") == "T")
        .then(pl.lit("T"))
        .otherwise(pl.col("grade"))
        .alias("grade"),
        (
            pl.col("status").is_in(["rated", "rented", "incomplete"])
            & (pl.col("tax_per_mu") < spec.scope.low_tax_per_mu)
        ).fill_null(False).alias("low"),
    )  # fmt: skip
    head = ["enterprise_id", "name", "group", "status", "reason", "score", "rank", "size"]
    rows = rows.select(*head, "grade", "low", *keys).sort("enterprise_id")
    return Evaluation(rows, benchmarks, averages, details)


def _check(spec: LanduseSpec, firms: pl.DataFrame) -> None:
    needed = [*FIRM_COLUMNS, *spec.inputs(), *(f"tag_{b.tag}" for b in spec.bonus)]
    missing = [c for c in needed if c not in firms.columns]
    if missing:
        raise InvalidInput(f"企业数据缺少这些列：{'、'.join(missing)}", field="firms")
    for column in spec.inputs():
        dtype = firms.schema[column]
        if not (dtype.is_numeric() or dtype == pl.Null):
            raise InvalidInput(f"“{column}”列应为数字，实际为 {dtype}", field=column)
    ids = firms["enterprise_id"]
    if ids.null_count() or ids.n_unique() != ids.len():
        raise InvalidInput("企业编号（enterprise_id）不能为空或重复", field="enterprise_id")


def _group() -> pl.Expr:
    return (
        pl.when(pl.col("guishang").fill_null(False))
        .then(pl.lit("above"))
        .otherwise(pl.lit("below"))
    )


def _bonus(spec: LanduseSpec) -> pl.Expr:
    points: pl.Expr = pl.lit(0.0)
    for bonus in spec.bonus:
        points = points + pl.when(pl.col(f"tag_{bonus.tag}").fill_null(False)).then(
            pl.lit(bonus.points)
        ).otherwise(pl.lit(0.0))
    return points


def _status(spec: LanduseSpec, year: int) -> pl.Expr:
    """(status, reason): the first that applies of T, rented, out; rated otherwise."""
    scope = spec.scope
    year_end = dt.date(year, 12, 31)
    young_after = dt.date(year - scope.min_age_years, 12, 31)
    groups = [g.key for g in spec.groups]
    land = pl.col("land_area")
    rules: list[tuple[pl.Expr, str, str]] = [
        (~pl.col("group").is_in(groups), "out", "本方案不评价这一类企业"),
        (pl.col("section").is_null(), "out", "行业分类未填报，无法确定是否为工业企业"),
        (
            ~pl.col("section").is_in(scope.sections),
            "out",
            f"不属于参评行业门类（{'、'.join(scope.sections)}）",
        ),
        (
            pl.col("section").is_in(scope.exempt_sections).fill_null(False),
            "T",
            f"公用事业（行业门类 {'、'.join(scope.exempt_sections)}）不定等级",
        ),
        (
            (pl.col("founded_on") > young_after).fill_null(False)
            & (pl.col("founded_on") <= year_end).fill_null(False),
            "T",
            f"成立不满 {scope.min_age_years} 年，不定等级",
        ),
        (pl.col("building").fill_null(False), "T", "重大项目在建，不定等级"),
        (pl.col("rented").fill_null(False), "rented", "租用土地，另列"),
        (
            # unknown land is not "too little": such a firm is incomplete, with what is missing
            ((pl.col("group") == "below") & (land < scope.below_min_land)).fill_null(False),
            "out",
            f"规下企业自有用地不足 {scope.below_min_land:g} 亩",
        ),
    ]
    expr: Any = pl.struct(status=pl.lit("rated"), reason=pl.lit(None, pl.String))
    for condition, status, reason in reversed(rules):
        expr = (
            pl.when(condition)
            .then(pl.struct(status=pl.lit(status), reason=pl.lit(reason)))
            .otherwise(expr)
        )
    return expr  # type: ignore[no-any-return]


def _incomplete(spec: LanduseSpec, frame: pl.DataFrame) -> pl.DataFrame:
    """Rated and rented firms with zero or unknown land, or an item they must have, become
    incomplete, with the reason; nothing is divided by zero."""
    names = catalogue.names()
    known = catalogue.formulas()
    reasons: list[pl.Expr] = []
    land = pl.col("land_area")
    reasons.append(
        pl.when(land.is_null()).then(pl.lit("用地面积未填报，无法计算亩均指标"))
        .when(land <= 0).then(pl.lit("用地面积为 0，无法计算亩均指标"))
    )  # fmt: skip
    land_ok = land.is_not_null() & (land > 0)
    for group in spec.groups:
        for item in group.items:
            if item.missing == "average":
                continue
            formula = known[item.key]
            numerator, denominator = pl.col(formula.numerator), pl.col(formula.denominator)
            label = item.name or names[item.key]
            lacking = pl.concat_str(
                [
                    pl.when(pl.col(n).is_null()).then(pl.lit(names.get(n, n)))
                    for n in (formula.numerator, formula.denominator)
                ],
                separator="、",
                ignore_nulls=True,
            )
            zero = f"{names.get(formula.denominator, formula.denominator)}为 0（{label}）"
            mine = (pl.col("group") == group.key) & pl.col(item.key).is_null()
            if formula.denominator == "land_area":
                mine = mine & land_ok  # the land reason above says it already
            reasons.append(
                pl.when(mine & (numerator.is_null() | denominator.is_null()))
                .then(pl.format("缺少{}（{}）", lacking, pl.lit(label)))
                .when(mine)
                .then(pl.lit(zero))
            )
    reason = pl.concat_str(reasons, separator="；", ignore_nulls=True)
    open_ = pl.col("status").is_in(["rated", "rented"])
    flagged = frame.with_columns(reason.alias("__why"))
    return flagged.with_columns(
        pl.when(open_ & (pl.col("__why") != ""))
        .then(pl.lit("incomplete"))
        .otherwise(pl.col("status"))
        .alias("status"),
        pl.when(open_ & (pl.col("__why") != ""))
        .then(pl.col("__why"))
        .otherwise(pl.col("reason"))
        .alias("reason"),
    ).drop("__why")


def _averages(group: Group, rated: pl.DataFrame) -> dict[str, float]:
    """Each item's Σ numerator / Σ denominator over the rated firms that have both."""
    known = catalogue.formulas()
    out = {}
    for item in group.items:
        formula = known[item.key]
        both = rated.filter(
            pl.col(formula.numerator).is_not_null()
            & pl.col(formula.denominator).is_not_null()
            & (pl.col(formula.denominator) > 0)
        )
        denominator = float(both[formula.denominator].cast(pl.Float64).sum())
        if both.height and denominator:
            out[item.key] = float(both[formula.numerator].cast(pl.Float64).sum()) / denominator
    return out


def _benchmarks(
    group: Group,
    rated: pl.DataFrame,
    averages: dict[str, float],
    previous: dict[str, dict[str, float]] | None,
) -> dict[str, float]:
    out = {}
    for item in group.items:
        benchmark = item.benchmark
        value: float | None
        if isinstance(benchmark, float | int):
            value = float(benchmark)
        elif isinstance(benchmark, PreviousAverage):
            last = (previous or {}).get(group.key, {}).get(item.key)
            value = None if last is None else last * benchmark.previous_average
            if value is None:
                raise InvalidInput(
                    f"{group.label}“{item.key}”的基准值按上年平均值计算，但没有上年的评价结果"
                )
        elif benchmark == "average":
            value = averages.get(item.key)
        else:
            mean = rated[item.key].mean()
            value = float(mean) if isinstance(mean, int | float) else None
        if value is None or value <= 0:
            raise InvalidInput(
                f"{group.label}“{item.key}”的基准值无法由参评企业算出"
                "（没有参评企业，或平均值不大于 0）"
            )
        out[item.key] = value
    return out


def _run(
    spec: LanduseSpec,
    group: Group,
    benchmarks: dict[str, float],
    part: pl.DataFrame,
    classify: bool,
) -> tuple[pl.DataFrame, dict[int, dict[str, dict[str, float | None]]]]:
    model = index_spec(spec, group, benchmarks, classify=classify)
    keys = [i.key for i in group.items]
    data = part.select("enterprise_id", *keys, *(["bonus"] if spec.bonus else []))
    result = pipeline.run(model, data)
    scores = result.scores.select(
        "enterprise_id",
        pl.col("total").alias("score"),
        *(
            [pl.col("rank_total").alias("rank"), pl.col("band_total").alias("grade"),
             pl.lit(part.height, pl.Int64).alias("size")]
            if classify else []
        ),
    )  # fmt: skip
    details: dict[int, dict[str, dict[str, float | None]]] = {}
    raw = result.treated.rows_by_key("enterprise_id", named=True, unique=True)  # after imputing
    ratios = result.normalised.rows_by_key("enterprise_id", named=True, unique=True)
    imputed = result.imputed.rows_by_key("enterprise_id", named=True, unique=True)
    for firm, ratio in ratios.items():
        details[int(firm)] = {
            item.key: {
                "value": raw[firm][item.key],
                "benchmark": benchmarks[item.key],
                "ratio": ratio[item.key],
                "points": None if ratio[item.key] is None else ratio[item.key] * item.weight,
                "weight": item.weight,
                "averaged": 1.0 if imputed[firm][item.key] else 0.0,
                "limited": _limited(item, raw[firm][item.key], benchmarks[item.key]),
            }
            for item in group.items
        }
        if spec.bonus:
            details[int(firm)]["bonus"] = {"points": raw[firm]["bonus"]}
    return scores, details


def _limited(item: Item, value: float | None, benchmark: float) -> float:
    """1 when the item's cap held its ratio down, −1 when its floor held it up, 0 otherwise."""
    if value is None:
        return 0.0
    ratio = value / benchmark
    if item.ratio_cap is not None and ratio > item.ratio_cap:
        return 1.0
    if item.floor is not None and ratio < item.floor:
        return -1.0
    return 0.0


def to_next_class(
    spec: LanduseSpec, evaluation: Evaluation, enterprise_id: int
) -> dict[str, Any] | None:
    """The points a rated firm lacks to reach the next class up (the lowest score in it), and
    for each item how much its value alone would have to rise; None for the top class."""
    rows = evaluation.rows
    me = rows.filter(pl.col("enterprise_id") == enterprise_id)
    if not me.height or me["status"][0] != "rated":
        return None
    group, mine, score = me["group"][0], me["grade"][0], me["score"][0]
    labels = [b.label for b in spec.classes.bands]
    if mine not in labels or labels.index(mine) == 0:
        return None
    better = labels[labels.index(mine) - 1]
    peers = rows.filter((pl.col("group") == group) & (pl.col("grade") == better))
    target: float | None
    if spec.classes.by == "score":
        target = spec.classes.bands[labels.index(better)].min
    else:
        lowest = peers["score"].min() if peers.height else None
        target = float(lowest) if isinstance(lowest, int | float) else None
    if target is None:
        return None
    gap = max(0.0, target - float(score))
    found = spec.group(group)
    detail = evaluation.details.get(enterprise_id, {})
    routes: dict[str, float | None] = {}
    for item in found.items if found else []:
        line = detail.get(item.key, {})
        ratio, value = line.get("ratio"), line.get("value")
        cap = item.ratio_cap
        headroom = None if cap is None or ratio is None else (cap - ratio) * item.weight
        if value is None or (headroom is not None and headroom < gap):
            routes[item.key] = None  # this item alone cannot close the gap
        else:
            benchmark = evaluation.benchmarks[group][item.key]
            routes[item.key] = float(value) + gap / item.weight * benchmark
    return {"grade": better, "target": target, "gap": gap, "routes": routes}
