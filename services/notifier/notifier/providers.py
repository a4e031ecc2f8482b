"""Provider adapters behind one typed protocol: SMTP for email, HTTP APIs for the rest.

An adapter either returns a receipt, raises ``Undeliverable`` (the address or token is bad, or
the message itself cannot be carried: the cascade moves on at once, nothing is retried) or
raises ``ProviderUnavailable`` after its own retries.
"""

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.errors import MessageError
from email.message import EmailMessage
from typing import Any, Protocol

import aiosmtplib
import httpx

from kit.errors import ServiceUnavailable
from kit.tracing import client_span
from notifier.settings import NotifierSettings


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: str  # the attempt id: the provider's idempotency key and callback reference
    channel: str
    to: str
    subject: str | None
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    provider_message_id: str


# The reason recorded on an attempt whose data no provider can carry.
MALFORMED = "malformed_message"


class Undeliverable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ProviderUnavailable(ServiceUnavailable):
    code = "provider_unavailable"
    title = "The channel's provider did not accept the message"


class Provider(Protocol):
    async def send(self, message: OutgoingMessage) -> Receipt: ...


class SmtpEmailProvider:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings

    async def send(self, message: OutgoingMessage) -> Receipt:
        email = _composed(self._compose, message)
        host, port = self.settings.smtp_host, self.settings.smtp_port
        try:
            with client_span("smtp send", {"server.address": host, "server.port": port}):
                await aiosmtplib.send(
                    email,
                    hostname=host,
                    port=port,
                    username=self.settings.smtp_username,
                    password=self.settings.smtp_password,
                    start_tls=self.settings.smtp_starttls,
                    timeout=self.settings.smtp_timeout_seconds,
                )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            raise Undeliverable("bounced") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:  # a permanent refusal: sending it again changes nothing
                raise Undeliverable(f"rejected_{exc.code}") from exc
            raise ProviderUnavailable(f"SMTP: {exc}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise ProviderUnavailable(f"SMTP: {exc}") from exc
        return Receipt(provider_message_id=str(email["Message-ID"]))

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.settings.email_from
        email["To"] = message.to
        email["Subject"] = message.subject or ""
        email["Message-ID"] = f"<{message.message_id}@notifier>"
        for name, value in message.headers.items():
            email[name] = value
        email.set_content(message.text)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email


def _composed(
    compose: Callable[[OutgoingMessage], EmailMessage], message: OutgoingMessage
) -> EmailMessage:
    """Bad data (a CR/LF in a name that reached the subject, an address that is no address) is
    the message's fault, not the relay's: it fails now, for good, with its reason."""
    try:
        return compose(message)
    except (ValueError, MessageError) as exc:
        raise Undeliverable(MALFORMED) from exc


class HttpProvider:
    """The common HTTP exchange: JSON out, timeouts, retries with exponential backoff."""

    path = "/messages"

    def __init__(self, client: httpx.AsyncClient, settings: NotifierSettings) -> None:
        self.client = client
        self.settings = settings

    def payload(self, message: OutgoingMessage) -> dict[str, Any]:
        return {"to": message.to, "text": message.text}

    async def send(self, message: OutgoingMessage) -> Receipt:
        body = {
            **self.payload(message),
            "id": message.message_id,
            "callback_url": self.settings.callback_url,
        }
        delay = self.settings.provider_backoff_seconds
        for attempt in range(1, self.settings.provider_attempts + 1):
            try:
                return self._receipt(message, await self._post(body))
            except (ProviderUnavailable, httpx.TransportError) as exc:
                if attempt == self.settings.provider_attempts:
                    raise ProviderUnavailable(f"{self.path}: {exc!r}") from exc
            await asyncio.sleep(delay)
            delay *= 2
        raise AssertionError("unreachable")

    async def _post(self, body: dict[str, Any]) -> httpx.Response:
        response = await self.client.post(
            self.path,
            json=body,
            headers={
                "Authorization": f"Bearer {self.settings.provider_api_key}",
                "Idempotency-Key": str(body["id"]),
            },
            timeout=self.settings.provider_timeout_seconds,
        )
        if response.status_code == 429 or response.status_code >= 500:
            raise ProviderUnavailable(f"answered {response.status_code}")
        return response

    def _receipt(self, message: OutgoingMessage, response: httpx.Response) -> Receipt:
        if response.status_code >= 400:
            raise Undeliverable(_error_code(response))
        found = response.json().get("provider_message_id") if response.content else None
        return Receipt(provider_message_id=str(found or uuid.uuid4()))


def _error_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code") or f"rejected_{response.status_code}")
    except ValueError:
        return f"rejected_{response.status_code}"


class HttpPushProvider(HttpProvider):
    path = "/push/messages"

    def payload(self, message: OutgoingMessage) -> dict[str, Any]:
        return {"token": message.to, "title": message.subject, "body": message.text}


class HttpSmsProvider(HttpProvider):
    path = "/sms/messages"


class HttpMessengerProvider(HttpProvider):
    path = "/messenger/messages"

    def payload(self, message: OutgoingMessage) -> dict[str, Any]:
        return {"to": message.to, "type": "text", "text": message.text}


def open_providers(settings: NotifierSettings, client: httpx.AsyncClient) -> dict[str, Provider]:
    return {
        "email": SmtpEmailProvider(settings),
        "push": HttpPushProvider(client, settings),
        "sms": HttpSmsProvider(client, settings),
        "messenger": HttpMessengerProvider(client, settings),
    }


def provider_client(settings: NotifierSettings) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.provider_timeout_seconds, connect=2.0)
    return httpx.AsyncClient(base_url=settings.provider_url, timeout=timeout)
