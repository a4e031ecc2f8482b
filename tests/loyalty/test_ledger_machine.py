"""Random sequences of grant, calculate, reserve, confirm, cancel, return and expire, run side
by side on the service (real PostgreSQL) and on the reference model (ledger_model.py).

After every step: the reconcile checks pass, and every member's available, pending and reserved
points and debt, and every purchase line's points still redeemed, are the model's.
"""

import asyncio
import uuid
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select

from kit.clock import utcnow
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.errors import DomainError
from kit.migrations import upgrade_async
from loyalty import balance, grants, purchases, returns
from loyalty.domain.rules import ProgramRules
from loyalty.expiry import sweep
from loyalty.models import Lot as LotRow
from loyalty.models import Member, RedemptionAllocation
from loyalty.models import Purchase as PurchaseRow
from loyalty.purchase_schemas import ReceiptLine, ReserveRequest, ReturnRequest, StepRequest
from loyalty.reconcile import breaches
from loyalty.schemas import BalanceOut, GrantRequest
from tests.loyalty import ledger_model as model

T = TypeVar("T")
RULES = ProgramRules()
CATEGORIES = ("sofas", "lamps")
STORE = "s1"
lines = st.lists(
    st.builds(
        ReceiptLine,
        sku=st.sampled_from(("A", "B", "C")),
        category=st.sampled_from(CATEGORIES),
        quantity=st.integers(1, 3),
        price=st.integers(0, 40_000),
        no_redeem=st.booleans(),
        no_accrual=st.booleans(),
    ),
    min_size=1,
    max_size=3,
)
WHO = st.sampled_from((0, 0, 0, 1))  # mostly one member, so their history gets long
points = st.one_of(st.just("max"), st.integers(0, 400))


class Ledger(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    sessions: SessionFactory

    purchases = Bundle("purchases")

    def __init__(self) -> None:
        super().__init__()
        self.members: list[str] = []
        self.model = model.Programme()

    def run(self, work: Awaitable[T]) -> T:
        return self.loop.run_until_complete(work)

    async def in_transaction(self, call: Any, *args: Any) -> Any:
        async with unit_of_work(self.sessions) as session:
            return await call(session, *args)

    def attempt(self, call: Any, *args: Any) -> Any:
        try:
            return self.run(self.in_transaction(call, *args))
        except DomainError as refused:
            return refused

    @initialize()
    def two_members(self) -> None:
        for _ in range(2):
            member = Member(id=str(uuid.uuid4()), time_zone="UTC", consents={}, created_at=utcnow())
            self.run(self.in_transaction(_add, member))
            self.members.append(member.id)
            self.model.add_member(member.id)

    @rule(
        who=WHO,
        amount=st.integers(1, 300),
        days=st.integers(1, 60),
        category=st.none() | st.sampled_from(CATEGORIES),
        store=st.booleans(),
        delay=st.sampled_from((0, 0, 1, 7)),
    )
    def grant(
        self, who: int, amount: int, days: int, category: str | None, store: bool, delay: int
    ) -> None:
        # A store-restricted lot is spent first yet may pay for any line: where greedy fails.
        restrictions: dict[str, list[str]] = {"store_ids": ["s1"]} if store else {}
        if category:
            restrictions["categories"] = [category]
        body = GrantRequest(
            idempotency_key=uuid.uuid4().hex,
            member_id=self.members[who],
            amount=amount,
            lifetime_days=days,
            active_from=utcnow() + timedelta(days=delay) if delay else None,
            source="promo",
            restrictions=restrictions or None,
        )
        answer, _new = self.run(self.in_transaction(grants.grant, RULES, body))
        lot = model.Lot(
            answer.lot_id,
            self.members[who],
            amount,
            answer.active_from,
            answer.expires_at,
            0,
            (category,) if category else (),
            stores=("s1",) if store else (),
        )
        self.model.add_lot(lot, utcnow())

    @rule(who=WHO, items=lines, wanted=points)
    def calculate(self, who: int, items: list[ReceiptLine], wanted: int | str) -> None:
        member = self.members[who]
        top, per_lot = self.model.expected_spend(member, _lines(items), wanted, utcnow())
        quote = self.attempt(purchases.calculate, RULES, self.receipt(who, items, wanted))
        assert (quote.max_redeemable, quote.redeemed) == (top, sum(per_lot.values()))
        for line, quoted in zip(_lines(items), quote.lines, strict=True):
            assert quoted.redeemed <= quoted.max_redeemable <= line.cap

    @rule(target=purchases, who=WHO, items=lines, wanted=points)
    def reserve(self, who: int, items: list[ReceiptLine], wanted: int | str) -> str:
        return self.reserved(who, items, wanted)

    def reserved(self, who: int, items: list[ReceiptLine], wanted: int | str) -> str:
        member, body = self.members[who], self.receipt(who, items, wanted)
        top, per_lot = self.model.expected_spend(member, _lines(items), wanted, utcnow())
        answer = self.attempt(purchases.reserve, RULES, body, None)
        if wanted != "max" and int(wanted) > top:
            assert getattr(answer, "code", None) == "insufficient_points"
            return body.txid
        assert answer.redeemed == sum(per_lot.values())
        bought = _lines(items)
        for lot_id, line_no, spent in self.run(_allocations(self.sessions, body.txid)):
            bought[line_no].spent.append(model.Spent(lot_id, spent))
            per_lot[lot_id] -= spent
        assert set(per_lot.values()) <= {0}  # each lot paid what the spending order says
        for line, quoted in zip(bought, answer.lines, strict=True):
            assert line.redeemed == quoted.redeemed <= line.cap
            line.accrued = quoted.accrued
        self.model.hold(model.Purchase(body.txid, member, bought, answer.reserved_until))
        return body.txid

    @rule(target=purchases, who=WHO, items=lines, wanted=points)
    def buy(self, who: int, items: list[ReceiptLine], wanted: int | str) -> str:
        """Reserve and confirm at once, as most tills do: accruals to spend and to return."""
        txid = self.reserved(who, items, wanted)
        self.confirmed(txid)
        return txid

    @rule(target=purchases, who=WHO)
    def spend_everything(self, who: int) -> str:
        """A big receipt paid with every point it can take: accruals get spent, so returning
        the purchases that earned them leaves debt."""
        big = [
            ReceiptLine(sku=sku, category=category, quantity=3, price=40_000)
            for sku, category in (("A", "sofas"), ("B", "lamps"), ("C", "sofas"))
        ]
        txid = self.reserved(who, big, "max")
        self.confirmed(txid)
        return txid

    @rule(txid=purchases)
    def confirm(self, txid: str) -> None:
        self.confirmed(txid)

    def confirmed(self, txid: str) -> None:
        bought = self.model.purchases.get(txid)
        answer = self.attempt(purchases.confirm, RULES, txid, STORE, StepRequest(), None)
        if bought is None or bought.status in ("cancelled", "lapsed"):
            assert isinstance(answer, DomainError)
            return
        assert not isinstance(answer, DomainError), answer
        if bought.status == "confirmed":
            return
        self.run(self.extended_purchase_lots(bought.member))
        accrual = None
        if answer.accrued:
            lot_id = self.run(_accrual_lot(self.sessions, txid))
            accrual = model.Lot(
                lot_id,
                bought.member,
                answer.accrued,
                answer.accrual_active_from,
                answer.accrual_expires_at,
                0,
                source="purchase",
            )
        self.model.confirm(txid, accrual, utcnow())

    async def extended_purchase_lots(self, member: str) -> None:
        """Expiry dates are the tiers' business: the model takes them from the service."""
        query = select(LotRow.id, LotRow.expires_at).where(LotRow.member_id == member)
        async with unit_of_work(self.sessions) as session:
            for lot_id, expires_at in await session.execute(query):
                if lot_id in self.model.lots:
                    self.model.lots[lot_id].expires_at = expires_at

    @rule(txid=purchases)
    def cancel(self, txid: str) -> None:
        bought = self.model.purchases.get(txid)
        answer = self.attempt(purchases.cancel, txid, STORE, StepRequest(), None)
        if bought is None or bought.status == "confirmed":
            assert isinstance(answer, DomainError)
        elif bought.status == "reserved":
            assert answer.released_points == sum(line.redeemed for line in bought.lines)
            self.model.release(txid, "cancelled", utcnow())
        else:
            bought.status = "cancelled"

    @rule(txid=purchases, sku=st.sampled_from(("A", "B", "C")), quantity=st.integers(1, 3))
    def return_items(self, txid: str, sku: str, quantity: int) -> None:
        body = ReturnRequest.model_validate(
            {"return_id": uuid.uuid4().hex, "lines": [{"sku": sku, "quantity": quantity}]}
        )
        answer = self.attempt(returns.return_items, RULES, txid, STORE, body, None)
        accepted = txid in self.model.purchases and self.model.return_items(
            txid, [(sku, quantity)], utcnow()
        )
        assert isinstance(answer, DomainError) != accepted

    @rule(txid=purchases)
    def return_everything(self, txid: str) -> None:
        """A whole receipt brought back: where debt comes from, and nothing may be left."""
        bought = self.model.purchases.get(txid)
        left: dict[str, int] = {}
        for line in bought.lines if bought else []:
            left[line.sku] = left.get(line.sku, 0) + line.quantity - line.returned
        wanted = [(sku, n) for sku, n in left.items() if n] or [("A", 1)]
        body = ReturnRequest.model_validate(
            {
                "return_id": uuid.uuid4().hex,
                "lines": [{"sku": sku, "quantity": n} for sku, n in wanted],
            }
        )
        answer = self.attempt(returns.return_items, RULES, txid, STORE, body, None)
        accepted = bought is not None and self.model.return_items(txid, wanted, utcnow())
        assert isinstance(answer, DomainError) != accepted

    @rule(days=st.integers(0, 800))
    def expire(self, days: int) -> None:
        later = utcnow() + timedelta(days=days)
        self.run(sweep(self.sessions, RULES, later))
        self.model.sweep(later)

    def receipt(self, who: int, items: list[ReceiptLine], wanted: int | str) -> ReserveRequest:
        return ReserveRequest(
            customer_id=self.members[who],
            store_id=STORE,
            channel="offline",
            lines=items,
            points=wanted,
            txid=uuid.uuid4().hex,
        )

    def balance(self, who: int) -> BalanceOut:
        answer: BalanceOut = self.run(self.in_transaction(balance.balance, self.members[who]))
        return answer

    @invariant()
    def ledger_reconciles(self) -> None:
        assert self.run(self.in_transaction(breaches)) == {}

    @invariant()
    def balances_and_debt_are_the_models(self) -> None:
        now = utcnow()
        for who, member in enumerate(self.members):
            current = self.balance(who)
            seen = {
                "available": current.available,
                "pending": current.pending,
                "reserved": current.reserved,
                "debt": current.debt,
            }
            expected = self.model.balance(member, now)
            assert seen == expected
            assert expected["debt"] == 0 or expected["available"] + expected["pending"] == 0

    @invariant()
    def points_still_redeemed_per_line_are_the_models(self) -> None:
        kept = self.run(_kept_per_line(self.sessions))
        for txid, bought in self.model.purchases.items():
            if bought.status not in ("reserved", "confirmed"):
                continue
            for no, line in enumerate(bought.lines):
                assert kept.get((txid, no), 0) == sum(s.points - s.back for s in line.spent)
                assert line.kept() <= model.cap_of(line, line.quantity - line.returned)


def _lines(items: list[ReceiptLine]) -> list[model.Line]:
    return [
        model.Line(item.sku, item.quantity, item.price, item.category, item.no_redeem)
        for item in items
    ]


async def _allocations(sessions: SessionFactory, txid: str) -> list[tuple[str, int, int]]:
    query = select(
        RedemptionAllocation.lot_id, RedemptionAllocation.line_no, RedemptionAllocation.points
    ).where(RedemptionAllocation.txid == txid, RedemptionAllocation.store_id == STORE)
    async with unit_of_work(sessions) as session:
        return [(row.lot_id, row.line_no, row.points) for row in await session.execute(query)]


async def _accrual_lot(sessions: SessionFactory, txid: str) -> str:
    async with unit_of_work(sessions) as session:
        found = await session.get(PurchaseRow, (txid, STORE))
        assert found is not None and found.accrual_lot_id is not None
        return found.accrual_lot_id


async def _kept_per_line(sessions: SessionFactory) -> dict[tuple[str, int], int]:
    query = select(
        RedemptionAllocation.txid,
        RedemptionAllocation.line_no,
        func.sum(RedemptionAllocation.points - RedemptionAllocation.returned),
    ).group_by(RedemptionAllocation.txid, RedemptionAllocation.line_no)
    async with unit_of_work(sessions) as session:
        return {(txid, no): int(kept) for txid, no, kept in await session.execute(query)}


async def _add(session: Any, member: Member) -> None:
    session.add(member)


def test_service_and_model_agree_after_every_step(postgres_url: str) -> None:
    loop = asyncio.new_event_loop()
    loop.run_until_complete(upgrade_async("loyalty:migrations", postgres_url))
    engine = create_engine(postgres_url)
    Ledger.loop, Ledger.sessions = loop, session_factory(engine)
    try:
        run_state_machine_as_test(
            Ledger,
            settings=settings(
                max_examples=12,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        loop.run_until_complete(engine.dispose())
        loop.close()
