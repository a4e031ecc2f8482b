"""The POS flow: quote, reserve, confirm and cancel. Free of HTTP; never commits."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kit.clock import utcnow
from kit.contracts.loyalty import (
    LotPoints,
    PurchaseConfirmed,
    PurchaseConfirmedPayload,
    PurchaseLine,
)
from kit.db import UtcDateTime
from kit.events import Event
from loyalty import ledger, till_writes
from loyalty.domain import allocation
from loyalty.domain.receipt import Line, LotView, Receipt
from loyalty.domain.rules import MINOR_UNITS_PER_POINT, ProgramRules
from loyalty.errors import (
    InsufficientPoints,
    LedgerBusy,
    MemberNotFound,
    PurchaseAlreadyConfirmed,
    PurchaseCancelled,
    PurchaseNotFound,
    QuoteChanged,
    ReservationLapsed,
    TxidAmbiguous,
    TxidReused,
)
from loyalty.idempotency import fingerprint, in_store, remember, replay
from loyalty.ledger import Journal
from loyalty.models import Lot, Member, Purchase, RedemptionAllocation
from loyalty.purchase_schemas import (
    CancellationOut,
    ConfirmationOut,
    LineQuoteOut,
    QuoteOut,
    ReceiptLine,
    ReservationOut,
    ReserveRequest,
    StepRequest,
)
from loyalty.purchase_schemas import Receipt as ReceiptIn
from loyalty.tiering import refresh_tier, spend_since


def to_receipt(body: ReceiptIn) -> Receipt:
    return Receipt(body.store_id, body.channel, tuple(_line(x) for x in body.lines), body.city)


def _line(line: ReceiptLine) -> Line:
    return Line(line.sku, line.quantity, line.price, line.category, line.no_redeem, line.no_accrual)


def quote_out(member_id: str, tier: str, quote: allocation.Quote) -> QuoteOut:
    lines = [
        LineQuoteOut(
            sku=q.line.sku,
            amount=q.line.amount,
            max_redeemable=q.max_redeemable,
            redeemed=q.redeemed,
            accrued=q.accrued,
            payable=q.paid_with_money,
        )
        for q in quote.lines
    ]
    return QuoteOut(
        customer_id=member_id,
        total_amount=quote.total,
        max_redeemable=quote.max_redeemable,
        redeemed=quote.redeemed,
        accrued=quote.accrued,
        payable=quote.payable,
        tier=tier,
        lines=lines,
    )


async def calculate(connection: AsyncConnection, rules: ProgramRules, body: ReceiptIn) -> QuoteOut:
    """Reads one snapshot of the member and their lots: no transaction, no lock."""
    found = await ledger.tier_and_spendable_lots(connection, body.customer_id, utcnow())
    if found is None:
        raise MemberNotFound()
    tier, lots = found
    quote = allocation.quote(to_receipt(body), lots, body.points_wanted(), rules, rules.tier(tier))
    return quote_out(body.customer_id, tier, quote)


async def reserve(
    session: AsyncSession, rules: ProgramRules, body: ReserveRequest, key: str | None
) -> ReservationOut:
    now, print_ = utcnow(), fingerprint("reserve", body)
    member = await ledger.lock_member(session, body.customer_id)
    if member is None:
        raise MemberNotFound()
    if (stored := await replay(session, key, print_)) is not None:
        return ReservationOut(**stored)
    look, lots = await ledger.lots_to_reserve(session, member.id, body.store_id, body.txid, now)
    if look:  # a retry of this txid, or lapsed reservations to release first
        existing, lapsed = await _same_txid_and_lapsed(session, body, member.id, now)
        if existing is not None:
            return ReservationOut(**_replayed(existing, "reserve", print_))
        for purchase in lapsed:
            await release(session, member, purchase, "lapsed", now)
        lots = await ledger.spendable_lots(session, member.id, now)
    answer, reservation = reservation_of(rules, body, member.id, member.tier, lots, print_, now)
    check_reserved(await till_writes.reserve(session, reservation))
    await remember(session, key, print_, answer, 201)
    return answer


def reservation_of(
    rules: ProgramRules,
    body: ReserveRequest,
    member_id: str,
    tier: str,
    lots: list[LotView],
    print_: str,
    now: datetime,
) -> tuple[ReservationOut, till_writes.Reservation]:
    """The answer to a reservation, and what it writes, from the locked member's lots."""
    quote = allocation.quote(to_receipt(body), lots, body.points_wanted(), rules, rules.tier(tier))
    _check_quote(body, quote)
    reserved_until = now + rules.reservation_ttl
    answer = ReservationOut(
        **quote_out(member_id, tier, quote).model_dump(),
        txid=body.txid,
        status="reserved",
        reserved_until=reserved_until,
    )
    purchase_row = _new_purchase(body, member_id, quote, reserved_until, now)
    purchase_row["fingerprints"] = {"reserve": print_}
    purchase_row["answers"] = {"reserve": answer.model_dump(mode="json")}
    journal = Journal("reserve", member_id, body.txid, now)
    holds = _per_lot((a.lot_id, a.points) for a in quote.allocations)
    for lot_id, points in holds.items():
        journal.add("reserve", member_id, lot_id, held=points)
    return answer, till_writes.Reservation(
        holds, quote.allocations, journal, purchase_row, tier, now
    )


def check_reserved(reserved: till_writes.Reserved) -> None:
    """A reservation whose write fell short is refused (and so rolled back)."""
    if not (reserved.member_as_read and reserved.all_held):
        raise LedgerBusy()
    if not reserved.claimed:
        raise TxidReused()  # another member at this store took the same new txid just now


_SAME_TXID_OR_LAPSED = (
    select(Purchase)
    .where(
        or_(
            and_(Purchase.txid == bindparam("txid"), Purchase.store_id == bindparam("store_id")),
            and_(
                Purchase.member_id == bindparam("member_id"),
                Purchase.status == "reserved",
                Purchase.reserved_until < bindparam("now", type_=UtcDateTime()),
            ),
        )
    )
    .execution_options(populate_existing=True)
)


async def _same_txid_and_lapsed(
    session: AsyncSession, body: ReserveRequest, member_id: str, now: datetime
) -> tuple[Purchase | None, list[Purchase]]:
    """A purchase already under the store's txid (a retry), and the member's lapsed
    reservations."""
    params = {"txid": body.txid, "store_id": body.store_id, "member_id": member_id, "now": now}
    found = list((await session.execute(_SAME_TXID_OR_LAPSED, params)).scalars())
    key = (body.store_id, body.txid)
    existing = next((p for p in found if (p.store_id, p.txid) == key), None)
    return existing, [p for p in found if (p.store_id, p.txid) != key]


def _replayed(purchase: Purchase, step: str, print_: str) -> dict[str, Any]:
    if purchase.fingerprints.get(step) != print_:
        raise TxidReused()
    answer: dict[str, Any] = purchase.answers[step]
    return answer


def _check_quote(body: ReserveRequest, quote: allocation.Quote) -> None:
    if body.quoted_redeemed is not None and body.quoted_redeemed != quote.redeemed:
        raise QuoteChanged(redeemed_now=quote.redeemed, max_redeemable=quote.max_redeemable)
    wanted = body.points_wanted()
    if isinstance(wanted, int) and quote.redeemed < wanted:
        raise InsufficientPoints(max_redeemable=quote.max_redeemable)


def _per_lot(pairs: Iterable[tuple[str, int]]) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for lot_id, points in pairs:
        totals[lot_id] += points
    return dict(totals)


def _new_purchase(
    body: ReserveRequest, member_id: str, quote: allocation.Quote, until: datetime, now: datetime
) -> dict[str, Any]:
    lines = [
        {
            **line.model_dump(),
            "amount": q.line.amount,
            "redeemed": q.redeemed,
            "accrued": q.accrued,
            "returned": 0,
        }
        for line, q in zip(body.lines, quote.lines, strict=True)
    ]
    return {
        "txid": body.txid,
        "member_id": member_id,
        "status": "reserved",
        "store_id": body.store_id,
        "channel": body.channel,
        "city": body.city,
        "lines": lines,
        "total_amount": quote.total,
        "redeemed_points": quote.redeemed,
        "accrued_points": quote.accrued,
        "paid_amount": quote.payable,
        "refunded_amount": 0,
        "reserved_until": until,
        "created_at": now,
    }


async def locked_purchase(
    session: AsyncSession, txid: str, store_id: str | None
) -> tuple[Member, Purchase]:
    """The purchase of ``store_id`` under ``txid``; without a store, the only one there is."""
    if store_id is None:
        found = await ledger.lock_purchases_of_txid(session, txid)
        if len(found) > 1:
            raise TxidAmbiguous()
        if not found:
            raise PurchaseNotFound()
        return found[0]
    member, purchase = await ledger.lock_member_with_purchase(session, store_id, txid)
    if member is None or purchase is None:
        raise PurchaseNotFound()
    return member, purchase


async def allocations_of(session: AsyncSession, purchase: Purchase) -> list[RedemptionAllocation]:
    query = select(RedemptionAllocation).where(
        RedemptionAllocation.txid == purchase.txid,
        RedemptionAllocation.store_id == purchase.store_id,
    )
    query = query.order_by(RedemptionAllocation.id).execution_options(populate_existing=True)
    return list((await session.execute(query)).scalars())


async def confirm(
    session: AsyncSession,
    rules: ProgramRules,
    txid: str,
    store_id: str | None,
    body: StepRequest,
    key: str | None,
) -> ConfirmationOut:
    now, print_ = utcnow(), fingerprint("confirm", txid, body)
    member, purchase = await locked_purchase(session, txid, store_id)
    key = in_store(key, purchase.store_id)
    if (stored := await replay(session, key, print_)) is not None:
        return ConfirmationOut(**stored)
    if purchase.status == "confirmed":
        return replayed_confirmation(purchase, print_)
    still_reserved(purchase, now)
    expires_at = lot_expiry(rules, member, now)
    capture = await ledger.capture(session, purchase, spend_since(rules, now))
    await refresh_tier(session, rules, member, now, purchase, capture.spend)
    was = till_writes.as_stored(member)  # a new tier's event may have flushed the member
    answer, writes = confirmation_of(rules, member, was, purchase, capture, expires_at, print_, now)
    await till_writes.confirm(session, writes)
    await remember(session, key, print_, answer)
    return answer


def lot_expiry(rules: ProgramRules, member: Member, now: datetime) -> datetime:
    """When a purchase confirmed now makes its accrual and the member's purchase lots expire:
    the accrual follows the tier the member had when buying."""
    return rules.purchase_lot_expiry(now, rules.tier(member.tier))


def confirmation_of(
    rules: ProgramRules,
    member: Member,
    was: dict[str, Any],
    purchase: Purchase,
    capture: ledger.Capture,
    expires_at: datetime,
    print_: str,
    now: datetime,
    announced: Event | None = None,
) -> tuple[ConfirmationOut, till_writes.Confirmation]:
    """The answer to a confirm and what it writes, once the capture is read and the member's
    spend and tier are set (``was``: the member's columns before; ``announced``: the new
    tier's event, still to be written); the purchase is marked confirmed."""
    journal = Journal("confirm", member.id, purchase.txid, now)
    for lot_id, points in capture.points.items():
        journal.add("capture", member.id, lot_id, points=-points, held=-points)
    answer, lot = _accrue(rules, member, purchase, journal, expires_at, now)
    purchase.status, purchase.confirmed_at = "confirmed", now
    purchase.fingerprints = {**purchase.fingerprints, "confirm": print_}
    purchase.answers = {**purchase.answers, "confirm": answer.model_dump(mode="json")}
    event = _confirmed_event(purchase, capture.named, now)
    writes = till_writes.Confirmation(
        member, was, purchase, capture.points, lot, journal, event, expires_at, now, announced
    )
    return answer, writes


def replayed_confirmation(purchase: Purchase, print_: str) -> ConfirmationOut:
    """A confirm of a confirmed purchase: its first answer, if the request is the same."""
    return ConfirmationOut(**_replayed(purchase, "confirm", print_))


def still_reserved(purchase: Purchase, now: datetime) -> None:
    if purchase.status == "cancelled":
        raise PurchaseCancelled()
    if purchase.status == "lapsed" or purchase.reserved_until < now:
        raise ReservationLapsed()


def _accrue(
    rules: ProgramRules,
    member: Member,
    purchase: Purchase,
    journal: Journal,
    expires_at: datetime,
    now: datetime,
) -> tuple[ConfirmationOut, Lot | None]:
    """The answer and the purchase's accrual lot (still to be written), after repaying debt."""
    accrued, repaid, active_from = purchase.accrued_points, 0, None
    lot: Lot | None = None
    if accrued > 0:
        active_from = rules.accrual_active_from(now)
        lot = ledger.new_lot(member.id, accrued, "purchase", active_from, expires_at, now)
        lot.reference = purchase.txid
        repaid = min(member.debt, accrued)
        lot.remaining -= repaid
        member.debt -= repaid
        purchase.accrual_lot_id = lot.id
        journal.add("accrue", member.id, lot.id, points=accrued)
        if repaid:
            journal.add("adjust", member.id, lot.id, points=-repaid, debt=-repaid)
    answer = ConfirmationOut(
        txid=purchase.txid,
        status="confirmed",
        customer_id=member.id,
        redeemed=purchase.redeemed_points,
        accrued=accrued,
        payable=purchase.paid_amount,
        accrual_active_from=active_from,
        accrual_expires_at=expires_at if accrued else None,
        debt_repaid=repaid,
        tier=member.tier,
        confirmed_at=now,
    )
    return answer, lot


def _confirmed_event(
    purchase: Purchase, redeemed_lots: list[LotPoints], now: datetime
) -> PurchaseConfirmed:
    lines = [
        PurchaseLine(
            sku=line["sku"],
            category=line["category"],
            quantity=line["quantity"],
            amount=line["amount"],
            paid_with_points=line["redeemed"] * MINOR_UNITS_PER_POINT,
            accrued_points=line["accrued"],
        )
        for line in purchase.lines
    ]
    payload = PurchaseConfirmedPayload(
        txid=purchase.txid,
        store_id=purchase.store_id,
        channel=purchase.channel,
        city=purchase.city,
        lines=lines,
        total_amount=purchase.total_amount,
        paid_amount=purchase.paid_amount,
        redeemed_points=purchase.redeemed_points,
        accrued_points=purchase.accrued_points,
        purchased_at=now,
        redeemed_lots=redeemed_lots,
    )
    return PurchaseConfirmed(customer_id=purchase.member_id, occurred_at=now, payload=payload)


async def cancel(
    session: AsyncSession, txid: str, store_id: str | None, body: StepRequest, key: str | None
) -> CancellationOut:
    now, print_ = utcnow(), fingerprint("cancel", txid, body)
    member, purchase = await locked_purchase(session, txid, store_id)
    key = in_store(key, purchase.store_id)
    if (stored := await replay(session, key, print_)) is not None:
        return CancellationOut(**stored)
    if purchase.status == "confirmed":
        raise PurchaseAlreadyConfirmed()
    if "cancel" in purchase.answers:
        return CancellationOut(**_replayed(purchase, "cancel", print_))
    released = await release(session, member, purchase, "cancelled", now)
    purchase.status = "cancelled"
    answer = CancellationOut(txid=txid, status="cancelled", released_points=released)
    purchase.fingerprints = {**purchase.fingerprints, "cancel": print_}
    purchase.answers = {**purchase.answers, "cancel": answer.model_dump(mode="json")}
    await remember(session, key, print_, answer)
    return answer


async def release(
    session: AsyncSession, member: Member, purchase: Purchase, status: str, now: datetime
) -> int:
    """Gives a reservation's points back to its lots (a credit: it settles open debt first);
    the caller holds the member's lock."""
    if purchase.status != "reserved":
        return 0
    journal = Journal(status, purchase.member_id, purchase.txid, now)
    allocated = await ledger.allocated_points(session, purchase)
    for lot_id, points in _per_lot(allocated).items():
        await ledger.change_lot(session, lot_id, held=-points)
        journal.add("release", purchase.member_id, lot_id, held=-points)
    await ledger.settle_debt(session, member, journal, now)
    await journal.write(session)
    purchase.status = status
    return sum(points for _lot_id, points in allocated)
