"""Returns: refund in proportion, take accrual back, give redeemed points back to their lots."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts.loyalty import (
    LotPoints,
    PurchaseReturned,
    PurchaseReturnedPayload,
    ReturnedLine,
)
from loyalty import ledger
from loyalty.domain.returns import (
    BoughtLine,
    LineReturn,
    ReturnTooLarge,
    Spent,
    restoration_plan,
    return_line,
)
from loyalty.domain.rules import ProgramRules
from loyalty.errors import PurchaseNotConfirmed, ReturnExceedsPurchase, TxidReused
from loyalty.idempotency import fingerprint, in_store, remember, replay
from loyalty.ledger import Journal
from loyalty.models import Lot, Member, Purchase, RedemptionAllocation, Return, outbox
from loyalty.purchase_schemas import ReturnedLineOut, ReturnOut, ReturnRequest
from loyalty.purchases import allocations_of, locked_purchase
from loyalty.tiering import refresh_tier


@dataclass
class Outcome:
    lines: list[ReturnedLineOut] = field(default_factory=list)
    reversed: int = 0
    debt: int = 0
    repaid: int = 0
    restored: dict[str, int] = field(default_factory=dict)  # lot id -> points given back


async def return_items(
    session: AsyncSession,
    rules: ProgramRules,
    txid: str,
    store_id: str | None,
    body: ReturnRequest,
    key: str | None,
    now: datetime | None = None,
) -> ReturnOut:
    now, print_ = now or utcnow(), fingerprint("return", txid, body)
    member, purchase = await locked_purchase(session, txid, store_id)
    key = in_store(key, purchase.store_id)
    if (stored := await replay(session, key, print_)) is not None:
        return ReturnOut(**stored)
    if (previous := await _previous(session, purchase, body.return_id)) is not None:
        if previous.fingerprint != print_:
            raise TxidReused("this return_id was used with different lines")
        return ReturnOut(**previous.answer)
    if purchase.status != "confirmed":
        raise PurchaseNotConfirmed()
    journal = Journal("return", member.id, operation_reference(purchase, body.return_id), now)
    outcome = await _apply(session, purchase, body, journal, now)
    await _reverse_accrual(session, member, purchase, outcome, journal)
    outcome.repaid = await ledger.settle_debt(session, member, journal, now)
    await journal.write(session)
    await refresh_tier(session, rules, member, now)
    answer = _answer(purchase, body.return_id, outcome)
    session.add(
        Return(
            txid=txid,
            store_id=purchase.store_id,
            return_id=body.return_id,
            fingerprint=print_,
            answer=answer.model_dump(mode="json"),
            created_at=now,
        )
    )
    restored_lots = await ledger.lot_points(session, outcome.restored)
    await outbox.add(session, _returned_event(purchase, answer, restored_lots, now))
    await remember(session, key, print_, answer, 201)
    return answer


def operation_reference(purchase: Purchase, return_id: str) -> str:
    """How the journal names a return: reconcile finds the points it reversed by it."""
    return f"{purchase.store_id}/{purchase.txid}/{return_id}"


async def _previous(session: AsyncSession, purchase: Purchase, return_id: str) -> Return | None:
    query = select(Return).where(
        Return.txid == purchase.txid,
        Return.store_id == purchase.store_id,
        Return.return_id == return_id,
    )
    return (await session.execute(query)).scalars().first()


def _split(lines: list[dict[str, Any]], body: ReturnRequest) -> list[tuple[int, int]]:
    """(line number, quantity) pairs: each returned sku spread over its receipt lines."""
    left = [line["quantity"] - line["returned"] for line in lines]
    picks: list[tuple[int, int]] = []
    for wanted in body.lines:
        quantity = wanted.quantity
        for no, line in enumerate(lines):
            take = min(quantity, left[no]) if line["sku"] == wanted.sku else 0
            if take > 0:
                picks.append((no, take))
                left[no] -= take
                quantity -= take
        if quantity:
            raise ReturnExceedsPurchase(
                f"{wanted.sku}: {quantity} more than bought", sku=wanted.sku
            )
    return picks


async def _apply(
    session: AsyncSession, purchase: Purchase, body: ReturnRequest, journal: Journal, now: datetime
) -> Outcome:
    lines = [dict(line) for line in purchase.lines]
    allocations = await allocations_of(session, purchase)
    expired = await _expired_lots(session, {a.lot_id for a in allocations}, now)
    outcome = Outcome()
    for no, quantity in _split(lines, body):
        line = lines[no]
        try:
            share = return_line(_bought(line), quantity)
        except ReturnTooLarge as exc:
            raise ReturnExceedsPurchase(str(exc)) from exc
        line["returned"] += quantity
        mine = [a for a in allocations if a.line_no == no]
        restored = await _restore(
            session, purchase.member_id, mine, expired, share, outcome, journal
        )
        outcome.reversed += share.reversed_points
        outcome.lines.append(
            ReturnedLineOut(
                sku=line["sku"],
                quantity=quantity,
                refunded=share.refunded,
                reversed_points=share.reversed_points,
                restored_points=restored,
                not_restored_points=share.redeemed_points - restored,
            )
        )
    purchase.lines = lines
    purchase.refunded_amount += sum(line.refunded for line in outcome.lines)
    return outcome


def _bought(line: dict[str, Any]) -> BoughtLine:
    return BoughtLine(
        line["quantity"], line["amount"], line["redeemed"], line["accrued"], line["returned"]
    )


async def _expired_lots(session: AsyncSession, lot_ids: set[str], now: datetime) -> set[str]:
    if not lot_ids:
        return set()
    query = select(Lot.id).where(Lot.id.in_(lot_ids), Lot.expires_at < now)
    return set((await session.execute(query)).scalars())


async def _restore(
    session: AsyncSession,
    member_id: str,
    allocations: list[RedemptionAllocation],
    expired: set[str],
    share: LineReturn,
    outcome: Outcome,
    journal: Journal,
) -> int:
    spent = [Spent(a.id, a.lot_id, a.points - a.returned, a.lot_id in expired) for a in allocations]
    by_id = {a.id: a for a in allocations}
    restored = 0
    for step in restoration_plan(spent, share.redeemed_points):
        by_id[step.allocation_id].returned += step.points
        if not step.lot_expired:
            await ledger.change_lot(session, step.lot_id, points=step.points)
            journal.add("restore", member_id, step.lot_id, points=step.points)
            outcome.restored[step.lot_id] = outcome.restored.get(step.lot_id, 0) + step.points
            restored += step.points
    return restored


async def _reverse_accrual(
    session: AsyncSession, member: Member, purchase: Purchase, outcome: Outcome, journal: Journal
) -> None:
    """Takes the accrual back from its lot; what was already spent becomes the member's debt."""
    if outcome.reversed <= 0 or purchase.accrual_lot_id is None:
        return
    lot = await session.get(Lot, purchase.accrual_lot_id, populate_existing=True)
    free = lot.remaining - lot.reserved if lot else 0
    taken = min(free, outcome.reversed)
    if taken and lot:
        await ledger.change_lot(session, lot.id, points=-taken)
        journal.add("reverse", member.id, lot.id, points=-taken)
    outcome.debt = outcome.reversed - taken
    if outcome.debt:
        member.debt += outcome.debt
        journal.add("reverse", member.id, None, debt=outcome.debt)


def _answer(purchase: Purchase, return_id: str, outcome: Outcome) -> ReturnOut:
    restored = sum(line.restored_points for line in outcome.lines)
    lost = sum(line.not_restored_points for line in outcome.lines)
    note = (
        f"{lost} redeemed points were not restored: the lots they came from have expired"
        if lost
        else None
    )
    return ReturnOut(
        txid=purchase.txid,
        return_id=return_id,
        refunded_amount=sum(line.refunded for line in outcome.lines),
        reversed_points=outcome.reversed,
        debt_points=outcome.debt,
        debt_repaid=outcome.repaid,
        restored_points=restored,
        not_restored_points=lost,
        note=note,
        lines=outcome.lines,
    )


def _returned_event(
    purchase: Purchase, answer: ReturnOut, restored_lots: list[LotPoints], now: datetime
) -> PurchaseReturned:
    payload = PurchaseReturnedPayload(
        txid=purchase.txid,
        store_id=purchase.store_id,
        return_id=answer.return_id,
        lines=[
            ReturnedLine(sku=line.sku, quantity=line.quantity, amount=line.refunded)
            for line in answer.lines
        ],
        refunded_amount=answer.refunded_amount,
        reversed_points=answer.reversed_points,
        restored_points=answer.restored_points,
        returned_at=now,
        restored_lots=restored_lots,
    )
    return PurchaseReturned(customer_id=purchase.member_id, occurred_at=now, payload=payload)
