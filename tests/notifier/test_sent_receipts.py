"""A message the provider accepted goes once, even when the database loses its outcome.

The chaos suite's five-minute PostgreSQL outage caught it: the welcome e-mail left through
SMTP, the database went down before the attempt's commit, and the retry after the outage
sent it again with the same Message-ID. Real PostgreSQL, Redis, SMTP sink and workflow; the
attempt's own open transaction is cut right after the real provider answers, as an outage
would cut it.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.testing import WorkflowEnvironment

from kit.db import create_engine
from kit.stack import Infra
from kit.testing import unique, wait_for
from notifier.providers import OutgoingMessage, Provider, Receipt
from tests.notifier.conftest import Sinks, skipping_notifier

CUT_OPEN_TRANSACTIONS = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    " AND state LIKE 'idle in transaction%'"
)


class ThenTheDatabaseGoes:
    """The real provider; after its first answer, every open transaction of the notifier's
    database is terminated before the attempt can commit what the provider said."""

    def __init__(self, real: Provider, engine: AsyncEngine) -> None:
        self.real, self.engine, self.cut = real, engine, 0

    async def send(self, message: OutgoingMessage) -> Receipt:
        receipt = await self.real.send(message)
        if not self.cut:
            async with self.engine.begin() as connection:
                self.cut = int((await connection.execute(CUT_OPEN_TRANSACTIONS)).scalar_one())
        return receipt


async def test_a_send_whose_outcome_the_database_lost_is_not_sent_again(
    infra: Infra, notifier_db: str, sinks: Sinks, time_skipping: WorkflowEnvironment
) -> None:
    engine = create_engine(notifier_db)
    cutting: dict[str, ThenTheDatabaseGoes] = {}

    def cut_after_send(real: dict[str, Provider]) -> dict[str, Provider]:
        cutting["email"] = ThenTheDatabaseGoes(real["email"], engine)
        return {**real, "email": cutting["email"]}

    try:
        async with skipping_notifier(
            infra, notifier_db, sinks, time_skipping, providers=cut_after_send
        ) as notifier:
            email = f"{unique('once')}@example.com"
            customer = await notifier.contact(email=email, consents={"email": True})
            delivery = await notifier.deliver(
                customer_id=customer, template="welcome", channels=["email"], critical=True
            )
            result = await notifier.handle(delivery["idempotency_key"]).result()
            assert cutting["email"].cut >= 1  # the attempt's transaction was cut mid-attempt
            assert result.status == "sent"
            mail = await wait_for(lambda: notifier.mail_to(email), "the welcome e-mail")
            assert len(mail) == 1, [m["received_at"] for m in mail]
            (attempt,) = (await notifier.delivery(delivery["id"]))["attempts"]
            assert attempt["status"] == "sent"
            assert attempt["sent_at"]
    finally:
        await engine.dispose()
