"""The checks of a facts import: values against the metric's type, unit and range, firms
against the registry (codes and names), duplicates within the file, combinations that cannot be
true, and each value against the one in use (sharp changes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core.errors import InvalidInput, RowProblem
from wulian.core.tabular import parse_numbers
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.facts import (
    current_values,
    period_problem,
)
from wulian.enterprises.importreport import (
    BAD_CODE,
    BAD_PERIOD,
    CONFLICT,
    IMPOSSIBLE_KIND,
    MAX_FLAGS,
    NOT_NUMBER,
    OTHER_NAME,
    OUT_OF_RANGE,
    SHARP_CHANGE,
    UNKNOWN_FIRM,
    Flag,
    ImportReport,
    shown_number,
)
from wulian.enterprises.models import Enterprise, FactSource, FactStatus
from wulian.enterprises.names import name_key
from wulian.reference import catalogue, units
from wulian.reference.aliases import Resolver
from wulian.reference.catalogue import ChangeBound
from wulian.reference.models import Metric

# Combinations that cannot be true in one firm's figures for one period: (part, whole, reason).
IMPOSSIBLE: tuple[tuple[str, str, str], ...] = (
    ("rd_expense", "revenue", "研发费用大于营业收入"),
    ("rd_expense_domestic", "rd_expense", "境内研发费用大于研发费用总额"),
    ("main_business_revenue", "revenue", "主营业务收入大于营业收入"),
    ("hightech_product_revenue", "revenue", "高新技术产品（服务）收入大于营业收入"),
    ("tech_staff", "staff_total", "科技人员数大于职工总数"),
    ("postgraduate_staff", "staff_total", "研究生以上学历人员数大于职工总数"),
    ("new_graduates_hired", "staff_total", "吸纳应届毕业生人数大于职工总数"),
    ("net_assets", "total_assets", "净资产大于资产总额"),
)


def problem_rows(frame: pl.DataFrame, column: str, kind: str, reason: pl.Expr) -> list[RowProblem]:
    rows = frame.select("row", pl.col(column).alias("column"), "raw", reason.alias("reason"))
    return [RowProblem(r, c, v, why, kind) for r, c, v, why in rows.iter_rows()]


def unit_factor(unit_name: str | None, metric: Metric) -> tuple[float | None, str]:
    """The factor from unit_name to the metric's unit, with a note for the mapping table."""
    if not unit_name:
        return 1.0, f"未注明单位，按 {metric.unit}"
    try:
        factor = units.factor(unit_name, metric.unit)
    except InvalidInput as error:
        return None, error.message
    return factor, "" if factor == 1 else f"由 {unit_name} 换算为 {metric.unit}"


def check_values(
    long: pl.DataFrame, resolver: Resolver, report: ImportReport, as_of: dt.date
) -> pl.DataFrame:
    """Numbers, units, ranges, periods; empty cells are unknown and are dropped, not errors.

    Only numbers are joined onto the long frame; the metric's name and unit are looked up for
    the cells that have a problem."""
    catalogue = resolver.catalogue
    limits = pl.DataFrame(
        [
            (m.key, m.min_value, m.max_value, m.value_type == "integer", m.unit == "比例", m.period)
            for m in catalogue.values()
        ],
        schema={
            "metric_key": pl.Categorical,
            "min": pl.Float64,
            "max": pl.Float64,
            "integer": pl.Boolean,
            "ratio": pl.Boolean,
            "monthly": pl.String,
        },
        orient="row",
    ).with_columns(pl.col("monthly") == "month")
    number, is_empty, is_percent = parse_numbers(pl.col("raw"))
    long = long.with_columns(number.alias("number"), is_empty.alias("empty"))
    report.missing_values = int(long["empty"].sum())
    long = long.filter(~pl.col("empty")).drop("empty")
    long = long.with_columns(is_percent.alias("percent")).join(
        limits, on="metric_key", how="left", maintain_order="left"
    )
    value = (
        pl.when(pl.col("percent") & pl.col("ratio"))
        .then(pl.col("number") * 0.01)
        .when(pl.col("percent"))
        .then(None)  # 12% of 万元 means nothing
        .otherwise(pl.col("number") * pl.col("factor"))
    )
    long = long.with_columns(value.alias("value")).drop("factor")
    invalid = pl.col("value").is_null() | pl.col("value").is_infinite()
    reason = (
        pl.when(pl.col("percent") & pl.col("number").is_not_null())
        .then(pl.lit("百分数只能用于比例类指标"))
        .otherwise(pl.lit("应填数字，如 1234.5、1,234.5 或 12%（比例类指标）"))
    )
    report.add(problem_rows(long.filter(invalid), "column", NOT_NUMBER, reason))
    long = long.filter(~invalid).drop("number", "percent", "ratio")

    stated = [p for p in long["period"].unique().cast(pl.String).to_list() if p]
    years = [p for p in stated if not period_problem("year", p, as_of)]
    months = [p for p in stated if not period_problem("month", p, as_of)]
    period_ok = (
        pl.when(pl.col("monthly"))
        .then(pl.col("period").is_in(months))
        .otherwise(pl.col("period").is_in(years))
        .fill_null(False)
    )
    long = long.with_columns(period_ok.alias("period_ok"))
    bad_period = long.filter(~pl.col("period_ok"))
    report.add(
        RowProblem(
            r, c, p, period_problem("month" if m else "year", p or "", as_of) or "", BAD_PERIOD
        )
        for r, c, p, m in bad_period.select("row", "column", "period", "monthly").iter_rows()
    )
    long = long.filter(pl.col("period_ok")).drop("period_ok", "monthly")

    low = pl.col("value") < pl.col("min")
    high = pl.col("value") > pl.col("max")
    fraction = pl.col("integer") & ((pl.col("value") - pl.col("value").round(0)).abs() > 1e-9)
    wrong = (low | high | fraction).fill_null(False)
    out = long.filter(wrong)
    for r, c, k, v, raw in out.select("row", "column", "metric_key", "value", "raw").iter_rows():
        metric = catalogue[k]
        if metric.min_value is not None and v < metric.min_value:
            bound = f"不能小于 {metric.min_value:g} {metric.unit}"
        elif metric.max_value is not None and v > metric.max_value:
            bound = f"不能大于 {metric.max_value:g} {metric.unit}"
        else:
            bound = "应为整数"
        report.add([RowProblem(r, c, raw, f"“{metric.name}”{bound}", OUT_OF_RANGE)])
    return long.filter(~wrong).drop("min", "max", "integer")


def attach_firms(
    session: Session, firms: pl.DataFrame, report: ImportReport, *, create_firms: bool
) -> pl.DataFrame:
    """The firm of every spreadsheet row: its enterprise_id by credit code, else by the exact
    (folded) name; `firm` is the enterprise_id, or for a firm not registered yet a negative
    number per credit code (or folded name), so that its rows can be compared."""
    registry = session.execute(sa.select(Enterprise.uscc, Enterprise.id, Enterprise.name_key)).all()
    by_code = {c: i for c, i, _ in registry if c}
    names = registered_names(session, firms)
    codes: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    for code in firms["uscc"].unique().to_list():
        if not code:
            continue
        if code in by_code:  # registered codes were checked when they were registered
            codes[code] = code
            continue
        try:
            codes[code] = uscc_check.normalise(code)
        except InvalidInput as error:
            codes[code] = None
            reasons[code] = error.message
    by_name: dict[str, int | None] = {}
    for _, i, key in registry:
        by_name[key] = None if key in by_name else i  # ambiguous names match nothing
    firms = firms.with_columns(
        pl.col("uscc").replace_strict(codes, default=None, return_dtype=pl.String).alias("code"),
        pl.col("name")
        .replace_strict({n: name_key(n) for n in firms["name"].unique()}, return_dtype=pl.String)
        .alias("name_key"),
    )
    code_ids = pl.col("code").replace_strict(by_code, default=None, return_dtype=pl.Int64)
    name_ids = pl.col("name_key").replace_strict(by_name, default=None, return_dtype=pl.Int64)
    firms = firms.with_columns(
        pl.when(pl.col("uscc") != "").then(code_ids).otherwise(name_ids).alias("enterprise_id")
    )
    bad = (pl.col("uscc") != "") & pl.col("code").is_null()
    rows = firms.filter(bad).select("row", "uscc").sort("row").iter_rows()
    report.add(
        RowProblem(r, "统一社会信用代码", c, reasons.get(c, "无效"), BAD_CODE) for r, c in rows
    )
    unknown = firms.filter(pl.col("enterprise_id").is_null() & ~bad)
    if create_firms:  # a new firm needs both a valid code and a name
        unknown = unknown.filter(pl.col("code").is_null() | (pl.col("name") == ""))
    for r, code, name in unknown.select("row", "uscc", "name").sort("row").iter_rows():
        if create_firms:
            reason = "新企业须同时给出有效的统一社会信用代码和企业名称"
        elif code:
            reason = "未登记的企业（可先导入企业名录，或导入时选择自动登记新企业）"
        else:
            reason = "按名称找不到唯一对应的已登记企业；请填写统一社会信用代码"
        column = "统一社会信用代码" if code else "企业名称"
        report.add([RowProblem(r, column, code or name, reason, UNKNOWN_FIRM)])
    unregistered = pl.coalesce(pl.col("code"), pl.col("name_key")).rank("dense").cast(pl.Int64)
    firms = firms.with_columns(
        pl.coalesce(pl.col("enterprise_id"), -unregistered).alias("firm"),
        pl.coalesce(
            pl.col("enterprise_id").replace_strict(
                {i: n for i, (n, _) in names.items()}, default=None, return_dtype=pl.String
            ),
            pl.col("name"),
        ).alias("firm_name"),
    )
    check_names(firms, names, report)
    return firms


def registered_names(session: Session, firms: pl.DataFrame) -> dict[int, tuple[str, set[str]]]:
    """enterprise_id → (name, folded name and former names) of the firms the rows' codes name."""
    codes = [c for c in firms["uscc"].unique().to_list() if c]
    out: dict[int, tuple[str, set[str]]] = {}
    for start in range(0, len(codes), 10_000):
        rows = session.execute(
            sa.select(
                Enterprise.id, Enterprise.name, Enterprise.name_key, Enterprise.former_names
            ).where(Enterprise.uscc.in_(codes[start : start + 10_000]))
        ).all()
        for i, name, key, former in rows:
            out[i] = (name, {key, *(name_key(f) for f in former or [])})
    return out


def check_names(
    firms: pl.DataFrame, names: dict[int, tuple[str, set[str]]], report: ImportReport
) -> None:
    """A row whose credit code is registered under another name (not a former one) is flagged:
    the code may be mistyped, and the values would land on another firm."""
    by_code = firms.filter(
        pl.col("enterprise_id").is_not_null() & (pl.col("uscc") != "") & (pl.col("name") != "")
    )
    flags = []
    for row, code, name, key, firm in by_code.select(
        "row", "uscc", "name", "name_key", "enterprise_id"
    ).iter_rows():
        registered, known = names[firm]
        if key in known:
            continue
        flags.append(
            Flag(
                row=row,
                kind=OTHER_NAME,
                firm=registered,
                code=code,
                column="企业名称",
                reason=f"统一社会信用代码 {code} 登记的企业是“{registered}”，文件中写的是"
                f"“{name}”（也不是它的曾用名）；请核对代码是否填错",
            )
        )
    report.flag(flags)


def check_conflicts(long: pl.DataFrame, report: ImportReport) -> pl.DataFrame:
    """The same firm, metric and period twice: fine when the values agree, a problem when not."""
    # One integer per (firm, metric, period): hashing it takes a fraction of the memory that
    # hashing the three columns together does on a two-million-row frame.
    metric = pl.col("metric_key").to_physical().rank("dense").cast(pl.Int64) - 1
    period = pl.col("period").to_physical().rank("dense").cast(pl.Int64) - 1
    metrics = long["metric_key"].n_unique()
    periods = long["period"].n_unique()
    key = (pl.col("firm") * metrics + metric) * periods + period
    long = long.with_columns(key.alias("key"))
    repeated = long["key"].is_duplicated()
    if not repeated.any():
        return long.drop("key")
    twice = long.filter(repeated)
    groups = twice.group_by("key").agg(
        pl.col("value").n_unique().alias("values"), pl.col("row").sort().alias("rows")
    )
    clashes = groups.filter(pl.col("values") > 1)
    if clashes.height:
        clashing = twice.join(clashes.select("key", "rows"), on="key", how="inner")
        report.add(
            RowProblem(
                r,
                c,
                v,
                "同一企业、指标和期间在第 " + "、".join(str(x) for x in rows) + " 行的值不一致",
                CONFLICT,
            )
            for r, c, v, rows in clashing.select("row", "column", "raw", "rows").iter_rows()
        )
    return long.unique(subset="key", keep="first", maintain_order=True).drop("key")


def check_combinations(long: pl.DataFrame, report: ImportReport) -> None:
    wanted = {k for pair in IMPOSSIBLE for k in pair[:2]}
    relevant = long.filter(pl.col("metric_key").is_in(list(wanted)))
    for part, whole, reason in IMPOSSIBLE:
        left = relevant.filter(pl.col("metric_key") == part).select(
            "firm", "period", "row", "column", "raw", pl.col("value").alias("part")
        )
        right = relevant.filter(pl.col("metric_key") == whole).select(
            "firm", "period", pl.col("value").alias("whole"), pl.col("row").alias("whole_row")
        )
        wrong = left.join(right, on=["firm", "period"]).filter(pl.col("part") > pl.col("whole"))
        report.add(
            RowProblem(r, c, v, f"{reason}（第 {w} 行）" if w != r else reason, IMPOSSIBLE_KIND)
            for r, c, v, w in wrong.select("row", "column", "raw", "whole_row").iter_rows()
        )


def compare(
    session: Session,
    long: pl.DataFrame,
    firms: pl.DataFrame,
    resolver: Resolver,
    source_id: int,
    bounds: Mapping[str, ChangeBound],
    report: ImportReport,
) -> pl.DataFrame:
    """Each clean value beside what the store holds: the value in use (`old_value`, its rank)
    and the current values of the importing source (`ver_value` verified; `rep_id`, `rep_value`
    reported). A value that moved from the value in use beyond its metric's bound is flagged.

    Returns row, firm, metric_id, period, value and those columns, for `_write_facts`."""
    metric_ids = dict(session.execute(sa.select(Metric.key, Metric.id)).all())
    # Metric and period stay categorical on the (possibly two-million-row) frame.
    frame = long.select(
        "row",
        "column",
        "firm",
        "metric_key",
        "period",
        "value",
        pl.col("metric_key")
        .cast(pl.String)
        .replace_strict(metric_ids, return_dtype=pl.Int64)
        .alias("metric_id"),
    )
    periods = [p for p in frame["period"].cast(pl.String).unique().to_list() if p is not None]
    schema = {
        "old_value": pl.Float64,
        "old_rank": pl.Int64,
        "old_source": pl.Int64,
        "old_verified": pl.Boolean,
        "ver_value": pl.Float64,
        "rep_id": pl.Int64,
        "rep_value": pl.Float64,
    }
    registered = frame.filter(pl.col("firm") > 0)
    if not registered.height:
        return frame.with_columns(pl.lit(None, t).alias(c) for c, t in schema.items()).drop(
            "column", "metric_key"
        )
    current = current_values(
        session, metric_ids=registered["metric_id"].unique().to_list(), periods=periods
    )
    # Joined on one integer per (firm, metric, period): a join on the three columns (one of them
    # text) takes several times the memory on millions of rows.
    period_index = {p: i for i, p in enumerate(periods)}
    width = max(metric_ids.values(), default=0) + 1

    def key(of: pl.Expr) -> pl.Expr:
        position = (
            pl.col("period").cast(pl.String).replace_strict(period_index, return_dtype=pl.Int64)
        )
        return ((of * width + pl.col("metric_id")) * len(periods) + position).alias("key")

    current = current.select(
        key(pl.col("enterprise_id")),
        "source_id",
        (pl.col("status") == FactStatus.VERIFIED.value).alias("verified"),
        "value",
        "fact_id",
        "rank",
    )
    chosen = (
        current.sort(["key", "rank", "fact_id"], descending=[False, False, True])
        .unique("key", keep="first")
        .select(
            "key",
            pl.col("value").alias("old_value"),
            pl.col("rank").alias("old_rank"),
            pl.col("source_id").alias("old_source"),
            pl.col("verified").alias("old_verified"),
        )
    )
    own = current.filter(pl.col("source_id") == source_id)
    verified = own.filter(pl.col("verified"))
    verified = verified.group_by("key").agg(pl.col("value").first().alias("ver_value"))
    reported = (
        own.filter(~pl.col("verified"))
        .sort("fact_id", descending=True)
        .group_by("key")
        .agg(pl.col("fact_id").first().alias("rep_id"), pl.col("value").first().alias("rep_value"))
    )
    del current, own
    frame = (
        frame.with_columns(key(pl.col("firm")))
        .join(chosen, on="key", how="left")
        .join(verified, on="key", how="left")
        .join(reported, on="key", how="left")
        .drop("key")
    )
    flag_sharp_changes(session, frame, firms, resolver, bounds, report)
    return frame.drop("column", "metric_key")


def flag_sharp_changes(
    session: Session,
    frame: pl.DataFrame,
    firms: pl.DataFrame,
    resolver: Resolver,
    bounds: Mapping[str, ChangeBound],
    report: ImportReport,
) -> None:
    def bound(name: str) -> pl.Expr:
        values = {k: getattr(b, name) for k, b in bounds.items()}
        values = {k: None if v is None else float(v) for k, v in values.items()}
        return (
            pl.col("metric_key")
            .cast(pl.String)
            .replace_strict(values, default=None, return_dtype=pl.Float64)
        )

    unchanged = (pl.col("value") == pl.col("ver_value")) | (pl.col("value") == pl.col("rep_value"))
    moved = catalogue.sharp(
        pl.col("old_value"), pl.col("value"), bound("ratio"), bound("jump"), bound("floor")
    )
    known = pl.col("metric_key").cast(pl.String).is_in(list(bounds))
    candidates = pl.col("old_value").is_not_null() & ~unchanged.fill_null(False) & known
    sharp = frame.filter(candidates & moved)
    if not sharp.height:
        return
    sharp = sharp.sort("row", "column").join(
        firms.select("row", "uscc", "firm_name"), on="row", how="left"
    )
    report.flag_count += sharp.height
    report.flag_counts[SHARP_CHANGE] += sharp.height
    report.flagged_rows.update(sharp["row"].unique().to_list())
    room = MAX_FLAGS - len(report.flags)
    if room <= 0:
        return
    sources = dict(session.execute(sa.select(FactSource.id, FactSource.name)).all())
    catalogue_rows = resolver.catalogue
    for row, column, key, old, new, source, verified, code, name in sharp.head(room).select(
        "row", "column", "metric_key", "old_value", "value", "old_source", "old_verified",
        "uscc", "firm_name",
    ).iter_rows():  # fmt: skip
        metric = catalogue_rows[key]
        checked = "已核实" if verified else "已报送"
        item = Flag(
            row=row,
            kind=SHARP_CHANGE,
            firm=name or "",
            code=code or "",
            column=str(column),
            metric=metric.name,
            unit=metric.unit,
            old=old,
            new=new,
            old_source=f"{sources.get(source, '')}（{checked}）",
            reason="",
        )
        limit = bounds[key].describe(metric.unit)
        reason = (
            f"“{metric.name}”现行值 {shown_number(old)}，新值 {shown_number(new)} {metric.unit}"
            f"（{item.change}），超出界限：{limit}；请核对单位和数值，确认无误后勾选此行"
        )
        report.flags.append(dataclasses.replace(item, reason=reason))
