"""The campaigns API on the dev server: create, start, progress, re-run."""

from typing import Any

from kit.testing import wait_for
from tests.orchestrator.conftest import Orchestrator
from tests.orchestrator.recording import SEGMENT_MEMBERS

BODY = {
    "name": "5 000 points for 3 days",
    "segment": "all_members",
    "grant": {"amount": 5000, "lifetime_days": 3},
    "message": {"template": "mass_bonus", "channels": ["push", "email"]},
    "rate_per_second": 1000,
}


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
    assert done["progress"] == {"processed": 250, "granted": 250, "sent": 250, "failed": 0}
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
