"""End to end, every service as a real process: the marketer's analytics through the gateway
value points with loyalty's own programme, and the global control group is set and reported."""

import uuid

import httpx
import pytest

from kit.stack import Platform

pytestmark = pytest.mark.e2e


async def test_analytics_and_the_control_group_through_the_gateway(platform: Platform) -> None:
    marketer = {"Authorization": f"Bearer {platform.create_key('marketer')}"}
    chain_id = f"winback_{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient(base_url=platform.gateway, timeout=10) as gateway:
        copied = await gateway.post(
            "/v1/chains/templates/reactivation/copy", json={"id": chain_id}, headers=marketer
        )
        assert copied.status_code == 201, copied.text
        report = await gateway.get(f"/v1/analytics/chains/{chain_id}", headers=marketer)
        assert report.status_code == 200, report.text
        assert report.json()["point_value"] == 100  # loyalty: a point pays for 1.00
        assert report.json()["total"]["incremental_roi"] is None  # nothing spent yet

        changed = await gateway.put("/v1/control-group", json={"share": 0.05}, headers=marketer)
        assert changed.status_code == 200, changed.text
        shown = await gateway.get("/v1/control-group", headers=marketer)
        # The platform is shared by the session: from now on nobody is held out again, so the
        # tests that enroll customers after this one are not refused for 5 % of them.
        await gateway.put("/v1/control-group", json={"share": 0}, headers=marketer)
        assert shown.json()["share"] == 0.05
        too_big = await gateway.put("/v1/control-group", json={"share": 0.8}, headers=marketer)
        assert too_big.status_code == 422
        unknown = await gateway.get("/v1/analytics/campaigns/nope", headers=marketer)
        assert (unknown.status_code, unknown.json()["code"]) == (404, "campaign_not_found")
        months = await gateway.get("/v1/analytics/programme?months=2", headers=marketer)
        assert months.status_code == 200, months.text
        assert len(months.json()["months"]) == 2
