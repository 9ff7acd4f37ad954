"""`wulian user`, `wulian department` and `wulian token`."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from wulian.cli.common import console, fail, work
from wulian.core.auth import service as auth_service
from wulian.core.calendar import end_of_day, parse_day
from wulian.core.errors import InvalidInput
from wulian.core.permissions import SCOPES, Role
from wulian.core.settings import get_settings

user_app = typer.Typer(help="用户管理", no_args_is_help=True)
token_app = typer.Typer(help="API 令牌管理", no_args_is_help=True)
department_app = typer.Typer(help="部门管理", no_args_is_help=True)


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
    with work() as (session, actor):
        try:
            password = None if generate else _read_password(username)
        except InvalidInput as error:
            raise fail(error.message) from None
        department_id = auth_service.department_id_for_code(session, code=department)
        enterprise_id = _id_for_uscc(session, enterprise)
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
    with work() as (session, actor):
        user = auth_service.get_user_by_username(session, username=username)
        if user is None:
            raise fail(f"用户不存在：{username}")
        password = auth_service.reset_password(session, actor=actor, user_id=user.id)
    console.print(
        f"{escape(username)} 的新初始密码（只显示这一次）：[bold yellow]{escape(password)}[/]"
    )


@user_app.command("list")
def user_list() -> None:
    """列出全部用户。"""
    with work() as (session, actor):
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
    with work() as (session, actor):
        department = auth_service.create_department(session, actor=actor, code=code, name=name)
    console.print(f"[green]已创建部门[/] {escape(department.name)}（{department.code}）")


@department_app.command("list")
def department_list() -> None:
    """列出全部部门。"""
    with work() as (session, actor):
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
    with work(settings) as (session, actor):
        day = parse_day(expires or "", field="expires")
        expires_at = end_of_day(day) if day else None
        enterprise_id = _id_for_uscc(session, enterprise)
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
    with work() as (session, actor):
        token = auth_service.revoke_token(session, actor=actor, token_id=token_id)
    console.print(f"[green]已吊销令牌[/] #{token.id} {escape(token.name)}")


@token_app.command("list")
def token_list() -> None:
    """列出全部 API 令牌。"""
    with work() as (session, actor):
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


def _id_for_uscc(session: Session, code: str | None) -> int | None:
    """The firm registered under a credit code (the registry is imported only when asked)."""
    from wulian.enterprises import service as enterprise_service

    return enterprise_service.id_for_uscc(session, code=code)
