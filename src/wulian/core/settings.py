"""Settings read from the environment (prefix WULIAN_) with safe defaults for the demo."""

from __future__ import annotations

import os
import secrets
import stat
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from wulian.core.db import Timeouts

SECRET_FILE = "session-secret"  # noqa: S105  (a file name)


class Settings(BaseSettings):
    """Runtime configuration. Every field can be set as WULIAN_<FIELD> in the environment."""

    model_config = SettingsConfigDict(env_prefix="WULIAN_", extra="ignore")

    data_dir: Path = Field(
        default=Path("wulian-data"), description="数据目录（数据库、密钥、上传文件）"
    )
    database_url: str = Field(
        default="sqlite:///./wulian-data/wulian.db", description="SQLAlchemy 数据库地址"
    )
    zone_name: str = Field(default="示例高新区", description="园区名称")
    max_request_bytes: int = Field(default=1 * 1024 * 1024, description="普通请求体上限（字节）")
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, description="文件上传请求体上限（字节）"
    )
    max_evidence_bytes: int = Field(
        default=10 * 1024 * 1024, description="企业填报佐证材料（PDF 或图片）单个文件上限（字节）"
    )
    upload_keep_hours: float = Field(
        default=24,
        gt=0,
        le=24 * 30,
        description="上传后未确认的导入文件及其检查报告保留多少小时，过期删除",
    )
    change_bounds: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description='按指标覆盖大幅变动的界限，如 {"revenue": {"ratio": 2}}'
        "（ratio 倍数、jump 绝对变动、floor 不计的小变动）；未列出的按指标目录",
    )
    session_idle_minutes: int = Field(default=120, description="会话空闲超时（分钟）")
    session_max_hours: int = Field(default=12, description="会话最长有效期（小时）")
    login_max_failures: int = Field(default=5, description="连续失败多少次后锁定")
    login_lock_minutes: int = Field(default=15, description="锁定时长（分钟）")
    secure_cookies: bool | None = Field(
        default=None, description="强制 Secure Cookie；为空时按请求是否为 HTTPS 决定"
    )
    log_requests: bool = Field(default=True, description="每个请求输出一行 JSON 日志")
    # Python runs one thread at a time per process: past two requests in flight, more threads
    # only wait for each other (measured under load: p99 of submit 0.5 s at 2, 0.8 s at 4,
    # 1.7 s at 8). Raise it where requests mostly wait on slow input and output.
    max_concurrent_requests: int = Field(
        default=2,
        ge=1,
        le=200,
        description="每个工作进程同时处理的请求数上限；其余在事件循环里排队，不占线程和数据库连接",
    )
    warm_up: bool = Field(
        default=True, description="启动时先预热（映射、诉求分类模型），再接受请求"
    )
    desk_sweep_minutes: float = Field(
        default=10,
        ge=0,
        le=1440,
        description="wulian serve 每隔多少分钟做一次诉求期限巡检（预警、超期督办）；0 为不做",
    )

    base_url: str = Field(
        default="", description="平台对外的访问地址，如 https://wulian.zone.gov.cn（邮件中的链接）"
    )
    smtp_host: str = Field(default="", description="发送通知邮件的 SMTP 服务器；留空为不发邮件")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP 端口")
    smtp_user: str = Field(default="", description="SMTP 登录用户名；留空为不登录")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP 登录密码")
    smtp_from: str = Field(default="", description="发件人地址，如 notice@zone.gov.cn")
    smtp_starttls: bool = Field(default=True, description="连接后用 STARTTLS 加密")
    smtp_ssl: bool = Field(default=False, description="连接即用 TLS（通常为 465 端口）")
    sms_sender: str = Field(
        default="wulian.core.notify.senders:LoggingSms",
        description="短信发送实现（模块:类名）；默认只写日志，接入短信平台时换成平台的实现",
    )

    db_lock_timeout_ms: int = Field(
        default=5_000,
        ge=0,
        description="等待其他请求持有的行锁或写锁的最长时间（毫秒）；超时返回 409，不会一直等下去",
    )
    db_statement_timeout_ms: int = Field(
        default=60_000,
        ge=0,
        description="单条数据库语句的最长执行时间（毫秒，PostgreSQL）；0 为不限",
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=120_000,
        ge=0,
        description="事务在两条语句之间空闲的最长时间（毫秒，PostgreSQL）；0 为不限",
    )

    talent_key: SecretStr = Field(
        default=SecretStr(""),
        description="人才个人信息（身份证号）加密主密钥：64 位十六进制（32 字节），"
        "如 python -c 'import secrets; print(secrets.token_hex(32))' 生成；不写入数据库，"
        "丢失后已存的身份证号无法解密",
    )
    occupations_file: Path | None = Field(
        default=None,
        description="职业分类大典（2022）CSV（列 level、code、name…），"
        "用于核对人员和岗位的职业代码；留空则只检查代码格式",
    )

    @property
    def db_timeouts(self) -> Timeouts:
        """The database timeouts of the web server and of short commands."""
        return Timeouts(
            lock_ms=self.db_lock_timeout_ms,
            statement_ms=self.db_statement_timeout_ms,
            idle_ms=self.db_idle_in_transaction_timeout_ms,
        )

    @property
    def db_command_timeouts(self) -> Timeouts:
        """The timeouts of command-line work (imports, migrations, the demo build): the same
        wait for locks, no limit on a long statement."""
        return Timeouts(lock_ms=self.db_lock_timeout_ms, statement_ms=0, idle_ms=0)

    @cached_property
    def session_secret(self) -> bytes:
        """The session secret, generated on first use and kept in the data directory (0600)."""
        return load_or_create_secret(self.data_dir)


def load_or_create_secret(data_dir: Path) -> bytes:
    """Read the secret from data_dir, creating it with 0600 permissions on first run."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
    except FileExistsError:
        return _read_secret(path)
    value = secrets.token_bytes(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value.hex())
    return value


def _read_secret(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"密钥文件 {path} 的权限过宽（{oct(mode)}），请执行 chmod 600 {path}")
    try:
        value = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except ValueError:
        value = b""
    if len(value) < 32:
        raise ValueError(f"密钥文件 {path} 内容无效，请删除后重新启动以生成新密钥")
    return value


def get_settings() -> Settings:
    """Settings from the current environment."""
    return Settings()
