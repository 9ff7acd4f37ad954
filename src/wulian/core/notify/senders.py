"""Where messages leave the platform: email through SMTP, SMS through a zone's provider.

An SMS provider is plugged in by naming a class in the setting `sms_sender`
("package.module:Class"); it is built with the settings and must offer `send(phone, text)`
(`SmsSender`). The built-in `LoggingSms` only writes each message to the log.
"""

from __future__ import annotations

import importlib
import logging
import smtplib
import ssl
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol, runtime_checkable

from wulian.core.settings import Settings

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """A message the provider did not take; the outbox tries it again later."""


@runtime_checkable
class EmailSender(Protocol):
    def send(self, to: str, subject: str, body: str) -> None: ...


@runtime_checkable
class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class SmtpSender:
    """Email through an SMTP server (STARTTLS or implicit TLS, optional login), UTF-8."""

    def __init__(
        self,
        host: str,
        port: int = 587,
        *,
        sender: str,
        user: str = "",
        password: str = "",
        starttls: bool = True,
        ssl_on_connect: bool = False,
        timeout: float = 20.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.user, self.password = user, password
        self.starttls, self.ssl_on_connect, self.timeout = starttls, ssl_on_connect, timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpSender | None:
        """The sender the settings describe; None when email is off (no `smtp_host`)."""
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            sender=settings.smtp_from or f"wulian@{settings.smtp_host}",
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            starttls=settings.smtp_starttls,
            ssl_on_connect=settings.smtp_ssl,
        )

    def message(self, to: str, subject: str, body: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = formataddr(("五链融合工作平台", self.sender))
        mail["To"] = str(Address(addr_spec=to))
        mail["Subject"] = subject
        mail["Message-ID"] = make_msgid(domain=self.sender.rpartition("@")[2] or None)
        mail.set_content(body, charset="utf-8")
        return mail

    def send(self, to: str, subject: str, body: str) -> None:
        mail = self.message(to, subject, body)
        context = ssl.create_default_context()
        try:
            if self.ssl_on_connect:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=context
                )
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.starttls and not self.ssl_on_connect:
                    client.starttls(context=context)
                if self.user:
                    client.login(self.user, self.password)
                client.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise SendFailed(f"邮件发送失败：{error}") from error


class LoggingSms:
    """The SMS sender of a zone without a provider: each message goes to the log only."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"
        log.info("短信（未接入短信平台，仅记录）：%s %s", masked, text)
        self.sent.append((phone, text))


def sms_sender(settings: Settings) -> SmsSender:
    """The SMS sender named by the setting `sms_sender` ("module:Class"), built with settings."""
    module_name, _, class_name = settings.sms_sender.partition(":")
    if not class_name:
        raise ValueError(f"sms_sender 应为“模块:类名”：{settings.sms_sender}")
    cls = getattr(importlib.import_module(module_name), class_name)
    sender = cls(settings)
    if not isinstance(sender, SmsSender):
        raise TypeError(f"{settings.sms_sender} 没有 send(phone, text) 方法")
    return sender
