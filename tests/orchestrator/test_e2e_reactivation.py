"""End to end, every service as a real process: a marketer publishes the reactivation chain
through the gateway, a customer is enrolled (as the churn segment would), and a purchase at the
till (calculate, reserve, confirm) ends the running chain with reason "purchase"."""

import uuid
from typing import Any

import httpx
import pytest

from kit.stack import Platform
from kit.testing import copy_treated_chain, wait_for

pytestmark = pytest.mark.e2e


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_a_purchase_at_the_till_ends_a_running_reactivation_chain(
    platform: Platform,
) -> None:
    marketer, pos = bearer(platform.create_key("marketer")), bearer(platform.pos_key)
    chain_id = f"winback_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=10) as gateway:
        await copy_treated_chain(gateway, marketer, "reactivation", chain_id)
        published = await gateway.post(f"/v1/chains/{chain_id}/publish", headers=marketer)
        assert published.json()["version"] == 1

        email = f"dana-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "name": "Dana", "consents": {"email": True}}
        customer = (await gateway.post("/v1/customers", json=body, headers=pos)).json()["id"]
        enrolled = await gateway.post(
            f"/v1/chains/{chain_id}/enrollments", json={"customer_id": customer}, headers=marketer
        )
        assert enrolled.status_code == 201, enrolled.text

        async def enrollment() -> dict[str, Any]:
            answer = await gateway.get(
                f"/v1/chains/{chain_id}/enrollments/{customer}", headers=marketer
            )
            return dict(answer.json())

        async def past_the_grant() -> dict[str, Any] | None:
            found = await enrollment()
            step = str(found.get("step") or "start")
            return None if step in ("start", "bucket") or step.startswith("grant") else found

        await wait_for(past_the_grant, "the chain to grant its bonus and make its offer")

        receipt = {
            "customer_id": customer,
            "store_id": "berlin-01",
            "channel": "offline",
            "lines": [{"sku": "LAMP", "category": "lamps", "quantity": 1, "price": 5000}],
        }
        quote = await gateway.post("/v1/purchases/calculate", json=receipt, headers=pos)
        assert quote.status_code == 200, quote.text
        reserved = await gateway.post(
            "/v1/purchases", json={**receipt, "txid": uuid.uuid4().hex}, headers=pos
        )
        assert reserved.status_code == 201, reserved.text
        confirmed = await gateway.post(
            f"/v1/purchases/{reserved.json()['txid']}/confirm", json={}, headers=pos
        )
        assert confirmed.status_code == 200, confirmed.text

        async def ended() -> dict[str, Any] | None:
            found = await enrollment()
            return found if found.get("exit_reason") else None

        done = await wait_for(ended, "the chain to end on the purchase")
        assert (done["status"], done["exit_reason"]) == ("completed", "purchase")

        async def converted() -> dict[str, Any] | None:
            answer = await gateway.get(f"/v1/analytics/chains/{chain_id}", headers=marketer)
            report = answer.json()["versions"][0]
            return report if sum(report["conversions"].values()) == 1 else None

        report = await wait_for(converted, "the conversion in the chain's analytics")
        assert report["exited"] == {"purchase": 1}
