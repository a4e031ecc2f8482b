"""The POS contract against PostgreSQL: quotes, reservations, confirmations, tiers."""

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import delete, event, select

from kit.clock import utcnow
from kit.db import unit_of_work
from kit.stack import Infra
from loyalty.domain.rules import ProgramRules, add_months, end_of_day
from loyalty.models import JournalEntry, Lot, Member, Purchase
from loyalty.reconcile import breaches
from tests.loyalty.till import Till, days_from_now, events, lamp, sofa

RULES = ProgramRules()


async def test_calculate_caps_points_at_a_fifth_and_has_no_side_effects(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    quote = await till.calculate(member, sofa(), lamp(), points="max")
    assert (quote["total_amount"], quote["max_redeemable"], quote["redeemed"]) == (60_000, 120, 120)
    assert quote["payable"] == 60_000 - 120 * 100
    assert quote["accrued"] == sum(line["accrued"] for line in quote["lines"])
    assert (await till.balance(member))["available"] == 1_000


async def test_a_quote_is_one_statement_outside_any_transaction(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    engine = till.sessions.kw["bind"].sync_engine
    isolation_levels: list[str | None] = []  # one per statement

    def seen(conn: Any, *_rest: Any) -> None:
        isolation_levels.append(conn.get_execution_options().get("isolation_level"))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        quote = await till.calculate(member, sofa(), points="max")
        missing = await till.http.post(
            "/purchases/calculate", json=till.receipt("no-such-member", sofa())
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert (quote["redeemed"], quote["tier"]) == (100, "base")
    assert missing.status_code == 404
    assert isolation_levels == ["AUTOCOMMIT", "AUTOCOMMIT"]  # no BEGIN and COMMIT round trips


async def test_no_redeem_lines_and_numbers_asked_for_are_honoured(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    gift_card = {"sku": "GIFT", "quantity": 1, "price": 50_000, "no_redeem": True}
    quote = await till.calculate(member, gift_card, lamp(), points=15)
    assert [line["redeemed"] for line in quote["lines"]] == [0, 15]
    assert [line["max_redeemable"] for line in quote["lines"]] == [0, 20]
    # The gift card adds nothing to the cap: only the lamps' own fifth may be paid in points.
    most = await till.calculate(member, gift_card, lamp(), points="max")
    assert (most["max_redeemable"], most["redeemed"]) == (20, 20)


async def test_category_and_offline_lots_pay_only_where_allowed(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 50, restrictions={"categories": ["sofas"]})
    await till.grant(member, 30, restrictions={"store_channels": ["offline"]})
    online = await till.calculate(member, lamp(), points="max", channel="online")
    assert online["redeemed"] == 0
    offline_lamps = await till.calculate(member, lamp(), points="max")
    assert offline_lamps["redeemed"] == 20  # a fifth of 10 000; only the offline lot may pay
    sofas_online = await till.calculate(member, sofa(), points="max", channel="online")
    assert sofas_online["redeemed"] == 50


async def test_delayed_points_are_pending_until_their_window_opens(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 70, active_from=days_from_now(3), expires_at=days_from_now(14))
    balance = await till.balance(member)
    assert (balance["available"], balance["pending"]) == (0, 70)
    assert (await till.calculate(member, sofa(), points="max"))["redeemed"] == 0


async def test_a_delayed_activation_is_journalled_once_when_its_time_comes(
    any_till: Till,
) -> None:
    till = any_till
    member = await till.member()
    opens = utcnow() + timedelta(days=3)
    window = {"active_from": opens.isoformat(), "expires_at": days_from_now(14)}
    lot_id = (await till.grant(member, 70, **window))["lot_id"]
    await till.grant(member, 5)  # spendable at once: no activation entry
    assert (await till.sweep()).activated_lots == 0
    assert await activations(till, member) == []
    assert (await till.sweep(opens + timedelta(seconds=1))).activated_lots == 1
    assert (await till.sweep(opens + timedelta(days=1))).activated_lots == 0
    [(entry_lot, points)] = await activations(till, member)
    assert (entry_lot, points) == (lot_id, 0)  # a point in time: the amounts do not move
    async with till.sessions() as session:  # never committed: the reconcile must notice
        lot = await session.get(Lot, lot_id)
        assert lot is not None and lot.activated_at == opens
        await session.execute(delete(JournalEntry).where(JournalEntry.kind == "activate"))
        assert (await breaches(session)) == {"activation not journalled exactly once": [lot_id]}


async def activations(till: Till, member: str) -> list[tuple[str | None, int]]:
    query = select(JournalEntry.lot_id, JournalEntry.points).where(
        JournalEntry.member_id == member, JournalEntry.kind == "activate"
    )
    async with unit_of_work(till.sessions) as session:
        return [(row.lot_id, row.points) for row in await session.execute(query)]


async def test_reserve_holds_points_and_confirm_captures_them(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 300)
    reserved = await till.reserve(member, sofa(), points=100)
    assert reserved.status_code == 201, reserved.text
    assert (await till.balance(member))["reserved"] == 100
    assert (await till.balance(member))["available"] == 200
    confirmed = (await till.confirm(reserved.json()["txid"])).json()
    assert confirmed["status"] == "confirmed"
    assert confirmed["accrued"] == (50_000 - 10_000) * 5 // 10_000
    balance = await till.balance(member)
    assert (balance["reserved"], balance["available"]) == (0, 200 + confirmed["accrued"])
    [event] = await events(till, "purchase.confirmed")
    assert event["payload"]["redeemed_points"] == 100
    assert event["payload"]["lines"][0]["paid_with_points"] == 10_000
    assert event["payload"]["store_id"] == "berlin-01"


async def test_a_changed_quote_or_too_many_points_is_refused(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 30)
    changed = await till.reserve(member, sofa(), points="max", quoted_redeemed=50)
    assert changed.status_code == 409
    assert changed.json()["code"] == "quote_changed"
    assert changed.json()["redeemed_now"] == 30
    too_many = await till.reserve(member, sofa(), points=31)
    assert too_many.json()["code"] == "insufficient_points"


async def test_cancel_releases_and_a_cancelled_purchase_cannot_be_confirmed(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 300)
    txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    cancelled = await till.cancel(txid)
    assert cancelled.json() == {"txid": txid, "status": "cancelled", "released_points": 100}
    assert (await till.cancel(txid)).json() == cancelled.json()
    assert (await till.balance(member))["available"] == 300
    assert (await till.confirm(txid)).json()["code"] == "purchase_cancelled"


async def test_unknown_customers_and_purchases_are_404s(till: Till) -> None:
    response = await till.http.post("/purchases/calculate", json=till.receipt("nobody"))
    assert (response.status_code, response.json()["code"]) == (404, "member_not_found")
    missing = await till.confirm("no-such-txid")
    assert (missing.status_code, missing.json()["code"]) == (404, "purchase_not_found")


async def test_bad_receipts_are_422s_naming_the_field(till: Till) -> None:
    body = till.receipt("x", {"sku": "A", "quantity": 0, "price": 100})
    response = await till.http.post("/purchases/calculate", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.lines.0.quantity"


async def test_tier_accrual_lifetime_and_expiry_extension(till: Till) -> None:
    member = await till.member()
    promo = await till.grant(member, 10, lifetime_days=5)
    first = await till.buy(member, sofa(price=20_000))
    assert first["accrued"] == 20_000 * 500 // 1_000_000
    assert _date(first["accrual_expires_at"]) == _months_ahead(6)
    big = await till.buy(member, sofa(price=200_000))  # trailing spend now 220 000: silver
    assert big["tier"] == "silver"
    [changed] = await events(till, "member.tier_changed")
    assert changed["payload"] == {
        "previous_tier": "base",
        "tier": "silver",
        "trailing_spend": 220_000,
    }
    third = await till.buy(member, lamp(price=10_000, quantity=1))
    assert third["accrued"] == 10_000 * 700 // 1_000_000  # silver earns 7 %
    assert _date(third["accrual_expires_at"]) == _months_ahead(12)
    expiries = {e["expires_at"]: e["amount"] for e in (await till.balance(member))["expiring"]}
    assert expiries[promo["expires_at"].replace("+00:00", "Z")] == 10  # promo keeps its date
    assert expiries[third["accrual_expires_at"]] == first["accrued"] + big["accrued"] + 7


async def test_a_member_who_stops_buying_steps_down_when_the_spend_ages_out(
    any_till: Till,
) -> None:
    till = any_till
    member = await till.member()
    big = await till.buy(member, sofa(price=150_000))  # silver
    small = await till.buy(member, lamp(price=10_000, quantity=1))
    assert small["tier"] == "silver"
    first_at = datetime.fromisoformat(big["confirmed_at"])
    bought_at = datetime.fromisoformat(small["confirmed_at"])
    # As if the big purchase had been made 300 days ago: its date, and the member's review.
    long_ago = first_at - timedelta(days=300)
    async with unit_of_work(till.sessions) as session:
        purchase = await session.get(Purchase, (big["txid"], "berlin-01"))
        assert purchase is not None
        purchase.confirmed_at = long_ago
        stored = await session.get(Member, member)
        assert stored is not None and stored.tier_review_at == first_at + RULES.spend_window
        stored.tier_review_at = long_ago + RULES.spend_window
    assert (await till.sweep(bought_at + timedelta(days=64))).reviewed_tiers == 0
    assert (await till.sweep(bought_at + timedelta(days=66))).reviewed_tiers == 1
    assert (await till.sweep(bought_at + timedelta(days=67))).reviewed_tiers == 0  # next: a year
    balance = await till.balance(member)
    assert (balance["tier"], balance["trailing_spend"]) == ("base", 10_000)
    [_up, down] = await events(till, "member.tier_changed")
    assert down["payload"] == {"previous_tier": "silver", "tier": "base", "trailing_spend": 10_000}
    assert (
        await till.sweep(bought_at + RULES.spend_window + timedelta(days=1))
    ).reviewed_tiers == 1
    assert (await till.balance(member))["trailing_spend"] == 0
    assert len(await events(till, "member.tier_changed")) == 2  # base stays base: no event
    assert (await till.sweep(bought_at + 2 * RULES.spend_window)).reviewed_tiers == 0


def _date(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def _months_ahead(months: int) -> datetime:
    return end_of_day(add_months(RULES.local_date(utcnow()), months), RULES)


async def test_reservations_lapse_after_their_ttl(till: Till) -> None:
    member = await till.member()
    await till.grant(member, 300)
    txid = (await till.reserve(member, sofa(), points=100)).json()["txid"]
    assert (await till.sweep()).lapsed_reservations == 0
    later = utcnow() + RULES.reservation_ttl + timedelta(seconds=1)
    assert (await till.sweep(later)).lapsed_reservations == 1
    assert (await till.balance(member))["available"] == 300
    lapsed = await till.confirm(txid)
    assert (lapsed.status_code, lapsed.json()["code"]) == (409, "reservation_lapsed")


async def test_a_till_step_that_loses_its_connection_is_a_503_and_the_next_one_goes_through(
    till: Till, infra: Infra
) -> None:
    member = await till.member()
    await till.grant(member, 1_000)
    assert (await till.reserve(member, sofa(), points=10)).status_code == 201
    admin = await asyncpg.connect(
        host="127.0.0.1", port=infra.postgres_port, user="postgres", database="postgres"
    )
    try:  # the server drops every connection of the service's pool (a restart, a failover)
        database = till.sessions.kw["bind"].url.database
        await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", database
        )
    finally:
        await admin.close()
    lost = await till.reserve(member, sofa(), points=10)
    assert lost.status_code == 503, lost.text
    assert (lost.json()["code"], lost.headers["retry-after"]) == ("database_unavailable", "1")
    again = await till.reserve(member, sofa(), points=10)
    assert again.status_code == 201, again.text
    assert (await till.confirm(again.json()["txid"])).status_code == 200
    assert (await till.balance(member))["reserved"] == 10  # the first; the lost one wrote nothing
