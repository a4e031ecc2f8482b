"""The default templates: every message of every built-in chain exists on every channel of its
cascade, in English and Russian, and renders for a real customer with what the chain passes."""

import random
from datetime import UTC, datetime
from typing import Any

from kit.contracts.common import CartItem
from kit.contracts.gateway import CartUpdatedPayload
from kit.contracts.loyalty import BonusExpiringPayload, PurchaseConfirmedPayload, PurchaseLine
from kit.testing import unique, wait_for
from orchestrator.definitions.builtin import BUILT_IN
from orchestrator.definitions.model import ChainDefinition, GrantBonusStep, SendStep
from tests.notifier.conftest import Notifier

EXPIRY = datetime(2026, 12, 11, 20, 59, 59, tzinfo=UTC)
_TRIGGERS: dict[str, dict[str, Any]] = {
    "bonus.expiring": BonusExpiringPayload(amount=150, expires_at=EXPIRY).model_dump(mode="json"),
    "cart.updated": CartUpdatedPayload(
        cart_id="cart-1",
        items=[CartItem(sku="LAMP-01", quantity=2, price=4_990)],
        total=9_980,
    ).model_dump(mode="json"),
    "purchase.confirmed": PurchaseConfirmedPayload(
        txid="tx-1",
        store_id="berlin-01",
        channel="offline",
        lines=[PurchaseLine(sku="LAMP-01", quantity=1, amount=4_990)],
        total_amount=4_990,
        paid_amount=4_990,
        redeemed_points=0,
        accrued_points=49,
        purchased_at=EXPIRY,
    ).model_dump(mode="json"),
}


def passed_by(chain: ChainDefinition) -> dict[str, Any]:
    """What the chain's send step passes: the trigger's scalars, its cart, its points."""
    trigger = _TRIGGERS.get(getattr(chain.trigger, "event", ""), {})
    found = {k: v for k, v in trigger.items() if isinstance(v, str | int | float | bool)}
    if "items" in trigger:
        found["cart"] = trigger["items"]
    grants = [step for step in chain.steps if isinstance(step, GrantBonusStep)]
    if grants:
        found["points"], found["points_expire_at"] = grants[0].amount, EXPIRY.isoformat()
    return found


def sends() -> list[tuple[ChainDefinition, SendStep]]:
    return [
        (chain, step)
        for chain in BUILT_IN.values()
        for step in chain.steps
        if isinstance(step, SendStep)
    ]


async def test_every_send_of_every_built_in_chain_renders_in_both_languages(
    notifier: Notifier,
) -> None:
    english = await notifier.contact(name="Anna")
    russian = await notifier.contact(name="Анна", language="ru")
    checked = 0
    for chain, step in sends():
        variables = passed_by(chain)
        for channel in step.channels:
            path = f"/templates/{step.template}/{channel}"
            shown = await notifier.api.get(path)
            assert shown.status_code == 200, f"{chain.id}/{step.id}/{channel}: {shown.text}"
            assert shown.json()["origin"] == "default"
            assert set(shown.json()["translations"]) == {"ru"}
            for customer, greeting in ((english, "Anna"), (russian, "Анна")):
                body = {"customer_id": customer, "variables": variables}
                seen = await notifier.api.post(f"{path}/preview", json=body)
                assert seen.status_code == 200, f"{chain.id}/{step.id}/{channel}: {seen.text}"
                out = seen.json()
                # Nothing a real enrollment would render is made up for the preview.
                assert out["sampled_variables"] == [], f"{chain.id}/{step.id}/{channel}"
                text = f"{out['subject'] or ''} {out['body']}"
                assert greeting in text
                assert "{{" not in text and "}}" not in text
                if "points" in variables and step.template != "birthday_greeting":
                    assert str(variables["points"]) in text, text
                checked += 1
    assert checked == 2 * sum(len(step.channels) for _chain, step in sends())


async def test_the_personalisation_reads_as_the_customer_expects(notifier: Notifier) -> None:
    russian = await notifier.contact(name="Анна", language="ru")
    english = await notifier.contact(name="Anna")
    variables = passed_by(BUILT_IN["reactivation"])
    body = {"customer_id": russian, "variables": variables}
    sms = (await notifier.api.post("/templates/reactivation_offer/sms/preview", json=body)).json()
    assert sms["body"] == "Анна, 300 баллов ваши до 11.12.2026."
    assert (sms["language"], sms["sms"]["encoding"], sms["sms"]["segments"]) == ("ru", "ucs2", 1)
    cart = {"customer_id": english, "variables": passed_by(BUILT_IN["abandoned_cart"])}
    mail = (await notifier.api.post("/templates/cart_reminder/email/preview", json=cart)).json()
    assert "- 2 x LAMP-01: 99.80\nTotal: 99.80" in mail["body"]
    expiring = {"customer_id": english, "variables": passed_by(BUILT_IN["burning_points"])}
    push = (
        await notifier.api.post("/templates/points_expiring/push/preview", json=expiring)
    ).json()
    assert (push["subject"], push["body"]) == (
        "150 points burn on 11 Dec 2026",
        "Anna, 150 of your points burn on 11 Dec 2026.",
    )


async def test_a_preview_fills_in_samples_and_names_them(notifier: Notifier) -> None:
    customer = await notifier.contact(name="Anna")
    body = {"customer_id": customer, "variables": {"points": 500}}
    seen = await notifier.api.post("/templates/reactivation_offer/email/preview", json=body)
    assert seen.json()["sampled_variables"] == ["points_expire_at"]
    assert "500 bonus points" in seen.json()["body"]
    unknown = await notifier.api.post(
        "/templates/no_such_message/email/preview", json={"customer_id": customer}
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "template_not_found")


async def test_a_saved_template_replaces_the_default_and_speaks_its_translation(
    notifier: Notifier,
) -> None:
    russian = await notifier.contact(name="Анна", language="ru")
    saved = await notifier.api.put(
        "/templates/reactivation_offer/sms",
        json={
            "body": "{{ name }}: {{ points }} points",
            "variables": ["points"],
            "translations": {"ru": {"body": "{{ name }}: {{ points }} баллов"}},
        },
    )
    assert (saved.status_code, saved.json()["origin"]) == (200, "saved"), saved.text
    body = {"customer_id": russian, "variables": {"points": 300}}
    seen = await notifier.api.post("/templates/reactivation_offer/sms/preview", json=body)
    assert seen.json()["body"] == "Анна: 300 баллов"
    other = await notifier.api.get("/templates/reactivation_offer/email")
    assert other.json()["origin"] == "default"


async def test_a_russian_customer_receives_the_default_sms_in_russian(notifier: Notifier) -> None:
    phone = f"+4915112{random.randrange(10**6):06d}"
    customer = await notifier.contact(
        name="Анна", phone=phone, language="ru", consents={"sms": True}
    )
    await notifier.deliver(
        customer_id=customer,
        template="reactivation_reminder",
        channel="sms",
        source=unique("chain:winback:v1:"),
        variables=passed_by(BUILT_IN["reactivation"]),
        critical=True,  # past any quiet hours the test may run in
    )
    sent = await wait_for(lambda: notifier.provider_requests(phone), "the SMS")
    assert sent[0]["body"]["text"] == "Анна, 300 баллов сгорят 11.12.2026."
