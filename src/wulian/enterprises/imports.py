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

import datetime as dt
import hashlib
from collections.abc import Collection, Mapping
from typing import Any

import polars as pl
import sqlalchemy as sa
from sqlalchemy.orm import Session

from wulian.core import audit, calendar
from wulian.core.db import utcnow
from wulian.core.errors import InvalidInput, PermissionDenied, RowProblem
from wulian.core.permissions import Actor, Permission
from wulian.core.tabular import Table, read_table
from wulian.enterprises import facts
from wulian.enterprises.facts import (
    PERIOD_PATTERNS,
    source_or_raise,
)
from wulian.enterprises.importchecks import (
    attach_firms,
    check_combinations,
    check_conflicts,
    check_values,
    compare,
    unit_factor,
)
from wulian.enterprises.importreport import (
    BAD_UNIT,
    FIELD_LABELS,
    MISSING,
    UNKNOWN_HEADER,
    Column,
    ImportReport,
    start_report,
    unknown_header,
)
from wulian.enterprises.models import Enterprise, Fact, FactSource, FactStatus
from wulian.enterprises.names import clean_name, name_key
from wulian.reference import catalogue
from wulian.reference.aliases import Resolver
from wulian.reference.catalogue import ChangeBound

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
    firms = attach_firms(session, firms, report, create_firms=create_firms)
    long = long.join(firms.select("row", "firm"), on="row", maintain_order="left")
    long = check_values(long, resolver, report, as_of)
    long = check_conflicts(long, report)
    check_combinations(long, report)
    if report.bad_rows:
        long = long.filter(~pl.col("row").is_in(list(report.bad_rows)))
    if not dry_run:
        facts.lock_source(session, source_row.id)  # compare with what is current once it is ours
    compared = compare(
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
            report.columns.append(Column(header, FIELD_LABELS[resolved.field], resolved.unit))
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
            factor, note = unit_factor(resolved.unit, metric)
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
        factor, _ = unit_factor(unit_text or header_unit, resolver.catalogue[key])
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
    if report.beside:
        waiting = merged.filter(pl.col("write") & pl.col("beside")).group_by("metric_id").len()
        facts.notify_reviewers(
            session, counts=dict(waiting.iter_rows()),
            skip=actor.id if actor.kind == "user" else None,
        )  # fmt: skip
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
