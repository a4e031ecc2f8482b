"""Channel adapters behind typed protocols; one adapter per provider."""

from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib

from kit.errors import ServiceUnavailable
from notifier.settings import NotifierSettings


@dataclass(frozen=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    message_id: str


class EmailSender(Protocol):
    async def send(self, email: OutgoingEmail) -> None: ...


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    title = "The channel's provider did not accept the message"


class SmtpEmailSender:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings

    async def send(self, email: OutgoingEmail) -> None:
        message = EmailMessage()
        message["From"] = self.settings.email_from
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Message-ID"] = f"<{email.message_id}@notifier>"
        message.set_content(email.text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                username=self.settings.smtp_username,
                password=self.settings.smtp_password,
                start_tls=self.settings.smtp_starttls,
                timeout=self.settings.smtp_timeout_seconds,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderUnavailable(f"SMTP: {exc}") from exc
