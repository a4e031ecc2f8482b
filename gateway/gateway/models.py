from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class ApiKey(Base):
    """Only a hash of the secret is kept; the prefix identifies the key in lists and logs.

    A POS key may be bound to one store, an app key is always bound to one customer. A rotated
    key stays valid until ``expires_at`` so terminals can switch over without downtime.
    """

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    store_id: Mapped[str | None] = mapped_column(String(100))
    customer_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    replaced_by: Mapped[str | None] = mapped_column(String(16))


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
