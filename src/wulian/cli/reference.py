"""`wulian reference`: GB/T 4754, the metric catalogue and header aliases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from wulian.cli.common import console, work

reference_app = typer.Typer(help="参考数据：行业分类、指标目录", no_args_is_help=True)
reference_import_app = typer.Typer(help="导入参考数据", no_args_is_help=True)
reference_app.add_typer(reference_import_app, name="import")
alias_app = typer.Typer(help="表头别名：把表格里的中文表头对应到字段或指标", no_args_is_help=True)
reference_app.add_typer(alias_app, name="alias")


# ---------------------------------------------------------------- reference data


@reference_import_app.command("gbt4754")
def reference_import_gbt4754(
    notes: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, help="分类表 CSV：code,name,parent_code,level,notes"
        ),
    ],
    tags: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="特殊类别标签表 CSV")
    ] = None,
    strategic: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="战略性新兴产业与行业代码对照表 CSV"),
    ] = None,
) -> None:
    """导入 GB/T 4754-2017 国民经济行业分类（整表导入：要么全部成功，要么不写入）。"""
    from wulian.reference import service as reference_service

    with work() as (session, actor):
        result = reference_service.import_gbt4754(
            session, actor=actor, notes=notes, tags=tags, strategic=strategic
        )
    console.print(
        f"[green]已导入[/] {result.industries} 个行业代码（小类 {result.leaves} 个），"
        f"特殊类别标签 {result.tags} 条"
        + (f"，删除 {result.removed} 个旧代码" if result.removed else "")
    )


@reference_import_app.command("occupations")
def reference_import_occupations(
    table: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="职业分类大典（2022）CSV：level,code,name,parent_code[,definition]",
        ),
    ],
) -> None:
    """导入职业分类大典（2022）（整表导入，替换此前导入的表：要么全部成功，要么不写入）。
    人才地图、紧缺人才目录和人员、岗位的职业代码核对都用它。"""
    from wulian.reference import service as reference_service

    with work() as (session, actor):
        result = reference_service.import_occupations(session, actor=actor, path=table)
    console.print(
        f"[green]已导入[/] 职业分类 {result.entries} 条（职业即细类 {result.occupations} 个）"
    )


@reference_app.command("sync-metrics")
def reference_sync_metrics() -> None:
    """把指标目录与随程序发布的 metrics.yaml 同步。"""
    from wulian.reference import service as reference_service

    with work() as (session, actor):
        result = reference_service.sync_metrics(session, actor=actor)
    console.print(f"指标目录：新增 {result.added} 个，更新 {result.updated} 个")


@alias_app.command("add")
def alias_add(
    label: Annotated[str, typer.Argument(help="表头，如“年度销售额”")],
    target: Annotated[
        str, typer.Argument(help="指标键（如 revenue）或 field:字段名（如 field:uscc）")
    ],
) -> None:
    """添加表头别名。"""
    from wulian.reference import aliases

    with work() as (session, actor):
        alias = aliases.add_alias(session, actor=actor, label=label, target=target)
        console.print(f"已添加：{escape(alias.label)} → {escape(alias.target)}")


@alias_app.command("list")
def alias_list() -> None:
    """列出管理员添加的表头别名。"""
    from wulian.reference import aliases

    with work() as (session, actor):
        table = Table("编号", "表头", "对应", "添加人")
        for alias in aliases.list_aliases(session, actor=actor):
            table.add_row(
                str(alias.id), escape(alias.label), escape(alias.target), escape(alias.created_by)
            )
    console.print(table)
