"""Console sign-in: a marketer key exchanged for a short-lived session cookie.

The browser never keeps the key: `POST /v1/session` checks it once and answers with two
cookies, both `SameSite=Strict`. `rp_session` is HttpOnly and names a session kept in Redis
(only the token's SHA-256 is stored, so a copy of Redis opens no session); `rp_csrf` is
readable by the console, which sends it back as `X-CSRF-Token` on every write (double submit:
a page on another origin can neither read the cookie nor set the header). A session carries
only the marketer scope, so even a key with more scopes opens only the marketer routes in a
browser; every request re-checks that the key is still active, so revoking the key ends its
sessions at once.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field
from redis.asyncio import Redis
from redis.exceptions import RedisError

from gateway.keys import Caller, KeyDirectory, _active_record, _hash
from gateway.settings import GatewaySettings
from kit.clock import utcnow
from kit.db import unit_of_work
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized

SESSION_COOKIE = "rp_session"
CSRF_COOKIE = "rp_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class NotAMarketerKey(Forbidden):
    code = "session_scope"
    title = "Only a marketer key can sign in to the console"


class CsrfRefused(Forbidden):
    code = "csrf_token_mismatch"
    title = "A write from the console must carry the session's X-CSRF-Token header"


class SessionEnded(Unauthorized):
    code = "session_expired"
    title = "The console session has ended or expired; sign in again"


class SessionStoreDown(ServiceUnavailable):
    code = "session_store_unavailable"
    title = "Console sessions are kept in Redis, which does not answer"


class SignIn(BaseModel):
    key: str = Field(min_length=1, max_length=200, description="A marketer API key `rp_…`")


class SessionInfo(BaseModel):
    expires_at: datetime
    csrf_token: str = Field(description=f"Send it back as `{CSRF_HEADER}` on every write")


@dataclass(frozen=True)
class Stored:
    """What Redis keeps of a session: the key it was opened with and its CSRF token."""

    key_prefix: str
    secret_hash: str
    csrf: str
    expires_at: str

    def info(self) -> SessionInfo:
        return SessionInfo(expires_at=datetime.fromisoformat(self.expires_at), csrf_token=self.csrf)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _redis_key(request: Request, token: str) -> str:
    settings: GatewaySettings = request.app.state.settings
    return f"gw:session:{settings.event_namespace}:{_digest(token)}"


def _redis(request: Request) -> Redis:
    redis: Redis = request.app.state.resources.redis
    return redis


async def _load(request: Request) -> Stored:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SessionEnded("no session cookie")
    try:
        raw = await _redis(request).get(_redis_key(request, token))
    except (RedisError, OSError) as error:
        raise SessionStoreDown(str(error)) from error
    if raw is None:
        raise SessionEnded("sign in again")
    return Stored(**json.loads(raw))


def _check_csrf(request: Request, stored: Stored) -> None:
    if request.method in SAFE_METHODS:
        return
    header = request.headers.get(CSRF_HEADER, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (hmac.compare_digest(header, stored.csrf) and hmac.compare_digest(cookie, stored.csrf)):
        raise CsrfRefused("missing or wrong X-CSRF-Token")


async def _still_active(request: Request, stored: Stored) -> Caller:
    directory: KeyDirectory = request.app.state.key_directory
    async with unit_of_work(directory.sessions) as session:
        record = await _active_record(session, stored.key_prefix)
    if record is None or not hmac.compare_digest(record.secret_hash, stored.secret_hash):
        raise SessionEnded("the key behind this session was revoked or has expired")
    caller = Caller.of(record)
    return Caller(caller.id, caller.prefix, ("marketer",), None, None)


def has_cookie(request: Request) -> bool:
    return SESSION_COOKIE in request.cookies


async def authenticate(request: Request) -> Caller:
    """The caller behind the request's session cookie; writes must pass the CSRF check."""
    stored = await _load(request)
    _check_csrf(request, stored)
    return await _still_active(request, stored)


def _set_cookies(response: Response, token: str, csrf: str, settings: GatewaySettings) -> None:
    common = {
        "max_age": settings.session_ttl_seconds,
        "samesite": "strict",
        "secure": settings.session_cookie_secure,
    }
    response.set_cookie(SESSION_COOKIE, token, path="/v1", httponly=True, **common)  # type: ignore[arg-type]
    response.set_cookie(CSRF_COOKIE, csrf, path="/", httponly=False, **common)  # type: ignore[arg-type]


router = APIRouter(prefix="/v1", tags=["session"])


@router.post("/session", status_code=201, summary="Sign in to the console with a marketer key")
async def sign_in(body: SignIn, request: Request, response: Response) -> SessionInfo:
    directory: KeyDirectory = request.app.state.key_directory
    settings: GatewaySettings = request.app.state.settings
    caller = await directory.authenticate(body.key)
    if "marketer" not in caller.scopes:
        raise NotAMarketerKey("POS, app and admin keys cannot open a console session")
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = utcnow() + timedelta(seconds=settings.session_ttl_seconds)
    stored = Stored(caller.prefix, _hash(body.key.split("_", 2)[2]), csrf, expires.isoformat())
    try:
        await _redis(request).set(
            _redis_key(request, token), json.dumps(asdict(stored)), ex=settings.session_ttl_seconds
        )
    except (RedisError, OSError) as error:
        raise SessionStoreDown(str(error)) from error
    _set_cookies(response, token, csrf, settings)
    return stored.info()


async def _current(request: Request) -> Stored:
    stored = await _load(request)
    await _still_active(request, stored)
    return stored


Current = Annotated[Stored, Depends(_current)]


@router.get("/session", summary="The console session of this browser, if any")
async def current(stored: Current) -> SessionInfo:
    return stored.info()


@router.delete("/session", status_code=204, summary="Sign out of the console")
async def sign_out(stored: Current, request: Request) -> Response:
    _check_csrf(request, stored)
    token = request.cookies[SESSION_COOKIE]
    try:
        await _redis(request).delete(_redis_key(request, token))
    except (RedisError, OSError) as error:
        raise SessionStoreDown(str(error)) from error
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/v1")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response
