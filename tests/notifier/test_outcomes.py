"""What became of one source's messages: sent, failed and skipped apart, with reasons."""

from typing import Any

from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier


async def test_a_source_reports_sent_failed_and_skipped_apart(notifier: Notifier) -> None:
    source = unique("campaign:")
    await notifier.template("outcome_hello", "email", "Hello {{ name }}")
    await notifier.template("outcome_points", "email", "{{ points }} points", variables=["points"])
    reachable = await notifier.contact(email=f"{unique('o')}@example.com", consents={"email": True})
    unconsented = await notifier.contact(email=f"{unique('o')}@example.com")
    rule = {"source": source, "critical": True}  # past quiet hours whenever the test runs
    await notifier.deliver(customer_id=reachable, template="outcome_hello", **rule)
    await notifier.deliver(customer_id=unconsented, template="outcome_hello", **rule)
    await notifier.deliver(customer_id=reachable, template="outcome_points", **rule)

    async def settled() -> dict[str, Any] | None:
        found: dict[str, Any] = (
            await notifier.api.get("/outcomes", params={"source": source})
        ).json()
        return found if found["total"] == 3 and not found["pending"] else None

    outcomes = await wait_for(settled, "the three deliveries to settle")
    assert outcomes["sent"] == 1
    assert outcomes["skipped"] == {"no_consent": 1}
    assert outcomes["failed"] == {"template_variable_missing": 1}
    assert outcomes["deferred"] == {}
    empty = (await notifier.api.get("/outcomes", params={"source": unique("campaign:")})).json()
    assert (empty["total"], empty["sent"]) == (0, 0)
