import unicodedata
from datetime import date, datetime
from typing import Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from kit.contracts import Channel
from kit.contracts import pos_examples as examples
from kit.contracts.common import StoreChannel

# Control characters (CR, LF, tab, NUL) and line or paragraph separators; a zero-width
# joiner, which some scripts spell names with, stays.
_BREAKS = frozenset({"Cc", "Zl", "Zp"})


MEMBER_EXAMPLE: dict[str, Any] = {
    "phone": "+4915123456789",
    "email": "anna@example.com",
    "name": "Anna",
    "birthday": "1990-05-17",
    "city": "Berlin",
    "time_zone": "Europe/Berlin",
    "consents": {"email": True, "sms": True, "push": False},
}


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [MEMBER_EXAMPLE]})

    phone: str | None = Field(default=None, max_length=32)
    email: EmailStr | None = None
    name: str | None = Field(default=None, max_length=200)
    birthday: date | None = None
    city: str | None = Field(default=None, max_length=120)
    time_zone: str = Field(default="UTC", max_length=64)
    consents: dict[Channel, bool] = {}

    @field_validator("phone")
    @classmethod
    def phone_in_e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException as exc:
            raise ValueError("phone must be in international format, e.g. +4915123456789") from exc
        if not phonenumbers.is_valid_number(number):
            raise ValueError("phone is not a valid number")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("name")
    @classmethod
    def name_on_one_line(cls, value: str | None) -> str | None:
        """Line breaks, tabs and control characters (a till's paste, a scanner) become one
        space: a name travels into e-mail headers, where a CR/LF is no data but a new header."""
        if value is None:
            return None
        cleaned = "".join(" " if unicodedata.category(c) in _BREAKS else c for c in value)
        return " ".join(cleaned.split()) or None

    @field_validator("time_zone")
    @classmethod
    def known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("time_zone must be an IANA name such as Europe/Berlin") from exc
        return value

    @model_validator(mode="after")
    def reachable(self) -> Self:
        if not self.phone and not self.email:
            raise ValueError("a phone or an email is required")
        return self


class MemberOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10",
                    **MEMBER_EXAMPLE,
                    "created_at": "2026-05-17T09:30:00Z",
                }
            ]
        },
    )

    id: str
    phone: str | None
    email: str | None
    name: str | None
    birthday: date | None
    city: str | None
    time_zone: str
    consents: dict[str, bool]
    created_at: datetime


class ExpiringPoints(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.EXPIRING]})

    amount: int = Field(description="points that burn at expires_at unless spent")
    expires_at: datetime
    pending: int = Field(
        default=0, description="points: the part of amount not spendable yet (see pending_lots)"
    )


class PendingPoints(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.PENDING]})

    amount: int = Field(description="points that become spendable at active_from")
    active_from: datetime
    expires_at: datetime


class BalanceOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [examples.BALANCE]})

    customer_id: str
    available: int = Field(description="points spendable now: active, unexpired, not reserved")
    pending: int = Field(description="points earned or granted but not active yet")
    reserved: int = Field(description="points held by open POS reservations")
    debt: int = Field(
        description="points owed after a return; every credit repays it first, so a member "
        "with debt has no points to spend"
    )
    tier: str
    trailing_spend: int = Field(description="money, minor units: paid in the last 12 months")
    expiring: list[ExpiringPoints] = Field(
        description="the next expiry dates with the points that burn then, pending ones "
        "included, soonest first"
    )
    pending_lots: list[PendingPoints] = Field(
        default_factory=list,
        description="the next points to become spendable, with when and until when",
    )


GrantSource = Literal["promo", "birthday", "campaign", "manual"]


class GrantRestrictions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    categories: list[str] | None = None
    store_channels: list[StoreChannel] | None = None
    store_ids: list[str] | None = None
    cities: list[str] | None = None
    own_city: StrictBool = Field(
        default=False,
        description="usable only in the member's city on file when granted; a member without "
        "one is refused (409 member_city_unknown) or, in a bulk grant, skipped",
    )

    @model_validator(mode="after")
    def one_city_rule(self) -> Self:
        if self.own_city and self.cities:
            raise ValueError("give cities or own_city, not both")
        return self

    def for_lots(self) -> dict[str, Any] | None:
        """What each lot stores, before the member's own city joins it."""
        return self.model_dump(exclude_none=True, exclude={"own_city"}) or None


GRANT_EXAMPLE: dict[str, Any] = {
    "idempotency_key": "campaign-spring-sofas/6f1c2b9e",
    "member_id": "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10",
    "amount": 500,
    "active_from": "2026-06-01T00:00:00Z",
    "expires_at": "2026-06-14T21:59:59Z",
    "source": "campaign",
    "reference": "spring-sofas",
    "restrictions": {"categories": ["sofas"], "store_channels": ["offline"]},
}


class GrantFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: str = Field(min_length=1, max_length=200)
    amount: StrictInt = Field(gt=0, le=10**9, description="points")
    lifetime_days: StrictInt | None = Field(default=None, gt=0, le=3_650, description="days")
    expires_at: AwareDatetime | None = None
    active_from: AwareDatetime | None = None
    source: GrantSource
    reference: str | None = Field(default=None, max_length=200)
    restrictions: GrantRestrictions | None = None

    @model_validator(mode="after")
    def one_lifetime(self) -> Self:
        if (self.lifetime_days is None) == (self.expires_at is None):
            raise ValueError("give exactly one of lifetime_days and expires_at")
        if self.expires_at and self.active_from and self.expires_at <= self.active_from:
            raise ValueError("expires_at must be after active_from")
        return self


class GrantRequest(GrantFields):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [GRANT_EXAMPLE]})

    member_id: str = Field(max_length=36)


class BulkGrantRequest(GrantFields):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in GRANT_EXAMPLE.items() if k != "member_id"},
                    "member_ids": [GRANT_EXAMPLE["member_id"]],
                }
            ]
        },
    )

    member_ids: list[str] = Field(min_length=1, max_length=2_000_000)


class GrantOut(BaseModel):
    grant_id: str
    lot_id: str
    member_id: str
    amount: int = Field(description="points")
    active_from: datetime
    expires_at: datetime


class BulkGrantOut(BaseModel):
    grant_id: str
    granted: int = Field(description="members granted")
    skipped: int = Field(description="member ids that are unknown or repeated")
