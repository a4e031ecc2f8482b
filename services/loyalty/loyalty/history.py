"""A member's purchases (with their returns) and lots, newest first, for support and marketers.

Pages are cut by keyset cursors, so a page never shifts while purchases or grants are added.
Returns keep the answer they gave the till; the history shows that answer's figures.
"""

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.cursors import (
    InvalidCursor,
    decode_cursor,
    decode_time_cursor,
    encode_cursor,
    encode_time_cursor,
)
from loyalty import repository
from loyalty.errors import MemberNotFound
from loyalty.history_schemas import (
    LotsPage,
    LotState,
    LotSummary,
    PurchaseRef,
    PurchasesPage,
    PurchaseSummary,
    ReturnSummary,
)
from loyalty.models import Lot, Purchase, Return


async def purchases(
    session: AsyncSession, member_id: str, cursor: str | None, limit: int
) -> PurchasesPage:
    after = _purchase_cursor(cursor) if cursor else None
    await _known(session, member_id)
    rows = await repository.confirmed_purchases(session, member_id, after, limit + 1)
    shown = rows[:limit]
    returned: dict[tuple[str, str], list[ReturnSummary]] = defaultdict(list)
    for row in await repository.returns_of(session, shown):
        returned[(row.txid, row.store_id)].append(_return(row))
    items = [_purchase(p, returned[(p.txid, p.store_id)]) for p in shown]
    following = _next_purchase(shown[-1]) if len(rows) > limit else None
    return PurchasesPage(items=items, next_cursor=following)


async def lots(session: AsyncSession, member_id: str, cursor: str | None, limit: int) -> LotsPage:
    after = decode_time_cursor(cursor) if cursor else None
    await _known(session, member_id)
    rows = await repository.lots_page(session, member_id, after, limit + 1)
    shown, now = rows[:limit], utcnow()
    accruals = await repository.accrued_by(
        session, member_id, [lot.id for lot in shown if lot.source == "purchase"]
    )
    items = [_lot(lot, accruals.get(lot.id), now) for lot in shown]
    last = shown[-1] if len(rows) > limit else None
    return LotsPage(
        items=items, next_cursor=encode_time_cursor(last.created_at, last.id) if last else None
    )


async def _known(session: AsyncSession, member_id: str) -> None:
    if await repository.get_member(session, member_id) is None:
        raise MemberNotFound()


def _purchase_cursor(cursor: str) -> tuple[datetime, str, str]:
    at, store, txid = decode_cursor(cursor, 3)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if moment.tzinfo is None:
        raise InvalidCursor()
    return moment, store, txid


def _next_purchase(last: Purchase) -> str | None:
    if last.confirmed_at is None:  # only confirmed purchases are listed
        return None
    return encode_cursor(last.confirmed_at.isoformat(), last.store_id, last.txid)


def _purchase(row: Purchase, returns: list[ReturnSummary]) -> PurchaseSummary:
    return PurchaseSummary.model_validate(
        {name: getattr(row, name) for name in PurchaseSummary.model_fields if name != "returns"}
        | {"returns": returns}
    )


def _return(row: Return) -> ReturnSummary:
    answer = row.answer
    return ReturnSummary(
        return_id=row.return_id,
        returned_at=row.created_at,
        refunded_amount=answer["refunded_amount"],
        reversed_points=answer["reversed_points"],
        debt_points=answer.get("debt_points", 0),
        restored_points=answer["restored_points"],
        not_restored_points=answer["not_restored_points"],
    )


def _lot(lot: Lot, accrual: Purchase | None, now: datetime) -> LotSummary:
    purchase = PurchaseRef(txid=accrual.txid, store_id=accrual.store_id) if accrual else None
    return LotSummary(
        id=lot.id,
        source=lot.source,
        reference=lot.reference,
        grant_id=lot.grant_id,
        purchase=purchase,
        initial=lot.initial,
        remaining=lot.remaining,
        reserved=lot.reserved,
        state=lot_state(lot, now),
        created_at=lot.created_at,
        active_from=lot.active_from,
        expires_at=lot.expires_at,
    )


def lot_state(lot: Lot, now: datetime) -> LotState:
    if lot.expires_at < now:
        return "expired"
    if lot.remaining <= 0:
        return "used"
    return "pending" if lot.active_from > now else "active"
