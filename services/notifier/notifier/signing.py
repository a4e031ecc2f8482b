"""Signed tokens for tracking links and HMAC signatures of provider callbacks."""

import base64
import hashlib
import hmac
import json
from typing import Any

from kit.errors import DomainError

SIGNATURE_HEADER = "X-Provider-Signature"
TIMESTAMP_HEADER = "X-Provider-Timestamp"


class InvalidToken(DomainError):
    code = "invalid_token"
    status = 404
    title = "This link is not valid"


class InvalidSignature(DomainError):
    code = "invalid_signature"
    status = 401
    title = "The callback's signature is not valid"


class StaleCallback(DomainError):
    code = "stale_callback"
    status = 401
    title = "The callback's timestamp is too old or in the future"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, data: bytes) -> bytes:
    return hmac.new(secret.encode(), data, hashlib.sha256).digest()


def sign_token(secret: str, claims: dict[str, Any]) -> str:
    body = json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(body)}.{_b64(_mac(secret, body)[:16])}"


def read_token(secret: str, token: str) -> dict[str, Any]:
    try:
        body_part, mac_part = token.split(".", 1)
        body = _unb64(body_part)
        valid = hmac.compare_digest(_unb64(mac_part), _mac(secret, body)[:16])
        claims = json.loads(body) if valid else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken() from exc
    if not isinstance(claims, dict):
        raise InvalidToken()
    return claims


def callback_signature(secret: str, timestamp: int, body: bytes) -> str:
    return _mac(secret, f"{timestamp}.".encode() + body).hex()


def verify_callback(
    secret: str, body: bytes, signature: str | None, timestamp: str | None, now: int, tolerance: int
) -> None:
    """Rejects a forged body, a missing signature and a replay outside the tolerance."""
    try:
        sent_at = int(timestamp or "")
    except ValueError as exc:
        raise InvalidSignature("missing or malformed timestamp") from exc
    expected = callback_signature(secret, sent_at, body)
    if not signature or not hmac.compare_digest(expected, signature):
        raise InvalidSignature()
    if abs(now - sent_at) > tolerance:
        raise StaleCallback()
