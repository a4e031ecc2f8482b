"""The POS benchmark's baselines: the writes of one reserve + confirm, and a bare Python till.

``WRITES`` is written once and rendered two ways: as a pgbench script (the database alone), and
as the statements of ``service``, a bare ASGI app behind ``proxy``, a bare ASGI hop. The bare
till is the floor of any Python till on this machine: two HTTP hops and asyncpg, without a
framework, validation, keys, idempotency, domain logic or event consumers.
"""

import json
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from string import Template
from typing import Any

import aiohttp
import asyncpg

# $member, $lot, $txid: the purchase's; $op: the id the statement with RETURNING id returned.
RESERVE = (
    "SELECT id FROM members WHERE id = $member FOR UPDATE",
    "UPDATE lots SET reserved = reserved + 10 WHERE id = $lot",
    "INSERT INTO operations (kind, member_id, reference, created_at)"
    " VALUES ('reserve', $member, 'bench', now()) RETURNING id",
    "INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held, debt, created_at)"
    " VALUES ($op, $member, $lot, 'reserve', 0, 10, 0, now())",
    "INSERT INTO purchases (txid, member_id, status, store_id, channel, lines, total_amount,"
    " redeemed_points, accrued_points, paid_amount, refunded_amount, fingerprints, answers,"
    " reserved_until, created_at) VALUES ($txid, $member, 'reserved', 's1', 'offline', '[]',"
    " 30000, 10, 10, 29000, 0, '{}', '{}', now() + interval '15 minutes', now())",
    "INSERT INTO allocations (txid, store_id, lot_id, line_no, points, returned)"
    " VALUES ($txid, 's1', $lot, 0, 10, 0)",
)
CONFIRM = (
    "SELECT id FROM members WHERE id = $member FOR UPDATE",
    "UPDATE lots SET remaining = remaining - 10, reserved = reserved - 10 WHERE id = $lot",
    "INSERT INTO operations (kind, member_id, reference, created_at)"
    " VALUES ('confirm', $member, 'bench', now()) RETURNING id",
    "INSERT INTO lots (id, member_id, source, initial, remaining, reserved, active_from,"
    " expires_at, created_at) VALUES (gen_random_uuid()::text, $member, 'purchase', 10, 10, 0,"
    " now(), now() + interval '6 months', now())",
    "INSERT INTO journal (operation_id, member_id, lot_id, kind, points, held, debt, created_at)"
    " VALUES ($op, $member, $lot, 'capture', -10, -10, 0, now()),"
    " ($op, $member, $lot, 'accrue', 10, 0, 0, now())",
    "UPDATE purchases SET status = 'confirmed', confirmed_at = now()"
    " WHERE txid = $txid AND store_id = 's1'",
    "UPDATE members SET trailing_spend = trailing_spend + 29000 WHERE id = $member",
    "INSERT INTO outbox (event_id, subject, data, created_at) VALUES (gen_random_uuid()::text,"
    " 'loyalty.purchase_confirmed.v1', convert_to(repeat('x', 600), 'UTF8'), now())",
)
WRITES = {"/reserve": RESERVE, "/confirm": CONFIRM}
SEED = """
INSERT INTO members (id, time_zone, consents, created_at)
  SELECT 'bench-' || i, 'UTC', '{}', now() FROM generate_series(1, $customers) AS i;
INSERT INTO lots (id, member_id, source, initial, remaining, reserved, active_from, expires_at,
                  created_at)
  SELECT 'lot-' || i, 'bench-' || i, 'manual', 1000000000, 1000000000, 0, now(),
         now() + interval '30 days', now() FROM generate_series(1, $customers) AS i;
"""
_TOKEN = re.compile(r"\$(member|lot|txid|op)\b")


def pgbench_script(customers: int) -> str:
    """One reserve + confirm per pgbench transaction, on a random one of the seeded members."""
    tokens = {
        "member": "'bench-' || :m",
        "lot": "'lot-' || :m",
        "txid": "'pg-' || :client_id || '-' || :t",
        "op": ":op",
    }
    lines = [f"\\set m random(1, {customers})", "\\set t random(1, 1000000000000000)"]
    for statements in WRITES.values():
        lines.append("BEGIN;")
        for statement in statements:
            rendered = Template(statement).substitute(tokens)
            lines.append(rendered.replace("RETURNING id", "RETURNING id AS op \\gset"))
            if not lines[-1].endswith("\\gset"):
                lines[-1] += ";"
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def seed_sql(customers: int) -> str:
    return Template(SEED).substitute(customers=customers)


def _positional(statement: str) -> tuple[str, list[str]]:
    """The statement with $1, $2, ... and the names of its arguments in that order."""
    names: list[str] = []
    for name in _TOKEN.findall(statement):
        if name not in names:
            names.append(name)
    numbered = {name: f"${n}" for n, name in enumerate(names, start=1)}
    return Template(statement).substitute(numbered), names


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _app(
    startup: Callable[[], Awaitable[None]],
    shutdown: Callable[[], Awaitable[None]],
    handle: Callable[[str, bytes], Awaitable[tuple[int, bytes]]],
) -> App:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await startup()
                await send({"type": "lifespan.startup.complete"})
            await shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
        status, body = await handle(scope["path"], await _body(receive))
        await _answer(send, status, body)

    return app


def service() -> App:
    """POST /reserve and /confirm with {"customer": n, "txid": ...}: the writes, nothing else."""
    steps = {path: [_positional(s) for s in statements] for path, statements in WRITES.items()}
    pools: list[asyncpg.Pool] = []

    async def startup() -> None:
        pools.append(
            await asyncpg.create_pool(os.environ["BARE_TILL_DSN"], min_size=16, max_size=16)
        )

    async def shutdown() -> None:
        await pools[0].close()

    async def handle(path: str, body: bytes) -> tuple[int, bytes]:
        request = json.loads(body)
        given = {
            "member": f"bench-{request['customer']}",
            "lot": f"lot-{request['customer']}",
            "txid": request["txid"],
        }
        async with pools[0].acquire() as connection, connection.transaction():
            for statement, names in steps[path]:
                arguments = [given[name] for name in names]
                if statement.endswith("RETURNING id"):
                    given["op"] = await connection.fetchval(statement, *arguments)
                else:
                    await connection.execute(statement, *arguments)
        return 201 if path == "/reserve" else 200, json.dumps({"txid": given["txid"]}).encode()

    return _app(startup, shutdown, handle)


def proxy() -> App:
    """Forwards each request's body to BARE_TILL_UPSTREAM and returns the answer as it is."""
    sessions: list[aiohttp.ClientSession] = []
    upstream = os.environ.get("BARE_TILL_UPSTREAM", "")

    async def startup() -> None:
        sessions.append(aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)))

    async def shutdown() -> None:
        await sessions[0].close()

    async def handle(path: str, body: bytes) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"}
        async with sessions[0].post(upstream + path, data=body, headers=headers) as response:
            return response.status, await response.read()

    return _app(startup, shutdown, handle)
