"""Replaying first answers: by ``Idempotency-Key`` header, by txid and step, by grant key."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from loyalty.errors import IdempotencyKeyReused
from loyalty.models import IdempotencyRecord


def fingerprint(*parts: object) -> str:
    """A stable hash of a request: its route and its body, key order ignored."""
    plain = [p.model_dump(mode="json") if isinstance(p, BaseModel) else p for p in parts]
    return hashlib.sha256(json.dumps(plain, sort_keys=True, default=str).encode()).hexdigest()


def in_store(key: str | None, store_id: str) -> str | None:
    """A key sent for a step of one store's purchase, apart from the same key at another store
    (whose purchase may have the same txid); the same length whatever the key's."""
    if key is None:
        return None
    return hashlib.sha256(f"{store_id}\n{key}".encode()).hexdigest()


async def replay(session: AsyncSession, key: str | None, print_: str) -> dict[str, Any] | None:
    """The stored answer for ``key``, or None; a different request under it is a 409."""
    if key is None:
        return None
    record = await session.get(IdempotencyRecord, key)
    if record is None:
        return None
    if record.fingerprint != print_:
        raise IdempotencyKeyReused()
    return record.answer


async def remember(
    session: AsyncSession, key: str | None, print_: str, answer: BaseModel, status: int = 200
) -> None:
    if key is not None:
        session.add(
            IdempotencyRecord(
                key=key,
                fingerprint=print_,
                status_code=status,
                answer=answer.model_dump(mode="json"),
                created_at=utcnow(),
            )
        )
