"""`Idempotency-Key` on every POST, PUT and PATCH: the first answer is kept and replayed.

Records live in Redis, namespaced by a hash of the caller's API key, and expire on their own
after the TTL (24 h): Redis is already the gateway's shared, fast store for rate limits, every
replica sees the same record, and expiry needs no clean-up job. A record is first written as
"running" with a short lease, so a duplicate arriving meanwhile waits for the first answer
(or gets 409 `idempotency_key_in_progress`), and a crashed replica frees the key on its own.
Only final answers are kept: answers that mean "not processed" (5xx, 401, 408, 429) and
retryable ones (a problem marked `retryable: true`, or any answer with `Retry-After`, such as
loyalty's `ledger_busy` 409) are not, so a retry with the same key runs again.
"""

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import time
from collections.abc import Awaitable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway import keys
from gateway.middleware import send_problem
from kit.errors import DomainError
from kit.resources import Resources

HEADER = b"idempotency-key"
METHODS = frozenset({"POST", "PUT", "PATCH"})
KEPT_HEADERS = frozenset({b"content-type", b"location"})
NOT_KEPT_STATUSES = frozenset({401, 408, 429})
LEASE_SECONDS = 60
log = logging.getLogger(__name__)

# The key of the request being served; `forward` retries only requests that carry one.
current_idempotency_key: ContextVar[str | None] = ContextVar("idempotency_key", default=None)


class KeyReused(Exception):
    pass


class StillRunning(Exception):
    pass


@dataclass(frozen=True)
class Kept:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes

    def dump(self, fingerprint: str) -> str:
        headers = [[k.decode(), v.decode()] for k, v in self.headers]
        body = base64.b64encode(self.body).decode()
        return json.dumps(
            {"state": "done", "fingerprint": fingerprint, "status": self.status}
            | {"headers": headers, "body": body}
        )

    @classmethod
    def load(cls, record: dict[str, Any]) -> "Kept":
        headers = [(k.encode(), v.encode()) for k, v in record["headers"]]
        return cls(record["status"], headers, base64.b64decode(record["body"]))


class Records:
    def __init__(self, redis: Redis, key: str, ttl_seconds: int) -> None:
        self.redis = redis
        self.key = key
        self.ttl_seconds = ttl_seconds

    async def claim(self, fingerprint: str, wait_seconds: float) -> Kept | None:
        """None: this request runs. Kept: the first answer. Raises on a conflict."""
        running = json.dumps({"state": "running", "fingerprint": fingerprint})
        deadline = time.monotonic() + wait_seconds
        while True:
            # Claims the key or reads who holds it, in one round trip (SET NX GET, Redis 7).
            raw: bytes | None = await self.redis.set(  # type: ignore[assignment]
                self.key, running, nx=True, ex=LEASE_SECONDS, get=True
            )
            if raw is None:
                return None
            record = json.loads(raw)
            if record["fingerprint"] != fingerprint:
                raise KeyReused()
            if record["state"] == "done":
                return Kept.load(record)
            if time.monotonic() > deadline:
                raise StillRunning()
            await asyncio.sleep(0.05)

    async def keep(self, fingerprint: str, answer: Kept) -> None:
        await self.redis.set(self.key, answer.dump(fingerprint), ex=self.ttl_seconds)

    async def release(self) -> None:
        await self.redis.delete(self.key)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ClientGone(Exception):
    pass


async def read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()  # or the body was too large: nothing to keep either way
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def send_kept(send: Send, answer: Kept, replayed: bool) -> None:
    headers = [*answer.headers, (b"content-length", str(len(answer.body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})


class Idempotency:
    def __init__(self, app: ASGIApp, ttl_seconds: int, wait_seconds: float) -> None:
        self.app = app
        self.ttl_seconds = ttl_seconds
        self.wait_seconds = wait_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        presented = headers.get(HEADER)
        authorization = headers.get(b"authorization")
        if scope.get("method") not in METHODS or presented is None or authorization is None:
            await self.app(scope, receive, send)
            return
        if not 1 <= len(presented) <= 255 or not presented.isascii():
            detail = "Idempotency-Key must be 1 to 255 ASCII characters."
            await send_problem(send, 400, "invalid_idempotency_key", "Bad Idempotency-Key", detail)
            return
        await self._once(scope, receive, send, presented, authorization)

    async def _once(
        self, scope: Scope, receive: Receive, send: Send, presented: bytes, authorization: bytes
    ) -> None:
        try:
            body = await read_body(receive)
        except ClientGone:
            return
        request_line = f"{scope['method']} {scope['path']}?{scope['query_string'].decode()}"
        fingerprint = _sha(request_line.encode() + b"\n" + body)
        resources: Resources = scope["app"].state.resources
        records = Records(
            resources.redis,
            f"gw:idem:{_sha(authorization)[:32]}:{_sha(presented)}",
            self.ttl_seconds,
        )
        try:
            kept = await records.claim(fingerprint, self.wait_seconds)
        except (RedisError, OSError) as exc:
            log.warning("503 idempotency_store_unavailable: %s: %s", type(exc).__name__, exc)
            detail = "Idempotency records cannot be reached; retry shortly."
            await send_problem(send, 503, "idempotency_store_unavailable", "Unavailable", detail)
            return
        except (KeyReused, StillRunning) as exc:
            directory = scope["app"].state.key_directory
            await self._refuse_conflict(send, directory, authorization, exc)
            return
        if kept is not None:
            if await _still_valid(scope["app"].state.key_directory, authorization, send):
                await send_kept(send, kept, replayed=True)
            return
        token = current_idempotency_key.set(presented.decode())
        try:
            await self._run_and_keep(scope, receive, body, send, records, fingerprint)
        finally:
            current_idempotency_key.reset(token)

    async def _run_and_keep(
        self,
        scope: Scope,
        receive: Receive,
        body: bytes,
        send: Send,
        records: Records,
        fingerprint: str,
    ) -> None:
        delivered = False
        start: Message = {}
        chunks: list[bytes] = []

        async def replay_body() -> Message:
            nonlocal delivered
            if delivered:
                return await receive()  # only a disconnect can come now
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        try:
            await self.app(scope, replay_body, capture)
        except BaseException:
            await _quietly(records.release())
            raise
        all_headers: list[tuple[bytes, bytes]] = start.get("headers", [])
        kept = Kept(
            start["status"],
            [(k, v) for k, v in all_headers if k.lower() in KEPT_HEADERS],
            b"".join(chunks),
        )
        if not _final(kept, all_headers):
            await _quietly(records.release())
        else:
            await _quietly(records.keep(fingerprint, kept))
        await send(start)
        await send({"type": "http.response.body", "body": kept.body})

    async def _refuse_conflict(
        self, send: Send, directory: keys.KeyDirectory, authorization: bytes, exc: Exception
    ) -> None:
        if not await _still_valid(directory, authorization, send):
            return
        if isinstance(exc, KeyReused):
            detail = "This Idempotency-Key was used with another request."
            await send_problem(send, 409, "idempotency_key_reused", "Key reused", detail)
        else:
            detail = "A request with this Idempotency-Key is still running; retry shortly."
            await send_problem(send, 409, "idempotency_key_in_progress", "Key in use", detail)


def _final(answer: Kept, headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer is the request's last word (see the module's docstring)."""
    if answer.status >= 500 or answer.status in NOT_KEPT_STATUSES:
        return False
    if any(name.lower() == b"retry-after" for name, _ in headers):
        return False
    if answer.status < 400 or b'"retryable"' not in answer.body:
        return True
    try:
        return json.loads(answer.body).get("retryable") is not True
    except (ValueError, AttributeError):
        return True


async def _still_valid(directory: keys.KeyDirectory, authorization: bytes, send: Send) -> bool:
    """A kept answer goes only to a key that is still valid: revocation holds for replays too."""
    scheme, _, token = authorization.decode(errors="replace").partition(" ")
    try:
        await directory.authenticate(token if scheme.lower() == "bearer" else None)
    except DomainError as exc:
        await send_problem(send, exc.status, exc.code, exc.title, exc.detail)
        return False
    return True


async def _quietly(step: Awaitable[object]) -> None:
    """A lost record only costs a retry its replay: the lease lets go of the key on its own."""
    with contextlib.suppress(RedisError, OSError):
        await step
