"""The `wulian` command on both databases: demo, users, tokens, database status."""

from __future__ import annotations

import re
import threading
import time

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import SYSTEM
from wulian.cli import app
from wulian.core.audit.models import AuditEntry
from wulian.core.auth import service as auth_service
from wulian.core.auth.models import ApiToken, Department, User
from wulian.core.auth.passwords import verify_password
from wulian.core.db import session_factory
from wulian.core.permissions import Role
from wulian.desk.models import DeskRequest
from wulian.reference import catalogue
from wulian.reference.models import Industry, Metric


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setenv("WULIAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WULIAN_DATA_DIR", str(settings.data_dir))
    runner = CliRunner()

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(app, list(args), input=stdin)

    return invoke


def test_demo_builds_once_and_prints_the_admin_password_once(run, world):
    first = run("demo")
    assert first.exit_code == 0, first.output
    password = re.search(r"初始密码：(\S+)", first.output).group(1)
    assert "只显示这一次" in first.output
    admin = world.get_user("admin")
    assert admin.must_change_password
    assert verify_password(password, admin.password_hash)[0]
    assert world.scalar(sa.select(sa.func.count(Department.id))) == 11  # incl. those requests go to
    assert world.scalar(sa.select(sa.func.count(Metric.key))) == len(catalogue.shipped())
    requests = world.scalar(sa.select(sa.func.count(DeskRequest.id)))
    assert requests > 300  # a year's and the last handful, however many today's cutoff leaves
    assert f"企呼我应示例诉求 {requests} 件" in first.output
    second = run("demo")
    assert second.exit_code == 0
    assert "初始密码" not in second.output
    assert "已存在" in second.output
    assert world.scalar(sa.select(sa.func.count(Department.id))) == 11
    labels = world.scalar(sa.select(sa.func.min(AuditEntry.actor_label)))
    assert labels.startswith("命令行:")


def test_user_create_reads_the_password_from_stdin(run, world):
    world.department("science", "科技局")
    result = run(
        "user",
        "create",
        "--username",
        "li.si",
        "--role",
        "officer",
        "--department",
        "science",
        stdin="Good-Pass-2026\n",
    )
    assert result.exit_code == 0, result.output
    assert "已创建用户 li.si（部门工作人员）" in result.output
    user = world.get_user("li.si")
    assert verify_password("Good-Pass-2026", user.password_hash)[0]
    assert user.must_change_password  # set by someone else: changed at first sign-in


def test_password_is_never_taken_from_an_argument(run, world):
    result = run(
        "user", "create", "--username", "x1", "--role", "admin", "--password", "Secret-2026!"
    )
    assert result.exit_code == 2
    assert world.scalar(sa.select(sa.func.count(User.id))) == 0


def test_bad_user_input_gets_chinese_messages_and_changes_nothing(run, world):
    weak = run("user", "create", "--username", "xyz1", "--role", "analyst", stdin="short\n")
    assert weak.exit_code == 2
    assert "密码长度至少 10 位" in weak.output
    empty = run("user", "create", "--username", "xyz1", "--role", "analyst", stdin="")
    assert "标准输入中没有读到密码" in empty.output
    unbound = run("user", "create", "--username", "firm1", "--role", "enterprise", "--generate")
    assert "企业用户必须绑定一家企业" in unbound.output
    unknown_firm = run(
        "user",
        "create",
        "--username",
        "firm1",
        "--role",
        "enterprise",
        "--generate",
        "--enterprise",
        "91330800MA28F3A00X",
    )
    assert "校验位不正确" in unknown_firm.output
    assert world.scalar(sa.select(sa.func.count(User.id))) == 0


def test_generated_password_for_an_enterprise_user(run, world, monkeypatch):
    from stdnum.cn import uscc

    # A password that looks like console markup must be printed exactly.
    monkeypatch.setattr(
        "wulian.core.auth.service.generate_password", lambda: "Ab1[bold]x[/]-zz[red]"
    )
    code = "91330800MA28F3A00" + uscc.calc_check_digit("91330800MA28F3A00")
    firm = world.enterprise("甲材料科技有限公司", code)
    result = run(
        "user",
        "create",
        "--username",
        "firm-a",
        "--role",
        "enterprise",
        "--enterprise",
        code,
        "--generate",
    )
    assert result.exit_code == 0, result.output
    password = re.search(r"初始密码（只显示这一次）：(\S+)", result.output).group(1)
    assert password == "Ab1[bold]x[/]-zz[red]"
    user = world.get_user("firm-a")
    assert user.enterprise_id == firm
    assert verify_password(password, user.password_hash)[0]


def test_token_create_list_and_revoke(run, world, settings):
    created = run("token", "create", "--name", "某银行", "--scope", "zone:read")
    assert created.exit_code == 0, created.output
    plaintext = re.search(r"(wlt_[0-9a-f]{12}_\S+)", created.output).group(1)
    with session_factory(world.engine)() as session:
        token = auth_service.resolve_token(
            session, plaintext=plaintext, secret=settings.session_secret
        )
        assert token.scopes == ["zone:read"]
    listed = run("token", "list")
    assert "某银行" in listed.output
    assert plaintext not in listed.output
    revoked = run("token", "revoke", str(token.id))
    assert revoked.exit_code == 0
    assert world.scalar(sa.select(ApiToken.revoked_at)) is not None
    bad = run("token", "create", "--name", "x", "--scope", "everything")
    assert "未知的权限范围：everything" in bad.output
    assert run("token", "revoke", "999").exit_code == 2


def test_user_reset_password_and_list(run, world):
    world.user("ana", __import__("wulian.core.permissions", fromlist=["Role"]).Role.ANALYST)
    reset = run("user", "reset-password", "ana")
    assert reset.exit_code == 0
    assert world.get_user("ana").must_change_password
    assert "ana" in run("user", "list").output
    assert run("user", "reset-password", "nobody").exit_code == 2


def test_serve_refuses_a_database_that_is_behind(tmp_path, monkeypatch):
    monkeypatch.setenv("WULIAN_DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    monkeypatch.setenv("WULIAN_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    for workers in ("1", "2"):  # checked in the process itself, or before starting workers
        result = runner.invoke(app, ["serve", "--workers", workers])
        assert result.exit_code == 1
        assert "数据库结构版本落后" in result.output
        assert "wulian db upgrade" in result.output
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 1
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0
    assert "已升级：空库 → " in upgraded.output
    assert runner.invoke(app, ["db", "status"]).exit_code == 0


def test_serve_sweeps_the_desk_while_it_runs(run, world, monkeypatch):
    """No cron job needed: `wulian serve` escalates an overdue request while the server runs,
    and stops its sweeper when the server stops."""
    import uvicorn

    from tests.desk.conftest import DEPARTMENTS, china, submit
    from wulian.desk import service as desk_service
    from wulian.desk.models import DeskRequest

    for code, name in DEPARTMENTS.items():
        world.department(code, name)
    world.run(lambda s: desk_service.install_shipped(s, actor=SYSTEM))
    firm = world.enterprise("巡检测试有限公司")
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    overdue, _ = submit(world, when=china(2026, 3, 2, 9, 0))
    seen = []

    def server(*args, **kwargs):  # the server runs until the request is escalated
        for _ in range(1000):
            if world.run(lambda s: s.get(DeskRequest, overdue).escalated_at) is not None:
                seen.append(True)
                return
            time.sleep(0.02)

    monkeypatch.setattr(uvicorn, "run", server)
    monkeypatch.setenv("WULIAN_DESK_SWEEP_MINUTES", "60")
    result = run("serve", "--workers", "2")
    assert result.exit_code == 0, result.output
    assert seen == [True]
    assert not any(t.name == "desk-sweeper" for t in threading.enumerate())


def test_serve_says_it_is_ready_only_once_the_port_accepts_connections(run, world, monkeypatch):
    """The warm-up runs before the server listens: `wulian serve` first says it is warming up,
    and says it is ready only when its port accepts connections."""
    import socket

    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    seen: list[str] = []

    def server(*args, **kwargs):  # a warm-up, then the port opens; the server then stops
        time.sleep(0.8)
        seen.append("warm")
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", port))
            listener.listen()
            for _ in range(200):
                if any(t.name == "serve-ready" for t in threading.enumerate()):
                    time.sleep(0.02)
                else:
                    break

    monkeypatch.setattr(uvicorn, "run", server)
    monkeypatch.setenv("WULIAN_DESK_SWEEP_MINUTES", "0")
    result = run("serve", "--workers", "2", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert seen == ["warm"]
    starting = result.output.index("正在启动")
    assert "预热完成后" in result.output
    assert result.output.index("已就绪") > starting
    assert f"http://127.0.0.1:{port}" in result.output
    assert not any(t.name == "serve-ready" for t in threading.enumerate())


def test_reference_import_from_the_command_line(run, world, shared_data, tmp_path):
    folder = shared_data / "gbt4754"
    result = run(
        "reference",
        "import",
        "gbt4754",
        str(folder / "gbt4754_2017_notes.csv"),
        "--tags",
        str(folder / "industry_special_tags.csv"),
        "--strategic",
        str(folder / "strategic_emerging_2018_to_gbt4754.csv"),
    )
    assert result.exit_code == 0, result.output
    assert "已导入 1972 个行业代码（小类 1382 个）" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,parent_code,level\nC,制造业,,1\n3841,锂离子电池制造,384,4\n")
    refused = run("reference", "import", "gbt4754", str(bad))
    assert refused.exit_code == 2
    assert "第 3 行“parent_code”列（值：384）：上级应为已列出的中类" in refused.output
    assert world.scalar(sa.select(sa.func.count(Industry.code))) == 1972
    synced = run("reference", "sync-metrics")
    assert "新增" in synced.output


def test_desk_sweep_escalates_overdue_requests(run, world):
    from tests.desk.conftest import DEPARTMENTS, china, submit
    from wulian.desk import service as desk_service

    for code, name in DEPARTMENTS.items():
        world.department(code, name)
    world.run(lambda s: desk_service.install_shipped(s, actor=SYSTEM))
    firm = world.enterprise("巡检测试有限公司")
    world.user("firm1", Role.ENTERPRISE, enterprise_id=firm)
    submit(world, when=china(2026, 3, 2, 9, 0))  # long overdue by now
    result = run("desk", "sweep")
    assert result.exit_code == 0, result.output
    assert "自动督办 1 件" in result.output
    again = run("desk", "sweep")
    assert "自动督办 0 件" in again.output
