"""The internal services behind the gateway: clients by name, and forwarding to them.

Their problem+json answers pass through unchanged; a service that does not answer is a 503.
"""

from collections.abc import Callable
from typing import Annotated, Literal

import httpx
from fastapi import Depends, Request, Response

from gateway.settings import GatewaySettings
from kit.errors import PROBLEM_JSON, ServiceUnavailable
from kit.http import internal_client

Upstream = Literal["loyalty", "segments", "notifier", "orchestrator"]


def open_upstreams(settings: GatewaySettings) -> dict[Upstream, httpx.AsyncClient]:
    timeout = settings.upstream_timeout_seconds
    return {
        "loyalty": internal_client(settings.loyalty_url, timeout),
        "segments": internal_client(settings.segments_url, timeout),
        "notifier": internal_client(settings.notifier_url, timeout),
        "orchestrator": internal_client(settings.orchestrator_url, timeout),
    }


def upstream(name: Upstream) -> Callable[[Request], httpx.AsyncClient]:
    def dependency(request: Request) -> httpx.AsyncClient:
        client: httpx.AsyncClient = request.app.state.upstreams[name]
        return client

    return dependency


Loyalty = Annotated[httpx.AsyncClient, Depends(upstream("loyalty"))]
Segments = Annotated[httpx.AsyncClient, Depends(upstream("segments"))]
Notifier = Annotated[httpx.AsyncClient, Depends(upstream("notifier"))]
Orchestrator = Annotated[httpx.AsyncClient, Depends(upstream("orchestrator"))]


class UpstreamUnavailable(ServiceUnavailable):
    code = "upstream_unavailable"
    title = "An internal service did not answer"


async def forward(
    client: httpx.AsyncClient, method: str, path: str, json: object | None = None
) -> Response:
    try:
        upstream = await client.request(method, path, json=json)
    except httpx.TransportError as exc:
        raise UpstreamUnavailable(
            f"{client.base_url.host}:{client.base_url.port} {type(exc).__name__}"
        ) from exc
    media_type = upstream.headers.get("content-type", "application/json")
    if upstream.status_code >= 500 and PROBLEM_JSON not in media_type:
        raise UpstreamUnavailable(f"answered {upstream.status_code}")
    return Response(upstream.content, status_code=upstream.status_code, media_type=media_type)
