"""Fast routes in front of FastAPI's router (kit.fastpath): a declined request reaches the route
with its body, what a fast route raises is answered by the app's handlers, and the route is
named on the request as the router names it."""

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from pydantic import BaseModel
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from kit import fastpath
from kit.errors import NotFound, install_error_handlers
from kit.fastpath import FastPaths, FastRoute, json_body, query


class Note(BaseModel):
    text: str


class RouteNamer:
    """Notes the route each request was served as, as the metrics middleware reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        NAMED.clear()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http":
            NAMED.append(getattr(scope.get("route"), "path", "unmatched"))


NAMED: list[str] = []


async def note(note_id: str, body: Note) -> dict[str, str]:
    return {"served_by": "route", "id": note_id, "text": body.text}


async def fast_note(request: Request) -> Response | None:
    body = json_body(request, Note)
    named = query(request, ("loud",))
    if body is None or named is None:
        return None
    if body.text == "missing":
        raise NotFound("no such note")
    if body.text == "boom":
        raise RuntimeError("boom")
    text = body.text.upper() if "loud" in named else body.text
    note_id = request.path_params["note_id"]
    return Response(f'{{"served_by":"fast","id":"{note_id}","text":"{text}"}}')


@pytest.fixture
def app() -> FastAPI:
    routes = [FastRoute(note, fast_note)]
    made = FastAPI(middleware=[Middleware(RouteNamer), Middleware(FastPaths, routes=routes)])
    made.post("/notes/{note_id}")(note)
    install_error_handlers(made)
    return made


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_the_usual_request_is_served_fast_under_the_routes_name(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/notes/n1?loud=1", json={"text": "hi"})
    assert answer.json() == {"served_by": "fast", "id": "n1", "text": "HI"}
    assert NAMED == ["/notes/{note_id}"]


async def test_a_declined_request_reaches_the_route_with_its_body(
    client: httpx.AsyncClient,
) -> None:
    other_query = await client.post("/notes/n2?quiet=1", json={"text": "as sent"})
    assert other_query.json() == {"served_by": "route", "id": "n2", "text": "as sent"}
    invalid = await client.post("/notes/n3", json={"text": 5})
    assert invalid.status_code == 422 and invalid.json()["code"] == "validation_error"
    assert NAMED == ["/notes/{note_id}", "/notes/{note_id}"]


async def test_what_a_fast_route_raises_is_answered_by_the_apps_handlers(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.post("/notes/n4", json={"text": "missing"})
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["detail"] == "no such note"
    failed = await client.post("/notes/n5", json={"text": "boom"})
    assert failed.status_code == 500 and failed.json()["code"] == "internal_error"


async def test_a_sampled_trace_and_a_switched_off_app_go_the_routes_way(
    app: FastAPI, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(fastpath, "tracing_on", lambda: True)  # and no unsampled context: sampled
        sampled = await client.post("/notes/n6", json={"text": "hi"})
    assert sampled.json()["served_by"] == "route"
    app.state.fast_routes = False
    assert (await client.post("/notes/n7", json={"text": "hi"})).json()["served_by"] == "route"
