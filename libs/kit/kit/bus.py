"""JetStream event bus: streams per source service, de-duplicated publishing, durable consumers."""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError
from prometheus_client import Counter

from kit.contracts import REGISTRY, SOURCES
from kit.events import Event, EventRegistry
from kit.failures import Failure, classify, reason
from kit.tracing import batch_spans, consume_span, current_carrier, tracing_on

log = logging.getLogger(__name__)

DEDUP_WINDOW_SECONDS = 600.0
DEAD_LETTER_SOURCE = "deadletter"
# Messages one fetch takes at most, and so the largest batch (``ServiceSettings``).
DEFAULT_BATCH_SIZE = 64
# How long a busy consumer's fetch waits for more when nothing is pending, before it idles.
BUSY_WAIT_SECONDS = 0.05
Handler = Callable[[Event], Awaitable[None]]
BatchHandler = Callable[[Sequence[Event]], Awaitable[None]]


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

    async def publish_raw(
        self, subject: str, data: bytes, msg_id: str, headers: dict[str, str] | None = None
    ) -> None:
        """``headers`` beside the message id: the trace context (kit.tracing)."""
        await self.js.publish(
            self.full_subject(subject),
            data,
            headers={**(headers or {}), "Nats-Msg-Id": msg_id},
            timeout=5,
        )

    async def publish(self, event: Event) -> None:
        """Straight to JetStream, not through an outbox; consumers continue the caller's trace."""
        data, msg_id = event.encode(), str(event.id)
        await self.publish_raw(event.subject(), data, msg_id, current_carrier())


@dataclass(frozen=True)
class Subscription:
    """One durable pull consumer: a consuming service, one event type, one handler.

    A handler failure of unknown kind is retried until the event was delivered ``max_deliver``
    times, then dead-lettered; a poison message is dead-lettered at once; a dependency that is
    down is retried, ``retry_cap_seconds`` apart at most, for as long as it stays down.

    With a ``batch_handler``, the events of one fetch are handed to it together, in stream
    order, and acked together once it returns; if it raises, the same events go through
    ``handler`` one by one, so every rule above holds per event as without batches.
    """

    consumer: str
    event: type[Event]
    handler: Handler
    batch_handler: BatchHandler | None = None
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    retry_cap_seconds: float = 30.0

    @property
    def durable(self) -> str:
        return f"{self.consumer}--{self.event.subject().replace('.', '_')}"

    def backoff(self, delivered: int) -> float:
        return min(0.5 * 2.0 ** min(delivered, 16), self.retry_cap_seconds)


# Outcomes: applied, retried (a dependency is down), dead_lettered. The ConsumerRetrying and
# ConsumerDeadLettering alerts watch them (k8s/components/monitoring/prometheusrule.yaml).
CONSUMER_EVENTS = Counter(
    "consumer_events_total", "Events handled by a durable consumer", ["consumer", "outcome"]
)
# Outcomes: applied (in one transaction), fell_back (its events then handled one by one).
CONSUMER_BATCHES = Counter(
    "consumer_batches_total",
    "Batches handed to a consumer's batch handler",
    ["consumer", "outcome"],
)


async def consume(
    bus: EventBus,
    sub: Subscription,
    stop: asyncio.Event,
    batch_size: int = DEFAULT_BATCH_SIZE,
    linger_seconds: float = 0.0,
) -> None:
    """Pulls, handles and acks until ``stop``; a poison message is dead-lettered.

    An idle consumer waits on the server for one message (one pull request a second), so a
    lone event is handled the moment it arrives; while events keep coming, each fetch takes
    what is pending, up to ``batch_size``: a burst becomes batches. A consumer with a batch
    form lingers ``linger_seconds`` before each fetch that follows a short batch, so a
    steady stream gathers into batches too; a lone event is never held back."""
    # No server-side limit on deliveries: at the limit JetStream stops delivering without a
    # word, and deliveries used up by crashes or ack timeouts would lose the event silently.
    # The consumer decides, and every event it gives up on lands in the dead-letter stream.
    config = ConsumerConfig(
        durable_name=sub.durable,
        name=sub.durable,
        ack_policy=AckPolicy.EXPLICIT,
        deliver_policy=DeliverPolicy.ALL,
        max_deliver=-1,
        ack_wait=sub.ack_wait_seconds,
        filter_subject=bus.full_subject(sub.event.subject()),
    )
    psub = await _subscribe(bus, sub, config, stop)
    linger = linger_seconds if sub.batch_handler is not None else 0.0
    busy, full = False, False
    while not stop.is_set():
        try:
            # A pull request for several messages is answered when it is full or expires: a
            # lone event would wait for the expiry. So an idle consumer asks for one, and a
            # busy one for what is pending, waiting briefly when nothing is.
            if busy:
                if linger and not full:
                    await asyncio.sleep(linger)
                messages = await psub.fetch(batch=batch_size, timeout=BUSY_WAIT_SECONDS)
            else:
                messages = await psub.fetch(batch=1, timeout=1)
        except (TimeoutError, NatsTimeout):
            busy = False
            continue
        except NatsError:
            log.warning("fetch failed; NATS reconnecting", extra={"durable": sub.durable})
            await asyncio.sleep(1)
            continue
        busy, full = True, len(messages) >= batch_size
        try:
            if await _handle_batch(sub, messages):
                continue
        except (NatsError, TimeoutError):
            _unsettled(sub)
            continue
        for msg in messages:
            try:
                await _handle(bus, sub, msg)
            except (NatsError, TimeoutError):
                _unsettled(sub)
    await psub.unsubscribe()


def _unsettled(sub: Subscription) -> None:
    # The ack, nak or dead letter did not reach NATS: the message comes back after its ack
    # wait and is handled again (handlers are idempotent).
    log.warning("could not settle a message", extra={"durable": sub.durable})


async def _subscribe(
    bus: EventBus, sub: Subscription, config: ConsumerConfig, stop: asyncio.Event
) -> JetStreamContext.PullSubscription:
    """Creates or updates the durable consumer; a busy server's timeout is retried, not fatal."""
    delay = 0.5
    stream = bus.stream_name(sub.event.source)
    while True:
        try:
            # Create or update: a consumer made by an older release carries its old limits.
            await bus.js.add_consumer(stream, config)
            return await bus.js.pull_subscribe(
                config.filter_subject or "", durable=sub.durable, stream=stream, config=config
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
    except ValueError as exc:
        log.error("undecodable event", extra={"subject": msg.subject})
        await _dead_letter(bus, sub, msg, f"undecodable: {reason(exc)}")
        return
    try:
        if tracing_on():
            await _handle_traced(sub, msg, event)
        else:
            await sub.handler(event)
    except Exception as exc:
        await _failed(bus, sub, msg, exc, str(event.id))
        return
    await msg.ack()
    CONSUMER_EVENTS.labels(sub.durable, "applied").inc()


async def _handle_batch(sub: Subscription, messages: Sequence[Msg]) -> bool:
    """The fetch's events through the batch handler; False when they are to be handled one by
    one instead: no batch handler, a single message, an undecodable one, or a failure."""
    handler = sub.batch_handler
    if handler is None or len(messages) < 2:
        return False
    try:
        events = [sub.event.decode(msg.data) for msg in messages]
    except ValueError:
        return False  # handled one by one, the undecodable message is dead-lettered
    try:
        if tracing_on():
            await _batch_traced(handler, sub.durable, messages, events)
        else:
            await handler(events)
    except Exception as exc:
        log.warning(
            "batch failed, handling its events one by one: %s",
            reason(exc),
            extra={"durable": sub.durable, "events": len(events)},
        )
        CONSUMER_BATCHES.labels(sub.durable, "fell_back").inc()
        return False
    for msg in messages:
        await msg.ack()
    CONSUMER_BATCHES.labels(sub.durable, "applied").inc()
    CONSUMER_EVENTS.labels(sub.durable, "applied").inc(len(events))
    return True


async def _batch_traced(
    handler: BatchHandler, durable: str, messages: Sequence[Msg], events: list[Event]
) -> None:
    carried = [
        (str(event.id), msg.headers, _envelope_carrier(event))
        for msg, event in zip(messages, events, strict=True)
    ]
    with batch_spans(messages[0].subject, durable, carried):
        await handler(events)


def _envelope_carrier(event: Event) -> dict[str, str]:
    return {"traceparent": event.traceparent or "", "tracestate": event.tracestate or ""}


async def _handle_traced(sub: Subscription, msg: Msg, event: Event) -> None:
    with consume_span(msg.subject, sub.durable, msg.headers, _envelope_carrier(event)):
        await sub.handler(event)


async def _failed(
    bus: EventBus, sub: Subscription, msg: Msg, exc: Exception, event_id: str
) -> None:
    delivered = msg.metadata.num_delivered
    kind = classify(exc)
    context = {"event_id": event_id, "subject": msg.subject, "delivered": delivered}
    if kind is Failure.TRANSIENT:
        # Retried for as long as the dependency stays down; no traceback per retry.
        log.warning("dependency unavailable, retrying: %s", reason(exc), extra=context)
        CONSUMER_EVENTS.labels(sub.durable, "retried").inc()
        await msg.nak(delay=sub.backoff(delivered))
        return
    log.error("handler failed (%s)", kind.value, exc_info=exc, extra=context)
    if kind is Failure.POISON or delivered >= sub.max_deliver:
        await _dead_letter(bus, sub, msg, f"{kind.value}: {reason(exc)}")
    else:
        await msg.nak(delay=sub.backoff(delivered))


async def _dead_letter(bus: EventBus, sub: Subscription, msg: Msg, why: str) -> None:
    subject = f"{DEAD_LETTER_SOURCE}.{sub.durable}"
    # The message id makes a dead letter published twice (a crash before the term) count once.
    msg_id = f"{sub.durable}:{msg.metadata.sequence.stream}"
    headers = {"Reason": why, "Original-Subject": msg.subject, "Nats-Msg-Id": msg_id}
    await bus.js.publish(bus.full_subject(subject), msg.data, headers=headers, timeout=5)
    await msg.term()
    CONSUMER_EVENTS.labels(sub.durable, "dead_lettered").inc()
