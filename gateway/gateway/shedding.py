"""Shedding under overload: a bounded number of calls in flight per kind of upstream work.

Past its capacity a service only queues: every request waits longer, until the tills see the
upstream timeout. A *bulkhead* lets at most ``limit`` calls of one kind run at once and at most
``waiting`` more wait for a slot, each for at most ``wait_seconds``. A call that finds the slots
and the queue full, or whose wait runs out, is refused with 503 ``overloaded`` and
``Retry-After`` before anything is forwarded: a refused request did no work, so the till's retry
(the same txid and ``Idempotency-Key``) runs as if it were the first. The queue's bound is what
keeps refusals fast: past it a request is refused without waiting at all.
Each kind has its own bulkhead, so POS writes (lock-heavy ledger work) never starve quotes and
balance reads, and neither starves marketer routes, which have none.

The limit holds per gateway replica: size it as the service's capacity divided by replicas.
"""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import Depends, Request

from gateway.settings import GatewaySettings
from gateway.upstreams import ServiceClient
from kit.errors import ServiceUnavailable

Kind = Literal["pos_writes", "pos_reads"]
RETRY_AFTER_SECONDS = 1


class Overloaded(ServiceUnavailable):
    code = "overloaded"
    title = "Too many requests of this kind in flight; retry shortly"


class Bulkhead:
    """At most ``limit`` calls at once, ``waiting`` more queued for ``wait_seconds`` at most."""

    def __init__(self, kind: Kind, limit: int, waiting: int, wait_seconds: float) -> None:
        self.kind = kind
        self.limit = limit
        self.waiting = waiting
        self.wait_seconds = wait_seconds
        self._slots = asyncio.Semaphore(limit)
        self._queued = 0

    @property
    def full(self) -> bool:
        """Every slot is taken."""
        return self._slots.locked()

    @property
    def queued(self) -> int:
        """Callers waiting for a slot now."""
        return self._queued

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._take()
        try:
            yield
        finally:
            self._slots.release()

    @property
    def no_room(self) -> bool:
        """Every slot is taken and the queue is full: a call now would be refused at once."""
        return self.full and self._queued >= self.waiting

    def refuse_if_no_room(self) -> None:
        if self.no_room:
            raise self._overloaded()

    async def _take(self) -> None:
        self.refuse_if_no_room()
        self._queued += 1
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self._slots.acquire()
        except TimeoutError:
            raise self._overloaded() from None
        finally:
            self._queued -= 1

    def _overloaded(self) -> Overloaded:
        detail = f"More than {self.limit} {self.kind} requests in flight; nothing was done."
        return Overloaded(detail, retry_after=RETRY_AFTER_SECONDS)


def open_bulkheads(settings: GatewaySettings) -> dict[Kind, Bulkhead]:
    wait = settings.shed_wait_seconds
    writes = settings.pos_write_concurrency, settings.pos_write_waiting
    reads = settings.pos_read_concurrency, settings.pos_read_waiting
    return {
        "pos_writes": Bulkhead("pos_writes", *writes, wait),
        "pos_reads": Bulkhead("pos_reads", *reads, wait),
    }


def refuse_if_no_room(request: Request, kind: Kind) -> None:
    """503 `overloaded` now if ``kind``'s bulkhead could neither give the call a slot nor let
    it wait for one: what the call would meet there anyway."""
    bulkhead: Bulkhead = request.app.state.bulkheads[kind]
    bulkhead.refuse_if_no_room()


def loyalty_within(kind: Kind) -> Callable[[Request], AsyncIterator[ServiceClient]]:
    """The loyalty client, for as long as the request holds a slot of ``kind``'s bulkhead.

    Declared after the route's key (``scoped``), so a request refused for its key, scope or
    rate limit never takes a slot. The key's dependency names the same bulkhead (its
    ``room``), to refuse a known key's call that would find no room before its look-up.
    """

    async def dependency(request: Request) -> AsyncIterator[ServiceClient]:
        async with loyalty_slot(request, kind) as client:
            yield client

    return dependency


@asynccontextmanager
async def loyalty_slot(request: Request, kind: Kind) -> AsyncIterator[ServiceClient]:
    """The loyalty client, while holding a slot of ``kind``'s bulkhead."""
    bulkhead: Bulkhead = request.app.state.bulkheads[kind]
    async with bulkhead.slot():
        client: ServiceClient = request.app.state.upstreams["loyalty"]
        yield client


# Released once the route returns, before its answer is sent.
LoyaltyWrites = Annotated[ServiceClient, Depends(loyalty_within("pos_writes"), scope="function")]
LoyaltyReads = Annotated[ServiceClient, Depends(loyalty_within("pos_reads"), scope="function")]
