from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kit.schemas import StrictModel
from notifier.workflows.messages import Channel, DeliveryRequest

__all__ = ["DeliveryRequest"]


Language = Literal["en", "ru"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def normalized_phone(value: str) -> str:
    """E.164, validated with the phonenumbers library (a leading + is required)."""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class ContactIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = None
    time_zone: str = "UTC"
    language: Language | None = Field(default=None, description="None: English")
    consents: dict[Channel, bool] = {}
    source: str = Field(default="api", max_length=100)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalized_phone(value) if value else None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class ConsentIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    granted: bool
    source: str = Field(min_length=1, max_length=100)


class PushTokenIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(min_length=1, max_length=100)
    token: str = Field(min_length=1, max_length=500)


class ContactOut(_Out):
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    time_zone: str
    language: str | None = None
    test_recipient: bool = False
    consents: dict[str, bool]
    push_tokens: dict[str, str] | None
    updated_at: datetime


class ConsentChangeOut(_Out):
    channel: str
    granted: bool
    source: str
    changed_at: datetime


class TranslationIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class TemplateIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)
    category: Literal["marketing", "transactional"] = "marketing"
    variables: list[str] = Field(default=[], description="Names the caller will pass")
    translations: dict[Language, TranslationIn] = Field(
        default={}, description="The texts for customers of another language"
    )


class SmsInfo(BaseModel):
    encoding: str
    units: int
    segments: int
    cost_per_send: int
    warning: str | None


class TemplateOut(_Out):
    name: str
    channel: str
    subject: str | None
    body: str
    category: str
    variables: list[str]
    translations: dict[str, TranslationIn] = {}
    origin: Literal["default", "saved"] = Field(
        default="saved", description="default: shipped with the platform, not edited yet"
    )
    updated_at: datetime | None
    sms: SmsInfo | None = None


class PreviewIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: str = Field(min_length=1, max_length=36)
    variables: dict[str, Any] = Field(
        default={}, description="What the chain would pass; the others get sample values"
    )


class PreviewOut(BaseModel):
    template: str
    channel: str
    customer_id: str
    language: str
    subject: str | None
    body: str
    sampled_variables: list[str] = Field(description="Variables shown with sample values")
    sms: SmsInfo | None = Field(default=None, description="Segments and cost of this text")


class DraftPreviewIn(StrictModel):
    """A template's texts as the marketer is typing them, before they are saved."""

    model_config = ConfigDict(extra="forbid")

    channel: Channel
    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)
    variables: list[str] = Field(default=[], description="Names the chain or campaign passes")
    language: Language | None = Field(default=None, description="None: the customer's")
    customer_id: str | None = Field(default=None, min_length=1, max_length=36)
    values: dict[str, Any] = Field(
        default={}, description="What the chain would pass; the others get sample values"
    )


class DraftPreviewOut(BaseModel):
    channel: str
    customer_id: str | None
    language: str
    subject: str | None
    body: str
    sampled_variables: list[str] = Field(description="Variables shown with sample values")
    unknown_variables: list[str] = Field(description="Names saving would refuse")
    sms: SmsInfo | None = Field(default=None, description="Segments and cost of this text")


class TestRecipientIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    test_recipient: bool


class TestSendIn(PreviewIn):
    """A test send: to a customer flagged as a test recipient, outside every quota."""


class TestSendOut(BaseModel):
    delivery_id: str
    template: str
    channel: str
    customer_id: str
    status: Literal["sent"]
    subject: str | None
    body: str
    sampled_variables: list[str]


class PolicyIn(StrictModel):
    model_config = ConfigDict(extra="forbid")

    daily_cap: int = Field(default=3, ge=0, le=100)
    min_pause_seconds: int = Field(default=0, ge=0, le=7 * 24 * 3600)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    over_cap: Literal["defer", "drop"] = "defer"


class PolicyOut(_Out):
    scope: str
    daily_cap: int
    min_pause_seconds: int
    quiet_start: str
    quiet_end: str
    over_cap: str


class AttemptOut(_Out):
    id: str
    position: int
    channel: str
    status: str
    reason: str | None
    cost: int
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None


class DecisionOut(_Out):
    action: str
    reason: str
    decided_at: datetime
    until: datetime | None


class DeliveryOut(_Out):
    id: str
    customer_id: str
    channel: str
    channels: list[str] | None = None
    template: str
    source: str
    status: str
    reason: str | None
    critical: bool = False
    deferred_until: datetime | None = None
    created_at: datetime
    sent_at: datetime | None
    attempts: list[AttemptOut] = []
    decisions: list[DecisionOut] = Field(
        default=[], description="Why it was sent, deferred or dropped (in a customer's list)"
    )


class OutcomesOut(BaseModel):
    """The deliveries of one source by what became of them; reasons as the policy and the
    cascade recorded them (`daily_cap`, `quiet_hours`, `no_consent`, `invalid_token`, …)."""

    source: str
    total: int = 0
    sent: int = Field(default=0, description="Left for the customer: sent, delivered, opened")
    pending: int = Field(default=0, description="Not decided yet")
    deferred: dict[str, int] = Field(default={}, description="Waiting, by reason")
    failed: dict[str, int] = Field(default={}, description="A provider or a template failed")
    skipped: dict[str, int] = Field(default={}, description="Not tried: consent, address, cap")


class TemplatePage(BaseModel):
    items: list[TemplateOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class TrackingIn(StrictModel):
    token: str = Field(min_length=1, max_length=2000)


class ClickOut(BaseModel):
    target: str


class UnsubscribeOut(BaseModel):
    customer_id: str
    channel: str
    unsubscribed: bool


class ProviderCallback(BaseModel):
    """What a provider reports about a message it accepted."""

    id: str  # our attempt id, sent to the provider with the message
    provider_message_id: str | None = None
    status: Literal["delivered", "undelivered", "clicked"]
    reason: str | None = None
    extra: dict[str, Any] = {}
