"""A local HTTP provider for push, SMS and messenger: records requests, fails when told to,
and reports delivery through HMAC-signed callbacks, as the real providers do.

`python -m sinks.http_provider --port 8026 --secret dev-callback-secret`

POST /{channel}/messages   a message (JSON with `id`, `to` or `token`, `callback_url`)
GET  /requests?to=&channel= what it received (newest last); DELETE /requests forgets it
POST /control              {"to": R, "mode": M, "times": N?}: how to answer recipient R
     modes: ok (202, then a `delivered` callback), silent (202, no callback),
            undelivered (202, then an `undelivered` callback), invalid (400 invalid_recipient),
            fail (503, `times` times, then ok)
DELETE /control            back to `ok` for everyone
"""

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

MODES = {"ok", "silent", "undelivered", "invalid", "fail"}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


@dataclass
class Rule:
    mode: str
    times: int | None = None  # None: for as long as the rule stands


@dataclass
class ProviderState:
    secret: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def mode_for(self, recipient: str) -> str:
        rule = self.rules.get(recipient)
        if rule is None:
            return "ok"
        if rule.times is not None:
            rule.times -= 1
            if rule.times < 0:
                del self.rules[recipient]
                return "ok"
        return rule.mode


class CallbackSender:
    def __init__(self, state: ProviderState, client: httpx.AsyncClient) -> None:
        self.state = state
        self.client = client

    def schedule(self, url: str, report: dict[str, Any]) -> None:
        task = asyncio.create_task(self.send(url, report))
        self.state.tasks.add(task)
        task.add_done_callback(self.state.tasks.discard)

    async def send(self, url: str, report: dict[str, Any]) -> None:
        body = json.dumps(report).encode()
        for delay in (0.05, 0.2, 0.5, 1, 2):
            await asyncio.sleep(delay)
            timestamp = int(time.time())
            headers = {
                "content-type": "application/json",
                "X-Provider-Timestamp": str(timestamp),
                "X-Provider-Signature": sign(self.state.secret, timestamp, body),
            }
            with contextlib.suppress(httpx.HTTPError):
                response = await self.client.post(url, content=body, headers=headers)
                if response.status_code < 500:
                    return


def http_app(state: ProviderState, callbacks: CallbackSender) -> Starlette:
    async def receive(request: Request) -> JSONResponse:
        channel = request.path_params["channel"]
        body = await request.json()
        key = request.headers.get("Idempotency-Key") or str(body.get("id") or uuid.uuid4())
        if key in state.answers:  # the same message again: the same answer, sent once
            status, answer = state.answers[key]
            return JSONResponse(answer, status_code=status)
        recipient = str(body.get("to") or body.get("token") or "")
        mode = state.mode_for(recipient)
        state.requests.append(_record(channel, recipient, mode, body, request))
        status, answer = _answer(mode)
        if status == 202:
            state.answers[key] = (status, answer)
            _report(callbacks, mode, body, answer)
        return JSONResponse(answer, status_code=status)

    async def list_requests(request: Request) -> JSONResponse:
        to, channel = request.query_params.get("to"), request.query_params.get("channel")
        found = [
            r
            for r in state.requests
            if (to is None or r["to"] == to) and (channel is None or r["channel"] == channel)
        ]
        return JSONResponse(found)

    async def clear_requests(_request: Request) -> JSONResponse:
        state.requests.clear()
        return JSONResponse({"cleared": True})

    async def control(request: Request) -> JSONResponse:
        body = await request.json()
        if body.get("mode") not in MODES or not body.get("to"):
            return JSONResponse({"error": f"need `to` and a mode of {sorted(MODES)}"}, 422)
        state.rules[str(body["to"])] = Rule(str(body["mode"]), body.get("times"))
        return JSONResponse({"to": body["to"], "mode": body["mode"]})

    async def reset(_request: Request) -> JSONResponse:
        state.rules.clear()
        return JSONResponse({"reset": True})

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/{channel:str}/messages", receive, methods=["POST"]),
            Route("/requests", list_requests, methods=["GET"]),
            Route("/requests", clear_requests, methods=["DELETE"]),
            Route("/control", control, methods=["POST"]),
            Route("/control", reset, methods=["DELETE"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )


def _record(
    channel: str, recipient: str, mode: str, body: dict[str, Any], request: Request
) -> dict[str, Any]:
    return {
        "channel": channel,
        "to": recipient,
        "mode": mode,
        "body": body,
        "authorization": request.headers.get("authorization"),
        "received_at": datetime.now(UTC).isoformat(),
    }


def _answer(mode: str) -> tuple[int, dict[str, Any]]:
    if mode == "invalid":
        return 400, {"code": "invalid_recipient", "detail": "unknown token or number"}
    if mode == "fail":
        return 503, {"code": "unavailable"}
    return 202, {"provider_message_id": f"pm_{uuid.uuid4().hex}"}


def _report(
    callbacks: CallbackSender, mode: str, body: dict[str, Any], answer: dict[str, Any]
) -> None:
    url = body.get("callback_url")
    if not url or mode == "silent":
        return
    status = "undelivered" if mode == "undelivered" else "delivered"
    report = {"id": body.get("id"), "provider_message_id": answer["provider_message_id"]}
    report |= {"status": status, "reason": "unreachable" if status == "undelivered" else None}
    callbacks.schedule(str(url), report)


async def serve(port: int, secret: str) -> None:
    state = ProviderState(secret)
    async with httpx.AsyncClient(timeout=5) as client:
        app = http_app(state, CallbackSender(state, client))
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
        await uvicorn.Server(config).serve()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8026)
    parser.add_argument("--secret", default="dev-callback-secret")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.secret))


if __name__ == "__main__":
    main()
