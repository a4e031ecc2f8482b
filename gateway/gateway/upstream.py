"""Calls to internal services: their problem+json answers pass through unchanged."""

import httpx
from fastapi import Response

from kit.errors import PROBLEM_JSON, ServiceUnavailable


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
