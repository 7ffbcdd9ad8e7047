"""E-mail over SMTP with the standard library (smtplib), STARTTLS or SSL, with a login when
configured. The Message-ID carries our key, so a re-sent e-mail can be recognised."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate

from .base import Outgoing, Sent


class SmtpChannel:
    provider = "smtp"

    def __init__(self, *, host: str, port: int = 25, sender: str, username: str = "",
                 password: str = "", security: str = "starttls", timeout: float = 10.0,
                 domain: str = "f0monitor.local") -> None:
        if security not in ("none", "starttls", "ssl"):
            raise ValueError("security is none, starttls or ssl")
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.security = username, password, security
        self.timeout, self.domain = timeout, domain

    def _connect(self) -> smtplib.SMTP:
        if self.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                client.starttls()
        if self.username:
            client.login(self.username, self.password)
        return client

    def _email(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject or message.text.split("\n", 1)[0][:78]
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = f"<{message.key}@{self.domain}>"
        email["Content-Language"] = message.locale
        email.set_content(message.text)
        return email

    def send(self, message: Outgoing) -> Sent:
        return self.send_many([message])[0]

    def send_many(self, messages: Sequence[Outgoing]) -> list[Sent]:
        try:
            client = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            return [_failure(exc)] * len(messages)
        results = []
        try:
            for m in messages:
                try:
                    refused = client.send_message(self._email(m))
                except (OSError, smtplib.SMTPException) as exc:
                    results.append(_failure(exc))
                    continue
                if refused:
                    results.append(Sent.failure(f"SMTP refused {len(refused)} recipient", retryable=False))
                else:
                    results.append(Sent(True, provider_message_id=f"{m.key}@{self.domain}", cost_units=0))
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                pass
        return results


def _failure(exc: Exception) -> Sent:
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        # 4xx: temporary (greylisting, rate limits); 5xx: permanent.
        return Sent.failure(f"SMTP {code}", retryable=400 <= code < 500, retry_after=60 if code == 421 else None)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return Sent.failure("SMTP recipient refused", retryable=False)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return Sent.failure("SMTP timeout", retryable=True)
    return Sent.failure(f"SMTP {type(exc).__name__}", retryable=True)
