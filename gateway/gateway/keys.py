"""API keys: ``rp_<prefix>_<secret>``, shown once, stored as a SHA-256 of the secret.

A random 256-bit secret needs no slow hash: nothing about it can be guessed offline. Keys are
read from the database on every request, with no cache, so a revocation or the end of a
rotation's overlap holds on every gateway replica from the next request on.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import ApiKey
from kit.clock import utcnow
from kit.errors import DomainError, Forbidden, NotFound, Unauthorized

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


class InvalidBinding(DomainError):
    code = "invalid_key_binding"
    title = "App keys are bound to exactly one customer; only POS keys to a store"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


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


async def authenticate(session: AsyncSession, presented: str | None) -> ApiKey:
    parts = (presented or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "rp":
        raise Unauthorized("Send the API key as `Authorization: Bearer rp_...`.")
    query = select(ApiKey).where(ApiKey.prefix == parts[1], *_active())
    record = (await session.execute(query)).scalars().first()
    if record is None or not hmac.compare_digest(record.secret_hash, _hash(parts[2])):
        raise Unauthorized("The API key is unknown, expired or revoked.")
    return record


def require_scope(record: ApiKey, allowed: tuple[Scope, ...]) -> None:
    if not set(record.scopes) & set(allowed):
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
