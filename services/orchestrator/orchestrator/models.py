from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table


class Base(DeclarativeBase):
    metadata = new_metadata()


class Chain(Base):
    """A chain's editable draft and lifecycle; what runs is one of its published versions."""

    __tablename__ = "chains"

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # draft, active, paused, archived
    draft: Mapped[dict[str, Any]] = mapped_column(JSON)
    active_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What starts it, for matching incoming events: an event type, segment.entered, schedule.
    trigger_key: Mapped[str | None] = mapped_column(String(50), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChainVersion(Base):
    """Immutable once written: enrollments pin one."""

    __tablename__ = "chain_versions"

    chain_id: Mapped[str] = mapped_column(String(50), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Enrollment(Base):
    """One customer's pass through one chain version; the workflow itself lives in Temporal."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("workflow_id", "trigger_event_id"),
        Index("ix_enrollments_customer_status", "customer_id", "status"),
        Index("ix_enrollments_chain_version", "chain_id", "version"),
        Index("ix_enrollments_chain_enrolled", "chain_id", "enrolled_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[str] = mapped_column(String(36), index=True)
    workflow_id: Mapped[str] = mapped_column(String(200))
    trigger_event_id: Mapped[str] = mapped_column(String(36))
    holdout: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, exited
    exit_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    touches: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_touch_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    exited_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    step: Mapped[str | None] = mapped_column(String(50), nullable=True)  # the latest reached
    exit_step: Mapped[str | None] = mapped_column(String(50), nullable=True)


class StepArrival(Base):
    """An enrollment reaching a step (each visit once): what per-step analytics count."""

    __tablename__ = "step_arrivals"
    __table_args__ = (Index("ix_step_arrivals_chain_version", "chain_id", "version"),)

    workflow_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    enrollment_key: Mapped[str] = mapped_column(String(36), primary_key=True)
    step: Mapped[str] = mapped_column(String(50), primary_key=True)
    visit: Mapped[int] = mapped_column(Integer, primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    holdout: Mapped[bool] = mapped_column(Boolean)
    reached_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CustomerFact(Base):
    """What trigger filters may ask besides the event: e.g. whether this is a first purchase."""

    __tablename__ = "customer_facts"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    purchase_count: Mapped[int] = mapped_column(Integer, default=0)
    last_purchase_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)


class ChainMessage(Base):
    """One channel a chain's delivery tried, projected from message.* events: its fate and cost.

    A cascade (push, then email, then SMS) is one delivery and up to three rows: each attempt
    that left costs what its channel costs, an SMS once per segment."""

    __tablename__ = "chain_messages"

    delivery_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20))
    segments: Mapped[int] = mapped_column(Integer, default=1)
    cost: Mapped[int] = mapped_column(BigInteger, default=0)  # minor units


class ChainGrant(Base):
    __tablename__ = "chain_grants"

    grant_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(50))
    customer_id: Mapped[str] = mapped_column(String(36))
    amount: Mapped[int] = mapped_column(BigInteger)


class Conversion(Base):
    """The first goal purchase of an enrollment within its attribution window."""

    __tablename__ = "conversions"

    enrollment_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    holdout: Mapped[bool] = mapped_column(Boolean)
    purchase_id: Mapped[str] = mapped_column(String(200), index=True)  # the purchase key
    revenue: Mapped[int] = mapped_column(BigInteger)  # minor units paid with money
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)  # returned since, minor units
    redeemed_points: Mapped[int] = mapped_column(BigInteger)
    converted_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ChainRedemption(Base):
    """Points of a lot a chain granted that paid for a purchase (positive) or came back to the
    lot on a return (negative): the redeemed part of the chain's grants is its cost."""

    __tablename__ = "chain_redemptions"

    id: Mapped[str] = mapped_column(
        String(250), primary_key=True
    )  # purchase key or return, and lot
    grant_id: Mapped[str] = mapped_column(String(36), index=True)
    chain_id: Mapped[str] = mapped_column(String(100), index=True)
    version: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)


class CustomerPurchase(Base):
    """Every confirmed purchase, net of returns: the pre-period spend CUPED adjusts with and
    the programme's revenue against the global control group."""

    __tablename__ = "customer_purchases"
    __table_args__ = (Index("ix_customer_purchases_customer_at", "customer_id", "purchased_at"),)

    # kit.contracts.loyalty.purchase_key; rows recorded before migration 0016 keep the bare txid
    purchase_key: Mapped[str] = mapped_column(String(200), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36))
    purchased_at: Mapped[datetime] = mapped_column(UtcDateTime())
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class ControlGroupShare(Base):
    """The global control group's share from `effective_from` on; rows are only appended, with
    `effective_from` the moment of the change, so no past month is ever re-drawn."""

    __tablename__ = "control_group_shares"

    effective_from: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    share_bp: Mapped[int] = mapped_column(Integer)


class ProgrammeMember(Base):
    """A customer the programme knows (registered or bought), from when it first knew him."""

    __tablename__ = "programme_members"

    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    segment: Mapped[str] = mapped_column(String(100))
    grant: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    message: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rate_per_second: Mapped[int] = mapped_column(Integer)
    batch_size: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # draft, running, paused, completed
    runs: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    granted: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    holdout_share: Mapped[float] = mapped_column(Float, default=0.0)
    attribution_window_days: Mapped[int] = mapped_column(Integer, default=14)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CampaignMember(Base):
    """A member a campaign went through and the side he landed on: the treated get its grant
    and message, the holdout nothing; both are measured from `reached_at` on."""

    __tablename__ = "campaign_members"

    campaign_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    holdout: Mapped[bool] = mapped_column(Boolean)
    reached_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CampaignMemberGrant(Base):
    """A member a campaign's bulk grant covered: a re-run or a retried batch skips them."""

    __tablename__ = "campaign_grants"

    campaign_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grant_id: Mapped[str] = mapped_column(String(200))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
