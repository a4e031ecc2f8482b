"""Console sign-in: a marketer key becomes a short-lived HttpOnly session cookie with CSRF."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends

from gateway import keys
from gateway.app import create_app
from gateway.auth import scoped
from gateway.keys import Caller
from kit.db import SessionFactory, unit_of_work
from kit.stack import Infra
from kit.testing import app_client, wait_for
from tests.gateway.conftest import CUSTOMER, Gateway, settings_for

probe = APIRouter(prefix="/v1")


@probe.get("/probe")
async def read(caller: Annotated[Caller, Depends(scoped("marketer"))]) -> dict[str, object]:
    return {"scopes": list(caller.scopes)}


@probe.post("/probe")
async def write(caller: Annotated[Caller, Depends(scoped("marketer"))]) -> dict[str, object]:
    return {"scopes": list(caller.scopes)}


@asynccontextmanager
async def console_gateway(
    infra: Infra, gateway_db: str, sessions: SessionFactory, ttl: int
) -> AsyncIterator[Gateway]:
    settings = settings_for(infra, gateway_db, session_ttl_seconds=ttl)
    app = create_app(settings)
    app.include_router(probe)
    async with app_client(app) as client:
        yield Gateway(settings, sessions, client)


@pytest.fixture
async def console(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> AsyncIterator[Gateway]:
    async with console_gateway(infra, gateway_db, gateway_sessions, ttl=3600) as gateway:
        yield gateway


async def sign_in(gateway: Gateway, *scopes: keys.Scope, **binding: str) -> httpx.Response:
    key = await gateway.key(*scopes, **binding)
    return await gateway.client.post("/v1/session", json={"key": key})


def csrf(client: httpx.AsyncClient) -> dict[str, str]:
    return {"X-CSRF-Token": client.cookies["rp_csrf"]}


def keep_sending(client: httpx.AsyncClient, token: str) -> None:
    """What a browser would not do: send a session cookie after sign-out or expiry."""
    client.cookies.clear()
    client.cookies.set("rp_session", token)


async def test_a_marketer_key_signs_in_with_an_httponly_strict_cookie(console: Gateway) -> None:
    answer = await sign_in(console, "marketer")
    assert answer.status_code == 201, answer.text
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("rp_session="))
    token = next(c for c in cookies if c.startswith("rp_csrf="))
    assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/v1" in session
    assert "Max-Age=3600" in session
    assert "HttpOnly" not in token and "SameSite=strict" in token
    assert answer.json()["csrf_token"] == console.client.cookies["rp_csrf"]

    read = await console.client.get("/v1/probe")
    assert read.status_code == 200, read.text
    assert read.json() == {"scopes": ["marketer"]}
    assert (await console.client.get("/v1/session")).status_code == 200


async def test_a_session_opens_only_marketer_routes(console: Gateway) -> None:
    assert (await sign_in(console, "marketer", "pos")).status_code == 201
    answer = await console.client.post(
        "/v1/customers", json={"email": "a@example.com"}, headers=csrf(console.client)
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "missing_scope"


@pytest.mark.parametrize(
    ("scopes", "binding"), [(("pos",), {}), (("app",), {"customer_id": CUSTOMER}), (("admin",), {})]
)
async def test_pos_app_and_admin_keys_cannot_sign_in(
    console: Gateway, scopes: tuple[keys.Scope, ...], binding: dict[str, str]
) -> None:
    answer = await sign_in(console, *scopes, **binding)
    assert answer.status_code == 403
    assert answer.json()["code"] == "session_scope"
    assert "rp_session" not in console.client.cookies


async def test_an_unknown_key_cannot_sign_in(console: Gateway) -> None:
    answer = await console.client.post("/v1/session", json={"key": "rp_0000_nope"})
    assert answer.status_code == 401


async def test_a_write_without_the_csrf_header_is_refused(console: Gateway) -> None:
    await sign_in(console, "marketer")
    refused = await console.client.post("/v1/probe")
    forged = await console.client.post("/v1/probe", headers={"X-CSRF-Token": "guess"})
    allowed = await console.client.post("/v1/probe", headers=csrf(console.client))
    assert refused.status_code == forged.status_code == 403
    assert refused.json()["code"] == forged.json()["code"] == "csrf_token_mismatch"
    assert allowed.status_code == 200


async def test_sign_out_ends_the_session_even_for_a_kept_cookie(console: Gateway) -> None:
    await sign_in(console, "marketer")
    token = console.client.cookies["rp_session"]
    assert (await console.client.delete("/v1/session")).status_code == 403  # no CSRF header
    out = await console.client.delete("/v1/session", headers=csrf(console.client))
    assert out.status_code == 204
    assert "rp_session" not in console.client.cookies
    keep_sending(console.client, token)
    replayed = await console.client.get("/v1/probe")
    assert replayed.status_code == 401
    assert replayed.json()["code"] == "session_expired"


async def test_revoking_the_key_ends_its_sessions(console: Gateway) -> None:
    key = await console.key("marketer")
    await console.client.post("/v1/session", json={"key": key})
    async with unit_of_work(console.sessions) as session:
        await keys.revoke_key(session, key.split("_")[1])
    answer = await console.client.get("/v1/probe")
    assert answer.status_code == 401


async def test_a_session_expires(
    infra: Infra, gateway_db: str, gateway_sessions: SessionFactory
) -> None:
    async with console_gateway(infra, gateway_db, gateway_sessions, ttl=1) as short:
        await sign_in(short, "marketer")
        assert (await short.client.get("/v1/probe")).status_code == 200
        token = short.client.cookies["rp_session"]

        async def expired() -> bool:
            # The browser drops the cookie too; the gateway must refuse it on its own.
            keep_sending(short.client, token)
            answer = await short.client.get("/v1/probe")
            return answer.status_code == 401 and answer.json()["code"] == "session_expired"

        await wait_for(expired, "the session to expire", timeout=30)
