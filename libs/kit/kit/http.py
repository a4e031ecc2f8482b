"""Internal HTTP between services: bounded timeouts and the caller's request id."""

import httpx

from kit.logs import REQUEST_ID_HEADER, request_id_var


async def _propagate_request_id(request: httpx.Request) -> None:
    request_id = request_id_var.get()
    if request_id and REQUEST_ID_HEADER not in request.headers:
        request.headers[REQUEST_ID_HEADER] = request_id


def internal_client(base_url: str, timeout_seconds: float = 5.0) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_seconds, connect=2.0),
        event_hooks={"request": [_propagate_request_id]},
    )
