"""`scoped(...)`: the dependency every public route declares.

It authenticates the key, checks its scope, refuses input no service can store, checks the
key's binding to a customer or store, and spends one request of the key's rate limit (the
stricter one on routes that send messages).
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway import ownership, session
from gateway.keys import Caller, KeyDirectory, Scope, TooManyFailures, require_scope
from gateway.ratelimit import Policy, RateLimited, RateLimiter, is_costly
from gateway.settings import GatewaySettings
from kit import hygiene
from kit.errors import Unauthorized

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


async def spend_rate_limit(request: Request, key: Caller) -> None:
    limiter: RateLimiter = request.app.state.rate_limiter
    decision = await limiter.check(key.id, policy_for(request))
    # Read by the RateLimitHeaders middleware, which puts the headers on the answer.
    request.state.rate_limit = decision
    if not decision.allowed:
        raise RateLimited(f"retry after {decision.retry_after_seconds} s")


async def authenticate(request: Request, credentials: Credentials) -> Caller:
    """The key's caller; failures spend the client address's budget, and past it the address
    is blocked (429) from every lookup that would read the database."""
    directory: KeyDirectory = request.app.state.key_directory
    address = request.client.host if request.client else "-"
    try:
        return await directory.authenticate(
            credentials.credentials if credentials else None, address
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


def scoped(*allowed: Scope) -> Callable[..., Awaitable[Caller]]:
    async def dependency(request: Request, credentials: Credentials) -> Caller:
        if credentials is None and session.has_cookie(request):
            caller = await session.authenticate(request)
        else:
            caller = await authenticate(request, credentials)
        request.state.caller = caller
        require_scope(caller, allowed)
        await hygiene.refuse_nul(request)
        await ownership.check_request(request, caller)
        await spend_rate_limit(request, caller)
        ownership.current_key.set(caller)
        return caller

    return dependency
