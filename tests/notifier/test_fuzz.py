"""Property-based fuzzing of the notifier's OpenAPI (schemathesis).

The API runs with its real delivery worker on the Temporal dev server, PostgreSQL and Redis,
providers answering from the local sinks, with a contact and a template so reads, previews and
deliveries find something. Every answer: no 5xx, a documented status, the documented shape.
Bounded: a fixed number of examples per operation.
"""

import asyncio

import pytest

from tests.fuzzing import fuzz
from tests.notifier.conftest import Notifier

EXAMPLES_PER_OPERATION = 25


@pytest.mark.timeout(600)
async def test_the_notifier_api_gives_no_5xx_and_documents_every_answer(
    live_notifier: Notifier,
) -> None:
    api = live_notifier.api
    contact = {"email": "fuzz@example.test", "consents": {"email": True}}
    assert (await api.put("/contacts/fuzz", json=contact)).status_code == 200
    # What the fuzzer found first, pinned: a NUL is a 422 wherever it is, never a 500.
    nul = {"customer_id": "a\x00b"}
    for path in ("/templates/welcome/email/preview", "/templates/welcome/email/test-send"):
        answer = await api.post(path, json=nul)
        assert (answer.status_code, answer.json()["code"]) == (422, "invalid_characters"), path
    # And a customer id longer than a contact's: a 422, where the write used to fail (500).
    too_long = await api.put(f"/contacts/{'x' * 37}", json=contact)
    assert (too_long.status_code, too_long.json()["code"]) == (422, "validation_error")
    in_query = await api.get("/outcomes", params={"source": "campaign:\x00"})
    assert (in_query.status_code, in_query.json()["code"]) == (422, "invalid_characters")
    unsigned = await api.post("/callbacks/provider", json={})
    assert (unsigned.status_code, unsigned.json()["code"]) == (401, "invalid_signature")
    documented = (await api.get("/openapi.json")).json()["paths"]
    assert {"401", "404"} <= set(documented["/callbacks/provider"]["post"]["responses"])
    # The notifier is shared by later tests: its programme policy is put back after fuzzing.
    policy = (await api.get("/policies/program")).json()
    try:
        failures = await asyncio.to_thread(fuzz, str(api.base_url), {}, EXAMPLES_PER_OPERATION)
    finally:
        kept = {k: v for k, v in policy.items() if k != "scope"}
        assert (await api.put("/policies/program", json=kept)).status_code == 200
    assert not failures, "\n\n".join(failures)
