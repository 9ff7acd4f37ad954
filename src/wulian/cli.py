"""The `wulian` command: serve, demo, database, users and API tokens."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.orm import Session

from wulian.core import audit
from wulian.core.auth import service as auth_service
from wulian.core.calendar import end_of_day, parse_day
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.errors import InvalidInput, WulianError
from wulian.core.permissions import SCOPES, Actor, Role
from wulian.core.settings import Settings, get_settings
from wulian.enterprises import service as enterprise_service
from wulian.enterprises.imports import ImportReport

if TYPE_CHECKING:
    from wulian.engines.index.pipeline import Explanation
    from wulian.install import InstallResult

app = typer.Typer(
    help="wulian 五链：五链融合工作平台", no_args_is_help=True, pretty_exceptions_enable=False
)
db_app = typer.Typer(help="数据库结构管理", no_args_is_help=True)
user_app = typer.Typer(help="用户管理", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌管理", no_args_is_help=True)
department_app = typer.Typer(help="部门管理", no_args_is_help=True)
reference_app = typer.Typer(help="参考数据：行业分类、指标目录", no_args_is_help=True)
reference_import_app = typer.Typer(help="导入参考数据", no_args_is_help=True)
reference_app.add_typer(reference_import_app, name="import")
import_app = typer.Typer(help="导入企业名录与企业数据（Excel 或 CSV）", no_args_is_help=True)
desk_app = typer.Typer(help="企呼我应：期限巡检", no_args_is_help=True)
alias_app = typer.Typer(help="表头别名：把表格里的中文表头对应到字段或指标", no_args_is_help=True)
reference_app.add_typer(alias_app, name="alias")
app.add_typer(import_app, name="import")
index_app = typer.Typer(
    help="综合指数引擎：在普通文件上运行指标体系（不需要数据库）", no_args_is_help=True
)
app.add_typer(index_app, name="index")
policy_app = typer.Typer(
    help="规则引擎：在普通文件上评估政策、运行政策文件中的测试用例（不需要数据库）",
    no_args_is_help=True,
)
app.add_typer(policy_app, name="policy")
classify_app = typer.Typer(
    help="文本分类引擎：把经营范围、主营产品等短文本归到分类表的节点（不需要数据库）",
    no_args_is_help=True,
)
app.add_typer(classify_app, name="classify")
audit_app = typer.Typer(help="审计日志：封存与校验", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(desk_app, name="desk")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(department_app, name="department")
app.add_typer(reference_app, name="reference")

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def _cli_actor() -> Actor:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor.system(label=f"命令行:{who}")


def _fail(message: str, code: int = 2) -> typer.Exit:
    err_console.print(f"[bold red]错误：[/]{escape(message)}")
    return typer.Exit(code)


@contextmanager
def _work(settings: Settings | None = None) -> Iterator[tuple[Session, Actor]]:
    """One unit of work on a current database, attributed to the operator; errors become exits."""
    settings = settings or get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    actor = _cli_actor()
    try:
        migrate.ensure_current(engine)
        with unit_of_work(session_factory(engine)) as session:
            audit.track(session, actor)
            yield session, actor
    except WulianError as error:
        raise _fail(error.message) from None
    finally:
        engine.dispose()


# ---------------------------------------------------------------- server and demo


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="监听地址")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="监听端口")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=32, help="工作进程数（默认每个处理器核心一个，最多 4 个）")
    ] = min(4, os.cpu_count() or 1),
    forwarded_allow_ips: Annotated[
        str, typer.Option(help="信任其 X-Forwarded-* 头的反向代理地址")
    ] = "127.0.0.1",
) -> None:
    """启动 Web 服务（页面、/api/v1 接口、/api/docs 文档）。"""
    import uvicorn

    settings = get_settings()
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "access_log": False,
        "proxy_headers": True,
        "forwarded_allow_ips": forwarded_allow_ips,
        "log_level": "warning",
    }
    try:
        if workers == 1:
            from wulian.web.app import create_app

            application = create_app(settings)
        else:  # refuse a database behind the code before starting the workers
            engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
            try:
                migrate.ensure_current(engine)
            finally:
                engine.dispose()
    except WulianError as error:
        raise _fail(error.message, code=1) from None
    sweeper = None
    if settings.desk_sweep_minutes > 0:  # one for the server, in this process, not per worker
        from wulian.desk.sweeper import Sweeper

        sweeper = Sweeper(
            settings.database_url, settings.desk_sweep_minutes * 60, timeouts=settings.db_timeouts
        )
        sweeper.start()
    console.print(
        f"[green]wulian 已启动：[/]http://{host}:{port}  （{workers} 个工作进程；Ctrl+C 停止）"
    )
    try:
        if workers == 1:
            uvicorn.run(application, **options)
        else:  # each worker process builds its own app (engine, caches) from the same settings
            uvicorn.run("wulian.web.app:create_app", factory=True, workers=workers, **options)
    finally:
        if sweeper is not None:
            sweeper.stop()


@app.command()
def demo() -> None:
    """建立示例园区（只建一次；再次运行不改变已有数据）。"""
    from wulian.demo import build

    settings = get_settings()
    engine = create_engine(settings.database_url, timeouts=settings.db_command_timeouts)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("升级数据库结构", total=2)
        migrate.upgrade(engine)
        progress.update(task, advance=1, description="建立示例园区")
        with unit_of_work(session_factory(engine)) as session:
            result = build.build(session, actor=_cli_actor(), data_dir=settings.data_dir)
        progress.update(task, advance=1, description="示例园区就绪")
    engine.dispose()
    console.print(
        f"示例园区“{escape(settings.zone_name)}”，数据库：{escape(settings.database_url)}"
    )
    _show_install(result.installed)
    if result.zone:
        console.print(
            f"已生成园区企业 {result.zone.in_zone} 家、"
            f"园外企业（招商对象）{result.zone.external} 家，企业数据 {result.zone.facts} 条，"
            f"待审核的企业自报 {result.zone.pending_reports} 条，"
            f"旧台账中缺代码的疑似重复记录 {result.zone.likely_duplicates} 条。"
        )
    if result.placement:
        counts = result.placement
        placed = sum(n for k, n in counts.items() if k.endswith(".placed"))
        console.print(
            f"产业链归链：自动归入环节 {placed} 家，待人工复核 {counts.get('model.review', 0)} 家。"
        )
    if result.requests:
        desk = result.requests
        console.print(
            f"企呼我应示例诉求 {desk.requests} 件：已结束 {desk.closed} 件，办理中 {desk.open} 件，"
            f"其中已督办 {desk.escalated} 件。"
        )
    if result.sample:
        console.print(f"示例导入文件（含几处故意的错误）：{escape(str(result.sample))}")
    if result.admin_password:
        console.print(
            Panel(
                f"用户名：[bold]{build.ADMIN_USERNAME}[/]\n"
                f"初始密码：[bold yellow]{escape(result.admin_password)}[/]\n"
                "此密码只显示这一次，首次登录后须修改。",
                title="管理员账号",
                border_style="yellow",
            )
        )
    else:
        console.print(
            f"管理员账号 {build.ADMIN_USERNAME} 已存在（忘记密码可运行："
            f"wulian user reset-password {build.ADMIN_USERNAME}）。"
        )


# ---------------------------------------------------------------- database


@desk_app.command("sweep")
def desk_sweep() -> None:
    """期限巡检：即将到期的诉求预警，超期的诉求自动督办（各一次）。建议每 10 分钟运行一次。"""
    from wulian.desk import service as desk_service

    with _work() as (session, actor):
        result = desk_service.sweep(session, actor=actor)
    recounted = f"，重新计算暂定期限 {result.recounted} 件" if result.recounted else ""
    console.print(f"期限预警 {result.warned} 件，自动督办 {result.escalated} 件{recounted}。")


@audit_app.command("seal")
def audit_seal() -> None:
    """把尚未封存的审计记录加入哈希链（wulian serve 每次期限巡检后也会自动封存）。"""
    with _work() as (session, _actor):
        count = audit.seal(session)
    console.print(f"已封存 {count} 条审计记录")


@audit_app.command("verify")
def audit_verify() -> None:
    """逐环校验审计日志的哈希链，报告第一处断开的位置；有断开时退出码为 1。"""
    with _work() as (session, _actor):
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
            result = install(session, actor=_cli_actor(), gbt4754=gbt4754)
    except WulianError as error:
        raise _fail(error.message) from None
    finally:
        engine.dispose()
    if before == after:
        console.print(f"数据库结构已是最新版本：{', '.join(sorted(after))}")
    else:
        old = ", ".join(sorted(before)) or "空库"
        console.print(f"[green]数据库结构已升级：[/]{old} → {', '.join(sorted(after))}")
    _show_install(result)


def _show_install(result: InstallResult) -> None:
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
        raise _fail("数据库结构落后，请运行 wulian db upgrade", code=1)


# ---------------------------------------------------------------- users


def _read_password(username: str) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(f"为 {username} 设置密码：")
        second = getpass.getpass("再次输入密码：")
        if first != second:
            raise InvalidInput("两次输入的密码不一致")
        return first
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise InvalidInput(
            "标准输入中没有读到密码（第一行应为密码）；或使用 --generate 生成随机密码"
        )
    return line


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="用户名（小写字母、数字、点、下划线、连字符）")],
    role: Annotated[Role, typer.Option(help="角色", case_sensitive=False)],
    department: Annotated[str | None, typer.Option(help="部门代码（部门工作人员必填）")] = None,
    enterprise: Annotated[
        str | None, typer.Option(help="企业统一社会信用代码（企业用户必填）")
    ] = None,
    display_name: Annotated[str, typer.Option(help="姓名")] = "",
    generate: Annotated[
        bool, typer.Option("--generate", help="生成随机初始密码并显示一次（登录后须修改）")
    ] = False,
    no_force_change: Annotated[
        bool, typer.Option("--no-force-change", help="不要求首次登录时修改密码")
    ] = False,
) -> None:
    """创建用户。密码从提示符或标准输入读取，不接受命令行参数。"""
    with _work() as (session, actor):
        try:
            password = None if generate else _read_password(username)
        except InvalidInput as error:
            raise _fail(error.message) from None
        department_id = auth_service.department_id_for_code(session, code=department)
        enterprise_id = enterprise_service.id_for_uscc(session, code=enterprise)
        created = auth_service.create_user(
            session,
            actor=actor,
            username=username,
            role=role,
            display_name=display_name,
            password=password,
            department_id=department_id,
            enterprise_id=enterprise_id,
            must_change_password=not no_force_change,
        )
    console.print(f"[green]已创建用户[/] {escape(created.user.username)}（{role.label}）")
    if created.generated_password:
        console.print(
            f"初始密码（只显示这一次）：[bold yellow]{escape(created.generated_password)}[/]"
        )


@user_app.command("reset-password")
def user_reset_password(username: Annotated[str, typer.Argument(help="用户名")]) -> None:
    """为用户生成新的初始密码（显示一次），并使其所有登录失效。"""
    with _work() as (session, actor):
        user = auth_service.get_user_by_username(session, username=username)
        if user is None:
            raise _fail(f"用户不存在：{username}")
        password = auth_service.reset_password(session, actor=actor, user_id=user.id)
    console.print(
        f"{escape(username)} 的新初始密码（只显示这一次）：[bold yellow]{escape(password)}[/]"
    )


@user_app.command("list")
def user_list() -> None:
    """列出全部用户。"""
    with _work() as (session, actor):
        table = Table("用户名", "姓名", "角色", "部门", "状态")
        for user in auth_service.get_all_users(session, actor=actor):
            table.add_row(
                escape(user.username),
                escape(user.display_name),
                user.role.label,
                escape(user.department.name) if user.department else "",
                "启用" if user.is_active else "停用",
            )
    console.print(table)


# ---------------------------------------------------------------- departments


@department_app.command("create")
def department_create(
    code: Annotated[str, typer.Option(help="部门代码，如 science")],
    name: Annotated[str, typer.Option(help="部门名称，如 科技局")],
) -> None:
    """创建部门。"""
    with _work() as (session, actor):
        department = auth_service.create_department(session, actor=actor, code=code, name=name)
    console.print(f"[green]已创建部门[/] {escape(department.name)}（{department.code}）")


@department_app.command("list")
def department_list() -> None:
    """列出全部部门。"""
    with _work() as (session, actor):
        table = Table("代码", "名称")
        for department in auth_service.get_all_departments(session, actor=actor):
            table.add_row(department.code, escape(department.name))
    console.print(table)


# ---------------------------------------------------------------- tokens


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="令牌名称，如 某银行接口")],
    scope: Annotated[list[str], typer.Option(help=f"权限范围，可多次指定：{', '.join(SCOPES)}")],
    enterprise: Annotated[
        str | None, typer.Option(help="限定为某企业的统一社会信用代码（企业自有系统）")
    ] = None,
    expires: Annotated[
        str | None, typer.Option(help="到期日期 YYYY-MM-DD（北京时间当日结束）")
    ] = None,
) -> None:
    """创建 API 令牌；明文只显示这一次。"""
    settings = get_settings()
    with _work(settings) as (session, actor):
        day = parse_day(expires or "", field="expires")
        expires_at = end_of_day(day) if day else None
        enterprise_id = enterprise_service.id_for_uscc(session, code=enterprise)
        created = auth_service.create_token(
            session,
            actor=actor,
            name=name,
            scopes=scope,
            secret=settings.session_secret,
            enterprise_id=enterprise_id,
            expires_at=expires_at,
        )
    console.print(f"[green]已创建令牌[/] #{created.token.id} {escape(created.token.name)}")
    console.print(f"令牌明文（只显示这一次）：[bold yellow]{escape(created.plaintext)}[/]")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="令牌编号")]) -> None:
    """吊销 API 令牌，立即失效。"""
    with _work() as (session, actor):
        token = auth_service.revoke_token(session, actor=actor, token_id=token_id)
    console.print(f"[green]已吊销令牌[/] #{token.id} {escape(token.name)}")


@token_app.command("list")
def token_list() -> None:
    """列出全部 API 令牌。"""
    with _work() as (session, actor):
        table = Table("编号", "名称", "前缀", "权限范围", "状态")
        for token in auth_service.get_all_tokens(session, actor=actor):
            state = "已吊销" if token.revoked_at else "有效"
            table.add_row(
                str(token.id),
                escape(token.name),
                f"wlt_{token.prefix}",
                ", ".join(token.scopes),
                state,
            )
    console.print(table)


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

    with _work() as (session, actor):
        result = reference_service.import_gbt4754(
            session, actor=actor, notes=notes, tags=tags, strategic=strategic
        )
    console.print(
        f"[green]已导入[/] {result.industries} 个行业代码（小类 {result.leaves} 个），"
        f"特殊类别标签 {result.tags} 条"
        + (f"，删除 {result.removed} 个旧代码" if result.removed else "")
    )


@reference_app.command("sync-metrics")
def reference_sync_metrics() -> None:
    """把指标目录与随程序发布的 metrics.yaml 同步。"""
    from wulian.reference import service as reference_service

    with _work() as (session, actor):
        result = reference_service.sync_metrics(session, actor=actor)
    console.print(f"指标目录：新增 {result.added} 个，更新 {result.updated} 个")


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
    from wulian.enterprises.imports import report_xlsx

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
        raise _fail(f"文件超过 {settings.max_upload_bytes // (1024 * 1024)} MB 上限：{path}")
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
        raise _fail(error.message) from None
    rows = [r.strip() for r in (confirm_rows or "").replace("，", ",").split(",") if r.strip()]
    if not all(r.isdigit() for r in rows):
        raise _fail(f"--confirm-rows 应为逗号分隔的行号：{confirm_rows}")
    with _work() as (session, actor):
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
    with _work() as (session, actor):
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


@alias_app.command("add")
def alias_add(
    label: Annotated[str, typer.Argument(help="表头，如“年度销售额”")],
    target: Annotated[
        str, typer.Argument(help="指标键（如 revenue）或 field:字段名（如 field:uscc）")
    ],
) -> None:
    """添加表头别名。"""
    from wulian.reference import aliases

    with _work() as (session, actor):
        alias = aliases.add_alias(session, actor=actor, label=label, target=target)
        console.print(f"已添加：{escape(alias.label)} → {escape(alias.target)}")


@alias_app.command("list")
def alias_list() -> None:
    """列出管理员添加的表头别名。"""
    from wulian.reference import aliases

    with _work() as (session, actor):
        table = Table("编号", "表头", "对应", "添加人")
        for alias in aliases.list_aliases(session, actor=actor):
            table.add_row(
                str(alias.id), escape(alias.label), escape(alias.target), escape(alias.created_by)
            )
    console.print(table)


# ---------------------------------------------------------------- index engine on plain files

SpecOption = Annotated[Path, typer.Option("--spec", help="指标体系文件（YAML）", exists=True)]
DataOption = Annotated[
    Path, typer.Option("--data", help="数据表（CSV，UTF-8 或 GBK；或 xlsx）", exists=True)
]
OutOption = Annotated[Path, typer.Option("--out", help="结果文件（.csv 或 .xlsx）")]


@index_app.command("run")
def index_run(
    spec: SpecOption,
    data: DataOption,
    out: OutOption,
    stages_dir: Annotated[
        Path | None, typer.Option("--stages-dir", help="把每个阶段的结果写成 CSV 到此目录")
    ] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="解释某个单位的得分")] = None,
) -> None:
    """按指标体系计算综合得分、排名和分档。"""
    from wulian.engines.index import files, pipeline

    try:
        model = files.read_spec(spec)
        frame = files.read_data(data, model)
        result = pipeline.run(model, frame)
        files.write_result(result, out, stages_dir)
        console.print(
            f"已计算 {result.scores.height} 个单位，结果写入 {escape(str(out))}"
            + (f"，各阶段写入 {escape(str(stages_dir))}" if stages_dir else "")
        )
        if explain is not None:
            _print_explanation(result.explain(explain))
    except WulianError as error:
        raise _fail(error.message) from None


def _print_explanation(explanation: Explanation) -> None:
    head = "、".join(
        f"{key} {value:.4g}" if value is not None else f"{key} 缺失"
        for key, value in explanation.scores.items()
    )
    console.print(f"单位 {escape(str(explanation.unit))}（{explanation.cohort or '全部'}）：{head}")
    table = Table("指标", "原始值", "处理后", "标准化得分", "权重", "贡献", "组内百分位", "补缺")
    for line in explanation.indicators:
        table.add_row(
            escape(line.name),
            _num(line.raw),
            _num(line.treated),
            _num(line.normalised),
            f"{line.weight:.2%}",
            "—" if line.contribution is None else f"{line.contribution:.4g}",
            _num(line.percentile),
            "是" if line.imputed else "",
        )
    console.print(table)
    for note in explanation.notes:
        console.print(escape(note))


def _num(value: float | None) -> str:
    return "缺失" if value is None else f"{value:.4g}"


@index_app.command("sensitivity")
def index_sensitivity(
    spec: SpecOption,
    data: DataOption,
    out: OutOption,
    draws: Annotated[int, typer.Option(help="蒙特卡洛抽样次数")] = 1000,
    seed: Annotated[int, typer.Option(help="随机种子（相同种子结果相同）")] = 0,
    noise: Annotated[float, typer.Option(help="权重在 ±noise 范围内均匀扰动")] = 0.25,
    dirichlet: Annotated[
        float | None, typer.Option(help="改用以原权重为中心的 Dirichlet 分布，给出集中度")
    ] = None,
    normaliser: Annotated[
        list[str] | None, typer.Option("--normaliser", help="备选标准化方法，可多次给出")
    ] = None,
    aggregator: Annotated[
        list[str] | None, typer.Option("--aggregator", help="备选汇总方法，可多次给出")
    ] = None,
    imputation: Annotated[
        list[str] | None, typer.Option("--imputation", help="备选补缺方法，可多次给出")
    ] = None,
) -> None:
    """排名的不确定性：每个单位排名的中位数和 5%–95% 区间。"""
    from wulian.engines.index import files, sensitivity

    try:
        model = files.read_spec(spec)
        frame = files.read_data(data, model)
        settings = sensitivity.Settings(
            draws=draws,
            seed=seed,
            noise=noise,
            dirichlet=dirichlet,
            normalisers=tuple(normaliser or ()),
            aggregators=tuple(aggregator or ()),
            imputations=tuple(imputation or ()),
        )
        result = sensitivity.run(model, frame, settings)
    except WulianError as error:
        raise _fail(error.message) from None
    files.write_table(result, out)
    console.print(f"已完成 {draws} 次抽样，{result.height} 个单位的排名区间写入 {escape(str(out))}")


# ---------------------------------------------------------------- rules engine on plain files

PoliciesOption = Annotated[
    Path, typer.Option("--policies", help="政策文件（YAML），或包含政策文件的目录", exists=True)
]


@policy_app.command("evaluate")
def policy_evaluate(
    policies: PoliciesOption,
    data: DataOption,
    period: Annotated[int, typer.Option("--period", help="评价年度，如 2024")],
    out: OutOption,
    on: Annotated[
        str | None, typer.Option("--on", help="参数取值日期（默认为年度最后一天），YYYY-MM-DD")
    ] = None,
    explain: Annotated[str | None, typer.Option("--explain", help="逐条解释某个单位的结论")] = None,
    unit: Annotated[str, typer.Option("--id", help="数据表中的编号列")] = "id",
) -> None:
    """每个单位 × 每项政策：结论、金额、缺少的数据、不满足的条件。"""
    from wulian.core.calendar import parse_day
    from wulian.engines.index.files import write_table
    from wulian.engines.rules import evaluate, files
    from wulian.engines.rules.policy import STATUS_NAMES

    try:
        day = parse_day(on, field="--on") if on else None
        loaded = files.read_policies(policies)
        frame = files.read_data(data, loaded, unit)
        result = evaluate.evaluate(
            loaded, frame, period=period, day=day, unit=unit, trace=bool(explain)
        )
        table = result.long()
        write_table(table, out)
        counts = table.group_by("status").len()
        summary = "，".join(f"{STATUS_NAMES[s]} {n}" for s, n in sorted(counts.iter_rows()))
        console.print(
            f"已评估 {frame.height} 个单位 × {len(result.frames)} 项政策：{summary}；"
            f"结果写入 {escape(str(out))}"
        )
        for key, why in result.skipped.items():
            console.print(f"未评估 {escape(key)}：{escape(why)}")
        if explain is not None:
            found = result.explain(explain)
            if not found:
                raise _fail(f"数据中没有编号为 {explain} 的单位")
            for explanation in found:
                for line in explanation.lines():
                    console.print(escape(line))
    except WulianError as error:
        raise _fail(error.message) from None


@policy_app.command("test")
def policy_test(
    path: Annotated[Path, typer.Argument(help="政策文件或目录", exists=True)],
) -> None:
    """运行政策文件中的测试用例；有失败时以非零状态退出。"""
    from wulian.engines.rules import cases, files

    try:
        loaded = files.read_policies(path)
    except WulianError as error:
        raise _fail(error.message) from None
    total = failed = 0
    for policy in loaded:
        for result in cases.run_cases(policy):
            total += 1
            if result.passed:
                continue
            failed += 1
            where = f"{policy.filename} 第 {result.line} 行" if result.line else policy.filename
            err_console.print(
                f"[bold red]失败[/] {escape(where)} {escape(result.name)}："
                + escape("；".join(result.problems))
            )
    untested = [p.id for p in loaded if not p.tests]
    if untested:
        console.print(f"没有测试用例的政策：{escape('、'.join(untested))}")
    console.print(f"{len(loaded)} 项政策，{total} 个用例，通过 {total - failed}，失败 {failed}")
    if failed or total == 0:
        raise typer.Exit(1)


# ------------------------------------------------------------- classify engine on plain files


@classify_app.command("train")
def classify_train(
    taxonomy: Annotated[
        Path,
        typer.Option(
            "--taxonomy", help="分类表：code, name, parent_code, description", exists=True
        ),
    ],
    model: Annotated[Path, typer.Option("--model", help="模型文件（写入）")],
    examples: Annotated[
        Path | None, typer.Option("--examples", help="带标注的样本：text, code", exists=True)
    ] = None,
) -> None:
    """用分类表（名称、说明、关键词）和可选的标注样本训练模型。"""
    from wulian.engines.classify import files
    from wulian.engines.classify import model as classify_model

    try:
        tree = files.read_taxonomy(taxonomy)
        labelled = files.read_examples(examples, tree) if examples else []
        trained = classify_model.train(tree, labelled)
        classify_model.save(trained, model)
    except WulianError as error:
        raise _fail(error.message) from None
    console.print(
        f"已训练：{len(tree)} 个节点，{len(labelled)} 条样本，"
        f"{trained.features} 个特征，温度 {trained.temperature}；模型写入 {escape(str(model))}"
    )


@classify_app.command("predict")
def classify_predict(
    model: Annotated[Path, typer.Option("--model", help="模型文件", exists=True)],
    input_path: Annotated[Path, typer.Option("--input", help="待分类文本：id, text", exists=True)],
    out: OutOption,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=20, help="每条文本给出前几个")] = 3,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0, max=1, help="最高置信度低于此值的标为待审核")
    ] = 0.5,
) -> None:
    """给每条文本排出最可能的节点、置信度和起决定作用的词。"""
    from wulian.engines.classify import files
    from wulian.engines.classify import model as classify_model
    from wulian.engines.index.files import write_table

    try:
        loaded = classify_model.load(model)
        ids, texts = files.read_input(input_path)
        prediction = classify_model.predict(loaded, texts, top_k)
        table = files.output(ids, prediction, threshold)
        write_table(table, out)
    except WulianError as error:
        raise _fail(error.message) from None
    review = table.filter(pl.col("rank").is_null() | (pl.col("rank") == 1))
    waiting = review.filter(pl.col("review") == "是").height
    console.print(
        f"已分类 {len(texts)} 条文本（空文本 {len(prediction.empty)} 条），"
        f"待审核 {waiting} 条；结果写入 {escape(str(out))}"
    )


def main() -> None:
    """Entry point of the `wulian` console script."""
    app()
