"""Templates, previews and communication policies, as a marketer writes and reads them."""

from datetime import datetime, time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Language = Literal["en", "ru"]
Channel = Literal["email", "sms", "push", "messenger"]


class Translation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str | None = Field(default=None, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)


class TemplateWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "{{ points }} points for you",
                    "body": "Hello {{ name }}, {{ points }} points are yours until "
                    "{{ points_expire_at | date }}.\n{{ click_url }}",
                    "category": "marketing",
                    "variables": ["points", "points_expire_at"],
                    "translations": {
                        "ru": {
                            "subject": "{{ points }} баллов для вас",
                            "body": "{{ name }}, {{ points }} баллов ваши до "
                            "{{ points_expire_at | date('%d.%m.%Y') }}.",
                        }
                    },
                }
            ]
        },
    )

    subject: str | None = Field(
        default=None, max_length=300, description="The email subject or the push title"
    )
    body: str = Field(min_length=1, max_length=20_000, description="Jinja2, sandboxed")
    category: Literal["marketing", "transactional"] = "marketing"
    variables: list[str] = Field(default=[], description="Names the chain or campaign passes")
    translations: dict[Language, Translation] = Field(
        default={}, description="The texts for customers of another language"
    )


class SmsLength(BaseModel):
    encoding: str = Field(description="`gsm7` or `ucs2`")
    units: int
    segments: int
    cost_per_send: int = Field(description="Minor units")
    warning: str | None


class TemplateRead(BaseModel):
    name: str
    channel: str
    subject: str | None
    body: str
    category: str
    variables: list[str]
    translations: dict[str, Translation]
    origin: Literal["default", "saved"] = Field(
        description="default: shipped with the platform, not edited yet"
    )
    updated_at: datetime | None
    sms: SmsLength | None = None


class TemplatePage(BaseModel):
    items: list[TemplateRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")


class PreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"customer_id": "5b0e9c1e-3f55-4c4a-9d0e-2f6f1c0a9b11", "variables": {}}]
        },
    )

    customer_id: str = Field(min_length=1, max_length=36)
    variables: dict[str, Any] = Field(
        default={}, description="What the chain would pass; the others get sample values"
    )


class Preview(BaseModel):
    template: str
    channel: str
    customer_id: str
    language: str
    subject: str | None
    body: str
    sampled_variables: list[str] = Field(description="Variables shown with sample values")
    sms: SmsLength | None = None


class DraftPreviewRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "sms",
                    "body": "{{ name }}, {{ points }} points are yours: {{ click_url }}",
                    "variables": ["points"],
                    "customer_id": "5b0e9c1e-3f55-4c4a-9d0e-2f6f1c0a9b11",
                    "values": {"points": 300},
                },
                {"channel": "email", "subject": "Hello {{ name }}", "body": "{{ pionts }}"},
            ]
        },
    )

    channel: Channel
    subject: str | None = Field(
        default=None, max_length=300, description="The email subject or the push title"
    )
    body: str = Field(min_length=1, max_length=20_000, description="Jinja2, sandboxed")
    variables: list[str] = Field(default=[], description="Names the chain or campaign passes")
    language: Language | None = Field(default=None, description="None: the customer's")
    customer_id: str | None = Field(
        default=None, min_length=1, max_length=36, description="None: a customer named `there`"
    )
    values: dict[str, Any] = Field(
        default={}, description="What the chain would pass; the others get sample values"
    )


class DraftPreview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "channel": "sms",
                    "customer_id": None,
                    "language": "en",
                    "subject": None,
                    "body": "there, {{ pionts }} points",
                    "sampled_variables": [],
                    "unknown_variables": ["pionts"],
                    "sms": {
                        "encoding": "gsm7",
                        "units": 26,
                        "segments": 1,
                        "cost_per_send": 5,
                        "warning": None,
                    },
                }
            ]
        }
    )

    channel: str
    customer_id: str | None
    language: str
    subject: str | None
    body: str = Field(description="Rendered; unknown variables shown as written")
    sampled_variables: list[str] = Field(description="Variables shown with sample values")
    unknown_variables: list[str] = Field(description="Names saving would refuse")
    sms: SmsLength | None = Field(default=None, description="Segments and cost of this text")


class PolicyWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "daily_cap": 2,
                    "min_pause_seconds": 3600,
                    "quiet_start": "21:00",
                    "quiet_end": "09:00",
                    "over_cap": "defer",
                }
            ]
        },
    )

    daily_cap: int = Field(default=3, ge=0, le=100, description="Marketing messages a day")
    min_pause_seconds: int = Field(default=0, ge=0, le=7 * 24 * 3600)
    quiet_start: time = Field(default=time(21, 0), description="Customer's local time")
    quiet_end: time = time(9, 0)
    over_cap: Literal["defer", "drop"] = "defer"


class PolicyRead(BaseModel):
    scope: str = Field(description="`program`, `chain:<id>` or `campaign:<id>`")
    daily_cap: int
    min_pause_seconds: int
    quiet_start: str
    quiet_end: str
    over_cap: str


class TestRecipientWrite(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"test_recipient": True}]}
    )

    test_recipient: bool


class TestSent(BaseModel):
    delivery_id: str
    template: str
    channel: str
    customer_id: str
    status: Literal["sent"]
    subject: str | None
    body: str
    sampled_variables: list[str]


class StepTestSendRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"customer_id": "5b0e9c1e-3f55-4c4a-9d0e-2f6f1c0a9b11", "channel": "sms"}]
        },
    )

    customer_id: str = Field(min_length=1, max_length=36, description="A test recipient")
    channel: Literal["email", "sms", "push", "messenger"] | None = Field(
        default=None, description="One of the step's channels; its first when left out"
    )


class StepTestSent(TestSent):
    chain_id: str
    step_id: str
