"""A chain's dry run through the gateway in front of the running platform: the path, each
message's channel and policy decision, each grant, with nothing sent or granted."""

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from kit.clock import utcnow
from kit.stack import Platform
from kit.testing import copy_treated_chain, wait_for
from tests.gateway.test_marketer import bearer, customer

pytestmark = pytest.mark.e2e
QUIET_NIGHTS_ONE_A_DAY = {"daily_cap": 1, "quiet_start": "21:00", "quiet_end": "09:00"}


def at(day: datetime, hour: int) -> datetime:
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


def two_sends_for_lyon(chain_id: str) -> dict[str, Any]:
    """A branch on the customer's city (segments' profile), then two e-mails back to back."""
    lyon = {"type": "attribute", "field": "profile.city", "value": "Lyon"}
    return {
        "id": chain_id,
        "name": "Two sends for Lyon",
        "trigger": {"kind": "event", "event": "member.registered"},
        "steps": [
            {"kind": "branch", "id": "where", "cases": [{"when": lyon, "goto": "first"}]},
            {"kind": "exit", "id": "elsewhere", "reason": "not_in_lyon"},
            {"kind": "send", "id": "first", "template": "reactivation_offer"},
            {"kind": "send", "id": "second", "template": "reactivation_final"},
        ],
    }


async def test_a_marketer_dry_runs_a_chain_through_quiet_hours_the_cap_and_branches(
    platform: Platform,
) -> None:
    marketer = bearer(platform.create_key("marketer"))
    chain_id = f"dry_{uuid.uuid4().hex[:8]}"
    path = f"/v1/chains/{chain_id}/dry-run"
    tomorrow = utcnow() + timedelta(days=1)
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=30) as gateway:
        member = await customer(gateway, platform, consents={"email": True}, city="Lyon")
        await copy_treated_chain(gateway, marketer, "reactivation", chain_id)
        policy = f"/v1/policies/chains/{chain_id}"
        saved = await gateway.put(policy, json=QUIET_NIGHTS_ONE_A_DAY, headers=marketer)
        assert saved.status_code == 200, saved.text

        async def walked(body: dict[str, Any], ready: Any) -> dict[str, Any] | None:
            answer = await gateway.post(path, json=body, headers=marketer)
            assert answer.status_code == 200, answer.text
            run: dict[str, Any] = answer.json()
            return run if ready(run) else None

        # A sleeping customer, at 23:00 their time, who buys two days later.
        night = at(tomorrow, 23)
        sleeping = {
            "customer_id": member,
            "start_at": night.isoformat(),
            "assume": {
                "trigger": {"segment_id": "recency.sleeping"},
                "purchase_at": (night + timedelta(days=2)).isoformat(),
            },
        }
        # The notifier learns the contact from member.registered, a moment after registration.
        run = await wait_for(
            lambda: walked(sleeping, lambda r: "contact_unknown" not in str(r)), "the contact"
        )
        steps = {step["step_id"]: step for step in run["steps"]}
        assert list(steps) == ["bucket", "grant_sleeping", "offer", "wait_reminder"]
        assert steps["bucket"]["next"] == "grant_sleeping"
        grant = steps["grant_sleeping"]["grant"]
        assert (grant["amount"], grant["lifetime_days"]) == (500, 7)
        assert datetime.fromisoformat(grant["expires_at"]) == night + timedelta(days=7)
        morning = at(night + timedelta(days=1), 9)
        sms, email = steps["offer"]["messages"]
        assert sms["deferrals"] == [{"reason": "quiet_hours", "until": iso(morning)}]
        assert (sms["decision"], sms["skipped"]) == (
            "skipped",
            [{"channel": "sms", "reason": "no_consent"}],
        )
        assert (email["decision"], email["channel"]) == ("sent", "email")
        assert datetime.fromisoformat(email["sent_at"]) == morning
        assert (run["exit_reason"], run["exited_at"]) == ("purchase", iso(night + timedelta(2)))

        # A definition tried from the body: Lyon goes on, the second e-mail is over the cap.
        noon = at(tomorrow, 12)
        twice = {
            "customer_id": member,
            "definition": two_sends_for_lyon(chain_id),
            "start_at": noon.isoformat(),
        }
        run = await wait_for(
            lambda: walked(twice, lambda r: r["steps"][0]["next"] == "first"),
            "the customer's city in segments' profile",
        )
        assert [step["step_id"] for step in run["steps"]] == ["where", "first", "second"]
        (first,) = run["steps"][1]["messages"]
        assert (first["decision"], first["sent_at"]) == ("sent", iso(noon))
        (second,) = run["steps"][2]["messages"]
        next_morning = at(noon + timedelta(days=1), 9)
        assert second["deferrals"] == [{"reason": "daily_cap", "until": iso(next_morning)}]
        assert (second["decision"], second["sent_at"]) == ("sent", iso(next_morning))
        assert run["exit_reason"] == "completed"

        messages = await gateway.get(f"/v1/customers/{member}/messages", headers=marketer)
        sources = {message["source"] for message in messages.json()["items"]}
        assert not any(chain_id in source for source in sources), sources  # only the welcome
        unknown = await gateway.post(
            "/v1/chains/no_such_chain/dry-run", json={"customer_id": member}, headers=marketer
        )
        assert (unknown.status_code, unknown.json()["code"]) == (404, "chain_not_found")
        no_version = await gateway.post(
            path, json={"customer_id": member, "version": 7}, headers=marketer
        )
        assert (no_version.status_code, no_version.json()["code"]) == (
            404,
            "chain_version_not_found",
        )
        till = await gateway.post(
            path, json={"customer_id": member}, headers=bearer(platform.pos_key)
        )
        assert till.status_code == 403


def iso(moment: datetime) -> str:
    """As the API writes a UTC time."""
    return moment.isoformat().replace("+00:00", "Z")
