"""`wulian serve` and `wulian demo`."""

from __future__ import annotations

import os
import socket
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from wulian.cli.common import cli_actor, console, fail
from wulian.cli.database import show_install
from wulian.core.db import create_engine, migrate, session_factory, unit_of_work
from wulian.core.errors import WulianError
from wulian.core.settings import get_settings

app = typer.Typer()  # its commands are added to the top level of `wulian`


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
        raise fail(error.message, code=1) from None
    sweeper = None
    if settings.desk_sweep_minutes > 0:  # one for the server, in this process, not per worker
        from wulian.core.notify.outbox import Outbox
        from wulian.desk.sweeper import Sweeper

        sweeper = Sweeper(
            settings.database_url,
            settings.desk_sweep_minutes * 60,
            timeouts=settings.db_timeouts,
            outbox=Outbox.from_settings(settings),
        )
        sweeper.start()
    address = f"http://{host}:{port}"
    if settings.warm_up:
        console.print(
            f"[yellow]wulian 正在启动：[/]先预热（页面路由、数据库映射、诉求分类模型、人才匹配"
            f"内核；首次安装后第一次启动可能需要一两分钟），预热完成后 {address} 才接受连接……"
        )
    else:
        console.print(f"[yellow]wulian 正在启动：[/]{address}")
    ready = ReadyWatch(host, port, f"[green]wulian 已就绪：[/]{address}  （{workers} 个工作进程；"
                       "Ctrl+C 停止）")  # fmt: skip
    ready.start()
    try:
        if workers == 1:
            uvicorn.run(application, **options)
        else:  # each worker process builds its own app (engine, caches) from the same settings
            uvicorn.run("wulian.web.app:create_app", factory=True, workers=workers, **options)
    finally:
        ready.stop()
        if sweeper is not None:
            sweeper.stop()


class ReadyWatch:
    """Says the server is ready once its port accepts connections (after the warm-up, which
    runs before uvicorn listens), not before: a thread tries to connect to the server's own
    address every interval until it can, or until the server stops."""

    def __init__(self, host: str, port: int, message: str, *, interval: float = 0.5) -> None:
        # a server listening on every address is reached on the loopback one
        self.host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(  # noqa: S104
            host, host
        )
        self.port, self.message, self.interval = port, message, interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.watch, name="serve-ready", daemon=True)
        self.said = False

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout=5)

    def accepts(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.interval):
                return True
        except OSError:
            return False

    def watch(self) -> None:
        while not self.stopped.is_set():
            if self.accepts():
                console.print(self.message)
                self.said = True
                return
            self.stopped.wait(self.interval)


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
            result = build.build(session, actor=cli_actor(), data_dir=settings.data_dir)
        progress.update(task, advance=1, description="示例园区就绪")
    engine.dispose()
    console.print(
        f"示例园区“{escape(settings.zone_name)}”，数据库：{escape(settings.database_url)}"
    )
    show_install(result.installed)
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
    if result.pipeline:
        pipeline = result.pipeline
        console.print(
            f"招商项目库示例项目 {pipeline.projects} 个（百亿级 {pipeline.hundred_yi} 个），"
            f"集中签约活动 {pipeline.signings} 场。"
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
