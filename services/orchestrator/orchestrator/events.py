"""What the orchestrator consumes: trigger events that enroll customers in chains."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.bus import Subscription
from kit.consumers import idempotent
from kit.contracts import MemberRegistered
from kit.resources import Resources
from orchestrator import service
from orchestrator.models import processed_events

CONSUMER = "orchestrator"


def subscriptions(resources: Resources, task_queue: str) -> list[Subscription]:
    async def on_registered(session: AsyncSession, event: MemberRegistered) -> None:
        temporal = await resources.temporal()
        await service.enroll_in_welcome(session, temporal, task_queue, event)

    return [
        Subscription(
            CONSUMER,
            MemberRegistered,
            idempotent(resources.sessions, processed_events, CONSUMER, on_registered),
        )
    ]
