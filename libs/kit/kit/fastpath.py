"""The usual request of a few hot routes, served in front of FastAPI's router, with its answers.

FastAPI's per-request layers (the router's match, the exception and exit-stack middlewares,
dependency solving, the request's validation) cost more than some routes' own work. A
``FastRoute`` serves the usual request of one registered route without them:

- the route stays registered, and stays the one place that documents it (OpenAPI) and answers
  every request the fast route does not take;
- the fast route's handler *declines* (returns ``None``) before anything with an effect, for
  any request that is not the usual one: the request then goes on to the route untouched, its
  body replayed, and gets exactly the route's answer;
- what the handler raises once it has taken the request is answered by the app's own exception
  handlers, as the router's exceptions are;
- ``scope["route"]`` and the path parameters are those the router would set, so metrics, access
  logs and rate-limit policies name the route as before;
- only a request whose trace is not sampled is taken: a sampled one goes the route's way, to
  get its spans.

A fast route's handler is written from the route's own pieces (its models, dependencies and
functions), and a test asks both ways the same questions and compares the answers
(``<P>FAST_ROUTES=false``, which sets ``app.state.fast_routes``, turns the fast routes off).
"""

import json
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.tracing import UNSAMPLED_SCOPE_KEY, tracing_on

Handler = Callable[[Request], Awaitable[Response | None]]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class FastRoute:
    """``handler`` serves the usual requests of the route whose function is ``endpoint``."""

    endpoint: Callable[..., Any]
    handler: Handler


@dataclass(frozen=True)
class _Resolved:
    route: APIRoute
    handler: Handler


class FastPaths:
    """ASGI middleware, innermost of the app's own: the fast routes, then the router."""

    def __init__(self, app: ASGIApp, routes: Sequence[FastRoute]) -> None:
        self.app = app
        self.routes = routes
        self._resolved: list[_Resolved] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = self._match(scope) if _takes(scope) else None
        if found is None:
            await self.app(scope, receive, send)
            return
        resolved, params = found
        received: list[Message] = []
        if not await _read_body(receive, received):
            await self.app(scope, _replaying(received, receive), send)  # the client went away
            return
        request = Request(scope, receive)
        request._body = b"".join(m.get("body", b"") for m in received)
        scope["route"], scope["path_params"] = resolved.route, params
        try:
            response = await resolved.handler(request)
        except Exception as exc:
            response = await _answer(request, exc)
        if response is None:
            del scope["route"], scope["path_params"]
            await self.app(scope, _replaying(received, receive), send)
            return
        await response(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[_Resolved, dict[str, Any]] | None:
        if self._resolved is None:
            self._resolved = _resolve(scope["app"], self.routes)
        path = scope.get("path", "")
        for resolved in self._resolved:
            route = resolved.route
            if scope["method"] not in (route.methods or ()):
                continue
            matched = route.path_regex.match(path)
            if matched is not None:
                convertors = route.param_convertors
                params = {k: convertors[k].convert(v) for k, v in matched.groupdict().items()}
                return resolved, params
        return None


def _takes(scope: Scope) -> bool:
    """An HTTP request of an app whose fast routes are on, in a trace that is not sampled."""
    if scope["type"] != "http" or not getattr(scope["app"].state, "fast_routes", True):
        return False
    return UNSAMPLED_SCOPE_KEY in scope or not tracing_on()


def _resolve(app: FastAPI, routes: Sequence[FastRoute]) -> list[_Resolved]:
    """The registered route of each fast route, found by its function."""
    registered = {route.endpoint: route for route in _api_routes(app)}
    missing = [r.endpoint.__qualname__ for r in routes if r.endpoint not in registered]
    if missing:
        raise LookupError(f"fast routes for unregistered endpoints: {', '.join(missing)}")
    return [_Resolved(registered[r.endpoint], r.handler) for r in routes]


def _api_routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append(route)
        contexts = getattr(route, "effective_route_contexts", None)  # an included router
        if contexts is not None:
            found += [
                c.original_route for c in contexts() if isinstance(c.original_route, APIRoute)
            ]
    return found


async def _read_body(receive: Receive, received: list[Message]) -> bool:
    """Reads the whole body into ``received``; False if the client went away first."""
    while True:
        message = await receive()
        received.append(message)
        if message["type"] != "http.request":
            return False
        if not message.get("more_body", False):
            return True


def _replaying(received: list[Message], receive: Receive) -> Receive:
    pending = list(received)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _answer(request: Request, exc: Exception) -> Response:
    """The app's answer to ``exc``, as its exception middleware gives it; unhandled errors go
    on up to the server-error middleware, as the router's do."""
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            break
        handler = handlers.get(cls)
        if handler is not None:
            response: Response = await handler(request, exc)
            return response
    raise exc


# --- the usual request's parts, or None for anything else (the route then answers it)


def json_body(request: Request, model: type[M]) -> M | None:
    """The body as the route's ``model``, read as FastAPI reads a JSON body; ``None`` for a
    body that is not a JSON object the model accepts, or is not sent as ``application/json``."""
    if request.headers.get("content-type") != "application/json":
        return None
    try:
        return model.model_validate(json.loads(request._body), from_attributes=True)
    except ValueError:  # not JSON, or invalid for the model (pydantic's ValidationError)
        return None


def query(request: Request, names: Collection[str]) -> dict[str, str] | None:
    """The query's parameters, if each is one of ``names`` and given once; else ``None``."""
    raw = request.scope["query_string"]
    if not raw:
        return {}
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    found = dict(pairs)
    if len(found) != len(pairs) or not found.keys() <= set(names):
        return None
    return found
