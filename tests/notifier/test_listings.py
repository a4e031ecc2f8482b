"""What a marketer pages through at the notifier: templates, and a customer's messages with
why each was sent or held back."""

from typing import Any

from kit.testing import unique, wait_for
from notifier.default_templates import CHANNELS, MESSAGES
from tests.notifier.conftest import Notifier


async def test_templates_page_through_defaults_and_saved_ones_in_order(
    notifier: Notifier,
) -> None:
    await notifier.template("aaa_spring", "email", "Spring, {{ name }}")
    await notifier.template("reactivation_offer", "sms", "{{ name }}, come back")
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": 30, **({"cursor": cursor} if cursor else {})}
        page = (await notifier.api.get("/templates", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    keys = [(t["name"], t["channel"]) for t in seen]
    assert keys == sorted(set(keys))  # in order, each once
    assert len(keys) >= len(MESSAGES) * len(CHANNELS) + 1
    by_key = {(t["name"], t["channel"]): t for t in seen}
    assert by_key[("aaa_spring", "email")]["origin"] == "saved"
    assert by_key[("reactivation_offer", "sms")]["origin"] == "saved"  # hides the default
    assert by_key[("reactivation_offer", "email")]["origin"] == "default"
    assert by_key[("reactivation_offer", "sms")]["sms"]["segments"] == 1
    bad = await notifier.api.get("/templates", params={"cursor": "not-a-cursor"})
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_cursor")


async def test_a_customers_messages_say_why_one_was_held_back(notifier: Notifier) -> None:
    customer = await notifier.contact(email=f"{unique('l')}@example.com", consents={"email": True})
    capped = unique("campaign:")
    policy = {"daily_cap": 1, "quiet_start": "00:00", "quiet_end": "00:00"}
    assert (await notifier.api.put(f"/policies/{capped}", json=policy)).status_code == 200
    await notifier.template("held", "email", "Hello {{ name }}")
    first = await notifier.deliver(customer_id=customer, template="held", source=capped)
    await wait_for(lambda: _status(notifier, first["id"], "sent"), "the first message sent")
    second = await notifier.deliver(customer_id=customer, template="held", source=capped)
    await wait_for(lambda: _status(notifier, second["id"], "deferred"), "the second deferred")

    page = (await notifier.api.get(f"/contacts/{customer}/deliveries", params={"limit": 1})).json()
    (latest,) = page["items"]
    assert (latest["id"], latest["status"], latest["reason"]) == (
        second["id"],
        "deferred",
        "daily_cap",
    )
    assert [(d["action"], d["reason"]) for d in latest["decisions"]] == [("defer", "daily_cap")]
    assert latest["decisions"][0]["until"] is not None
    rest = await notifier.api.get(
        f"/contacts/{customer}/deliveries", params={"cursor": page["next_cursor"]}
    )
    (earlier,) = rest.json()["items"]
    assert (earlier["id"], earlier["decisions"][0]["action"]) == (first["id"], "send")
    assert rest.json()["next_cursor"] is None
    unknown = await notifier.api.get(f"/contacts/{unique('nobody-')}/deliveries")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "contact_not_found")


async def test_the_programme_policy_reads_as_its_defaults_until_saved(notifier: Notifier) -> None:
    policy = (await notifier.api.get("/policies/program")).json()
    assert policy == {
        "scope": "program",
        "daily_cap": 3,
        "min_pause_seconds": 0,
        "quiet_start": "21:00",
        "quiet_end": "09:00",
        "over_cap": "defer",
    }
    missing = await notifier.api.get("/policies/chain:nothing_saved")
    assert (missing.status_code, missing.json()["code"]) == (404, "policy_not_found")


async def _status(notifier: Notifier, delivery_id: str, status: str) -> bool:
    return bool((await notifier.delivery(delivery_id))["status"] == status)
