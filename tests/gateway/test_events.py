"""App events: validated, written to the gateway's outbox, relayed to JetStream."""

import asyncio

from gateway.models import outbox
from kit.bus import EventBus
from kit.contracts.gateway import CartUpdated
from kit.outbox import OutboxRelay
from tests.gateway.conftest import CUSTOMER, Gateway, bearer

CART = {
    "type": "cart.updated",
    "cart_id": "cart-1",
    "items": [{"sku": "SKU-1", "category": "shoes", "quantity": 2, "price": 1500}],
}


async def test_an_app_cart_update_is_published_for_its_own_customer(
    gateway: Gateway, bus: EventBus
) -> None:
    app_key = await gateway.key("app", customer_id=CUSTOMER)
    answer = await gateway.client.post("/v1/events", json=CART, headers=bearer(app_key))
    assert answer.status_code == 202, answer.text
    assert answer.json()["customer_id"] == CUSTOMER

    received: list[CartUpdated] = []
    sub = await bus.js.subscribe(bus.full_subject(CartUpdated.subject()))
    relay = OutboxRelay(outbox.table, gateway.sessions, bus)
    await relay.relay_once()
    message = await sub.next_msg(timeout=10)
    received.append(CartUpdated.decode(message.data))
    assert str(received[0].id) == answer.json()["event_id"]
    assert received[0].payload.total == 3000
    assert received[0].payload.items[0].sku == "SKU-1"


async def test_every_event_type_is_accepted(gateway: Gateway) -> None:
    pos_key = await gateway.key("pos")
    bodies = [
        {**CART, "customer_id": CUSTOMER, "total": 3000},
        {"type": "cart.cleared", "cart_id": "cart-1", "customer_id": CUSTOMER},
        {"type": "product.viewed", "sku": "SKU-9", "customer_id": CUSTOMER},
    ]
    answers = await asyncio.gather(
        *(gateway.client.post("/v1/events", json=b, headers=bearer(pos_key)) for b in bodies)
    )
    assert [a.status_code for a in answers] == [202, 202, 202]
    assert [a.json()["type"] for a in answers] == ["cart.updated", "cart.cleared", "product.viewed"]
    assert await gateway.outbox_rows() == 3


async def test_bad_events_are_refused_with_the_field_named(gateway: Gateway) -> None:
    app_key = await gateway.key("app", customer_id=CUSTOMER)
    cases = [
        ({**CART, "total": 1}, "body.cart.updated"),
        ({**CART, "coupon": "FREE"}, "body.cart.updated.coupon"),
        (
            {**CART, "items": [{"sku": "S", "quantity": 0, "price": 1}]},
            "body.cart.updated.items.0.quantity",
        ),
        ({"type": "cart.exploded", "cart_id": "c"}, "body"),
        ({"type": "product.viewed"}, "body.product.viewed.sku"),
    ]
    for body, field in cases:
        answer = await gateway.client.post("/v1/events", json=body, headers=bearer(app_key))
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["errors"][0]["field"] == field, answer.json()
    assert await gateway.outbox_rows() == 0


async def test_a_pos_key_must_name_the_customer(gateway: Gateway) -> None:
    pos_key = await gateway.key("pos")
    answer = await gateway.client.post("/v1/events", json=CART, headers=bearer(pos_key))
    assert (answer.status_code, answer.json()["code"]) == (422, "customer_id_required")


async def test_an_app_key_cannot_report_for_another_customer(gateway: Gateway) -> None:
    app_key = await gateway.key("app", customer_id=CUSTOMER)
    body = {**CART, "customer_id": "someone-else"}
    answer = await gateway.client.post("/v1/events", json=body, headers=bearer(app_key))
    assert (answer.status_code, answer.json()["code"]) == (403, "customer_mismatch")
    assert await gateway.outbox_rows() == 0


async def test_a_marketer_key_cannot_report_events(gateway: Gateway) -> None:
    key = await gateway.key("marketer")
    answer = await gateway.client.post("/v1/events", json=CART, headers=bearer(key))
    assert (answer.status_code, answer.json()["code"]) == (403, "missing_scope")
