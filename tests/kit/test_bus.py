import asyncio
import uuid

from kit.bus import EventBus, Subscription, consume
from kit.contracts import MemberRegistered, MemberRegisteredPayload
from kit.events import Event
from kit.testing import wait_for


def registered(customer_id: str = "c-1") -> MemberRegistered:
    payload = MemberRegisteredPayload(email="a@example.com", consents={"email": True})
    return MemberRegistered(customer_id=customer_id, payload=payload)


async def subject_count(bus: EventBus, event: type[Event]) -> int:
    stream = bus.stream_name(event.source)
    info = await bus.js.stream_info(stream, subjects_filter=bus.full_subject(event.subject()))
    return int((info.state.subjects or {}).get(bus.full_subject(event.subject()), 0))


def test_subjects_are_versioned_and_past_tense() -> None:
    assert MemberRegistered.subject() == "loyalty.member_registered.v1"


def test_the_envelope_round_trips_through_json() -> None:
    event = registered()
    decoded = MemberRegistered.decode(event.encode())
    assert decoded == event
    assert decoded.occurred_at.tzinfo is not None


async def test_publishing_the_same_event_twice_stores_it_once(bus: EventBus) -> None:
    event = registered()
    await bus.publish(event)
    await bus.publish(event)
    assert await subject_count(bus, MemberRegistered) == 1


async def test_a_durable_consumer_receives_each_event_and_acks_it(bus: EventBus) -> None:
    seen: list[str] = []

    async def handler(event: Event) -> None:
        seen.append(str(event.id))

    events = [registered(f"c-{i}") for i in range(3)]
    for event in events:
        await bus.publish(event)
    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, Subscription("test", MemberRegistered, handler), stop))
    await wait_for(lambda: len(seen) == 3, "three events")
    stop.set()
    await task
    assert seen == [str(e.id) for e in events]


async def test_a_failing_event_is_redelivered_then_dead_lettered(bus: EventBus) -> None:
    attempts: list[int] = []

    async def always_fails(_event: Event) -> None:
        attempts.append(1)
        raise RuntimeError("cannot handle")

    sub = Subscription("test", MemberRegistered, always_fails, max_deliver=3, ack_wait_seconds=2)
    await bus.publish(registered())
    stop = asyncio.Event()
    task = asyncio.create_task(consume(bus, sub, stop))
    dead_letter_stream = bus.stream_name("deadletter")

    async def dead_lettered() -> bool:
        info = await bus.js.stream_info(dead_letter_stream)
        return info.state.messages == 1

    await wait_for(dead_lettered, "the dead letter", timeout=40)
    stop.set()
    await task
    assert len(attempts) == 3


async def test_an_undecodable_message_goes_straight_to_dead_letters(bus: EventBus) -> None:
    async def never_called(_event: Event) -> None:
        raise AssertionError("must not be called")

    await bus.publish_raw(MemberRegistered.subject(), b"{not json", str(uuid.uuid4()))
    stop = asyncio.Event()
    task = asyncio.create_task(
        consume(bus, Subscription("test", MemberRegistered, never_called), stop)
    )

    async def dead_lettered() -> bool:
        return (await bus.js.stream_info(bus.stream_name("deadletter"))).state.messages == 1

    await wait_for(dead_lettered, "the dead letter")
    stop.set()
    await task
