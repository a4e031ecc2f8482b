"""A dry run's question to the notifier: the real policy and cascade, nothing sent or counted."""

from datetime import UTC, datetime, timedelta
from typing import Any

from kit.clock import utcnow
from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier

NEVER_QUIET = {"quiet_start": "00:00", "quiet_end": "00:00"}


async def dry_run(notifier: Notifier, **body: Any) -> dict[str, Any]:
    body.setdefault("template", "welcome_reminder")
    body.setdefault("channels", ["email"])
    body.setdefault("at", utcnow().isoformat())
    answer = await notifier.api.post("/deliveries/dry-run", json=body)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_the_customer_s_night_defers_to_the_local_morning(notifier: Notifier) -> None:
    customer_id = await notifier.contact(
        email=f"{unique('d')}@example.com", consents={"email": True}, time_zone="Asia/Tokyo"
    )
    night = datetime(2026, 3, 10, 14, 30, tzinfo=UTC)  # 23:30 in Tokyo
    decided = await dry_run(
        notifier, customer_id=customer_id, source="chain:dry:v1:offer", at=night.isoformat()
    )
    assert (decided["action"], decided["reason"]) == ("defer", "quiet_hours")
    assert datetime.fromisoformat(decided["until"]) == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)


async def test_the_cap_counts_real_sends_and_the_run_s_own_but_never_the_dry_run(
    notifier: Notifier,
) -> None:
    chain = unique("capped")
    policy = {"daily_cap": 2, **NEVER_QUIET}
    assert (await notifier.api.put(f"/policies/chain:{chain}", json=policy)).status_code == 200
    email = f"{unique('c')}@example.com"
    customer_id = await notifier.contact(email=email, consents={"email": True})
    source = f"chain:{chain}:v1:offer"
    for _ in range(3):  # were these counted, the cap of two would hold the real send back
        decided = await dry_run(notifier, customer_id=customer_id, source=source)
        assert (decided["action"], decided["channel"]) == ("send", "email")
    sent = await notifier.deliver(
        customer_id=customer_id, template="welcome_reminder", source=source
    )

    async def delivered() -> bool:
        return (await notifier.delivery(sent["id"]))["status"] == "sent"

    await wait_for(delivered, "the real send under the cap")
    # The send was decided on the workflow's clock (the shared time-skipping server may be days
    # ahead of the wall clock after earlier tests): the dry run asks about that moment.
    (decision,) = await notifier.decisions(sent["id"])
    now = datetime.fromisoformat(decision["decided_at"])
    one_planned = [(now - timedelta(seconds=1)).isoformat()]
    decided = await dry_run(
        notifier, customer_id=customer_id, source=source, planned=one_planned, at=now.isoformat()
    )
    assert (decided["action"], decided["reason"]) == ("defer", "daily_cap")
    tomorrow = await dry_run(
        notifier,
        customer_id=customer_id,
        source=source,
        at=(now + timedelta(days=1)).isoformat(),
        planned=one_planned,
    )
    assert tomorrow["action"] == "send"


async def test_the_cascade_skips_channels_without_consent_or_address(notifier: Notifier) -> None:
    customer_id = await notifier.contact(
        phone=f"+3161{utcnow().microsecond:07d}", consents={"email": False, "sms": True}
    )
    decided = await dry_run(
        notifier,
        customer_id=customer_id,
        source="chain:dry:v1:offer",
        template="reactivation_offer",
        channels=["push", "email", "sms"],
        at=datetime(2026, 3, 10, 12, 0, tzinfo=UTC).isoformat(),
    )
    assert (decided["action"], decided["channel"]) == ("send", "sms")
    assert decided["skipped"] == [
        {"channel": "push", "reason": "no_consent"},
        {"channel": "email", "reason": "no_consent"},
    ]
    unknown = await dry_run(notifier, customer_id="nobody", source="chain:dry:v1:offer")
    assert (unknown["action"], unknown["reason"]) == ("skip", "contact_unknown")
