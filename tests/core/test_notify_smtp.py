"""Notification email through a real SMTP conversation, with a local server on a free loopback
port: a committed notification arrives once, subject and body in Chinese (UTF-8)."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests.conftest import World
from wulian.core.auth.models import User
from wulian.core.db import session_factory
from wulian.core.notify import service as notify
from wulian.core.notify.outbox import Outbox
from wulian.core.notify.senders import LoggingSms, SendFailed, SmtpSender
from wulian.core.permissions import Role
from wulian.core.settings import Settings


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_a_committed_notification_arrives_by_smtp_in_chinese(world: World, smtp, tmp_path):
    inbox, port = smtp
    science = world.department("science", "科技局")
    officer = world.user("zhang", Role.OFFICER, department_id=science)

    def address(session: sa.orm.Session) -> None:
        user = session.get(User, officer)
        assert user is not None
        user.email = "zhang@zone.example.cn"

    world.run(address)
    world.run(
        lambda s: notify.notify_department(
            s, department_id=science, kind="desk.assigned", title="诉求已交办：厂房用电增容",
            body="受理编号 QH2026000123。", link="/desk/requests/123",
        )
    )  # fmt: skip
    settings = Settings(
        data_dir=tmp_path, database_url="sqlite://", smtp_host="127.0.0.1", smtp_port=port,
        smtp_starttls=False, smtp_from="notice@zone.example.cn",
        base_url="https://wulian.zone.example.cn",
    )  # fmt: skip
    outbox = Outbox.from_settings(settings)
    assert isinstance(outbox.sms, LoggingSms)
    sessions = session_factory(world.engine)
    assert outbox.deliver(sessions).sent == 1
    assert outbox.deliver(sessions).sent == 0  # once
    [(recipients, message)] = inbox.messages
    assert recipients == ["zhang@zone.example.cn"]
    assert message["Subject"] == "诉求已交办：厂房用电增容"
    assert "notice@zone.example.cn" in message["From"]
    body = message.get_body().get_content()  # type: ignore[union-attr]
    assert "受理编号 QH2026000123。" in body
    assert "https://wulian.zone.example.cn/desk/requests/123" in body
    assert message.get_content_charset() == "utf-8"


def test_email_is_off_without_a_server(tmp_path):
    assert SmtpSender.from_settings(Settings(data_dir=tmp_path, database_url="sqlite://")) is None


def test_an_unreachable_server_is_a_send_failure():
    sender = SmtpSender("127.0.0.1", free_port(), sender="a@b.cn", starttls=False, timeout=2)
    with pytest.raises(SendFailed, match="邮件发送失败"):
        sender.send("zhang@zone.example.cn", "测试", "正文")
