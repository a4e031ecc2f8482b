from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.keys import Scope, authenticate, require_scope
from gateway.models import ApiKey
from kit.web import SessionDep

bearer = HTTPBearer(auto_error=False, description="An API key: `Bearer rp_<prefix>_<secret>`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def scoped(*allowed: Scope) -> Callable[..., Awaitable[ApiKey]]:
    async def dependency(request: Request, credentials: Credentials, session: SessionDep) -> ApiKey:
        record = await authenticate(session, credentials.credentials if credentials else None)
        require_scope(record, allowed)
        request.state.api_key = record
        return record

    return dependency
