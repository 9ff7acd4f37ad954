"""`wulian import`: the registry and facts from Excel or CSV files, with the check report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wulian.cli.common import console, err_console, fail, work
from wulian.core.calendar import parse_day
from wulian.core.errors import InvalidInput
from wulian.core.settings import get_settings

if TYPE_CHECKING:
    from wulian.enterprises.importreport import ImportReport

import_app = typer.Typer(help="导入企业名录与企业数据（Excel 或 CSV）", no_args_is_help=True)


# ---------------------------------------------------------------- imports

ReportOption = Annotated[
    Path | None, typer.Option("--report", help="把检查报告（问题清单）写成 xlsx 文件")
]
PartialOption = Annotated[
    bool,
    typer.Option(
        "--partial", help="只写入没有问题的行，其余写入报告（默认：有问题则整个文件不写入）"
    ),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="只检查，不写入")]


def _show_report(report: ImportReport, report_path: Path | None) -> None:
    from wulian.enterprises.importreport import report_xlsx

    table = Table(title="表头识别", show_lines=False)
    for title in ("表头", "识别为", "单位", "说明"):
        table.add_column(title)
    for column in report.columns:
        table.add_row(
            escape(column.header),
            escape(column.target),
            escape(column.unit or ""),
            escape(column.note),
        )
    console.print(table)
    for problem in report.problems[:20]:
        err_console.print(f"  [yellow]•[/] {escape(problem.describe())}")
    if report.problem_count > 20:
        err_console.print(f"  …… 另有 {report.problem_count - 20} 处问题，见报告文件")
    if report.problem_count:
        counts = "，".join(f"{kind} {count}" for kind, count in report.counts_by_kind())
        err_console.print(f"问题分类：{escape(counts)}")
    for flag in report.flags[:20]:
        mark = "已确认" if flag.row in report.confirmed_rows else "待确认"
        err_console.print(
            f"  [yellow]![/] 第 {flag.row} 行 {escape(flag.firm)}（{mark}）：{escape(flag.reason)}"
        )
    if report.flag_count > 20:
        err_console.print(f"  …… 另有 {report.flag_count - 20} 处警告，见报告文件")
    if report.unconfirmed_rows:
        err_console.print(
            "有警告的行须确认后才写入：--confirm-rows 行号,行号 或 --confirm-all（逐条核对后）"
        )
    if report.capped_note():
        err_console.print(escape(report.capped_note()))
    if report_path is not None:
        report_path.write_bytes(report_xlsx(report))
        console.print(f"检查报告已写入 {escape(str(report_path))}")
    style = "green" if report.committed else "yellow" if report.mode == "dry-run" else "red"
    console.print(f"[{style}]{escape(report.summary())}[/]")


def _read_upload(path: Path) -> bytes:
    settings = get_settings()
    if path.stat().st_size > settings.max_upload_bytes:
        raise fail(f"文件超过 {settings.max_upload_bytes // (1024 * 1024)} MB 上限：{path}")
    return path.read_bytes()


@import_app.command("facts")
def import_facts_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="xlsx、xls 或 csv 文件")
    ],
    period: Annotated[
        str | None, typer.Option(help="数据期间（YYYY 或 YYYY-MM）；文件中有“年度”列时可省略")
    ] = None,
    source: Annotated[
        str, typer.Option(help="数据来源：tax stats market science economy officer self")
    ] = "officer",
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="数据日期 YYYY-MM-DD，默认今天")
    ] = None,
    create_firms: Annotated[
        bool, typer.Option("--create-firms", help="文件里未登记的企业自动登记（须有代码和名称）")
    ] = False,
    confirm_rows: Annotated[
        str | None,
        typer.Option("--confirm-rows", help="确认这些行的警告（大幅变动、名称不符），如 5,8,12"),
    ] = None,
    confirm_all: Annotated[
        bool, typer.Option("--confirm-all", help="确认全部警告（请先用 --dry-run 逐条核对）")
    ] = False,
    partial: PartialOption = False,
    dry_run: DryRunOption = False,
    report: ReportOption = None,
) -> None:
    """导入企业数据（宽表：每行一家企业、每列一个指标；长表：企业、指标、期间、数值）。"""
    from wulian.enterprises.imports import import_facts
    from wulian.reference import catalogue

    data = _read_upload(file)
    try:
        day = parse_day(as_of, field="as_of") if as_of else None
        bounds = catalogue.change_bounds(get_settings().change_bounds)
    except InvalidInput as error:
        raise fail(error.message) from None
    rows = [r.strip() for r in (confirm_rows or "").replace("，", ",").split(",") if r.strip()]
    if not all(r.isdigit() for r in rows):
        raise fail(f"--confirm-rows 应为逗号分隔的行号：{confirm_rows}")
    with work() as (session, actor):
        result = import_facts(
            session,
            actor=actor,
            data=data,
            filename=file.name,
            period=period,
            source=source,
            as_of=day,
            partial=partial,
            dry_run=dry_run,
            create_firms=create_firms,
            confirm_rows={int(r) for r in rows},
            confirm_all=confirm_all,
            bounds=bounds,
        )
    _show_report(result, report)
    if (result.problem_count or result.unconfirmed_rows) and not (partial and result.committed):
        raise typer.Exit(1)


@import_app.command("enterprises")
def import_enterprises_command(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="xlsx、xls 或 csv 文件")
    ],
    external: Annotated[
        bool, typer.Option("--external", help="新登记的企业为园区外企业（招商对象）")
    ] = False,
    partial: PartialOption = False,
    dry_run: DryRunOption = False,
    report: ReportOption = None,
) -> None:
    """导入企业名录：按统一社会信用代码（没有代码时按名称）新增或更新企业。"""
    from wulian.enterprises.registry_import import import_enterprises

    data = _read_upload(file)
    with work() as (session, actor):
        result = import_enterprises(
            session,
            actor=actor,
            data=data,
            filename=file.name,
            in_zone=not external,
            partial=partial,
            dry_run=dry_run,
        )
    _show_report(result, report)
    if result.problem_count and not (partial and result.committed):
        raise typer.Exit(1)
