"""An SMS attempt's message.sent event says how many segments it was billed for, so the
orchestrator charges a chain per segment."""

import json
from typing import Any

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from kit.db import create_engine, session_factory, unit_of_work
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
    await notifier.template("long", "sms", "Our spring offer " + "x" * 383)  # 400 GSM-7 chars
    customer = await notifier.contact(phone="+4915100000001", consents={"sms": True})
    sent = await notifier.deliver(customer_id=customer, template="long", channel="sms")
    result = await notifier.handle(sent["idempotency_key"]).result()
    assert result.status == "sent"
    events = await sent_events(notifier)
    assert [(e["payload"]["channel"], e["payload"]["segments"]) for e in events] == [("sms", 3)]
