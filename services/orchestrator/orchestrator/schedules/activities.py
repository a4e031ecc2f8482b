"""One page of a scheduled run: who is due, and their enrollment through the usual path."""

import uuid
from collections.abc import Awaitable, Callable
from datetime import date

from temporalio import activity

from kit.clock import utcnow
from kit.db import SessionFactory, unit_of_work
from orchestrator import repository
from orchestrator.definitions.localtime import zone
from orchestrator.definitions.model import ChainDefinition, ScheduleTrigger
from orchestrator.enrollments import Runtime, enroll, runtime_from
from orchestrator.schedules.calendar import birthday_due
from orchestrator.schedules.messages import LaunchBatch, Launched
from orchestrator.settings import OrchestratorSettings
from orchestrator.workflows.messages import CustomerEventV1, CustomerFacts

Facts = Callable[[str], Awaitable[CustomerFacts]]


class LaunchActivities:
    def __init__(
        self, sessions: SessionFactory, facts: Facts, settings: OrchestratorSettings
    ) -> None:
        self.sessions = sessions
        self.facts = facts
        self.settings = settings

    @activity.defn(name="launch_batch")
    async def launch_batch(self, batch: LaunchBatch) -> Launched:
        found = await self._active(batch.chain_id)
        if found is None:
            return Launched(enrolled=0, segment=None)
        chain, version = found
        runtime = runtime_from(self.settings, activity.client())
        enrolled = 0
        for member in batch.members:
            enrolled += await self._enroll_if_due(runtime, chain, version, member, batch.day)
        return Launched(enrolled=enrolled, segment=chain.audience.segment_id)

    async def _active(self, chain_id: str) -> tuple[ChainDefinition, int] | None:
        async with unit_of_work(self.sessions) as session:
            chain = await repository.chain(session, chain_id)
            if chain is None or chain.status != "active" or chain.active_version is None:
                return None
            published = await repository.version(session, chain_id, chain.active_version)
        assert published is not None
        definition = ChainDefinition.model_validate(published.definition)
        if not isinstance(definition.trigger, ScheduleTrigger):
            return None
        return definition, published.version

    async def _enroll_if_due(
        self, runtime: Runtime, chain: ChainDefinition, version: int, member: str, day: str
    ) -> bool:
        trigger = chain.trigger
        assert isinstance(trigger, ScheduleTrigger)
        time_zone = None
        if trigger.schedule == "birthday":
            profile = (await self.facts(member)).profile
            time_zone = profile.get("time_zone")
            local_today = utcnow().astimezone(zone(time_zone)).date()
            birthday = profile.get("birthday")
            if not birthday or not birthday_due(
                date.fromisoformat(str(birthday)), local_today, trigger.days_before or 0
            ):
                return False
        # The same run, page or retry enrolls a customer once: the key is the day's.
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"schedule:{chain.id}:{day}:{member}"))
        event = CustomerEventV1(event_id=key, event_type="schedule", payload={"date": day})
        async with unit_of_work(self.sessions) as session:
            started = await enroll(session, runtime, chain, version, member, event, time_zone)
        return started is not None
