"""API keys: ``rp_<prefix>_<secret>``, shown once, stored as a SHA-256 of the secret.

A random 256-bit secret needs no slow hash: nothing about it can be guessed offline.
"""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.models import ApiKey
from kit.clock import utcnow
from kit.errors import Forbidden, NotFound, Unauthorized

Scope = Literal["pos", "app", "marketer", "admin"]
SCOPES: tuple[Scope, ...] = ("pos", "app", "marketer", "admin")


@dataclass(frozen=True)
class IssuedKey:
    key: str
    record: ApiKey


class KeyNotFound(NotFound):
    code = "api_key_not_found"
    title = "No API key with this prefix"


class MissingScope(Forbidden):
    code = "missing_scope"
    title = "The API key lacks the scope this route needs"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession, name: str, scopes: list[Scope], store_id: str | None = None
) -> IssuedKey:
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    record = ApiKey(
        id=str(uuid.uuid4()),
        name=name,
        prefix=prefix,
        secret_hash=_hash(secret),
        scopes=sorted(set(scopes)),
        store_id=store_id,
        created_at=utcnow(),
    )
    session.add(record)
    return IssuedKey(key=f"rp_{prefix}_{secret}", record=record)


async def authenticate(session: AsyncSession, presented: str | None) -> ApiKey:
    parts = (presented or "").split("_", 2)
    if len(parts) != 3 or parts[0] != "rp":
        raise Unauthorized("Send the API key as `Authorization: Bearer rp_...`.")
    query = select(ApiKey).where(ApiKey.prefix == parts[1], ApiKey.revoked_at.is_(None))
    record = (await session.execute(query)).scalars().first()
    if record is None or not hmac.compare_digest(record.secret_hash, _hash(parts[2])):
        raise Unauthorized("The API key is unknown or revoked.")
    return record


def require_scope(record: ApiKey, allowed: tuple[Scope, ...]) -> None:
    if not set(record.scopes) & set(allowed):
        raise MissingScope(f"needs one of: {', '.join(allowed)}")


async def revoke_key(session: AsyncSession, prefix: str) -> None:
    result = await session.execute(
        update(ApiKey)
        .where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        raise KeyNotFound()


async def list_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.execute(select(ApiKey).order_by(ApiKey.created_at))).scalars())
