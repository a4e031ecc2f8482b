"""The gateway takes JSON as written: no strings for numbers, no numbers for booleans."""

from tests.gateway.conftest import CUSTOMER, Gateway, bearer

CART = {
    "type": "cart.updated",
    "cart_id": "cart-1",
    "items": [{"sku": "SKU-1", "quantity": 1, "price": 1000}],
}


async def test_strings_and_booleans_are_not_numbers(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    bodies = [
        CART | {"items": [{"sku": "SKU-1", "quantity": 1, "price": 1}], "total": True},
        CART | {"items": [{"sku": "SKU-1", "quantity": 1, "price": "1000"}]},
        CART | {"items": [{"sku": "SKU-1", "quantity": True, "price": 1000}]},
    ]
    for body in bodies:
        answer = await gateway.client.post("/v1/events", json=body, headers=bearer(key))
        assert (answer.status_code, answer.json()["code"]) == (422, "validation_error"), body
    assert await gateway.outbox_rows() == 0


async def test_malformed_json_is_400_malformed_json(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    headers = bearer(key, **{"content-type": "application/json"})
    answer = await gateway.client.post("/v1/events", content=b'{"type": "cart.', headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "malformed_json")
