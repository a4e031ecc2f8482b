"""Size limits, strict input and problem+json for every error the gateway itself gives."""

from collections.abc import AsyncIterator

from tests.gateway.conftest import CUSTOMER, Gateway, bearer


async def test_a_body_over_the_limit_is_413_by_header(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)
    huge = {"type": "product.viewed", "sku": "S", "padding": "x" * 300_000}
    answer = await gateway.client.post("/v1/events", json=huge, headers=bearer(key))
    assert (answer.status_code, answer.json()["code"]) == (413, "payload_too_large")
    assert answer.headers["content-type"] == "application/problem+json"


async def test_a_streamed_body_over_the_limit_is_413_too(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    headers = bearer(key, **{"content-type": "application/json"})
    answer = await gateway.client.post("/v1/events", content=chunks(), headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (413, "payload_too_large")


async def test_unknown_routes_and_methods_are_problems(gateway: Gateway) -> None:
    missing = await gateway.client.get("/v1/nothing-here")
    wrong = await gateway.client.delete("/v1/events")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (wrong.status_code, wrong.json()["code"]) == (405, "method_not_allowed")
    assert wrong.headers["content-type"] == "application/problem+json"


async def test_a_streamed_oversize_body_keeps_no_idempotency_record(gateway: Gateway) -> None:
    key = await gateway.key("app", customer_id=CUSTOMER)

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 10_000

    headers = bearer(key, **{"content-type": "application/json", "Idempotency-Key": "big"})
    first = await gateway.client.post("/v1/events", content=chunks(), headers=headers)
    assert first.status_code == 413
    view = {"type": "product.viewed", "sku": "SKU-1"}
    after = await gateway.client.post("/v1/events", json=view, headers=headers)
    assert after.status_code == 202


async def test_a_nul_character_anywhere_is_a_422_problem(gateway: Gateway) -> None:
    key = await gateway.key("pos")
    body = {"type": "product.viewed", "sku": "a\x00b", "customer_id": CUSTOMER}
    in_body = await gateway.client.post("/v1/events", json=body, headers=bearer(key))
    in_path = await gateway.client.get("/v1/customers/a%00b", headers=bearer(key))
    marketer = await gateway.key("marketer")
    in_query = await gateway.client.get("/v1/segments?kind=a%00b", headers=bearer(marketer))
    for answer in (in_body, in_query):
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_characters")
    # A path parameter is a plain id before anything else is looked at (gateway/paths.py).
    assert (in_path.status_code, in_path.json()["code"]) == (422, "invalid_path_parameter")
