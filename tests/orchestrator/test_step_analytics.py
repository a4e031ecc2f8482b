"""Per-step analytics of a chain on the dev server: arrivals, waits, exits and the daily series."""

from datetime import UTC, datetime
from functools import partial
from typing import Any

from kit.testing import wait_for
from tests.orchestrator.conftest import Orchestrator

CHAIN = {
    "id": "funnel",
    "name": "Funnel",
    "trigger": {"kind": "event", "event": "member.registered"},
    "steps": [
        {"kind": "send", "id": "hello", "template": "funnel_hello"},
        {"kind": "wait", "id": "pause", "wait": {"type": "duration", "duration": "P1D"}},
        {"kind": "send", "id": "later", "template": "funnel_later"},
    ],
}


async def test_steps_count_who_reached_waits_and_left_and_days_count_enrollments(
    orchestrator: Orchestrator,
) -> None:
    api, notifier = orchestrator.api, orchestrator.notifier
    await notifier.install("funnel_hello", "funnel_later")
    assert (await api.post("/chains", json=CHAIN)).status_code == 201
    assert (await api.post("/chains/funnel/publish")).status_code == 200
    staying, leaving = await notifier.customer(), await notifier.customer()
    for customer in (staying, leaving):
        answer = await api.post("/chains/funnel/enrollments", json={"customer_id": customer})
        assert answer.status_code == 201, answer.text

    async def at_pause(customer: str) -> bool:
        found = (await api.get(f"/chains/funnel/enrollments/{customer}")).json()
        return bool(found.get("step") == "pause")

    for customer in (staying, leaving):
        await wait_for(partial(at_pause, customer), "the enrollment to wait at `pause`")
    await api.post(f"/chains/funnel/enrollments/{leaving}/cancel")

    async def settled() -> dict[str, Any] | None:
        found = (await api.get("/analytics/chains/funnel/steps")).json()
        steps = {s["step"]: s for s in found["versions"][0]["steps"]}
        # The figures are read one query after another: wait until they agree.
        agree = steps["pause"]["exited"] == {"cancelled": 1} and steps["pause"]["waiting"] == 1
        return found if agree else None

    report = await wait_for(settled, "the cancelled enrollment's exit to be recorded")
    steps = {s["step"]: s for s in report["versions"][0]["steps"]}
    assert [s["step"] for s in report["versions"][0]["steps"]] == ["hello", "pause", "later"]
    assert steps["hello"]["reached"] == {"treated": 2, "holdout": 0}
    assert steps["pause"]["reached"] == {"treated": 2, "holdout": 0}
    assert steps["pause"]["waiting"] == 1
    assert steps["later"]["reached"] == {"treated": 0, "holdout": 0}
    assert (steps["hello"]["kind"], steps["pause"]["kind"]) == ("send", "wait")
    today = datetime.now(UTC).date().isoformat()
    day = next(d for d in report["daily"] if d["date"] == today)
    assert day["enrolled"] == {"treated": 2, "holdout": 0}
    assert day["exited"] == {"treated": 1, "holdout": 0}


async def test_an_unknown_chain_has_no_step_report(orchestrator: Orchestrator) -> None:
    answer = await orchestrator.api.get("/analytics/chains/nope/steps")
    assert (answer.status_code, answer.json()["code"]) == (404, "chain_not_found")


async def test_send_steps_report_what_the_notifier_held_back_or_never_tried(
    orchestrator: Orchestrator,
) -> None:
    """One message a day: the second send waits for tomorrow (deferred, `daily_cap`); a customer
    with no e-mail consent is skipped at the first (`no_consent`)."""
    api, notifier = orchestrator.api, orchestrator.notifier
    chain = {
        **CHAIN,
        "id": "held",
        "steps": [
            {"kind": "send", "id": "first", "template": "funnel_hello"},
            {"kind": "send", "id": "second", "template": "funnel_later"},
        ],
    }
    await notifier.install("funnel_hello", "funnel_later")
    one_a_day = {"daily_cap": 1, "quiet_start": "00:00", "quiet_end": "00:00"}
    assert (await notifier.api.put("/policies/chain:held", json=one_a_day)).is_success
    assert (await api.post("/chains", json=chain)).status_code == 201
    assert (await api.post("/chains/held/publish")).status_code == 200
    for customer in (await notifier.customer(), await notifier.customer(channels=("sms",))):
        answer = await api.post("/chains/held/enrollments", json={"customer_id": customer})
        assert answer.status_code == 201, answer.text

    async def held() -> dict[str, Any] | None:
        found = (await api.get("/analytics/chains/held/steps")).json()
        steps = {s["step"]: s for s in found["versions"][0]["steps"]}
        return steps if steps["second"]["deferred"] == {"daily_cap": 2} else None

    steps = await wait_for(held, "both second messages deferred to tomorrow", timeout=90)
    assert (steps["first"]["skipped"], steps["first"]["deferred"]) == ({"no_consent": 1}, {})
    assert steps["second"]["skipped"] == {}
