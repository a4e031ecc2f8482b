"""The daily cap and the minimum pause, decided atomically in Redis: one EVALSHA per decision.

Counters live under the customer's hash tag, so a Redis Cluster keeps them on one shard.
Decisions made at the same time (a campaign fans out to thousands of deliveries, each asking
from its own activity) are coalesced: everything queued while a round trip is under way leaves
in the next one, as one pipelined write of EVALSHA commands, on up to ``connections``
connections at once. Each decision is still exactly one EVALSHA, atomic for its customer,
except for a customer Redis knows nothing of (see ``DECIDE``): that one is seeded from the
notifier's own decisions first, one more EVALSHA, so a Redis restarted empty keeps the caps.

A decision is idempotent by its key: the script remembers an allowed decision, so a retried
activity (the decision counted in Redis, then the database commit failed) gets the same answer
and is not counted twice. A refusal changed nothing, so a repeat simply decides again.
"""

import asyncio
import hashlib
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

# KEYS: the customer's counter for the local day, their last send (epoch seconds), this decision.
# ARGV: now, cap, pause seconds, key lifetime, critical ("1" counts the send, never refuses),
# the seed (the day's count and last send from the notifier's own records, or "" and -1 when
# the caller has not read them) and how long the last send is remembered.
# Redis knowing nothing of the customer (no counter for the day, no send remembered: a
# customer not messaged for weeks, or a Redis that lost its data) and no seed: the answer is
# 'unseeded', and the caller asks again with the seed.
# A dry run (ARGV[9] "1", a chain's dry run asking what would happen) writes nothing and adds
# the sends it plans itself earlier that day (ARGV[10], a count; ARGV[11], the last of them).
DECIDE = """
local dry = ARGV[9] == '1'
local found = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3])
if found[3] then return {1, 'allowed', tonumber(found[3])} end
if not found[1] and ARGV[6] ~= '' then
  found[1] = ARGV[6]
  if not dry then redis.call('SET', KEYS[1], ARGV[6], 'EX', ARGV[4]) end
  local seeded = math.max(tonumber(found[2] or '-1'), tonumber(ARGV[7]))
  if seeded >= 0 then
    found[2] = tostring(seeded)
    if not dry then redis.call('SET', KEYS[2], found[2], 'EX', ARGV[8]) end
  end
elseif not found[1] and not found[2] then
  return {0, 'unseeded', 0}
end
local count = tonumber(found[1] or '0') + tonumber(ARGV[10] or '0')
local last = math.max(tonumber(found[2] or '-1'), tonumber(ARGV[11] or '-1'))
if ARGV[5] ~= '1' then
  if count >= tonumber(ARGV[2]) then return {0, 'daily_cap', count} end
  local pause = tonumber(ARGV[3])
  if last >= 0 and tonumber(ARGV[1]) - last < pause then return {0, 'pause', last + pause} end
end
count = count + 1
if dry then return {1, 'allowed', count} end
redis.call('SET', KEYS[1], count, 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[8])
redis.call('SET', KEYS[3], count, 'EX', ARGV[4])
return {1, 'allowed', count}
"""

KEY_LIFETIME_SECONDS = 3 * 24 * 3600
# While Redis remembers a customer's last send, a day without a counter is a new day (count 0)
# and costs no read of the records; past it, or after Redis lost its data, the seed is read.
LAST_SEND_SECONDS = 35 * 24 * 3600
CONNECTIONS = 4
MAX_BATCH = 512


@dataclass(frozen=True)
class Seed:
    """What the notifier's own records say of the customer's local day: counted sends, and the
    last one (epoch seconds, -1 for none) for the pause."""

    count: int
    last: int


SeedReader = Callable[[], Awaitable[Seed]]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # allowed, daily_cap, pause, policy_unavailable
    value: int  # the day's count, or when the pause ends (epoch seconds)


class PolicyStore:
    def __init__(
        self, redis: Redis, prefix: str = "notifier", connections: int = CONNECTIONS
    ) -> None:
        self.prefix = prefix
        self.redis = redis
        self.pipeline = EvalshaPipeline(redis, DECIDE, connections)

    def keys(self, customer_id: str, day: str, decision_key: str) -> tuple[str, str, str]:
        tag = f"{self.prefix}:policy:{{{customer_id}}}"
        return f"{tag}:day:{day}", f"{tag}:last", f"{tag}:decision:{decision_key}"

    async def decide(
        self,
        customer_id: str,
        day: str,
        at: datetime,
        daily_cap: int,
        min_pause_seconds: int,
        critical: bool,
        *,
        decision_key: str,
        seed: SeedReader,
        planned: Seed | None = None,
    ) -> Verdict:
        """Raises ``RedisError`` when Redis does not answer; the caller applies fail-open/closed.

        ``decision_key`` names this decision: the same key answers the same allowed decision.
        ``seed`` is read only when Redis knows nothing of the customer, so a Redis restarted
        empty starts from what was really sent today, not from zero.
        ``planned``: a dry run, which changes nothing in Redis; its own earlier sends that day
        (``count``, ``last``) are added to what Redis knows.
        """
        args = [
            str(int(at.timestamp())),
            str(daily_cap),
            str(min_pause_seconds),
            str(KEY_LIFETIME_SECONDS),
            "1" if critical else "0",
        ]
        keys = self.keys(customer_id, day, decision_key)
        remembered = str(LAST_SEND_SECONDS)
        dry = [] if planned is None else ["1", str(planned.count), str(planned.last)]
        unseeded = [*args, "", "-1", remembered, *dry]
        allowed, reason, value = await self.pipeline.call(keys, unseeded)
        if _text(reason) == "unseeded":
            known = await seed()
            seeded = [*args, str(known.count), str(known.last), remembered, *dry]
            allowed, reason, value = await self.pipeline.call(keys, seeded)
        return Verdict(bool(allowed), _text(reason), int(value))


class EvalshaPipeline:
    """Coalesces concurrent EVALSHA calls of one script into pipelined round trips.

    A caller queues its packed command and waits for its own answer. A sender takes everything
    queued (up to ``MAX_BATCH``), writes it at once and reads the answers in order; a new
    sender starts only while none is about to take the queue and fewer than ``connections``
    are under way. One caller alone still gets one round trip.
    """

    def __init__(self, redis: Redis, script: str, connections: int) -> None:
        self.redis = redis
        self.script = script
        sha = hashlib.sha1(script.encode()).hexdigest()
        self.connections = connections
        self._evalsha = _bulk("EVALSHA") + _bulk(sha)
        self._queue: list[tuple[bytes, asyncio.Future[Any]]] = []
        self._senders = 0
        self._starting = False  # a sender was started and has not taken the queue yet
        self._tasks: set[asyncio.Task[None]] = set()
        timeout = redis.connection_pool.connection_kwargs.get("socket_timeout")
        self._timeout: float | None = float(timeout) if timeout else None

    async def call(self, keys: Sequence[str], args: Sequence[str]) -> Any:
        """Runs the script once; raises ``RedisError`` when Redis did not answer."""
        head = b"*%d\r\n%b%b" % (3 + len(keys) + len(args), self._evalsha, _bulk(str(len(keys))))
        command = b"".join([head, *map(_bulk, keys), *map(_bulk, args)])
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((command, future))
        if not self._starting and self._senders < self.connections:
            self._starting = True
            self._senders += 1
            task = asyncio.create_task(self._send_while_queued())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _send_while_queued(self) -> None:
        self._starting = False
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                await self._round_trip(batch)
        finally:
            self._senders -= 1

    async def _round_trip(self, batch: list[tuple[bytes, asyncio.Future[Any]]]) -> None:
        try:
            answers = await self._exchange([command for command, _ in batch])
            missing = [i for i, answer in enumerate(answers) if isinstance(answer, NoScriptError)]
            if missing:  # a restarted or flushed Redis: load the script, send those again
                await self.redis.script_load(self.script)
                again = await self._exchange([batch[i][0] for i in missing])
                for i, answer in zip(missing, again, strict=True):
                    answers[i] = answer
        except BaseException as exc:
            failure = exc if isinstance(exc, RedisError) else _unavailable(exc)
            for _, future in batch:
                if not future.done():
                    future.set_exception(failure)
            if not isinstance(exc, RedisError | OSError):
                raise
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                if isinstance(answer, Exception):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)

    async def _exchange(self, commands: list[bytes]) -> list[Any]:
        pool = self.redis.connection_pool
        connection = await pool.get_connection()
        try:
            # One deadline for the whole round trip, rather than one timer per answer.
            async with asyncio.timeout(self._timeout):
                await connection.send_packed_command(b"".join(commands))
                return [await _answer(connection) for _ in commands]
        except BaseException:
            await connection.disconnect(nowait=True)  # answers may still be on their way
            raise
        finally:
            await pool.release(connection)


async def _answer(connection: AbstractConnection) -> Any:
    try:
        return await connection.read_response(timeout=math.inf)  # the batch has the deadline
    except ResponseError as exc:
        return exc


def _bulk(text: str) -> bytes:
    """One RESP bulk string. Packing by hand: redis-py's packer cost more than the rest."""
    data = text.encode()
    return b"$%d\r\n%b\r\n" % (len(data), data)


def _unavailable(exc: BaseException) -> RedisError:
    if isinstance(exc, TimeoutError):
        return RedisTimeoutError("Redis did not answer in time")
    return RedisError(f"the decision was not made: {exc!r}")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


__all__ = ["PolicyStore", "RedisError", "Seed", "Verdict"]
