"""The internal services behind the gateway: clients by name, and forwarding to them.

Their problem+json answers pass through unchanged. A service that does not answer is a 503
with a code, never a hang: each attempt has a timeout, and only calls that are safe to repeat
(GET, a POST with an Idempotency-Key, or any call that never reached the service) are retried,
a bounded number of times.

The clients are aiohttp sessions with keep-alive pools: forwarding is the gateway's hot path,
and aiohttp's C parser costs a fraction of the CPU per call of a pure-Python client. A process
that serves a service's app beside the gateway's (the till's door, `till_door`) calls it with
`InProcessUpstream` instead: the same request, handed to the app without a socket.
"""

import asyncio
import json as jsonlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Literal, Protocol
from urllib.parse import quote, unquote

import aiohttp
from fastapi import Depends, FastAPI, Request, Response
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Scope
from yarl import URL

from gateway.idempotency import current_idempotency_key
from gateway.ownership import belongs_to_other_customer
from gateway.problems import public_problem
from gateway.settings import GatewaySettings
from kit.errors import PROBLEM_JSON, NotFound, ServiceUnavailable, problem
from kit.logs import REQUEST_ID_HEADER, request_id_var
from kit.tracing import current_carrier

Upstream = Literal["loyalty", "segments", "notifier", "orchestrator"]
Headers = dict[str, str]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """An internal service's answer, read whole."""

    status_code: int
    content_type: str
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    def json(self) -> object:
        return jsonlib.loads(self.content)


class ServiceClient(Protocol):
    """What forwarding needs of an internal service: a name, a retry budget, one call."""

    name: Upstream
    retries: int

    async def request(
        self, method: str, path: str, json: object | None = None, extra: Headers | None = None
    ) -> Answer: ...

    async def close(self) -> None: ...


class UpstreamClient:
    """One internal service: a keep-alive pool, a timeout per attempt, a retry budget."""

    def __init__(self, name: Upstream, base_url: str, timeout: float, retries: int) -> None:
        self.name = name
        self.base_url = URL(base_url)
        self.timeout = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, 2.0))
        self.retries = retries
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:  # made on first use, inside the running event loop
            connector = aiohttp.TCPConnector(limit=200, ttl_dns_cache=300)
            # No cookie jar: one session serves every caller, and no service sets cookies.
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def url(self, path: str) -> URL:
        return URL(str(self.base_url).rstrip("/") + _safe_path(path), encoded=True)

    async def request(
        self, method: str, path: str, json: object | None = None, extra: Headers | None = None
    ) -> Answer:
        headers = {**_headers(), **(extra or {})}
        if isinstance(json, BaseModel):  # pydantic writes its JSON without a dict in between
            headers["Content-Type"] = "application/json"
            data, json = json.model_dump_json().encode(), None
        else:
            data = None
        async with self.session.request(
            method, self.url(path), data=data, json=json, headers=headers
        ) as answer:
            content = await answer.read()
            return Answer(answer.status, answer.headers.get("content-type", ""), content)

    async def open_stream(self, path: str, idle_seconds: float) -> aiohttp.ClientResponse:
        """A GET whose body is read by the caller, who then releases the response.

        The attempt's total timeout would cut a long body: a stream only has to keep moving.
        """
        timeout = aiohttp.ClientTimeout(
            total=None, connect=self.timeout.connect, sock_read=idle_seconds
        )
        return await self.session.get(self.url(path), headers=_headers(), timeout=timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


class InProcessUpstream:
    """A service whose ASGI app runs in this process: each call is handed to it without a
    socket, as the service's own server would hand it over, and its answer read whole.

    As over the network, a call the gateway stops waiting for is not stopped: past the timeout
    the caller gets 503 `upstream_timeout` while the service finishes what it began (its own
    idempotency answers the till's retry), so a step is never cut off inside its transaction.
    """

    def __init__(self, name: Upstream, app: ASGIApp, timeout: float, retries: int) -> None:
        self.name = name
        self.app = app
        self.timeout = timeout
        self.retries = retries

    async def request(
        self, method: str, path: str, json: object | None = None, extra: Headers | None = None
    ) -> Answer:
        # The trace goes on as over the network, where aiohttp's instrumentation sends it.
        given = {**_headers(), **current_carrier(), **(extra or {})}
        headers = {name.lower(): value for name, value in given.items()}
        if isinstance(json, BaseModel):
            body = json.model_dump_json().encode()
        else:
            body = b"" if json is None else jsonlib.dumps(json).encode()
        if body:
            headers["content-type"] = "application/json"
        headers["content-length"] = str(len(body))
        path, _, query = _safe_path(path).partition("?")
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": unquote(path),
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": query.encode(),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
            "client": ("127.0.0.1", 0),
            "server": ("127.0.0.1", 0),
            "state": {},
        }
        call = asyncio.ensure_future(_answer_of(self.app, scope, body))
        call.add_done_callback(_settled)
        # On a timeout the call goes on; `_attempt` makes it the 503 a network timeout is.
        return await asyncio.wait_for(asyncio.shield(call), self.timeout)

    async def close(self) -> None:
        """Nothing to release: the app's own lifespan owns its resources."""


async def _answer_of(app: ASGIApp, scope: Scope, body: bytes) -> Answer:
    """The app's answer to one request; an app that raises after answering (Starlette's error
    middleware sends its 500 and raises again) is judged by what it sent."""
    given = False
    status, content_type, chunks = 0, "", []

    async def receive() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # a client that never goes away mid-answer
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        nonlocal status, content_type
        if message["type"] == "http.response.start":
            status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as exc:
        log.warning("in-process %s answered %s and raised %r", scope["path"], status, exc)
        if not status:
            raise InProcessFailure(type(exc).__name__) from exc
    return Answer(status, content_type, b"".join(chunks))


def _settled(call: "asyncio.Future[Answer]") -> None:
    """Takes a call's failure (`_answer_of` logged it), so that one its caller stopped
    waiting for is not reported as never retrieved."""
    if not call.cancelled():
        call.exception()


class InProcessFailure(Exception):
    """The in-process app raised before it answered: as a dropped connection is."""


def _headers() -> dict[str, str]:
    request_id = request_id_var.get()
    return {REQUEST_ID_HEADER: request_id} if request_id else {}


def open_upstreams(settings: GatewaySettings) -> dict[Upstream, ServiceClient]:
    urls: dict[Upstream, str] = {
        "loyalty": settings.loyalty_url,
        "segments": settings.segments_url,
        "notifier": settings.notifier_url,
        "orchestrator": settings.orchestrator_url,
    }
    timeout, retries = settings.upstream_timeout_seconds, settings.upstream_retries
    clients: dict[Upstream, ServiceClient] = {
        name: UpstreamClient(name, url, timeout, retries) for name, url in urls.items()
    }
    return clients


def upstream(name: Upstream) -> Callable[[Request], Awaitable[ServiceClient]]:
    async def dependency(request: Request) -> ServiceClient:  # async: no thread hop
        client: ServiceClient = request.app.state.upstreams[name]
        return client

    return dependency


Loyalty = Annotated[ServiceClient, Depends(upstream("loyalty"))]
Segments = Annotated[UpstreamClient, Depends(upstream("segments"))]
Notifier = Annotated[UpstreamClient, Depends(upstream("notifier"))]
Orchestrator = Annotated[UpstreamClient, Depends(upstream("orchestrator"))]


class UpstreamUnavailable(ServiceUnavailable):
    code = "upstream_unavailable"
    title = "An internal service did not answer"


class UpstreamTimeout(ServiceUnavailable):
    code = "upstream_timeout"
    title = "An internal service did not answer in time"


class NotYours(NotFound):
    code = "not_found"
    title = "Not found"


def _safe_path(path: str) -> str:
    """Route modules put ids from the URL into paths as they came: encode what would break it."""
    return quote(path, safe="/?&=:@!$'()*+,;-._~")


async def _attempt(
    client: ServiceClient,
    method: str,
    path: str,
    json: object | None,
    repeatable: bool,
    headers: Headers | None = None,
) -> Answer:
    for attempt in range(client.retries + 1):
        last = attempt == client.retries
        try:
            answer = await client.request(method, path, json=json, extra=headers)
        except aiohttp.ClientConnectorError as exc:  # never reached the service: safe to repeat
            if last:
                raise UpstreamUnavailable(f"{client.name}: {type(exc).__name__}") from exc
        except TimeoutError as exc:
            if last or not repeatable:
                raise UpstreamTimeout(f"{client.name}: {type(exc).__name__}") from exc
        except (aiohttp.ClientError, InProcessFailure) as exc:
            if last or not repeatable:
                raise UpstreamUnavailable(f"{client.name}: {type(exc).__name__}") from exc
        else:
            if last or not repeatable or answer.status_code not in RETRYABLE_STATUSES:
                return answer
        await asyncio.sleep(0.05 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")


async def ask(
    client: ServiceClient,
    method: str,
    path: str,
    json: object | None = None,
    headers: Headers | None = None,
) -> Answer:
    """One call with the retry policy, for routes that shape the answer themselves."""
    repeatable = method.upper() in SAFE_METHODS or current_idempotency_key.get() is not None
    return await _attempt(client, method, path, json, repeatable, headers)


async def forward(
    client: ServiceClient,
    method: str,
    path: str,
    json: object | None = None,
    headers: Headers | None = None,
) -> Response:
    upstream = await ask(client, method, path, json, headers)
    media_type = upstream.content_type or "application/json"
    if upstream.status_code >= 500 and PROBLEM_JSON not in media_type:
        raise UpstreamUnavailable(f"{client.name} answered {upstream.status_code}")
    if upstream.is_success and "json" in media_type and belongs_to_other_customer(upstream.content):
        raise NotYours()
    content = upstream.content
    if PROBLEM_JSON in media_type:
        content = public_problem(content)
    return Response(content, status_code=upstream.status_code, media_type=media_type)


async def _invalid_url(_request: Request, exc: Exception) -> Response:
    # An id no service can hold (control characters and the like) names nothing.
    return problem(404, "not_found", "Not found", "No such resource.")


async def _transport_error(_request: Request, exc: Exception) -> Response:
    log.warning("503 %s: %s: %s", UpstreamUnavailable.code, type(exc).__name__, exc)
    return problem(503, UpstreamUnavailable.code, UpstreamUnavailable.title, type(exc).__name__)


def install_upstream_error_handlers(app: FastAPI) -> None:
    """For route modules that call a service without `forward`: never a 500 for these."""
    app.add_exception_handler(aiohttp.InvalidURL, _invalid_url)
    app.add_exception_handler(aiohttp.ClientError, _transport_error)
