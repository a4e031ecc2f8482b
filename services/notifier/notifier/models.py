from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class Contact(Base):
    __tablename__ = "contacts"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    time_zone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(8))  # None: the default, English
    # Staff who receive test sends of templates and chain steps; nobody else can.
    test_recipient: Mapped[bool] = mapped_column(Boolean, default=False)
    # Current consent per channel; the history is in consent_changes.
    consents: Mapped[dict[str, Any]] = mapped_column(JSON)
    # {device_id: token}; a device registers again to replace its token.
    push_tokens: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ConsentChange(Base):
    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Template(Base):
    __tablename__ = "templates"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))  # marketing or transactional
    variables: Mapped[list[str]] = mapped_column(JSON)
    # {language: {"subject": ..., "body": ...}}: the texts for customers of other languages.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Policy(Base):
    """Careful-communication limits: scope "program", or "chain:<id>" / "campaign:<id>"."""

    __tablename__ = "policies"

    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    daily_cap: Mapped[int] = mapped_column(Integer)
    min_pause_seconds: Mapped[int] = mapped_column(Integer)
    quiet_start: Mapped[str] = mapped_column(String(5))
    quiet_end: Mapped[str] = mapped_column(String(5))
    over_cap: Mapped[str] = mapped_column(String(8))  # defer or drop
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(300), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(200), index=True)  # outcomes per source
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    channels: Mapped[list[str] | None] = mapped_column(JSON)
    critical: Mapped[bool] = mapped_column(Boolean, default=False)
    variables: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    sms_only_if_no_other_channel: Mapped[bool] = mapped_column(Boolean, default=False)
    deferred_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Attempt(Base):
    """One channel tried within a delivery's cascade."""

    __tablename__ = "delivery_attempts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("deliveries.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(200))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    cost: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    clicked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PolicyDecision(Base):
    __tablename__ = "policy_decisions"
    # The day's counted sends of one customer: what a Redis restarted empty is seeded from.
    __table_args__ = (Index("ix_policy_decisions_customer_decided", "customer_id", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(String(36), index=True)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    action: Mapped[str] = mapped_column(String(8))  # send, defer, drop
    reason: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    until: Mapped[datetime | None] = mapped_column(UtcDateTime())


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
