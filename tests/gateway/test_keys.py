"""API keys: made by the admin command, shown once, stored hashed, rotated and revoked at once."""

import asyncio
import os
import subprocess
import sys

import pytest
from redis.asyncio import Redis
from sqlalchemy import event, select

from gateway.app import create_app
from gateway.keys import KeyDirectory
from gateway.models import ApiKey
from kit.db import create_engine, session_factory
from kit.errors import Unauthorized
from kit.stack import ROOT, Infra
from kit.testing import app_client, wait_for
from tests.gateway.conftest import CUSTOMER, Gateway, admin, bearer

VIEW = {"type": "product.viewed", "sku": "SKU-1"}


def admin_process(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.admin", *args],
        env={**os.environ, "GATEWAY_DATABASE_URL": database_url},
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


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
    listed = (await admin(gateway.settings, "list-keys")).stdout
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
    made = await admin(gateway.settings, "create-key", "--name", "x", *args)
    assert made.returncode == 1
    assert made.stderr.startswith("error:")


async def test_a_revocation_holds_at_once_on_every_replica(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    async with app_client(create_app(gateway.settings)) as replica:
        replica_gateway = Gateway(gateway.settings, gateway.sessions, replica)
        assert await view(gateway, key) == 202
        assert await view(replica_gateway, key) == 202
        revoked = await admin(gateway.settings, "revoke-key", "--prefix", prefix_of(key))
        assert revoked.returncode == 0
        assert await view(gateway, key) == 401
        assert await view(replica_gateway, key) == 401
    again = await admin(gateway.settings, "revoke-key", "--prefix", prefix_of(key))
    assert again.returncode == 1


async def test_rotation_with_an_overlap_keeps_both_keys_working(gateway: Gateway) -> None:
    old = await gateway.key("app", customer_id=CUSTOMER)
    rotated = await admin(
        gateway.settings,
        *("rotate-key", "--prefix", prefix_of(old), "--overlap-seconds", "3600"),
    )
    new = rotated.stdout.strip()
    assert new.startswith("rp_") and new != old
    assert await view(gateway, old) == 202
    assert await view(gateway, new) == 202
    listed = (await admin(gateway.settings, "list-keys")).stdout
    assert f"{prefix_of(old)}\ttest\tapp\t{CUSTOMER}\texpires " in listed


async def test_rotation_without_an_overlap_ends_the_old_key_at_once(gateway: Gateway) -> None:
    old = await gateway.key("pos", store_id="store-7")
    new = (await admin(gateway.settings, "rotate-key", "--prefix", prefix_of(old))).stdout.strip()
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


async def test_known_keys_are_served_from_redis_until_a_revocation(
    gateway: Gateway, infra: Infra
) -> None:
    key = await gateway.key("pos")
    reads: list[str] = []
    engine = create_engine(gateway.settings.database_url)
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: reads.append(a[2]))
    redis = Redis.from_url(infra.redis_url)
    directory = KeyDirectory(redis, session_factory(engine), gateway.settings.event_namespace)
    try:
        assert (await directory.authenticate(key)).prefix == prefix_of(key)
        assert reads, "the first use reads the database"
        reads.clear()
        assert (await directory.authenticate(key)).scopes == ("pos",)
        with pytest.raises(Unauthorized):
            await directory.authenticate(key[:-4] + "AAAA")  # the right prefix, a wrong secret
        assert reads == [], "a known key costs no database read"

        assert (
            await admin(gateway.settings, "revoke-key", "--prefix", prefix_of(key))
        ).returncode == 0
        with pytest.raises(Unauthorized):
            await directory.authenticate(key)
    finally:
        await redis.aclose()
        await engine.dispose()


async def test_the_end_of_a_rotation_overlap_holds_while_a_copy_is_kept(gateway: Gateway) -> None:
    old = await gateway.key("app", customer_id=CUSTOMER)
    rotated = await admin(
        gateway.settings, "rotate-key", "--prefix", prefix_of(old), "--overlap-seconds", "2"
    )
    assert rotated.returncode == 0
    assert await view(gateway, old) == 202  # and now a copy of it is kept for a minute

    async def refused() -> bool:
        return await view(gateway, old) == 401

    await wait_for(refused, "the old key ends after its overlap", timeout=15)
    assert await view(gateway, rotated.stdout.strip()) == 202
