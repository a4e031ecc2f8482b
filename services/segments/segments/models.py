"""The segments database: the behaviour projection, segment definitions and memberships."""

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import JSON, BigInteger, Boolean, Date, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class CustomerProfile(Base):
    """The behaviour projection of one customer, built from events only."""

    __tablename__ = "customer_profiles"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    city: Mapped[str | None] = mapped_column(String(120))
    birthday: Mapped[date | None] = mapped_column(Date)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    subscribed_channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the member attributes above were true at the source; older updates are ignored.
    attributes_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    birthday_doy: Mapped[int | None] = mapped_column(Integer)
    sub_email: Mapped[bool] = mapped_column(Boolean, default=False)
    sub_sms: Mapped[bool] = mapped_column(Boolean, default=False)
    sub_push: Mapped[bool] = mapped_column(Boolean, default=False)
    sub_messenger: Mapped[bool] = mapped_column(Boolean, default=False)
    tier: Mapped[str | None] = mapped_column(String(40))
    tier_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Recomputed from the purchase rows on every purchase or return, never incremented.
    first_purchase_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_purchase_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_purchase_day: Mapped[int | None] = mapped_column(Integer)  # local date ordinal
    purchase_count: Mapped[int] = mapped_column(Integer, default=0)
    lifetime_spend: Mapped[int] = mapped_column(BigInteger, default=0)
    last_store_id: Mapped[str | None] = mapped_column(String(64))
    last_channel: Mapped[str | None] = mapped_column(String(16))
    last_message_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_engaged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cart_total: Mapped[int] = mapped_column(BigInteger, default=0)
    cart_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_viewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Purchase(Base):
    """One confirmed purchase, keyed by its store and txid (`kit.contracts.loyalty.purchase_key`):
    a redelivery can never count it twice, and two stores' equal txids are two purchases."""

    __tablename__ = "purchases"
    __table_args__ = (Index("ix_purchases_customer_time", "customer_id", "purchased_at"),)

    purchase_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    purchased_at: Mapped[datetime] = mapped_column(UtcDateTime())
    store_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(120))
    total_amount: Mapped[int] = mapped_column(BigInteger)
    # total minus every return seen for this purchase; a purchase counts while it is above zero
    net_amount: Mapped[int] = mapped_column(BigInteger)


class PurchaseCategory(Base):
    __tablename__ = "purchase_categories"
    __table_args__ = (Index("ix_purchase_categories_lookup", "category", "purchased_at"),)

    purchase_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    category: Mapped[str] = mapped_column(String(120), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    purchased_at: Mapped[datetime] = mapped_column(UtcDateTime())
    counted: Mapped[bool] = mapped_column(Boolean, default=True)


class PurchaseReturn(Base):
    """Kept even when it arrives before its purchase: it applies once the purchase lands.
    Return ids are unique per purchase only, so the purchase key leads the primary key."""

    __tablename__ = "purchase_returns"

    purchase_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    return_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    refunded_amount: Mapped[int] = mapped_column(BigInteger)
    returned_at: Mapped[datetime] = mapped_column(UtcDateTime())


class KnownTimeZone(Base):
    """Every zone a customer lives in, so "today" is computed once per zone, not per row."""

    __tablename__ = "time_zones"

    time_zone: Mapped[str] = mapped_column(String(64), primary_key=True)


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # recency, rfm, rule
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Membership(Base):
    __tablename__ = "segment_memberships"

    segment_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)


def table_of(model: type[Base]) -> Table:
    return cast(Table, model.__table__)
