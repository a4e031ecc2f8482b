"""An SMS attempt's message.sent event says how many segments it was billed for, so the
orchestrator charges a chain per segment."""

import json
import random
from typing import Any

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from kit.db import create_engine, session_factory, unit_of_work
from kit.testing import wait_for
from notifier.models import outbox
from tests.notifier.conftest import Notifier


async def sent_events(notifier: Notifier) -> list[dict[str, Any]]:
    engine = create_engine(notifier.settings.database_url)
    try:
        async with unit_of_work(session_factory(engine)) as session:
            rows = await session.execute(select(outbox.table.c.subject, outbox.table.c.data))
            return [json.loads(r.data) for r in rows if "message_sent" in r.subject]
    finally:
        await engine.dispose()


async def test_a_long_sms_is_sent_with_its_segment_count(
    notifier: Notifier, time_skipping: WorkflowEnvironment
) -> None:
    # Any hour: earlier tests may have skipped the server's clock into the quiet hours.
    never_quiet = {"quiet_start": "00:00", "quiet_end": "00:00"}
    assert (await notifier.api.put("/policies/program", json=never_quiet)).status_code == 200
    await notifier.template("long", "sms", "Our spring offer " + "x" * 383)  # 400 GSM-7 chars
    phone = f"+49151{random.randrange(10**7, 10**8)}"  # the provider sink is shared by the session
    customer = await notifier.contact(phone=phone, consents={"sms": True})
    sent = await notifier.deliver(customer_id=customer, template="long", channel="sms")
    assert sent["idempotency_key"]

    async def of_customer() -> list[dict[str, Any]]:
        return [e for e in await sent_events(notifier) if e["customer_id"] == customer]

    events = await wait_for(of_customer, "the SMS's message.sent event")
    assert [(e["payload"]["channel"], e["payload"]["segments"]) for e in events] == [("sms", 3)]
