"""Test sends: only to flagged test recipients, sent at once, outside quotas and analytics."""

from kit.testing import unique, wait_for
from tests.notifier.conftest import Notifier


async def test_a_test_send_reaches_a_test_recipient_and_uses_none_of_their_quota(
    notifier: Notifier,
) -> None:
    email = f"{unique('qa')}@example.com"
    tester = await notifier.contact(email=email, consents={"email": True}, language="ru")
    refused = await notifier.api.post(
        "/templates/reactivation_offer/email/test-send", json={"customer_id": tester}
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "not_a_test_recipient")
    flagged = await notifier.api.put(
        f"/contacts/{tester}/test-recipient", json={"test_recipient": True}
    )
    assert flagged.json()["test_recipient"] is True

    sent = await notifier.api.post(
        "/templates/reactivation_offer/email/test-send",
        json={"customer_id": tester, "variables": {"points": 300}},
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["subject"] == "300 баллов для вас"
    mail = await wait_for(lambda: notifier.mail_to(email), "the test email")
    assert mail[0]["subject"] == "300 баллов для вас"
    assert await notifier.subjects_in_outbox() == []  # no message.* event: no analytics
    listed = (await notifier.api.get(f"/contacts/{tester}/deliveries")).json()["items"]
    assert [(d["source"], d["status"]) for d in listed] == [("test:reactivation_offer", "sent")]

    # A cap of one a day: the test send used none of it, the real message still goes.
    capped = unique("campaign:")
    policy = {"daily_cap": 1, "quiet_start": "00:00", "quiet_end": "00:00"}
    assert (await notifier.api.put(f"/policies/{capped}", json=policy)).status_code == 200
    await notifier.template("real_one", "email", "Hello {{ name }}")
    real = await notifier.deliver(customer_id=tester, template="real_one", source=capped)

    async def went() -> bool:
        return bool((await notifier.delivery(real["id"]))["status"] == "sent")

    await wait_for(went, "the real message within the cap")

    unreachable = await notifier.api.post(
        "/templates/reactivation_offer/sms/test-send", json={"customer_id": tester}
    )
    assert (unreachable.status_code, unreachable.json()["code"]) == (
        409,
        "test_recipient_unreachable",
    )
