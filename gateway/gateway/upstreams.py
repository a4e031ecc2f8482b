"""The internal services behind the gateway: clients by name, and forwarding to them.

Their problem+json answers pass through unchanged. A service that does not answer is a 503
with a code, never a hang: each attempt has a timeout, and only calls that are safe to repeat
(GET, a POST with an Idempotency-Key, or any call that never reached the service) are retried,
a bounded number of times.
"""

import asyncio
import json as jsonlib
import random
from collections.abc import Callable
from typing import Annotated, Literal
from urllib.parse import quote

import httpx
from fastapi import Depends, FastAPI, Request, Response

from gateway.idempotency import current_idempotency_key
from gateway.ownership import belongs_to_other_customer
from gateway.settings import GatewaySettings
from kit.errors import PROBLEM_JSON, NotFound, ServiceUnavailable, problem
from kit.http import propagate_request_id

Upstream = Literal["loyalty", "segments", "notifier", "orchestrator"]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})


class UpstreamClient(httpx.AsyncClient):
    def __init__(self, name: Upstream, base_url: str, timeout: float, retries: int) -> None:
        super().__init__(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)),
            event_hooks={"request": [propagate_request_id]},
        )
        self.name = name
        self.retries = retries


def open_upstreams(settings: GatewaySettings) -> dict[Upstream, httpx.AsyncClient]:
    urls: dict[Upstream, str] = {
        "loyalty": settings.loyalty_url,
        "segments": settings.segments_url,
        "notifier": settings.notifier_url,
        "orchestrator": settings.orchestrator_url,
    }
    timeout, retries = settings.upstream_timeout_seconds, settings.upstream_retries
    return {name: UpstreamClient(name, url, timeout, retries) for name, url in urls.items()}


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


class UpstreamTimeout(ServiceUnavailable):
    code = "upstream_timeout"
    title = "An internal service did not answer in time"


class NotYours(NotFound):
    code = "not_found"
    title = "Not found"


def _name(client: httpx.AsyncClient) -> str:
    return getattr(client, "name", None) or f"{client.base_url.host}:{client.base_url.port}"


def _safe_path(path: str) -> str:
    """Route modules put ids from the URL into paths as they came: encode what would break it."""
    return quote(path, safe="/?&=:@!$'()*+,;-._~")


async def _attempt(
    client: httpx.AsyncClient, method: str, path: str, json: object | None, repeatable: bool
) -> httpx.Response:
    retries = int(getattr(client, "retries", 0))
    for attempt in range(retries + 1):
        last = attempt == retries
        try:
            answer = await client.request(method, _safe_path(path), json=json)
        except httpx.ConnectError as exc:  # never reached the service: always safe to repeat
            if last:
                raise UpstreamUnavailable(f"{_name(client)}: {type(exc).__name__}") from exc
        except httpx.TimeoutException as exc:
            if last or not repeatable:
                raise UpstreamTimeout(f"{_name(client)}: {type(exc).__name__}") from exc
        except httpx.TransportError as exc:
            if last or not repeatable:
                raise UpstreamUnavailable(f"{_name(client)}: {type(exc).__name__}") from exc
        else:
            if last or not repeatable or answer.status_code not in RETRYABLE_STATUSES:
                return answer
        await asyncio.sleep(0.05 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")


async def forward(
    client: httpx.AsyncClient, method: str, path: str, json: object | None = None
) -> Response:
    repeatable = method.upper() in SAFE_METHODS or current_idempotency_key.get() is not None
    upstream = await _attempt(client, method, path, json, repeatable)
    media_type = upstream.headers.get("content-type", "application/json")
    if upstream.status_code >= 500 and PROBLEM_JSON not in media_type:
        raise UpstreamUnavailable(f"{_name(client)} answered {upstream.status_code}")
    if upstream.is_success and "json" in media_type and belongs_to_other_customer(_json(upstream)):
        raise NotYours()
    return Response(upstream.content, status_code=upstream.status_code, media_type=media_type)


def _json(answer: httpx.Response) -> object:
    try:
        return jsonlib.loads(answer.content)
    except ValueError:
        return None


async def _invalid_url(_request: Request, exc: Exception) -> Response:
    # An id no service can hold (control characters and the like) names nothing.
    return problem(404, "not_found", "Not found", "No such resource.")


async def _transport_error(_request: Request, exc: Exception) -> Response:
    return problem(503, UpstreamUnavailable.code, UpstreamUnavailable.title, type(exc).__name__)


def install_upstream_error_handlers(app: FastAPI) -> None:
    """For route modules that call a service without `forward`: never a 500 for these."""
    app.add_exception_handler(httpx.InvalidURL, _invalid_url)
    app.add_exception_handler(httpx.TransportError, _transport_error)
