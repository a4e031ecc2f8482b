"""API keys: ``rp_<prefix>_<secret>``, shown once, stored as a SHA-256 of the secret.

A random 256-bit secret needs no slow hash: nothing about it can be guessed offline.

The database is the source of truth; every gateway replica authenticates from a copy of the
active key records in Redis (`KeyDirectory`), so the till's hot path costs no database
transaction. Each copy carries the *key epoch* current when it was read from the database;
every revocation and rotation bumps the epoch after it commits, which makes every copy stale
at once: a revocation or the end of a rotation's overlap holds on every replica from the next
request on. A copy is written with the epoch read *before* its database read, so a copy that
raced a revocation is stale too. Copies also expire on their own, and a key's own
``expires_at`` is checked on every request. Without Redis the directory reads the database.

One Redis round trip serves a request: one script reads the epoch, the copy, the unknown mark
and the address's block, and spends a request of the key's rate limit in the same call, but
only when the copy is the very one this replica last read for the prefix (``Remembered``,
compared byte for byte under the same epoch) and the caller has found, from that copy, that
the request passes its secret, scope and binding checks; a request refused for those never
spends its key's budget. Otherwise (a replica's first request for a key, a changed or stale
copy) the script spends nothing, the request is checked from what it returned, and the rate
limit costs a second round trip, as for the first request.

A prefix the database does not know is remembered as unknown in the same way (under the
epoch, for the same time), so a stream of made-up keys costs one Redis read each, not a
database read; creating a key bumps the epoch too. A client address that fails to authenticate
too often (`gateway.auth`) is *blocked* for a while: it may still use keys the directory holds
a copy of, but causes no database read until the block ends.
"""

import contextlib
import hashlib
import hmac
import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import ApiKey
from gateway.ratelimit import GCRA_FUNCTION, Decision, RateLimiterUnavailable, Spend
from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from kit.errors import DomainError, Forbidden, NotFound, Unauthorized

COPY_SECONDS = 60
REMEMBERED_PREFIXES = 10_000  # the copies a replica remembers; forgotten all at once past it

# KEYS: epoch, copy, unknown mark, the address's block[, the rate limit's TAT key].
# ARGV (with the fifth key): the copy expected, its epoch, emission interval (µs), burst.
SEEN = (
    GCRA_FUNCTION
    + """
local epoch = redis.call('GET', KEYS[1])
local copy = redis.call('GET', KEYS[2])
local spent = false
if KEYS[5] and copy == ARGV[1] and (epoch or '0') == ARGV[2] then
  spent = gcra(KEYS[5], tonumber(ARGV[3]), tonumber(ARGV[4]))
end
return {epoch, copy, redis.call('GET', KEYS[3]), redis.call('TTL', KEYS[4]), spent}
"""
)

Scope = Literal["pos", "app", "marketer", "admin"]
SCOPES: tuple[Scope, ...] = ("pos", "app", "marketer", "admin")


@dataclass(frozen=True)
class IssuedKey:
    key: str
    record: ApiKey


@dataclass(frozen=True)
class Caller:
    """What the rest of a request needs of its key, independent of the database session."""

    id: str
    prefix: str
    scopes: tuple[str, ...]
    store_id: str | None
    customer_id: str | None

    @classmethod
    def of(cls, record: ApiKey) -> "Caller":
        scopes = tuple(record.scopes)
        return cls(record.id, record.prefix, scopes, record.store_id, record.customer_id)


class KeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "No active API key with this prefix"


class MissingScope(Forbidden):
    code = "missing_scope"
    title = "The API key lacks the scope this route needs"


class TooManyFailures(DomainError):
    code = "too_many_failed_authentications"
    status = 429
    title = "Too many failed authentications from this address"


class InvalidBinding(DomainError):
    code = "invalid_key_binding"
    title = "App keys are bound to exactly one customer; only POS keys to a store"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _parts(presented: str | None) -> tuple[str, str]:
    parts = (presented or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "rp":
        raise Unauthorized("Send the API key as `Authorization: Bearer rp_...`.")
    return parts[1], parts[2]


def _refused() -> Unauthorized:
    return Unauthorized("The API key is unknown, expired or revoked.")


@dataclass(frozen=True)
class KnownKey:
    """What the directory keeps of an active key: enough to check a secret and serve a call."""

    caller: Caller
    secret_hash: str
    expires_at: datetime | None

    @classmethod
    def of(cls, record: ApiKey) -> "KnownKey":
        return cls(Caller.of(record), record.secret_hash, record.expires_at)

    def dump(self, epoch: str) -> str:
        expires = self.expires_at.isoformat() if self.expires_at else None
        kept = {"epoch": epoch, "hash": self.secret_hash, "expires_at": expires}
        return json.dumps(kept | asdict(self.caller))

    @classmethod
    def load(cls, raw: bytes | str) -> tuple[str, "KnownKey"]:
        data = json.loads(raw)
        expires = datetime.fromisoformat(data["expires_at"]) if data["expires_at"] else None
        caller = Caller(
            data["id"], data["prefix"], tuple(data["scopes"]), data["store_id"], data["customer_id"]
        )
        return data["epoch"], cls(caller, data["hash"], expires)

    def admits(self, secret: str) -> bool:
        alive = self.expires_at is None or self.expires_at > utcnow()
        return alive and hmac.compare_digest(self.secret_hash, _hash(secret))


@dataclass(frozen=True)
class Remembered:
    """The copy of a key this replica last read from Redis, as Redis holds it."""

    epoch: str
    raw: bytes
    known: KnownKey


class KeyDirectory:
    """Authenticates presented keys; see the module's docstring for how copies stay true."""

    def __init__(self, redis: Redis, sessions: SessionFactory, namespace: str = "") -> None:
        self.redis = redis
        self.sessions = sessions
        self.epoch_key = f"gw:keys:{namespace}:epoch"
        self.copy_prefix = f"gw:keys:{namespace}:copy:"
        self.unknown_prefix = f"gw:keys:{namespace}:unknown:"
        self.blocked_prefix = f"gw:keys:{namespace}:blocked:"
        self.script = redis.register_script(SEEN)
        self.remembered: dict[str, Remembered] = {}

    def caller_if_admitted(self, presented: str | None) -> Caller | None:
        """The caller of the copy last read for this key, if the key's secret matches it: what
        the route checks before asking `authenticate` to spend in the same round trip."""
        try:
            prefix, secret = _parts(presented)
        except Unauthorized:
            return None
        found = self.remembered.get(prefix)
        return found.known.caller if found and found.known.admits(secret) else None

    async def authenticate(self, presented: str | None, address: str | None = None) -> Caller:
        caller, _ = await self.authenticate_and_spend(presented, address)
        return caller

    async def authenticate_and_spend(
        self, presented: str | None, address: str | None = None, spend: Spend | None = None
    ) -> tuple[Caller, Decision | None]:
        """The key's caller and, when ``spend`` was given for the remembered copy and that copy
        still holds, the rate limit's decision from the same round trip (else None)."""
        prefix, secret = _parts(presented)
        seen = await self._seen(prefix, address, spend)
        known = seen.known
        if known is None:
            if seen.unknown:
                raise _refused()
            if seen.blocked:
                raise TooManyFailures(f"retry after {seen.blocked} s", retry_after=seen.blocked)
            known = await self._read(prefix, seen.epoch)
        if not known.admits(secret):
            raise _refused()
        return known.caller, seen.decision

    async def _read(self, prefix: str, epoch: str | None) -> KnownKey:
        """The database's record, remembered (or its absence) under the epoch read before."""
        async with unit_of_work(self.sessions) as session:
            record = await _active_record(session, prefix)
        known = KnownKey.of(record) if record is not None else None
        if epoch is not None:
            remembered = (
                (self.copy_prefix, known.dump(epoch)) if known else (self.unknown_prefix, epoch)
            )
            with contextlib.suppress(RedisError, OSError):
                await self.redis.set(remembered[0] + prefix, remembered[1], ex=COPY_SECONDS)
                if known is not None:
                    self._remember(prefix, Remembered(epoch, remembered[1].encode(), known))
        if known is None:
            raise _refused()
        return known

    async def _seen(self, prefix: str, address: str | None, spend: Spend | None) -> "Seen":
        """What Redis holds for this prefix and address, in one round trip, spending ``spend``
        if the copy is still the remembered one; nothing at all when Redis is away."""
        names = [self.epoch_key, self.copy_prefix + prefix, self.unknown_prefix + prefix]
        names.append(self.blocked_prefix + (address or "-"))
        expected = self.remembered.get(prefix) if spend is not None else None
        args: list[bytes | str | int] = []
        if spend is not None and expected is not None:
            names.append(spend.key)
            args = [expected.raw, expected.epoch, *spend.args]
        try:
            epoch_raw, copy_raw, unknown_raw, blocked, spent = await self.script(names, args)
        except (RedisError, OSError) as exc:
            if spend is not None and expected is not None:
                raise RateLimiterUnavailable(type(exc).__name__) from exc
            return Seen(None, None, False, 0)
        epoch = str(int(epoch_raw)) if epoch_raw else "0"
        known = None
        if copy_raw is not None:
            copied_under, copy = KnownKey.load(copy_raw)
            known = copy if copied_under == epoch else None
            if known is not None:
                self._remember(prefix, Remembered(epoch, copy_raw, known))
        unknown = unknown_raw is not None and unknown_raw.decode() == epoch
        decision = spend.decision(spent) if spend is not None and spent else None
        return Seen(epoch, known, unknown, max(0, blocked), decision)

    def _remember(self, prefix: str, copy: Remembered) -> None:
        if len(self.remembered) >= REMEMBERED_PREFIXES:
            self.remembered.clear()  # cheap and rare; each key is read again once
        self.remembered[prefix] = copy

    async def block(self, address: str, seconds: int) -> None:
        """The address causes no database read for ``seconds`` (see the module's docstring)."""
        with contextlib.suppress(RedisError, OSError):
            await self.redis.set(self.blocked_prefix + address, "1", ex=max(1, seconds))

    async def keys_changed(self) -> None:
        """Called after a key is created, revoked or rotated: every copy is stale from now on."""
        await self.redis.incr(self.epoch_key)


@dataclass(frozen=True)
class Seen:
    epoch: str | None
    known: KnownKey | None
    unknown: bool
    blocked: int
    decision: Decision | None = None


def _check_binding(scopes: list[Scope], store_id: str | None, customer_id: str | None) -> None:
    if "app" in scopes and (customer_id is None or set(scopes) != {"app"}):
        raise InvalidBinding("an app key needs --customer-id and only the app scope")
    if customer_id is not None and "app" not in scopes:
        raise InvalidBinding("only app keys are bound to a customer")
    if store_id is not None and set(scopes) != {"pos"}:
        raise InvalidBinding("only POS keys are bound to a store")


async def create_key(
    session: AsyncSession,
    name: str,
    scopes: list[Scope],
    store_id: str | None = None,
    customer_id: str | None = None,
) -> IssuedKey:
    _check_binding(scopes, store_id, customer_id)
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    record = ApiKey(
        id=str(uuid.uuid4()),
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=sorted(set(scopes)),
        store_id=store_id,
        customer_id=customer_id,
        created_at=utcnow(),
    )
    session.add(record)
    return IssuedKey(key=f"rp_{prefix}_{secret}", record=record)


def _active() -> list[ColumnElement[bool]]:
    return [
        ApiKey.revoked_at.is_(None),
        or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > utcnow()),
    ]


async def _active_record(session: AsyncSession, prefix: str) -> ApiKey | None:
    query = select(ApiKey).where(ApiKey.prefix == prefix, *_active())
    return (await session.execute(query)).scalars().first()


def require_scope(caller: Caller, allowed: tuple[Scope, ...]) -> None:
    if not set(caller.scopes) & set(allowed):
        raise MissingScope(f"needs one of: {', '.join(allowed)}")


async def _active_key(session: AsyncSession, prefix: str) -> ApiKey:
    query = select(ApiKey).where(ApiKey.prefix == prefix, *_active()).with_for_update()
    record = (await session.execute(query)).scalars().first()
    if record is None:
        raise KeyNotFound()
    return record


async def revoke_key(session: AsyncSession, prefix: str) -> None:
    record = await _active_key(session, prefix)
    await session.execute(update(ApiKey).where(ApiKey.id == record.id).values(revoked_at=utcnow()))


async def rotate_key(session: AsyncSession, prefix: str, overlap: timedelta) -> IssuedKey:
    """A new key with the same name, scopes and bindings; the old one ends after ``overlap``."""
    old = await _active_key(session, prefix)
    issued = await create_key(
        session,
        old.name,
        [scope for scope in SCOPES if scope in old.scopes],
        old.store_id,
        old.customer_id,
    )
    ends = utcnow() + overlap
    values: dict[str, object] = {"replaced_by": issued.record.prefix}
    values |= {"revoked_at": ends} if overlap <= timedelta(0) else {"expires_at": ends}
    await session.execute(update(ApiKey).where(ApiKey.id == old.id).values(**values))
    return issued


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars())
