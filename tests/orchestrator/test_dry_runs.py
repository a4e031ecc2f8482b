"""The dry run at the orchestrator: assumed events are heard by the chain's own waits."""

from datetime import UTC, datetime, timedelta
from typing import Any

from kit.testing import unique
from tests.orchestrator.conftest import Orchestrator

START = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def clicked_or_not(chain_id: str) -> dict[str, Any]:
    return {
        "id": chain_id,
        "name": "Clicked or not",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": [
            {"kind": "send", "id": "offer", "template": "dry_offer"},
            {
                "kind": "wait",
                "id": "for_click",
                "wait": {
                    "type": "event",
                    "event": "message.clicked",
                    "of_step": "offer",
                    "timeout": "P2D",
                    "on_timeout": "nudge",
                },
            },
            {"kind": "grant_bonus", "id": "thanks", "amount": 50, "lifetime_days": 10},
            {"kind": "exit", "id": "done"},
            {"kind": "send", "id": "nudge", "template": "dry_offer"},
        ],
        "exits": {"max_duration": "P30D"},
    }


async def test_a_click_or_its_absence_decides_the_path(orchestrator: Orchestrator) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    await notifier.install("dry_offer")
    chain_id = unique("dry_")
    assert (await api.post("/chains", json=clicked_or_not(chain_id))).status_code == 201
    customer = await notifier.customer()
    quiet_free = {"quiet_start": "00:00", "quiet_end": "00:00"}
    assert (await notifier.api.put(f"/policies/chain:{chain_id}", json=quiet_free)).is_success
    path = f"/chains/{chain_id}/dry-run"
    click = {"type": "message.clicked", "step": "offer", "at": (START + timedelta(hours=1))}
    body = {"customer_id": customer, "start_at": START.isoformat()}

    clicked = await api.post(path, json={**body, "assume": {"events": [_json(click)]}})
    assert clicked.status_code == 200, clicked.text
    steps = clicked.json()["steps"]
    assert [s["step_id"] for s in steps] == ["offer", "for_click", "thanks", "done"]
    assert steps[1]["left_at"] == "2026-03-10T13:00:00Z"
    assert steps[2]["grant"]["amount"] == 50
    assert steps[0]["messages"][0]["channel"] == "email"

    silent = (await api.post(path, json=body)).json()
    assert [s["step_id"] for s in silent["steps"]] == ["offer", "for_click", "nudge"]
    assert silent["steps"][2]["at"] == "2026-03-12T12:00:00Z"
    assert silent["exit_reason"] == "completed"

    mismatch = await api.post(path, json={**body, "definition": clicked_or_not("other")})
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "id_mismatch")


def _json(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in event.items()}
