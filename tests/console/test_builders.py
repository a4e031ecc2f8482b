"""The builders in Debian's Chromium against the whole platform as real processes.

`console/browser/builders.mjs` builds a reactivation chain on the canvas from an empty draft:
it fixes the problem the API shows on a node, undoes and redoes from the keyboard, edits the
JSON view, test-sends a step, dry-runs the draft for a customer who buys during the wait (the
offer's channel and decision, the grant and the exit on the timeline), publishes after the diff
and the audience count, enrolls a customer and sees their purchase end the chain on the chain's
screen; then it times edits on a fifty-step draft. It builds a segment in the rule builder (a
problem shown on its rule, the live count and sample, create, edit, delete) and edits an SMS
template with its preview for a customer, its encoding, segments and cost as typed (each equal
to what `POST /v1/templates/preview` answers for the text), unknown variables flagged, and a
test send; and sets the programme's communication policy (a 422 shown on its
field) and a chain's override; and creates a campaign on the campaigns screen (a holdout above
the limit and an unknown segment refused on their fields), starts, pauses and resumes it.
"""

import json
import uuid
from pathlib import Path

import httpx
import pytest

from kit.stack import Platform
from kit.testing import wait_for
from tests.console.test_console import (
    bearer,
    big_chain,
    check_prerequisites,
    register,
    screenshots_dir,
    walk,
    walk_env,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

CAMPAIGN_MEMBERS = 60


async def flagged_as_tester(
    gateway: httpx.AsyncClient, marketer: dict[str, str], customer: str
) -> bool:
    # The notifier learns the contact from member.registered, a moment after registration.
    flag = {"test_recipient": True}
    answer = await gateway.put(
        f"/v1/customers/{customer}/test-recipient", json=flag, headers=marketer
    )
    return answer.status_code == 200


async def flag_as_tester(
    gateway: httpx.AsyncClient, marketer: dict[str, str], customer: str
) -> None:
    await wait_for(lambda: flagged_as_tester(gateway, marketer, customer), "a test recipient", 60)


async def sms_tester(gateway: httpx.AsyncClient, pos: dict[str, str]) -> str:
    phone = f"+49151{uuid.uuid4().int % 10**8:08d}"
    body = {"phone": phone, "name": "Dana", "consents": {"sms": True}}
    answer = await gateway.post("/v1/customers", json=body, headers=pos)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def never_bought_holds(
    gateway: httpx.AsyncClient, marketer: dict[str, str], members: int
) -> bool:
    answer = await gateway.get("/v1/segments/recency.never_bought", headers=marketer)
    return answer.status_code == 200 and (answer.json().get("member_count") or 0) >= members


async def test_a_marketer_builds_a_chain_on_the_canvas(platform: Platform, tmp_path: Path) -> None:
    check_prerequisites()
    marketer, pos = bearer(platform.create_key("marketer")), bearer(platform.pos_key)
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:
        tester, enrollee = await register(gateway, pos), await register(gateway, pos)
        texted = await sms_tester(gateway, pos)
        for customer in (tester, texted):
            await flag_as_tester(gateway, marketer, customer)
        big = await big_chain(gateway, marketer)
        # The campaign the walk makes goes one member a second: with this many it is still
        # running when the walk pauses it, however busy the machine.
        for _ in range(CAMPAIGN_MEMBERS):
            await register(gateway, pos)
        await wait_for(
            lambda: never_bought_holds(gateway, marketer, CAMPAIGN_MEMBERS),
            "the never-bought segment to hold the new customers",
            120,
        )

    shots = screenshots_dir(tmp_path)
    code, out, err = await walk(
        {
            **walk_env(platform, shots),
            "CHAIN_ID": f"built_{uuid.uuid4().hex[:8]}",
            "TESTER": tester,
            "ENROLLEE": enrollee,
            "BIG_CHAIN": big,
            "SMS_TESTER": texted,
            "SEGMENT_NAME": f"Lamp buyers {uuid.uuid4().hex[:6]}",
            "CAMPAIGN_NAME": f"Points for newcomers {uuid.uuid4().hex[:6]}",
            "CAMPAIGN_SEGMENT": "recency.never_bought",
        },
        script="browser/builders.mjs",
    )
    assert code == 0, f"{out}\n{err}"
    measured = json.loads(out.strip().splitlines()[-1])
    print("builders walk:", measured)
    # The bar is 100 ms an edit on an idle machine (docs/console.md has the figures); this
    # guards against a builder that re-renders far too much, not against a busy machine.
    assert measured["edit_ms_median"] < 1_000
    for name in (
        "builder-problem",
        "builder",
        "builder-dry-run",
        "builder-publish",
        "segment-builder",
        "template-editor",
        "policies",
        "campaigns-manage",
    ):
        assert (shots / f"{name}.png").stat().st_size > 10_000, name
