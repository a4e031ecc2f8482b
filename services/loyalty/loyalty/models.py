from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import UtcDateTime, new_metadata
from kit.outbox import Outbox, outbox_table, processed_events_table

# Autoincrementing 64-bit keys; SQLite autoincrements only INTEGER PRIMARY KEY.
SERIAL = BigInteger().with_variant(Integer, "sqlite")


def _partial(name: str, column: str, where: str) -> Index:
    return Index(name, column, postgresql_where=text(where), sqlite_where=text(where))


class Base(DeclarativeBase):
    metadata = new_metadata()


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        _partial("ix_members_tier_review_at", "tier_review_at", "tier_review_at IS NOT NULL"),
        # Debtors only: a bulk grant and the sweep find the few members whose debt to settle.
        _partial("ix_members_in_debt", "id", "debt > 0"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    birthday: Mapped[date | None] = mapped_column(Date)
    city: Mapped[str | None] = mapped_column(String(120))
    time_zone: Mapped[str] = mapped_column(String(64))
    consents: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    tier: Mapped[str] = mapped_column(String(32), default="base", server_default="base")
    trailing_spend: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Points a return took back after they were spent; every credit repays it first.
    debt: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Bumped to take the member's write lock on SQLite, which has no SELECT ... FOR UPDATE.
    lock_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the oldest spend still counted for the tier leaves the window: the sweep reviews the
    # tier then. Null without counted spend.
    tier_review_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When ``trailing_spend`` was counted: from then on, until the review, it is the spend of
    # the window's purchases (loyalty/till_driver.py takes it for the sum).
    spend_counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Lot(Base):
    __tablename__ = "lots"
    __table_args__ = (
        CheckConstraint(
            "0 <= reserved AND reserved <= remaining AND remaining <= initial", "amounts"
        ),
        Index("ix_lots_member_expiry", "member_id", "expires_at"),
        Index("ix_lots_grant_id", "grant_id"),
        # The sweep's: each holds only the lots a step may still act on, so spent, burnt,
        # warned and activated lots drop out. No predicate names `reserved`, which a
        # reservation changes: holds stay heap-only updates.
        _partial("ix_lots_awaiting_activation", "active_from", "activated_at IS NULL"),
        _partial("ix_lots_burnable", "expires_at", "remaining > 0"),
        _partial(
            "ix_lots_unwarned", "expires_at", "expiring_notified_at IS NULL AND remaining > 0"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    source: Mapped[str] = mapped_column(String(16))  # purchase promo birthday campaign manual
    reference: Mapped[str | None] = mapped_column(String(200))
    grant_id: Mapped[str | None] = mapped_column(String(36))
    initial: Mapped[int] = mapped_column(BigInteger)
    remaining: Mapped[int] = mapped_column(BigInteger)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)
    active_from: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    restrictions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expiring_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the points became spendable: active_from, set at creation or by the sweep that
    # journals a delayed activation. Null while the lot waits.
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Operation(Base):
    """One business operation (a reservation, a confirm, a grant, an expiry run, ...)."""

    __tablename__ = "operations"

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    member_id: Mapped[str | None] = mapped_column(String(36))
    reference: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class JournalEntry(Base):
    """Append-only: the deltas of one lot's remaining and reserved, or of a member's debt."""

    __tablename__ = "journal"
    __table_args__ = (
        Index("ix_journal_member_id", "member_id"),
        Index("ix_journal_lot_id", "lot_id"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    operation_id: Mapped[int] = mapped_column(SERIAL)
    member_id: Mapped[str] = mapped_column(String(36))
    lot_id: Mapped[str | None] = mapped_column(String(36))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)
    debt: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Purchase(Base):
    """A POS transaction: reserved, then confirmed, cancelled or lapsed.

    Known by its store and the store's txid: two stores may number their tills alike. The key
    leads with txid, so a step that names no store finds the purchase by the same index.
    """

    __tablename__ = "purchases"
    __table_args__ = (
        Index("ix_purchases_member_confirmed", "member_id", "confirmed_at"),
        Index("ix_purchases_status_until", "status", "reserved_until"),
    )

    txid: Mapped[str] = mapped_column(String(64), primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(120))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    total_amount: Mapped[int] = mapped_column(BigInteger)
    redeemed_points: Mapped[int] = mapped_column(BigInteger)
    accrued_points: Mapped[int] = mapped_column(BigInteger)
    paid_amount: Mapped[int] = mapped_column(BigInteger)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    accrual_lot_id: Mapped[str | None] = mapped_column(String(36))
    # The fingerprint of each step's request and its first answer, replayed on retries.
    fingerprints: Mapped[dict[str, str]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    reserved_until: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RedemptionAllocation(Base):
    """Which lot paid how many points for which line of a purchase."""

    __tablename__ = "allocations"
    __table_args__ = (Index("ix_allocations_purchase", "txid", "store_id"),)

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    txid: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(64))
    lot_id: Mapped[str] = mapped_column(String(36))
    line_no: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(BigInteger)
    returned: Mapped[int] = mapped_column(BigInteger, default=0)  # restored or written off


class Return(Base):
    __tablename__ = "returns"
    __table_args__ = (
        UniqueConstraint("txid", "store_id", "return_id", name="uq_returns_purchase_return"),
    )

    id: Mapped[int] = mapped_column(SERIAL, primary_key=True, autoincrement=True)
    txid: Mapped[str] = mapped_column(String(64))
    store_id: Mapped[str] = mapped_column(String(64))
    return_id: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Grant(Base):
    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdempotencyRecord(Base):
    """The first answer to a write sent with an ``Idempotency-Key`` header."""

    __tablename__ = "idempotency_records"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Pruned by age (loyalty.pruning): indexed so the worker does not scan every record.
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


outbox = Outbox(outbox_table(Base.metadata))
processed_events = processed_events_table(Base.metadata)
