"""API keys: made by the admin command, shown once, stored hashed, rotated and revoked at once."""

import asyncio
import contextlib
import io
import os
import subprocess
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from gateway.admin import run
from gateway.app import create_app
from gateway.models import ApiKey
from gateway.settings import GatewaySettings
from kit.stack import ROOT
from kit.testing import app_client
from tests.gateway.conftest import CUSTOMER, Gateway, bearer

VIEW = {"type": "product.viewed", "sku": "SKU-1"}


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def admin_process(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.admin", *args],
        env={**os.environ, "GATEWAY_DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


async def admin(database_url: str, *args: str) -> Done:
    """The admin command in this process (a subprocess costs seconds on a busy machine)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = await run(list(args), GatewaySettings(database_url=database_url))
    return Done(code, out.getvalue(), err.getvalue())


def prefix_of(key: str) -> str:
    return key.split("_")[1]


async def view(gateway: Gateway, key: str) -> int:
    answer = await gateway.client.post("/v1/events", json=VIEW, headers=bearer(key))
    return answer.status_code


async def test_the_admin_command_shows_a_key_once_and_stores_only_its_hash(
    gateway: Gateway,
) -> None:
    made = await asyncio.to_thread(
        admin_process,
        gateway.settings.database_url,
        *("create-key", "--name", "anna-app", "--scope", "app", "--customer-id", CUSTOMER),
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("rp_")
    secret = key.split("_", 2)[2]
    async with gateway.sessions() as session:
        stored = (await session.execute(select(ApiKey))).scalars().one()
    assert stored.prefix == prefix_of(key)
    assert secret not in stored.secret_hash and len(stored.secret_hash) == 64
    listed = (await admin(gateway.settings.database_url, "list-keys")).stdout
    assert prefix_of(key) in listed and CUSTOMER in listed and secret not in listed
    assert await view(gateway, key) == 202


@pytest.mark.parametrize(
    "args",
    [
        ("--scope", "app"),
        ("--scope", "app", "--scope", "pos", "--customer-id", CUSTOMER),
        ("--scope", "pos", "--customer-id", CUSTOMER),
        ("--scope", "marketer", "--store-id", "store-1"),
    ],
)
async def test_bindings_that_make_no_sense_are_refused(
    gateway: Gateway, args: tuple[str, ...]
) -> None:
    made = await admin(gateway.settings.database_url, "create-key", "--name", "x", *args)
    assert made.returncode == 1
    assert made.stderr.startswith("error:")


async def test_a_revocation_holds_at_once_on_every_replica(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    async with app_client(create_app(gateway.settings)) as replica:
        replica_gateway = Gateway(gateway.settings, gateway.sessions, replica)
        assert await view(gateway, key) == 202
        assert await view(replica_gateway, key) == 202
        revoked = await admin(
            gateway.settings.database_url, "revoke-key", "--prefix", prefix_of(key)
        )
        assert revoked.returncode == 0
        assert await view(gateway, key) == 401
        assert await view(replica_gateway, key) == 401
    again = await admin(gateway.settings.database_url, "revoke-key", "--prefix", prefix_of(key))
    assert again.returncode == 1


async def test_rotation_with_an_overlap_keeps_both_keys_working(gateway: Gateway) -> None:
    old = await gateway.key("app", customer_id=CUSTOMER)
    rotated = await admin(
        gateway.settings.database_url,
        *("rotate-key", "--prefix", prefix_of(old), "--overlap-seconds", "3600"),
    )
    new = rotated.stdout.strip()
    assert new.startswith("rp_") and new != old
    assert await view(gateway, old) == 202
    assert await view(gateway, new) == 202
    listed = (await admin(gateway.settings.database_url, "list-keys")).stdout
    assert f"{prefix_of(old)}\ttest\tapp\t{CUSTOMER}\texpires " in listed


async def test_rotation_without_an_overlap_ends_the_old_key_at_once(gateway: Gateway) -> None:
    old = await gateway.key("pos", store_id="store-7")
    new = (
        await admin(gateway.settings.database_url, "rotate-key", "--prefix", prefix_of(old))
    ).stdout.strip()
    body = {**VIEW, "customer_id": CUSTOMER}
    refused = await gateway.client.post("/v1/events", json=body, headers=bearer(old))
    accepted = await gateway.client.post("/v1/events", json=body, headers=bearer(new))
    assert refused.status_code == 401
    assert accepted.status_code == 202
    async with gateway.sessions() as session:
        record = (
            await session.execute(select(ApiKey).where(ApiKey.prefix == prefix_of(new)))
        ).scalar_one()
    assert (record.scopes, record.store_id) == (["pos"], "store-7")


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nonsense", "Bearer rp_abc_def", "Basic dXNlcjpwYXNz", "Bearer rp_only"],
)
async def test_missing_or_forged_keys_are_401(gateway: Gateway, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    answer = await gateway.client.post("/v1/events", json=VIEW, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "unauthorized")
    assert answer.headers["content-type"] == "application/problem+json"
