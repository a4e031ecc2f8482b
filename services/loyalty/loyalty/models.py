from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class Member(Base):
    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[date | None] = mapped_column(Date)
    city: Mapped[str | None] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    consents: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
