"""The marketer console in Debian's Chromium against the whole platform as real processes.

The data is made through the public API (a published reactivation chain with enrollments and a
purchase that ends one, a started campaign); then `console/browser/walk.mjs` signs in, walks
every screen with axe checks and saves the screenshots the docs embed.
"""

import asyncio
import json
import os
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from kit.stack import ROOT, Platform
from kit.testing import wait_for

# Starting every process of the platform takes minutes on a busy machine; this test alone pays it.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CONSOLE = ROOT / "console"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Set to docs/console (relative to the repository) to refresh the screenshots in the docs.
SCREENSHOTS = os.environ.get("CONSOLE_SCREENSHOTS")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def register(gateway: httpx.AsyncClient, pos: dict[str, str]) -> str:
    body = {"email": f"m-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}
    answer = await gateway.post("/v1/customers", json=body, headers=pos)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def buy(gateway: httpx.AsyncClient, pos: dict[str, str], customer: str) -> None:
    receipt = {
        "customer_id": customer,
        "store_id": "berlin-01",
        "channel": "offline",
        "lines": [{"sku": "LAMP", "category": "lamps", "quantity": 1, "price": 5000}],
        "txid": uuid.uuid4().hex,
    }
    reserved = await gateway.post("/v1/purchases", json=receipt, headers=pos)
    assert reserved.status_code == 201, reserved.text
    confirmed = await gateway.post(f"/v1/purchases/{receipt['txid']}/confirm", json={}, headers=pos)
    assert confirmed.status_code == 200, confirmed.text


async def published_chain(gateway: httpx.AsyncClient, marketer: dict[str, str]) -> str:
    chain_id = f"console_{uuid.uuid4().hex[:8]}"
    copied = await gateway.post(
        "/v1/chains/templates/reactivation/copy", json={"id": chain_id}, headers=marketer
    )
    assert copied.status_code == 201, copied.text
    # Half held out, so a handful of enrollments gives the results screen both groups to compare.
    draft = {**copied.json()["draft"], "holdout_share": 0.5}
    edited = await gateway.put(f"/v1/chains/{chain_id}", json=draft, headers=marketer)
    assert edited.status_code == 200, edited.text
    published = await gateway.post(f"/v1/chains/{chain_id}/publish", headers=marketer)
    assert published.status_code == 200, published.text
    return chain_id


async def enroll(
    gateway: httpx.AsyncClient, marketer: dict[str, str], chain_id: str, customer: str
) -> None:
    answer = await gateway.post(
        f"/v1/chains/{chain_id}/enrollments", json={"customer_id": customer}, headers=marketer
    )
    assert answer.status_code == 201, answer.text


async def left_on_purchase(
    gateway: httpx.AsyncClient, marketer: dict[str, str], chain_id: str
) -> bool:
    answer = await gateway.get(f"/v1/analytics/chains/{chain_id}", headers=marketer)
    versions: list[dict[str, Any]] = answer.json()["versions"]
    return any(v["exited"].get("purchase") for v in versions)


def fifty_steps() -> list[dict[str, Any]]:
    """Sends and waits in turn, with a branch every tenth step: a graph with forks to draw."""
    steps: list[dict[str, Any]] = []
    for n in range(50):
        step_id = f"step_{n:02d}"
        if n % 10 == 9 and n < 49:
            when = {"type": "event_seen", "event": "purchase.returned"}
            steps.append(
                {"kind": "branch", "id": step_id, "cases": [{"when": when, "goto": "step_49"}]}
            )
        elif n % 2:
            steps.append(
                {"kind": "wait", "id": step_id, "wait": {"type": "duration", "duration": "P1D"}}
            )
        else:
            channels = ["push", "sms"]
            steps.append(
                {
                    "kind": "send",
                    "id": step_id,
                    "template": "reactivation_offer",
                    "channels": channels,
                }
            )
    return steps


async def big_chain(gateway: httpx.AsyncClient, marketer: dict[str, str]) -> str:
    chain_id = f"console_big_{uuid.uuid4().hex[:8]}"
    definition = {
        "id": chain_id,
        "name": "Fifty steps",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": fifty_steps(),
    }
    created = await gateway.post("/v1/chains", json=definition, headers=marketer)
    assert created.status_code == 201, created.text
    return chain_id


async def started_campaign(gateway: httpx.AsyncClient, marketer: dict[str, str]) -> str:
    name = f"Welcome points {uuid.uuid4().hex[:6]}"
    body = {
        "name": name,
        "segment": "recency.never_bought",
        "grant": {"amount": 50, "lifetime_days": 30},
    }
    created = await gateway.post("/v1/campaigns", json=body, headers=marketer)
    assert created.status_code == 201, created.text
    started = await gateway.post(f"/v1/campaigns/{created.json()['id']}/start", headers=marketer)
    assert started.status_code == 200, started.text
    return name


async def never_bought(gateway: httpx.AsyncClient, marketer: dict[str, str]) -> bool:
    answer = await gateway.get("/v1/segments/recency.never_bought", headers=marketer)
    return answer.status_code == 200 and (answer.json().get("member_count") or 0) > 0


async def walk(env: dict[str, str], script: str = "browser/walk.mjs") -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        "node",
        script,
        cwd=CONSOLE,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=420)
    return process.returncode or 0, out.decode(), err.decode()


def check_prerequisites() -> None:
    assert (CONSOLE / "dist" / "index.html").is_file(), "build the console: make bootstrap-test"
    assert CHROMIUM.is_file(), "install Chromium: make bootstrap-test"


def walk_env(platform: Platform, shots: Path) -> dict[str, str]:
    """What every walk needs: the console, a marketer key, a POS key, Chromium, the screenshots."""
    return {
        "CONSOLE_URL": f"{platform.gateway}/console/",
        "MARKETER_KEY": platform.create_key("marketer"),
        "POS_KEY": platform.pos_key,
        "SCREENSHOTS": str(shots),
        "CHROMIUM": str(CHROMIUM),
    }


def screenshots_dir(tmp_path: Path) -> Path:
    # Relative to the repository: the walk runs in console/, where a relative path would land.
    shots = ROOT / SCREENSHOTS if SCREENSHOTS else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def check_screenshots(shots: Path) -> None:
    for name in (
        "sign-in",
        "chains",
        "chain-graph",
        "chain-results",
        "chain-enrollments",
        "customer",
        "templates",
        "template-preview",
        "chain-graph-50",
        "segments",
        "campaigns",
    ):
        assert (shots / f"{name}.png").stat().st_size > 10_000, name


async def test_a_marketer_signs_in_and_walks_every_screen(
    platform: Platform, tmp_path: Path
) -> None:
    check_prerequisites()
    marketer, pos = bearer(platform.create_key("marketer")), bearer(platform.pos_key)
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:
        chain_id = await published_chain(gateway, marketer)
        customers = [await register(gateway, pos) for _ in range(5)]
        for customer in customers[:4]:
            await enroll(gateway, marketer, chain_id, customer)
        await buy(gateway, pos, customers[0])
        await wait_for(
            lambda: left_on_purchase(gateway, marketer, chain_id), "a purchase to end", 60
        )
        buyer = customers[1]
        await wait_for(lambda: never_bought(gateway, marketer), "the never-bought segment", 60)
        campaign = await started_campaign(gateway, marketer)
        big = await big_chain(gateway, marketer)

    shots = screenshots_dir(tmp_path)
    code, out, err = await walk(
        {
            **walk_env(platform, shots),
            "CHAIN_ID": chain_id,
            "CAMPAIGN_NAME": campaign,
            "BUYER": buyer,
            "ENROLLED": "4",
            "BIG_CHAIN": big,
            "SMS_TEMPLATE": "reactivation_offer",
        }
    )
    assert code == 0, f"{out}\n{err}"
    measured = json.loads(out.strip().splitlines()[-1])
    print("console walk:", measured)
    # The bar is 1 s on an idle machine; under a load average of 20 it took 4.4 s, so this
    # guards against a console that hangs, and the figures are reported in docs/console.md.
    assert measured["first_load_ms"] < 10_000
    # Fifty steps drawn and every zoom or pan answered; generous for the same busy machine.
    assert measured["graph50_draw_ms"] < 20_000
    assert max(measured["graph50_interactions_ms"]) < 5_000
    check_screenshots(shots)
