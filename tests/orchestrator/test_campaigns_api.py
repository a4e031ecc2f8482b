"""The campaigns API on the dev server: create, start, progress, re-run."""

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import httpx
import pytest

from kit.stack import Infra
from kit.testing import wait_for
from tests.orchestrator.conftest import Orchestrator, serving_segments
from tests.orchestrator.recording import SEGMENT_MEMBERS

BODY = {
    "name": "5 000 points for 3 days",
    "segment": "all_members",
    "grant": {"amount": 5000, "lifetime_days": 3},
    "message": {"template": "mass_bonus", "channels": ["push", "email"]},
    "rate_per_second": 1000,
    "holdout_share": 0,  # every member of the segment gets the grant and the message
}


@pytest.fixture
async def segments_url(infra: Infra) -> AsyncIterator[str]:
    """The real segments API: a campaign's segment must exist there."""
    async with serving_segments(infra) as url:
        yield url


async def test_a_campaign_runs_to_completion_and_a_re_run_changes_nothing(
    orchestrator: Orchestrator,
) -> None:
    api = orchestrator.api
    created = await api.post("/campaigns", json=BODY)
    assert created.status_code == 201, created.text
    campaign_id = created.json()["id"]
    assert (await api.post(f"/campaigns/{campaign_id}/start")).json()["status"] == "running"
    again = await api.post(f"/campaigns/{campaign_id}/start")
    assert (again.status_code, again.json()["code"]) == (409, "campaign_state_conflict")

    async def completed() -> dict[str, Any] | None:
        found = (await api.get(f"/campaigns/{campaign_id}")).json()
        return found if found["status"] == "completed" else None

    done = await wait_for(completed, "the campaign to complete")
    progress = {"processed": 250, "granted": 250, "handed_over": 250, "refused": 0}
    assert done["progress"] == progress
    rerun = await api.post(f"/campaigns/{campaign_id}/start")
    assert rerun.json()["runs"] == 2
    await wait_for(completed, "the re-run to complete")
    assert sorted(orchestrator.services.granted_members()) == sorted(SEGMENT_MEMBERS)
    assert len(orchestrator.services.deliveries) == 250


async def test_a_campaign_must_do_something(orchestrator: Orchestrator) -> None:
    empty = {key: value for key, value in BODY.items() if key not in ("grant", "message")}
    answer = await orchestrator.api.post("/campaigns", json=empty)
    assert answer.status_code == 422
    missing = await orchestrator.api.post("/campaigns/nope/start")
    assert missing.json()["code"] == "campaign_not_found"


async def test_five_campaigns_to_one_customer_in_a_day_report_two_sent_three_deferred(
    orchestrator: Orchestrator,
) -> None:
    """Each campaign's messages as the notifier decided them: the daily cap of two lets two
    out and defers three to the next morning, and each campaign says which of its own."""
    api, notifier = orchestrator.api, orchestrator.notifier
    await notifier.install("flash_sale")
    customer = await notifier.customer(channels=("email",))
    body = {**BODY, "grant": None, "message": {"template": "flash_sale"}}
    campaigns = [(await api.post("/campaigns", json=body)).json()["id"] for _ in range(5)]
    for campaign_id in campaigns:
        policy = {"daily_cap": 2, "quiet_start": "00:00", "quiet_end": "00:00"}
        answer = await notifier.api.put(f"/policies/campaign:{campaign_id}", json=policy)
        assert answer.status_code == 200, answer.text
    for campaign_id in campaigns:  # what the campaign's batch hands the notifier, one by one
        delivery = {
            "idempotency_key": f"campaign/{campaign_id}/send/{customer}",
            "customer_id": customer,
            "template": "flash_sale",
            "source": f"campaign:{campaign_id}",
        }
        assert (await notifier.api.post("/deliveries", json=delivery)).status_code == 201
        messages = await wait_for(partial(decided, api, campaign_id), f"{campaign_id} decided")
        assert (messages["total"], messages["pending"], messages["failed"]) == (1, 0, {})

    reports = [(await api.get(f"/campaigns/{c}")).json()["messages"] for c in campaigns]
    assert [m["sent"] for m in reports] == [1, 1, 0, 0, 0]
    assert [m["deferred"] for m in reports] == [{}, {}] + [{"daily_cap": 1}] * 3
    assert all(m["skipped"] == {} for m in reports)
    listed = (await api.get("/campaigns")).json()["items"]
    assert all(c["messages"] is None for c in listed)  # one campaign at a time asks the notifier


async def decided(api: httpx.AsyncClient, campaign_id: str) -> dict[str, Any] | None:
    found = (await api.get(f"/campaigns/{campaign_id}")).json()["messages"]
    return found if found and found["total"] and not found["pending"] else None


async def test_a_campaign_over_a_segment_segments_does_not_know_is_refused(
    orchestrator: Orchestrator,
) -> None:
    answer = await orchestrator.api.post("/campaigns", json={**BODY, "segment": "no.such"})
    assert (answer.status_code, answer.json()["code"]) == (422, "unknown_segment")
    assert (await orchestrator.api.get("/campaigns")).json()["items"] == []
    control = await orchestrator.api.post("/campaigns", json={**BODY, "segment": "a\x00b"})
    assert (control.status_code, control.json()["code"]) == (422, "validation_error")


async def test_pausing_a_campaign_whose_run_ended_is_a_conflict_and_the_status_follows(
    orchestrator: Orchestrator,
) -> None:
    api = orchestrator.api
    slow = {**BODY, "rate_per_second": 1}  # still running when it is terminated
    campaign_id = (await api.post("/campaigns", json=slow)).json()["id"]
    assert (await api.post(f"/campaigns/{campaign_id}/start")).status_code == 200
    await orchestrator.temporal.get_workflow_handle(f"campaign/{campaign_id}").terminate("test")
    for action in ("pause", "resume"):
        answer = await api.post(f"/campaigns/{campaign_id}/{action}")
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "campaign_state_conflict"
    assert (await api.get(f"/campaigns/{campaign_id}")).json()["status"] == "failed"
    assert (await api.post(f"/campaigns/{campaign_id}/start")).status_code == 200
