"""`wulian db`, `wulian audit` and `wulian desk`: the schema and the production install, the audit
trail's seal, the desk's deadline sweep."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from wulian.core import audit
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.errors import WulianError
from wulian.core.settings import get_settings

if TYPE_CHECKING:
    from wulian.install import InstallResult

from wulian.cli.common import cli_actor, console, fail, work

db_app = typer.Typer(help="数据库结构管理", no_args_is_help=True)
desk_app = typer.Typer(help="企呼我应：期限巡检", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志：封存与校验", no_args_is_help=True)


# ---------------------------------------------------------------- database


@desk_app.command("sweep")
def desk_sweep() -> None:
    """期限巡检：即将到期的诉求预警，超期的诉求自动督办（各一次）；再发出待发的通知邮件和短信。
    建议每 10 分钟运行一次。"""
    from wulian.desk import service as desk_service

    with work() as (session, actor):
        result = desk_service.sweep(session, actor=actor)
    recounted = f"，重新计算暂定期限 {result.recounted} 件" if result.recounted else ""
    console.print(f"期限预警 {result.warned} 件，自动督办 {result.escalated} 件{recounted}。")
    from wulian.core.notify.outbox import Outbox

    settings = get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    try:
        delivered = Outbox.from_settings(settings).deliver(session_factory(engine))
    finally:
        engine.dispose()
    console.print(f"通知邮件、短信发出 {delivered.sent} 条，失败 {delivered.failed} 条。")


@audit_app.command("seal")
def audit_seal() -> None:
    """把尚未封存的审计记录加入哈希链（wulian serve 每次期限巡检后也会自动封存）。"""
    with work() as (session, _actor):
        count = audit.seal(session)
    console.print(f"已封存 {count} 条审计记录")


@audit_app.command("verify")
def audit_verify() -> None:
    """逐环校验审计日志的哈希链，报告第一处断开的位置；有断开时退出码为 1。"""
    with work() as (session, _actor):
        check = audit.verify(session)
    if check.broken is not None:
        seq, entry_id, why = check.broken
        where = f"第 {seq} 环" + (f"（审计记录 #{entry_id}）" if entry_id is not None else "")
        console.print(f"[red]审计日志被改动：{where}：{why}[/red]；此前 {check.checked} 环完好")
        raise typer.Exit(1)
    console.print(f"审计日志完好：{check.checked} 环全部校验通过；尚未封存 {check.unsealed} 条")


@db_app.command("upgrade")
def db_upgrade(
    gbt4754: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="同时导入 GB/T 4754 行业分类表 CSV（code,name,parent_code,level,notes）",
        ),
    ] = None,
) -> None:
    """把数据库结构升级到当前版本，并载入随程序发布的参考数据与方案（可重复运行）。"""
    from wulian.install import install

    settings = get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    try:
        before = migrate.current_revisions(engine)
        migrate.upgrade(engine)
        after = migrate.current_revisions(engine)
        with unit_of_work(session_factory(engine)) as session:
            result = install(session, actor=cli_actor(), gbt4754=gbt4754)
    except WulianError as error:
        raise fail(error.message) from None
    finally:
        engine.dispose()
    if before == after:
        console.print(f"数据库结构已是最新版本：{', '.join(sorted(after))}")
    else:
        old = ", ".join(sorted(before)) or "空库"
        console.print(f"[green]数据库结构已升级：[/]{old} → {', '.join(sorted(after))}")
    show_install(result)


def show_install(result: InstallResult) -> None:
    """What the production install did, and what waits for an administrator."""
    if result.departments:
        console.print(f"已按模板创建 {result.departments} 个工作部门。")
    if result.metrics_added or result.metrics_updated:
        console.print(
            f"指标目录：新增 {result.metrics_added} 个，更新 {result.metrics_updated} 个。"
        )
    if result.industries:
        console.print(f"已导入 GB/T 4754 行业代码 {result.industries} 个。")
    for specs in result.specs:
        if specs.added or specs.updated:
            console.print(
                f"{specs.label}：新载入 {len(specs.added)} 个，更新到新的内置版本 "
                f"{len(specs.updated)} 个。"
            )
    for label, code in result.offered():
        console.print(
            f"[yellow]{escape(label)}“{escape(code)}”有新的内置版本；本地修改过，未覆盖。"
            "管理员可在该方案的页面查看差异并采用。[/]"
        )
    if not result.industries_present:
        console.print(
            "尚未导入 GB/T 4754 行业分类：运行 wulian reference import gbt4754 分类表.csv"
            "（或 wulian db upgrade --gbt4754 分类表.csv）。"
        )
    if not result.changed and not result.offered():
        console.print("参考数据与内置方案已是最新。")


@db_app.command("status")
def db_status() -> None:
    """显示数据库结构版本是否为最新。"""
    settings = get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    current, heads = migrate.current_revisions(engine), migrate.head_revisions()
    engine.dispose()
    console.print(
        f"数据库版本：{', '.join(sorted(current)) or '空库'}；程序需要：{', '.join(sorted(heads))}"
    )
    if current != heads:
        raise fail("数据库结构落后，请运行 wulian db upgrade", code=1)
