"""Cross-cutting ASGI middleware of the gateway; every route gets it without asking."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.ownership import current_key
from gateway.paths import InvalidPathParameter, has_encoded_separator
from gateway.ratelimit import Decision
from kit.errors import problem

log = logging.getLogger("gateway.access")


async def send_problem(send: Send, status: int, code: str, title: str, detail: str) -> None:
    response = problem(status, code, title, detail)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class BodyLimit:
    """Refuses bodies over ``max_bytes`` with a 413 problem, by header or by counting."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received, refused = 0, False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes and not refused:
                refused = True
                await self._refuse(send)
            # The app stops reading as if the client had gone; its own answer is dropped.
            return {"type": "http.disconnect"} if refused else message

        async def unless_refused(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counting_receive, unless_refused)
        except Exception:
            if not refused:
                raise

    async def _refuse(self, send: Send) -> None:
        detail = f"The body may have at most {self.max_bytes} bytes."
        await send_problem(send, 413, "payload_too_large", "Request body too large", detail)


class RequestContext:
    """Rate-limit headers on every answer, one access log line per request, fresh context."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        token = current_key.set(None)

        async def with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                decision: Decision | None = scope.get("state", {}).get("rate_limit")
                if decision is not None:
                    headers = message.setdefault("headers", [])
                    headers += [(k.lower().encode(), v.encode()) for k, v in decision.headers()]
            await send(message)

        try:
            if has_encoded_separator(scope.get("raw_path") or b""):
                error = InvalidPathParameter("an id may not contain an encoded / or \\")
                await send_problem(
                    with_headers, error.status, error.code, error.title, error.detail
                )
            else:
                await self.app(scope, receive, with_headers)
        finally:
            self._log(scope, status, time.perf_counter() - started)
            current_key.reset(token)

    def _log(self, scope: Scope, status: int, seconds: float) -> None:
        prefix = getattr(scope.get("state", {}).get("caller"), "prefix", "-")
        route = getattr(scope.get("route"), "path", scope["path"])
        log.info("%s %s %s %.1fms key=%s", scope["method"], route, status, seconds * 1000, prefix)
