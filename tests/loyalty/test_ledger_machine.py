"""Random sequences of grant, calculate, reserve, confirm, cancel, return and expire.

After every step: the reconcile checks pass, no balance is negative, and the reserved points
are exactly those of the reservations the model believes open.
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

from kit.clock import utcnow
from kit.db import SessionFactory, create_engine, session_factory, unit_of_work
from kit.errors import DomainError
from kit.migrations import upgrade_async
from loyalty import balance, grants, purchases, returns
from loyalty.domain.rules import ProgramRules
from loyalty.expiry import sweep
from loyalty.models import Member
from loyalty.purchase_schemas import ReceiptLine, ReserveRequest, ReturnRequest, StepRequest
from loyalty.reconcile import breaches
from loyalty.schemas import BalanceOut, GrantRequest

T = TypeVar("T")
RULES = ProgramRules()
CATEGORIES = ("sofas", "lamps")
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
points = st.one_of(st.just("max"), st.integers(0, 400))


class Ledger(RuleBasedStateMachine):
    loop: asyncio.AbstractEventLoop
    sessions: SessionFactory

    purchases = Bundle("purchases")

    def __init__(self) -> None:
        super().__init__()
        self.members: list[str] = []
        self.open: dict[str, tuple[str, int]] = {}  # txid -> (member, points held)

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

    @rule(
        who=st.integers(0, 1),
        amount=st.integers(1, 300),
        days=st.integers(1, 60),
        category=st.none() | st.sampled_from(CATEGORIES),
        delay=st.sampled_from((0, 0, 1, 7)),
    )
    def grant(self, who: int, amount: int, days: int, category: str | None, delay: int) -> None:
        restrictions = {"categories": [category]} if category else None
        body = GrantRequest(
            idempotency_key=uuid.uuid4().hex,
            member_id=self.members[who],
            amount=amount,
            lifetime_days=days,
            active_from=utcnow() + timedelta(days=delay) if delay else None,
            source="promo",
            restrictions=restrictions,
        )
        assert not isinstance(self.attempt(grants.grant, RULES, body), DomainError)

    @rule(who=st.integers(0, 1), items=lines, wanted=points)
    def calculate(self, who: int, items: list[ReceiptLine], wanted: int | str) -> None:
        before = self.balance(who)
        quote = self.attempt(purchases.calculate, RULES, self.receipt(who, items, wanted))
        assert quote.redeemed <= min(quote.max_redeemable, before.available)
        assert self.balance(who) == before

    @rule(target=purchases, who=st.integers(0, 1), items=lines, wanted=points)
    def reserve(self, who: int, items: list[ReceiptLine], wanted: int | str) -> str:
        available = self.balance(who).available
        body = self.receipt(who, items, wanted)
        answer = self.attempt(purchases.reserve, RULES, body, None)
        if not isinstance(answer, DomainError):
            assert answer.redeemed <= available
            self.open[body.txid] = (self.members[who], answer.redeemed)
        return body.txid

    @rule(txid=purchases)
    def confirm(self, txid: str) -> None:
        answer = self.attempt(purchases.confirm, RULES, txid, StepRequest(), None)
        assert isinstance(answer, DomainError) != (txid in self.open or _confirmed(answer))
        self.open.pop(txid, None)

    @rule(txid=purchases)
    def cancel(self, txid: str) -> None:
        self.attempt(purchases.cancel, txid, StepRequest(), None)
        self.open.pop(txid, None)

    @rule(txid=purchases, sku=st.sampled_from(("A", "B", "C")), quantity=st.integers(1, 3))
    def return_items(self, txid: str, sku: str, quantity: int) -> None:
        body = ReturnRequest.model_validate(
            {"return_id": uuid.uuid4().hex, "lines": [{"sku": sku, "quantity": quantity}]}
        )
        self.attempt(returns.return_items, RULES, txid, body, None)

    @rule(days=st.integers(0, 800))
    def expire(self, days: int) -> None:
        later = utcnow() + timedelta(days=days)
        self.run(sweep(self.sessions, RULES, later))
        if days:  # a day later every reservation has lapsed
            self.open.clear()

    def receipt(self, who: int, items: list[ReceiptLine], wanted: int | str) -> ReserveRequest:
        return ReserveRequest(
            customer_id=self.members[who],
            store_id="s1",
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
    def balances_are_never_negative_and_holds_match_open_reservations(self) -> None:
        for who, member in enumerate(self.members):
            current = self.balance(who)
            assert min(current.available, current.pending, current.reserved, current.debt) >= 0
            held = sum(points for owner, points in self.open.values() if owner == member)
            assert current.reserved == held


def _confirmed(answer: object) -> bool:
    return getattr(answer, "status", None) == "confirmed"


async def _add(session: Any, member: Member) -> None:
    session.add(member)


def test_every_invariant_holds_after_every_step(postgres_url: str) -> None:
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
