from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class Enrollment(Base):
    """Where a customer entered a chain; the workflow itself lives in Temporal."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("workflow_id", "trigger_event_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100))
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    trigger_event_id: Mapped[str] = mapped_column(String(36))
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
