from datetime import date, datetime

from sqlalchemy import JSON, Date, String
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


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
