"""The real chain activities against the real services, in process on PostgreSQL and the dev
server: a retried call with the same key grants and sends once."""

import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from kit.db import create_engine, session_factory
from kit.migrations import upgrade_async
from kit.stack import Infra
from kit.testing import app_client, migrated_database, unique
from loyalty.app import create_app as loyalty_app
from loyalty.settings import LoyaltySettings
from notifier.app import create_app as notifier_app
from notifier.settings import NotifierSettings
from orchestrator.activities import ChainActivities
from orchestrator.campaigns.activities import CampaignActivities
from orchestrator.campaigns.messages import Batch, CampaignGrant, PageRequest
from orchestrator.workflows.messages import GrantRequest, SendMessage
from segments.app import create_app as segments_app
from segments.settings import SegmentsSettings


@dataclass
class Real:
    activities: ChainActivities
    loyalty: httpx.AsyncClient
    notifier: httpx.AsyncClient
    segments: httpx.AsyncClient
    run: ActivityEnvironment


async def service(
    stack: AsyncExitStack, infra: Infra, name: str, kind: Any, app: Any
) -> httpx.AsyncClient:
    settings = kind(
        database_url=await migrated_database(infra, name),
        **infra.servers,
        event_namespace=unique("t"),
        **({"task_queue": unique("notifier-")} if name == "notifier" else {}),
    )
    client: httpx.AsyncClient = await stack.enter_async_context(app_client(app(settings)))
    return client


@pytest.fixture
async def real(infra: Infra) -> AsyncIterator[Real]:
    async with AsyncExitStack() as stack:
        loyalty = await service(stack, infra, "loyalty", LoyaltySettings, loyalty_app)
        notifier = await service(stack, infra, "notifier", NotifierSettings, notifier_app)
        segments = await service(stack, infra, "segments", SegmentsSettings, segments_app)
        activities = ChainActivities(notifier, loyalty, segments, sessions=None)  # type: ignore[arg-type]
        yield Real(activities, loyalty, notifier, segments, ActivityEnvironment())


async def member(real: Real, **fields: str) -> str:
    body = {"email": f"{uuid.uuid4().hex}@example.com", **fields}
    answer = await real.loyalty.post("/members", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def test_a_retried_grant_is_granted_once(real: Real) -> None:
    customer = await member(real)
    grant = GrantRequest(
        idempotency_key=f"chain/reactivation/{customer}/e1/grant_cooling",
        member_id=customer,
        amount=300,
        lifetime_days=7,
        reference="chain:reactivation:v1:grant_cooling",
    )
    first = await real.run.run(real.activities.grant_bonus, grant)
    retried = await real.run.run(real.activities.grant_bonus, grant)
    assert first == retried
    balance = (await real.loyalty.get(f"/members/{customer}/balance")).json()
    assert balance["available"] == 300

    changed = grant.model_copy(update={"amount": 999})
    with pytest.raises(ApplicationError) as refused:
        await real.run.run(real.activities.grant_bonus, changed)
    assert (refused.value.type, refused.value.non_retryable) == ("idempotency_key_reused", True)


async def test_an_own_city_grant_skips_a_customer_without_a_city(real: Real) -> None:
    in_berlin, nowhere = await member(real, city="Berlin"), await member(real)

    def grant(customer: str) -> GrantRequest:
        return GrantRequest(
            idempotency_key=f"chain/city/{customer}/e1/grant",
            member_id=customer,
            amount=50,
            lifetime_days=7,
            restrictions={"own_city": True},
        )

    granted = await real.run.run(real.activities.grant_bonus, grant(in_berlin))
    skipped = await real.run.run(real.activities.grant_bonus, grant(nowhere))
    assert (granted.amount, granted.grant_id is not None) == (50, True)
    assert (skipped.amount, skipped.grant_id) == (0, None)
    balance = (await real.loyalty.get(f"/members/{in_berlin}/balance")).json()
    assert balance["available"] == 50


async def test_a_retried_send_is_one_delivery(real: Real) -> None:
    customer = str(uuid.uuid4())
    contact = {"email": "anna@example.com", "consents": {"email": True}}
    assert (await real.notifier.put(f"/contacts/{customer}", json=contact)).is_success
    message = SendMessage(
        idempotency_key=f"chain/welcome/{customer}/e1/welcome",
        customer_id=customer,
        template="welcome",
        source="chain:welcome:v1:welcome",
        variables={"name": "Anna"},
    )
    first = await real.run.run(real.activities.send_message, message)
    retried = await real.run.run(real.activities.send_message, message)
    assert first.delivery_id == retried.delivery_id
    cascade = message.model_copy(
        update={
            "idempotency_key": message.idempotency_key + "/cascade",
            "channels": ["push", "email"],
        }
    )
    assert (await real.run.run(real.activities.send_message, cascade)).delivery_id


async def test_an_unknown_contact_is_retried_not_dropped(real: Real) -> None:
    message = SendMessage(
        idempotency_key="k", customer_id=str(uuid.uuid4()), template="welcome", source="s"
    )
    with pytest.raises(ApplicationError) as failed:
        await real.run.run(real.activities.send_message, message)
    assert (failed.value.type, failed.value.non_retryable) == ("contact_unknown", False)


async def test_segments_facts_and_member_pages(real: Real) -> None:
    stranger = str(uuid.uuid4())
    assert (await real.run.run(real.activities.customer_profile, stranger)).profile == {}
    assert (await real.run.run(real.activities.customer_segments, stranger)).segments == []
    listed = (await real.segments.get("/segments")).json()["items"]
    assert listed, "segments ships built-in segments"
    campaigns = CampaignActivities(real.activities, real.segments, sessions=None, concurrency=1)  # type: ignore[arg-type]
    page = await real.run.run(
        campaigns.campaign_page, PageRequest(segment=listed[0]["id"], cursor=None, limit=10)
    )
    assert page.members == [] and page.next_cursor is None


async def test_a_campaign_batch_is_one_bulk_grant_and_a_re_run_grants_nobody_twice(
    real: Real, postgres_url: str
) -> None:
    await upgrade_async("orchestrator:migrations", postgres_url)
    engine = create_engine(postgres_url)
    campaigns = CampaignActivities(real.activities, real.segments, session_factory(engine), 5)
    known = [await member(real) for _ in range(3)]
    grant = CampaignGrant(amount=5000, lifetime_days=3)
    batch = Batch(campaign_id="spring", members=[*known[:2], str(uuid.uuid4())], grant=grant)
    first = await real.run.run(campaigns.campaign_batch, batch)
    assert (first.processed, first.granted, first.failed) == (3, 2, 1)  # one member unknown
    # A re-run over a segment that changed: only the member not granted before gets points.
    rerun = batch.model_copy(update={"members": known})
    assert (await real.run.run(campaigns.campaign_batch, rerun)).granted == 1
    for customer in known:
        balance = (await real.loyalty.get(f"/members/{customer}/balance")).json()
        assert balance["available"] == 5000
    await engine.dispose()
