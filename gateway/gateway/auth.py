"""`scoped(...)`: the dependency every public route declares.

It authenticates the key, checks its scope, refuses input no service can store, checks the
key's binding to a customer or store, and spends one request of the key's rate limit (the
stricter one on routes that send messages). A request refused by any of those checks spends
nothing. For a key this replica has served before, the checks run first on the copy it
remembers, and the look-up and the rate limit then cost one Redis round trip (gateway/keys.py);
on a POS route whose bulkhead has no room left, such a key's call is refused before that round
trip (gateway/shedding.py).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway import ownership, session
from gateway.keys import Caller, KeyDirectory, Scope, TooManyFailures, require_scope
from gateway.ratelimit import Decision, Policy, RateLimited, RateLimiter, Spend, is_costly
from gateway.settings import GatewaySettings
from gateway.shedding import Kind, refuse_if_no_room
from kit import hygiene
from kit.errors import DomainError, Unauthorized

bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer rp_<prefix>_<secret>`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def policy_for(request: Request) -> Policy:
    settings: GatewaySettings = request.app.state.settings
    route = request.scope.get("route")
    path, extra = getattr(route, "path", ""), getattr(route, "openapi_extra", None)
    if is_costly(request.method, path, extra):
        return Policy(
            "costly", settings.costly_rate_limit_per_second, settings.costly_rate_limit_burst
        )
    return Policy("default", settings.rate_limit_per_second, settings.rate_limit_burst)


async def spend_rate_limit(request: Request, key: Caller, spent: Decision | None = None) -> None:
    """``spent``: the decision already taken in the key's look-up, if it was."""
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = spent or await limiter.check(key.id, policy_for(request))
    # Read by the RateLimitHeaders middleware, which puts the headers on the answer.
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(f"retry after {decision.retry_after_seconds} s")


async def checked(request: Request, caller: Caller, allowed: tuple[Scope, ...]) -> None:
    """The checks a request passes before it may spend its key's rate limit."""
    require_scope(caller, allowed)
    await hygiene.refuse_nul(request)
    await ownership.check_request(request, caller)


async def spend_in_look_up(
    request: Request, credentials: Credentials, allowed: tuple[Scope, ...]
) -> Spend | None:
    """The spend to make in the key's look-up: only if the copy this replica remembers for
    the key admits the request, so a request that will be refused spends nothing."""
    directory: KeyDirectory = request.app.state.key_directory
    remembered = directory.caller_if_admitted(credentials.credentials if credentials else None)
    if remembered is None:
        return None
    try:
        await checked(request, remembered, allowed)
    except DomainError:
        return None
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter.spend(remembered.id, policy_for(request))


async def authenticate(
    request: Request, credentials: Credentials, spend: Spend | None = None
) -> tuple[Caller, Decision | None]:
    """The key's caller (and the decision on ``spend``, if taken); failures spend the client
    address's budget, and past it the address is blocked (429) from every lookup that would
    read the database."""
    directory: KeyDirectory = request.app.state.key_directory
    address = request.client.host if request.client else "-"
    try:
        return await directory.authenticate_and_spend(
            credentials.credentials if credentials else None, address, spend
        )
    except Unauthorized:
        settings: GatewaySettings = request.app.state.settings
        policy = Policy("failed_auth", settings.failed_auth_per_second, settings.failed_auth_burst)
        limiter: RateLimiter = request.app.state.rate_limiter
        decision = await limiter.check(address, policy)
        if decision.allowed:
            raise
        await directory.block(address, decision.retry_after_seconds)
        raise TooManyFailures(
            f"retry after {decision.retry_after_seconds} s",
            retry_after=decision.retry_after_seconds,
        ) from None


def scoped(*allowed: Scope, room: Kind | None = None) -> Callable[..., Awaitable[Caller]]:
    """``room``: the bulkhead whose slot the route's call will take (gateway/shedding.py). A
    call from a key whose remembered copy passes the checks is refused there before the key's
    look-up if the bulkhead has no room for it: the refusal it would meet anyway then costs no
    round trip to Redis and spends none of the key's rate limit. Any other key is looked up
    first, so a key unknown to this replica is told 401, never 503."""

    async def dependency(request: Request, credentials: Credentials) -> Caller:
        spent: Decision | None = None
        if credentials is None and session.has_cookie(request):
            caller = await session.authenticate(request)
        else:
            spend = await spend_in_look_up(request, credentials, allowed)
            if spend is not None and room is not None:
                refuse_if_no_room(request, room)
            caller, spent = await authenticate(request, credentials, spend)
        request.state.caller = caller
        if spent is None:  # else the same copy passed these checks before it was spent
            await checked(request, caller, allowed)
        await spend_rate_limit(request, caller, spent)
        ownership.current_key.set(caller)
        return caller

    return dependency
