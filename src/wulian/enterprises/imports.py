"""Data import: spreadsheets from tax, statistics, market-regulation and science systems → facts
and the registry.

Every cell is checked; the result is an `ImportReport` with each problem's row, column, value and
reason in Chinese. By default a file with any problem writes nothing (all-or-nothing); `partial`
writes the rows without problems and reports the rest; `dry_run` only checks. Importing the same
file again changes nothing: a value equal to the current value of the same source is skipped.

Each value is also compared with the value in use for its firm, metric and period: a move beyond
the metric's bound (`reference.catalogue.ChangeBound`) is a warning with the old and new values,
and so is a credit code registered under another name. Warned rows are written only when the
officer confirms them; until then the whole file is refused (with `partial`, those rows are
skipped). A value never displaces a verified value of its own source or a value of a more
trusted source: it is stored beside it, and evaluations keep using the trusted one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, calendar, xlsx
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput, PermissionDenied, RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import Table, parse_numbers, read_table
from wulian.enterprises import facts
from wulian.enterprises import uscc as uscc_check
from wulian.enterprises.facts import (
    PERIOD_PATTERNS,
    current_values,
    period_problem,
    source_or_raise,
)
from wulian.enterprises.models import Enterprise, Fact, FactSource, FactStatus
from wulian.enterprises.names import clean_name, name_key
from wulian.reference import catalogue, units
from wulian.reference.aliases import Resolver
from wulian.reference.catalogue import ChangeBound
from wulian.reference.models import Metric

MAX_PROBLEMS = 100_000  # a report lists at most this many problems (the counts stay exact)
MAX_FLAGS = 100_000  # and at most this many warnings
PREVIEW_ROWS = 10

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

# Problem kinds, in the order a report lists their counts.
BAD_CODE = "代码无效"
UNKNOWN_FIRM = "未登记企业"
UNKNOWN_HEADER = "未知表头"
NOT_NUMBER = "不是数字"
OUT_OF_RANGE = "超出范围"
IMPOSSIBLE_KIND = "数据矛盾"
CONFLICT = "重复且不一致"
BAD_PERIOD = "期间有误"
BAD_UNIT = "单位有误"
MISSING = "缺少必填项"
BAD_VALUE = "取值有误"

# Warning kinds: written only when the officer confirms the row.
SHARP_CHANGE = "大幅变动"
OTHER_NAME = "名称不符"


@dataclass(frozen=True)
class Flag:
    """A value that may be right but must be confirmed: a sharp change or another firm's name."""

    row: int
    kind: str
    firm: str  # the registered name (else the name in the file)
    code: str
    column: str
    reason: str
    metric: str = ""  # the metric's Chinese name (sharp changes)
    unit: str = ""
    old: float | None = None
    new: float | None = None
    old_source: str = ""  # where the value in use came from, and whether it is verified

    @property
    def change(self) -> str:
        """The change as a Chinese percentage (or 由 0 起) for the report."""
        if self.old is None or self.new is None:
            return ""
        if self.old == 0:
            return "原值为 0"
        return f"{(self.new - self.old) / abs(self.old) * 100:+.1f}%"


@dataclass(frozen=True)
class Column:
    header: str
    target: str  # what the platform took it for, in Chinese
    unit: str | None
    note: str = ""


@dataclass
class ImportReport:
    """What an import found and did."""

    filename: str
    kind: str  # "facts" or "enterprises"
    layout: str = ""  # "wide" or "long" (facts)
    sheet: str | None = None
    encoding: str | None = None
    header_row: int = 1
    columns: list[Column] = field(default_factory=list)
    rows_total: int = 0
    rows_rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    problem_count: int = 0
    kind_counts: Counter[str] = field(default_factory=Counter)  # exact, however many are listed
    bad_rows: set[int] = field(default_factory=set)  # every row with a problem
    flags: list[Flag] = field(default_factory=list)
    flag_count: int = 0
    flag_counts: Counter[str] = field(default_factory=Counter)
    flagged_rows: set[int] = field(default_factory=set)
    confirmed_rows: set[int] = field(default_factory=set)  # flagged rows the officer confirmed
    row_names: dict[int, str] = field(default_factory=dict)  # firm of a listed row
    preview: list[dict[str, str]] = field(default_factory=list)
    mode: str = "all"  # all | partial | dry-run
    committed: bool = False
    added: int = 0
    superseded: int = 0
    beside: int = 0  # written beside a verified or more trusted value, which stays in use
    unchanged: int = 0
    missing_values: int = 0
    created: int = 0
    updated: int = 0

    def add(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            self.problem_count += 1
            self.kind_counts[problem.kind or BAD_VALUE] += 1
            if problem.row is not None and problem.row != self.header_row:
                self.bad_rows.add(problem.row)
            if len(self.problems) < MAX_PROBLEMS:
                self.problems.append(problem)
        self.rows_rejected = len(self.bad_rows)

    def flag(self, flags: Iterable[Flag]) -> None:
        for item in flags:
            self.flag_count += 1
            self.flag_counts[item.kind] += 1
            self.flagged_rows.add(item.row)
            if len(self.flags) < MAX_FLAGS:
                self.flags.append(item)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def capped(self) -> bool:
        """Whether the problem list stops short of the count (the counts are exact)."""
        return len(self.problems) < self.problem_count

    @property
    def flags_capped(self) -> bool:
        return len(self.flags) < self.flag_count

    @property
    def unconfirmed_rows(self) -> set[int]:
        """Flagged rows without problems that the officer has not confirmed."""
        return self.flagged_rows - self.confirmed_rows - self.bad_rows

    def counts_by_kind(self) -> list[tuple[str, int]]:
        """Problems by kind, exact (they add up to `problem_count`)."""
        return self.kind_counts.most_common()

    def flags_by_kind(self) -> list[tuple[str, int]]:
        return self.flag_counts.most_common()

    def summary(self) -> str:
        """One Chinese sentence for the CLI, the page and the audit trail."""
        head = f"{self.filename}：{self.rows_total} 行"
        if self.problem_count:
            head += f"，发现 {self.problem_count} 处问题（涉及 {self.rows_rejected} 行）"
        if self.flag_count:
            rows = len(self.flagged_rows)
            waiting = len(self.unconfirmed_rows)
            head += f"，{self.flag_count} 处警告（涉及 {rows} 行，其中 {waiting} 行待确认）"
        if not self.committed:
            if self.mode == "dry-run":
                reason = "仅检查，尚未写入"
            elif self.problem_count and self.mode != "partial":
                reason = "有问题，未写入任何数据"
            else:
                reason = "有警告的行尚未确认，未写入任何数据"
            return f"{head}；{reason}"
        if self.kind == "facts":
            done = f"新增 {self.added} 条，更新 {self.superseded} 条，未变 {self.unchanged} 条"
            if self.beside:
                done += f"，{self.beside} 条存于已核实或更可信的值旁（评价仍用原值）"
            if self.created:
                done += f"，新登记企业 {self.created} 家"
        else:
            done = f"新登记 {self.created} 家，更新 {self.updated} 家，未变 {self.unchanged} 家"
        skipped = []
        if self.problem_count:
            skipped.append("有问题的行已跳过")
        if self.unconfirmed_rows:
            skipped.append(f"未确认警告的 {len(self.unconfirmed_rows)} 行已跳过")
        tail = "；" + "，".join(skipped) if skipped else ""
        return f"{head}；已写入：{done}{tail}"

    def capped_note(self) -> str:
        """Says so when the lists hold fewer entries than the counts."""
        notes = []
        if self.capped:
            notes.append(f"问题清单只列出前 {len(self.problems)} 处（共 {self.problem_count} 处）")
        if self.flags_capped:
            notes.append(f"警告清单只列出前 {len(self.flags)} 处（共 {self.flag_count} 处）")
        return "；".join(notes)


def start_report(
    table: Table, filename: str, kind: str, *, partial: bool, dry_run: bool
) -> ImportReport:
    """The report of an import of table, before any checks."""
    return ImportReport(
        filename=filename,
        kind=kind,
        sheet=table.sheet,
        encoding=table.encoding,
        header_row=table.header_row,
        rows_total=table.frame.height,
        mode="dry-run" if dry_run else "partial" if partial else "all",
        preview=table.frame.head(PREVIEW_ROWS).to_dicts(),
    )


def unknown_header(resolver: Resolver, table: Table, header: str) -> RowProblem:
    """The problem of a header the platform does not know, with the closest known name."""
    reason = "不认识这个表头；管理员可在“系统管理 → 表头别名”中添加"
    hint = resolver.suggest(header)
    if hint:
        reason += f"（是否指“{hint}”？）"
    return RowProblem(table.header_row, header, None, reason, UNKNOWN_HEADER)


# ---------------------------------------------------------------- numbers


# ---------------------------------------------------------------- facts


FACT_FIELDS = ("uscc", "name", "period", "metric", "value", "unit")
FACT_KEY = ("firm", "metric_key", "period")


def import_facts(
    session: Session,
    *,
    actor: Actor,
    data: bytes,
    filename: str,
    period: str | None = None,
    source: str = "officer",
    as_of: dt.date | None = None,
    partial: bool = False,
    dry_run: bool = False,
    create_firms: bool = False,
    confirm_rows: Collection[int] = (),
    confirm_all: bool = False,
    bounds: Mapping[str, ChangeBound] | None = None,
) -> ImportReport:
    """Check a facts file and, unless told otherwise or it has problems, write its values.

    Rows with warnings (a sharp change, a code registered under another name) are written only
    when confirmed: listed in confirm_rows, or all of them with confirm_all. bounds: metric key
    → its bound on sharp changes (default: the catalogue's)."""
    actor.require(Permission.FACTS_WRITE)
    if actor.enterprise_id is not None:
        raise PermissionDenied("企业用户请在“我的企业”页面填报本企业数据")
    if create_firms:
        actor.require(Permission.ENTERPRISES_WRITE)
    source_row = source_or_raise(session, source)
    as_of = as_of or calendar.today()
    if period is not None and not any(p.match(period) for p in PERIOD_PATTERNS.values()):
        raise InvalidInput("期间应为 YYYY（如 2024）或 YYYY-MM", field="period", value=period)
    resolver = Resolver(session, fields=FACT_FIELDS, metrics=True)
    table = read_table(data, filename, is_header=resolver.is_header)
    report = start_report(table, filename, "facts", partial=partial, dry_run=dry_run)
    shaped = _facts_long(table, resolver, report, period)
    if shaped is None:
        return report
    firms, long = shaped
    firms = _attach_firms(session, firms, report, create_firms=create_firms)
    long = long.join(firms.select("row", "firm"), on="row", maintain_order="left")
    long = _check_values(long, resolver, report, as_of)
    long = _check_conflicts(long, report)
    _check_combinations(long, report)
    if report.bad_rows:
        long = long.filter(~pl.col("row").is_in(list(report.bad_rows)))
    if not dry_run:
        facts.lock_source(session, source_row.id)  # compare with what is current once it is ours
    compared = _compare(
        session,
        long,
        firms,
        resolver,
        source_row.id,
        catalogue.change_bounds() if bounds is None else bounds,
        report,
    )
    del long
    _sort_lists(report)
    report.confirmed_rows = set(report.flagged_rows) if confirm_all else set(confirm_rows)
    _name_listed_rows(report, firms)
    waiting = report.unconfirmed_rows
    if dry_run or (report.problem_count and not partial) or (waiting and not partial):
        return report
    skipped = list(report.bad_rows | waiting)
    clean = compared.filter(~pl.col("row").is_in(skipped)).drop("row")
    del compared
    if create_firms:
        fresh = firms.filter(~pl.col("row").is_in(skipped))
        clean = _create_firms(session, fresh, clean, report)
    _write_facts(session, actor, clean, source_row.id, as_of, report)
    report.committed = True
    audit.record(
        session,
        action="import.facts",
        object_type="facts",
        after={
            "file": filename,
            "sha256": hashlib.sha256(data).hexdigest(),
            "source": source,
            "period": period,
            "mode": report.mode,
            "added": report.added,
            "superseded": report.superseded,
            "beside": report.beside,
            "unchanged": report.unchanged,
            "created_firms": report.created,
            "problems": report.problem_count,
            "warnings": report.flag_count,
            "confirmed_rows": sorted(report.confirmed_rows & report.flagged_rows)[:1000],
        },
    )
    return report


def _problem_rows(frame: pl.DataFrame, column: str, kind: str, reason: pl.Expr) -> list[RowProblem]:
    rows = frame.select("row", pl.col(column).alias("column"), "raw", reason.alias("reason"))
    return [RowProblem(r, c, v, why, kind) for r, c, v, why in rows.iter_rows()]


def _facts_long(
    table: Table, resolver: Resolver, report: ImportReport, period: str | None
) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """(firms, long): who each spreadsheet row is about (row, uscc, name), and one row per
    (spreadsheet row, metric) with the raw text, its unit factor and its period.

    The long frame has a row per cell (two million for a large file), so it holds only numbers
    and categoricals; the firm's code and name are checked once per spreadsheet row."""
    catalogue = resolver.catalogue
    fields: dict[str, str] = {}
    metric_columns: list[tuple[str, str, float]] = []  # header, metric key, factor
    file_problems: list[RowProblem] = []
    for header in table.headers:
        resolved = resolver.resolve(header)
        if resolved.field == "ignore":
            report.columns.append(Column(header, "（忽略）", None))
        elif resolved.field is not None:
            fields.setdefault(resolved.field, header)
            report.columns.append(Column(header, _FIELD_LABELS[resolved.field], resolved.unit))
        elif resolved.metric is not None:
            metric = catalogue[resolved.metric]
            if metric.kind != "input":
                file_problems.append(
                    RowProblem(
                        table.header_row,
                        header,
                        None,
                        f"“{metric.name}”是计算指标，由评价自动计算，不能导入",
                        UNKNOWN_HEADER,
                    )
                )
                continue
            factor, note = _factor(resolved.unit, metric)
            if factor is None:
                file_problems.append(
                    RowProblem(table.header_row, header, resolved.unit, note, BAD_UNIT)
                )
                continue
            metric_columns.append((header, metric.key, factor))
            report.columns.append(Column(header, f"指标：{metric.name}", resolved.unit, note))
        else:
            if table.frame[header].str.strip_chars().str.len_chars().sum() in (0, None):
                report.columns.append(Column(header, "（空列，忽略）", None))
                continue
            file_problems.append(unknown_header(resolver, table, header))
    if "uscc" not in fields and "name" not in fields:
        file_problems.append(
            RowProblem(
                table.header_row, None, None, "缺少“统一社会信用代码”或“企业名称”列", MISSING
            )
        )
    if period is None and "period" not in fields:
        file_problems.append(
            RowProblem(table.header_row, None, None, "缺少“年度”列；或在导入时指定期间", MISSING)
        )
    long_layout = "metric" in fields and "value" in fields
    if not long_layout and not metric_columns:
        file_problems.append(
            RowProblem(
                table.header_row, None, None, "没有找到任何指标列（或“指标”“数值”两列）", MISSING
            )
        )
    report.add(file_problems)
    if any(p.kind == MISSING for p in file_problems):
        report.rows_rejected = table.frame.height
        return None
    report.layout = "long" if long_layout else "wide"

    base = table.frame.with_columns(table.rows.alias("row"))
    given = pl.lit(period, dtype=pl.String)
    if "period" in fields:
        # A period given on the command line fills the file's empty period cells.
        stated = pl.col(fields["period"]).str.strip_chars().str.replace(r"年$", "")
        period_of = pl.when(stated == "").then(given).otherwise(stated) if period else stated
    else:
        period_of = given
    firms = base.select(
        "row",
        (pl.col(fields["uscc"]) if "uscc" in fields else pl.lit("")).alias("uscc"),
        (pl.col(fields["name"]) if "name" in fields else pl.lit("")).alias("name"),
    )
    periods = base.select("row", period_of.cast(pl.Categorical).alias("period"))
    if report.layout == "wide":
        parts = [
            base.select(
                "row",
                pl.lit(header, dtype=pl.Categorical).alias("column"),
                pl.lit(key, dtype=pl.Categorical).alias("metric_key"),
                pl.col(header).alias("raw"),
                pl.lit(factor).alias("factor"),
            )
            for header, key, factor in metric_columns
        ]
        long = pl.concat(parts)
    else:
        long = _long_layout(base, fields, resolver, report)
    return firms, long.join(periods, on="row", maintain_order="left")


def _long_layout(
    base: pl.DataFrame, fields: dict[str, str], resolver: Resolver, report: ImportReport
) -> pl.DataFrame:
    value_header = fields["value"]
    long = base.select(
        "row",
        pl.lit(value_header, dtype=pl.Categorical).alias("column"),
        pl.col(fields["metric"]).str.strip_chars().alias("metric_name"),
        pl.col(value_header).alias("raw"),
        (pl.col(fields["unit"]).str.strip_chars() if "unit" in fields else pl.lit("")).alias(
            "unit_text"
        ),
    )
    header_unit = resolver.resolve(value_header).unit
    names: dict[str, str | None] = {}
    for name in long["metric_name"].unique().to_list():
        target = resolver.resolve(name).metric if name else None
        names[name] = target if target and resolver.catalogue[target].kind == "input" else None
    unknown = long.filter(pl.col("metric_name").replace_strict(names, default=None).is_null())
    report.add(
        RowProblem(r, fields["metric"], n, "不认识这个指标名称（或它是计算指标）", UNKNOWN_HEADER)
        for r, n in unknown.select("row", "metric_name").iter_rows()
    )
    long = long.with_columns(
        pl.col("metric_name")
        .replace_strict(names, default=None, return_dtype=pl.String)
        .cast(pl.Categorical)
        .alias("metric_key")
    )
    long = long.filter(pl.col("metric_key").is_not_null())
    factors: dict[tuple[str, str], float | None] = {}
    pairs = long.select("metric_key", "unit_text").unique().iter_rows()
    for key, unit_text in pairs:
        factor, _ = _factor(unit_text or header_unit, resolver.catalogue[key])
        factors[(key, unit_text)] = factor
    rows = long.select("metric_key", "unit_text").iter_rows()
    long = long.with_columns(pl.Series("factor", [factors[p] for p in rows], dtype=pl.Float64))
    bad = long.filter(pl.col("factor").is_null())
    report.add(
        RowProblem(
            r,
            fields.get("unit", value_header),
            u,
            f"单位不能换算为“{resolver.catalogue[k].unit}”",
            BAD_UNIT,
        )
        for r, k, u in bad.select("row", "metric_key", "unit_text").iter_rows()
    )
    long = long.filter(pl.col("factor").is_not_null())
    return long.select("row", "column", "metric_key", "raw", "factor")


def _factor(unit_name: str | None, metric: Metric) -> tuple[float | None, str]:
    """The factor from unit_name to the metric's unit, with a note for the mapping table."""
    if not unit_name:
        return 1.0, f"未注明单位，按 {metric.unit}"
    try:
        factor = units.factor(unit_name, metric.unit)
    except InvalidInput as error:
        return None, error.message
    return factor, "" if factor == 1 else f"由 {unit_name} 换算为 {metric.unit}"


def _check_values(
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
        .otherwise(pl.lit("不是数字"))
    )
    report.add(_problem_rows(long.filter(invalid), "column", NOT_NUMBER, reason))
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


def _attach_firms(
    session: Session, firms: pl.DataFrame, report: ImportReport, *, create_firms: bool
) -> pl.DataFrame:
    """The firm of every spreadsheet row: its enterprise_id by credit code, else by the exact
    (folded) name; `firm` is the enterprise_id, or for a firm not registered yet a negative
    number per credit code (or folded name), so that its rows can be compared."""
    registry = session.execute(sa.select(Enterprise.uscc, Enterprise.id, Enterprise.name_key)).all()
    by_code = {c: i for c, i, _ in registry if c}
    names = _registered_names(session, firms)
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
    _check_names(firms, names, report)
    return firms


def _registered_names(session: Session, firms: pl.DataFrame) -> dict[int, tuple[str, set[str]]]:
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


def _check_names(
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


def _check_conflicts(long: pl.DataFrame, report: ImportReport) -> pl.DataFrame:
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


def _check_combinations(long: pl.DataFrame, report: ImportReport) -> None:
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


def _sort_lists(report: ImportReport) -> None:
    report.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    report.flags.sort(key=lambda f: (f.row, f.column))


def _name_listed_rows(report: ImportReport, firms: pl.DataFrame) -> None:
    """The firm of every row the report lists, for the downloadable report."""
    rows = {p.row for p in report.problems if p.row is not None} | {f.row for f in report.flags}
    listed = firms.filter(pl.col("row").is_in(list(rows))).select("row", "firm_name")
    report.row_names = dict(listed.iter_rows())


def _create_firms(
    session: Session, firms: pl.DataFrame, clean: pl.DataFrame, report: ImportReport
) -> pl.DataFrame:
    """Register the clean rows' firms that are not registered yet; their facts get the new ids."""
    new = (
        firms.filter(pl.col("enterprise_id").is_null())
        .select("firm", "code", "name")
        .unique("firm", keep="first", maintain_order=True)
    )
    created: dict[int, int] = {}
    for firm, code, name in new.iter_rows():
        enterprise = Enterprise(
            uscc=code,
            name=clean_name(name),
            name_key=name_key(name),
            former_names=[],
            in_zone=True,
        )
        session.add(enterprise)
        session.flush()
        created[firm] = enterprise.id
    report.created = len(created)
    if not created:
        return clean
    return clean.with_columns(pl.col("firm").replace(created))


def _compare(
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
    _flag_sharp_changes(session, frame, firms, resolver, bounds, report)
    return frame.drop("column", "metric_key")


def _flag_sharp_changes(
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
            f"“{metric.name}”现行值 {_number(old)}，新值 {_number(new)} {metric.unit}"
            f"（{item.change}），超出界限：{limit}；请核对单位和数值，确认无误后勾选此行"
        )
        report.flags.append(dataclasses.replace(item, reason=reason))


def _number(value: float) -> str:
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def _write_facts(
    session: Session,
    actor: Actor,
    clean: pl.DataFrame,
    source_id: int,
    as_of: dt.date,
    report: ImportReport,
) -> None:
    """Insert new values, supersede changed reported ones, skip the unchanged: in bulk.

    A verified value of the same source is not superseded, and a value of a more trusted source
    is not displaced: the new value is stored beside it (counted as `beside`), and evaluations
    keep using the trusted one until an officer verifies the new value."""
    incoming = clean.filter(pl.col("firm") > 0).rename({"firm": "enterprise_id"})
    if not incoming.height:
        return
    priority = session.scalar(sa.select(FactSource.priority).where(FactSource.id == source_id))
    new_rank = int(priority or 0) * 2 + 1  # a reported value of this source (facts.rank)
    unchanged = (
        (pl.col("value") == pl.col("ver_value")) | (pl.col("value") == pl.col("rep_value"))
    ).fill_null(False)
    fresh = pl.col("ver_value").is_null() & pl.col("rep_id").is_null()
    beside = (pl.col("old_rank") < new_rank).fill_null(False)
    merged = incoming.with_columns(
        (~unchanged).alias("write"), fresh.alias("fresh"), beside.alias("beside")
    )
    counts = merged.select(
        (pl.col("write") & pl.col("beside")).sum().alias("beside"),
        (pl.col("write") & ~pl.col("beside") & pl.col("fresh")).sum().alias("fresh"),
        (pl.col("write") & ~pl.col("beside") & ~pl.col("fresh")).sum().alias("changed"),
    )
    now = utcnow()
    old_ids = merged.filter(pl.col("write") & pl.col("rep_id").is_not_null())["rep_id"].to_list()
    for start in range(0, len(old_ids), 10_000):
        session.execute(
            sa.update(Fact)
            .where(Fact.id.in_(old_ids[start : start + 10_000]))
            .values(is_current=False, superseded_at=now),
            execution_options={"synchronize_session": False},
        )
    to_insert = merged.filter(pl.col("write")).select(
        "enterprise_id", "metric_id", pl.col("period").cast(pl.String), "value"
    )
    constants = {
        "source_id": source_id,
        "as_of": as_of,
        "status": FactStatus.REPORTED.value,
        "is_current": True,
        "note": "",
        "entered_by": actor.label,
        "created_at": now,
    }
    bulk_insert(session, Fact.__table__, to_insert, constants)  # type: ignore[arg-type]
    report.beside = counts["beside"].item()
    report.added = counts["fresh"].item()
    report.superseded = counts["changed"].item()
    report.unchanged = merged.height - report.added - report.superseded - report.beside


def bulk_insert(
    session: Session, table: sa.Table, frame: pl.DataFrame, constants: dict[str, Any]
) -> None:
    """Insert frame's rows (plus constant columns) in the session's transaction, fast: COPY on
    PostgreSQL, executemany of plain tuples on SQLite. Column names come from the table, never
    from input; values are bound, and constants go through their column type's bind processor
    so that they are stored exactly as the ORM would store them."""
    if not frame.height:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = [*frame.columns, *constants]
    for name in names:
        if name not in table.c:
            raise ValueError(f"{table.name} has no column {name}")
    raw = connection.connection.driver_connection
    if dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
        )
        fixed = tuple(constants.values())
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for row in frame.iter_rows():
                copy.write_row((*row, *fixed))
        return
    processed = []
    for name, value in constants.items():
        bind = table.c[name].type.bind_processor(dialect)
        processed.append(bind(value) if bind else value)
    # The rows go into an unindexed temporary table first, and from there into the table in one
    # statement that adds the constants: SQLite then updates the indexes in C, not per call.
    staged = f"staged_{table.name}"
    columns = ", ".join(frame.columns)
    marks = ", ".join("?" * frame.width)
    constant_marks = ", ".join("?" * len(processed))
    cursor = raw.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"CREATE TEMP TABLE {staged} ({columns})")
        for chunk in frame.iter_slices(100_000):
            cursor.executemany(f"INSERT INTO {staged} VALUES ({marks})", chunk.iter_rows())  # noqa: S608
        cursor.execute(
            f"INSERT INTO {table.name} ({', '.join(names)})"  # noqa: S608  (the table's own names)
            f" SELECT {columns}, {constant_marks} FROM {staged}",
            processed,
        )
    finally:
        cursor.execute(f"DROP TABLE IF EXISTS {staged}")
        cursor.close()


_FIELD_LABELS = {
    "uscc": "统一社会信用代码",
    "name": "企业名称",
    "period": "期间",
    "metric": "指标名称",
    "value": "数值",
    "unit": "单位",
    "former_names": "曾用名",
    "legal_rep": "法定代表人",
    "founded_on": "成立日期",
    "registered_capital": "注册资本（万元）",
    "address": "地址",
    "region_code": "区县代码",
    "industry_code": "行业代码（GB/T 4754 小类）",
    "chain": "所属产业链",
    "staff_size": "从业人数",
    "land_area": "用地面积（亩）",
    "main_products": "主营产品",
    "business_scope": "经营范围",
    "in_zone": "是否园区企业",
    "tag_guishang": "规上企业",
    "tag_gaoxin": "高新技术企业",
    "gaoxin_number": "高企证书编号",
    "gaoxin_from": "高企发证日期",
    "gaoxin_to": "高企有效期至",
    "tag_kexing": "科技型中小企业",
    "kexing_number": "科小入库编号",
    "kexing_year": "科小入库年度",
    "tag_zhuanjing": "专精特新",
    "tag_xiaojuren": "专精特新小巨人",
    "tag_danxiang": "单项冠军",
    "tag_lianzhu": "链主企业",
    "tag_listed": "上市企业",
    "listed_exchange": "上市交易所",
    "listed_code": "股票代码",
}


def field_label(name: str) -> str:
    return _FIELD_LABELS.get(name, name)


def report_xlsx(report: ImportReport) -> bytes:
    """The report as an xlsx workbook: problems (row, firm, column, value, kind, reason), the
    warnings with old and new values, and the summary with exact counts and the mapping."""
    import io

    buffer = io.BytesIO()
    workbook = xlsx.workbook(buffer)
    bold = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    sheet = workbook.add_worksheet("问题清单")
    sheet.write_row(0, 0, ["行号", "企业名称", "列", "值", "问题类型", "原因"], bold)
    for index, problem in enumerate(report.problems, start=1):
        sheet.write_row(
            index,
            0,
            [
                problem.row if problem.row is not None else "",
                report.row_names.get(problem.row, "") if problem.row is not None else "",
                problem.column or "",
                problem.value or "",
                problem.kind or BAD_VALUE,
                problem.reason,
            ],
        )
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 30)
    sheet.set_column(2, 4, 22)
    sheet.set_column(5, 5, 60)
    sheet.freeze_panes(1, 0)
    warnings = workbook.add_worksheet("警告清单")
    warnings.write_row(
        0,
        0,
        ["行号", "企业名称", "统一社会信用代码", "类型", "指标", "现行值", "现行值来源", "新值",
         "单位", "变化", "已确认", "说明"],
        bold,
    )  # fmt: skip
    for index, item in enumerate(report.flags, start=1):
        warnings.write_row(
            index,
            0,
            [
                item.row,
                item.firm,
                item.code,
                item.kind,
                item.metric or item.column,
                "" if item.old is None else item.old,
                item.old_source,
                "" if item.new is None else item.new,
                item.unit,
                item.change,
                "是" if item.row in report.confirmed_rows else "否",
                item.reason,
            ],
        )
    warnings.set_column(0, 0, 8)
    warnings.set_column(1, 2, 28)
    warnings.set_column(3, 10, 14)
    warnings.set_column(11, 11, 70)
    warnings.freeze_panes(1, 0)
    summary = workbook.add_worksheet("导入概况")
    summary.write_row(0, 0, ["项目", "内容"], bold)
    lines: Sequence[tuple[str, Any]] = [
        ("文件", report.filename),
        ("结果", report.summary()),
        ("表头所在行", report.header_row),
        ("数据行数", report.rows_total),
        ("问题数", report.problem_count),
        ("有问题的行数", report.rows_rejected),
        *[(f"问题：{kind}", count) for kind, count in report.counts_by_kind()],
        ("警告数", report.flag_count),
        *[(f"警告：{kind}", count) for kind, count in report.flags_by_kind()],
        *([("清单说明", report.capped_note())] if report.capped_note() else []),
    ]
    for index, (label, value) in enumerate(lines, start=1):
        summary.write_row(index, 0, [label, value])
    summary.write_row(len(lines) + 2, 0, ["表头", "识别为", "单位", "说明"], bold)
    for index, column in enumerate(report.columns, start=len(lines) + 3):
        summary.write_row(index, 0, [column.header, column.target, column.unit or "", column.note])
    summary.set_column(0, 0, 28)
    summary.set_column(1, 3, 36)
    workbook.close()
    return buffer.getvalue()
