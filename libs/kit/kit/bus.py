"""JetStream event bus: streams per source service, de-duplicated publishing, durable consumers."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from kit.contracts import REGISTRY, SOURCES
from kit.events import Event, EventRegistry

log = logging.getLogger(__name__)

DEDUP_WINDOW_SECONDS = 600.0
DEAD_LETTER_SOURCE = "deadletter"
Handler = Callable[[Event], Awaitable[None]]


async def connect_nats(url: str, name: str) -> NATS:
    return await nats.connect(
        url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=2
    )


class EventBus:
    """Publishes events with their id as ``Nats-Msg-Id`` so JetStream drops duplicates."""

    def __init__(self, nc: NATS, namespace: str = "", registry: EventRegistry = REGISTRY) -> None:
        self.nc = nc
        self.js = nc.jetstream()
        self.prefix = f"{namespace}." if namespace else ""
        self.registry = registry

    def stream_name(self, source: str) -> str:
        return (self.prefix + source).replace(".", "_").upper()

    def full_subject(self, subject: str) -> str:
        return self.prefix + subject

    async def ensure_streams(
        self, sources: tuple[str, ...] = (*SOURCES, DEAD_LETTER_SOURCE)
    ) -> None:
        for source in sources:
            config = StreamConfig(
                name=self.stream_name(source),
                subjects=[f"{self.prefix}{source}.>"],
                storage=StorageType.FILE,
                duplicate_window=DEDUP_WINDOW_SECONDS,
            )
            try:
                await self.js.stream_info(config.name or "")
                await self.js.update_stream(config)
            except NotFoundError:
                await self.js.add_stream(config)

    async def publish_raw(self, subject: str, data: bytes, msg_id: str) -> None:
        await self.js.publish(
            self.full_subject(subject), data, headers={"Nats-Msg-Id": msg_id}, timeout=5
        )

    async def publish(self, event: Event) -> None:
        await self.publish_raw(event.subject(), event.encode(), str(event.id))


@dataclass(frozen=True)
class Subscription:
    """One durable pull consumer: a consuming service, one event type, one handler."""

    consumer: str
    event: type[Event]
    handler: Handler
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0

    @property
    def durable(self) -> str:
        return f"{self.consumer}--{self.event.subject().replace('.', '_')}"


async def consume(bus: EventBus, sub: Subscription, stop: asyncio.Event) -> None:
    """Pulls, handles and acks until ``stop``; a message that keeps failing is dead-lettered."""
    config = ConsumerConfig(
        durable_name=sub.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=sub.max_deliver,
        ack_wait=sub.ack_wait_seconds,
        filter_subject=bus.full_subject(sub.event.subject()),
    )
    psub = await _subscribe(bus, sub, config, stop)
    while not stop.is_set():
        try:
            messages = await psub.fetch(batch=32, timeout=1)
        except (TimeoutError, NatsTimeout):
            continue
        for msg in messages:
            await _handle(bus, sub, msg)
    await psub.unsubscribe()


async def _subscribe(
    bus: EventBus, sub: Subscription, config: ConsumerConfig, stop: asyncio.Event
) -> JetStreamContext.PullSubscription:
    """Creates (or finds) the durable consumer; a busy server's timeout is retried, not fatal."""
    delay = 0.5
    while True:
        try:
            return await bus.js.pull_subscribe(
                config.filter_subject or "",
                durable=sub.durable,
                stream=bus.stream_name(sub.event.source),
                config=config,
            )
        except (TimeoutError, NatsTimeout):
            if stop.is_set():
                raise
            log.warning("consumer not created yet, retrying", extra={"durable": sub.durable})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _handle(bus: EventBus, sub: Subscription, msg: Msg) -> None:
    try:
        event = sub.event.decode(msg.data)
    except ValueError:
        log.error("undecodable event", extra={"subject": msg.subject})
        await _dead_letter(bus, sub, msg, "undecodable")
        return
    try:
        await sub.handler(event)
    except Exception:
        delivered = msg.metadata.num_delivered
        log.exception("handler failed", extra={"event_id": str(event.id), "subject": msg.subject})
        if delivered >= sub.max_deliver:
            await _dead_letter(bus, sub, msg, "handler_failed")
        else:
            await msg.nak(delay=min(2.0**delivered, 30.0))
        return
    await msg.ack()


async def _dead_letter(bus: EventBus, sub: Subscription, msg: Msg, reason: str) -> None:
    subject = f"{DEAD_LETTER_SOURCE}.{sub.durable}"
    headers = {"Reason": reason, "Original-Subject": msg.subject}
    await bus.js.publish(bus.full_subject(subject), msg.data, headers=headers, timeout=5)
    await msg.term()
