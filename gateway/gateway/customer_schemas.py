"""The public customer schemas (POS and app routes), owned by the gateway.

The gateway imports no service package: these are the public contract, checked against the
OpenAPI loyalty serves by `tests/gateway/test_contracts.py`. Types and bounds are checked
here (strictly, see kit.schemas); loyalty checks what needs its knowledge (a valid phone
number, a known time zone, a contact that is not taken) and answers 422 or 409 itself.
"""

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from kit.contracts import Channel
from kit.schemas import StrictModel

CUSTOMER_EXAMPLE: dict[str, JsonValue] = {
    "phone": "+33612345678",
    "email": "louis@example.com",
    "name": "Louis",
    "birthday": "1985-11-02",
    "city": "Lyon",
    "time_zone": "Europe/Paris",
    "consents": {"email": True, "push": True},
}


class CustomerIn(StrictModel):
    model_config = ConfigDict(json_schema_extra={"examples": [CUSTOMER_EXAMPLE]})

    phone: str | None = Field(
        default=None, max_length=32, description="International format (E.164), e.g. +4915…"
    )
    email: str | None = Field(default=None, max_length=320, description="Email address")
    name: str | None = Field(default=None, max_length=200, description="Name to address by")
    birthday: date | None = Field(default=None, description="Date of birth, YYYY-MM-DD")
    city: str | None = Field(default=None, max_length=120, description="City of residence")
    time_zone: str = Field(
        default="UTC", max_length=64, description="IANA time zone, e.g. Europe/Berlin"
    )
    consents: dict[Channel, bool] = Field(
        default={}, description="Marketing consent per channel, given by the customer in person"
    )


class CustomerOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "6f1c2b9e-4a57-4d0e-9a1f-2f1d6c3e8b10",
                    **CUSTOMER_EXAMPLE,
                    "created_at": "2026-05-17T09:30:00Z",
                }
            ]
        }
    )

    id: str = Field(description="The customer's id")
    phone: str | None = Field(description="E.164")
    email: str | None = Field(description="Email address")
    name: str | None = Field(description="Name to address by")
    birthday: date | None = Field(description="Date of birth")
    city: str | None = Field(description="City of residence")
    time_zone: str = Field(description="IANA time zone")
    consents: dict[str, bool] = Field(description="Marketing consent per channel")
    created_at: datetime = Field(description="Registration time, UTC")
