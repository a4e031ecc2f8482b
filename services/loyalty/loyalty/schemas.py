from datetime import date, datetime
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from kit.contracts import Channel


class MemberCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "phone": "+4915123456789",
                    "email": "anna@example.com",
                    "name": "Anna",
                    "birthday": "1990-05-17",
                    "city": "Berlin",
                    "time_zone": "Europe/Berlin",
                    "consents": {"email": True, "sms": True, "push": False},
                }
            ]
        },
    )

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
    model_config = ConfigDict(from_attributes=True)

    id: str
    phone: str | None
    email: str | None
    name: str | None
    birthday: date | None
    city: str | None
    time_zone: str
    consents: dict[str, bool]
    created_at: datetime
