"""OpenTelemetry tracing for every API, worker and relay, set up once from the settings.

The standard instrumentations cover what has one: FastAPI, httpx, aiohttp and Temporal's own
interceptor, each called for a sampled trace only. The head decision is taken where a request
enters, from its ``traceparent`` alone, before FastAPI's telemetry would build a span; a request
whose trace is not sampled just runs in its context, and its calls send that context on as a
header without any span (the standard ones build a span that records nothing, with all its
attributes, whatever the decision). SQL statements and Redis commands, many per request, get
spans from the small hooks here, which do nothing in a trace that is not sampled. What none
covers is the hop through the outbox and JetStream:
the W3C trace context rides in the event envelope (``traceparent``/``tracestate``, as
CloudEvents' distributed tracing extension does) from the request that wrote the event to the
relay, and in the message headers from the relay's publish to every consumer.

``python -m kit.tracing show <trace_id>`` prints a trace the file exporter wrote, as a tree.
"""

import argparse
import functools
import json
import os
import re
import socket
import sys
import time
from collections import defaultdict
from collections.abc import (
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    Sequence,
)
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
)
from opentelemetry.util.types import Attributes

from kit.asgi import StatusNoting
from kit.settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig
    from starlette.types import ASGIApp, Receive, Scope, Send

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"
TRACER_NAME = "kit"
# Probes and scrapes every few seconds would bury the traces anyone looks for.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# The file exporter is for a developer's machine and the tests: spans reach the file soon.
FILE_EXPORT_DELAY_MS = 500

# A request the entry filter found unsampled: its context, in the ASGI scope.
UNSAMPLED_SCOPE_KEY = "kit.tracing.unsampled"
HTTP_METHOD = "http.request.method"
# W3C trace context, version 00; ids of zeros are invalid (the caller's trace is then ignored).
_TRACEPARENT = re.compile(rb"00-(?!0{32})([0-9a-f]{32})-(?!0{16})[0-9a-f]{16}-([0-9a-f]{2})")

_provider: TracerProvider | None = None
_tracer: tuple[TracerProvider, trace.Tracer] | None = None
_ids = RandomIdGenerator()
# An unsampled request slower than this is kept all the same (``UnsampledContext``); 0: none.
_keep_slower_than_ns = 500 * 1_000_000
# A new trace is sampled when its id's low 64 bits are under this bound, as TraceIdRatioBased
# decides; every trace until configure_tracing says otherwise (tests give their own provider).
_root_bound = TraceIdRatioBased.get_bound_for_rate(1.0)


def tracing_on() -> bool:
    return _provider is not None


def configure_tracing(settings: ServiceSettings) -> bool:
    """Installs the tracer provider and the global instrumentations once per process."""
    global _provider, _root_bound, _keep_slower_than_ns
    if settings.tracing_exporter == "none" or _provider is not None:
        return _provider is not None
    _root_bound = TraceIdRatioBased.get_bound_for_rate(settings.tracing_sample_rate)
    _keep_slower_than_ns = settings.tracing_keep_slower_than_ms * 1_000_000
    provider = TracerProvider(resource=_resource(settings), sampler=sampler(settings))
    delay = FILE_EXPORT_DELAY_MS if settings.tracing_exporter == "file" else 5000
    provider.add_span_processor(
        BatchSpanProcessor(_exporter(settings), schedule_delay_millis=delay)
    )
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _provider = provider
    return True


def _resource(settings: ServiceSettings) -> Resource:
    # OTEL_RESOURCE_ATTRIBUTES (e.g. k8s.pod.name from the downward API) is merged in by create.
    return Resource.create(
        {
            "service.name": settings.service_name,
            "service.namespace": "retention",
            "service.instance.id": f"{socket.gethostname()}-{os.getpid()}",
            "deployment.environment.name": settings.deployment_environment,
        }
    )


def _exporter(settings: ServiceSettings) -> SpanExporter:
    if settings.tracing_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = settings.otlp_endpoint.rstrip("/")
        if not endpoint.endswith("/v1/traces"):
            endpoint += "/v1/traces"
        return OTLPSpanExporter(endpoint=endpoint)
    if settings.tracing_exporter == "file":
        return FileSpanExporter(Path(settings.tracing_dir), settings.service_name)
    return ConsoleSpanExporter()


class EntrySampler(Sampler):
    """A trace starts only where work enters the process: a request served, an event consumed.

    Without a parent, a query or Redis call is background housekeeping (the relay's poll, a
    sweep, pruning): a trace of its own each time would bury the traces anyone looks for.
    """

    def __init__(self, rate: float) -> None:
        self.ratio = TraceIdRatioBased(rate)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        if kind not in (SpanKind.SERVER, SpanKind.CONSUMER):
            return SamplingResult(Decision.DROP)
        if kind is SpanKind.SERVER and attributes and HTTP_METHOD in attributes:
            # An HTTP request reaches FastAPI's telemetry only once the entry filter drew it
            # sampled (``_untraced``): a second draw would keep rate² of them.
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)
        return self.ratio.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )

    def get_description(self) -> str:
        return f"EntrySampler({self.ratio.get_description()})"


def sampler(settings: ServiceSettings) -> Sampler:
    """Head sampling at ``tracing_sample_rate``; a caller's decision is followed."""
    return ParentBased(root=EntrySampler(settings.tracing_sample_rate))


def _instrument_libraries() -> None:
    _instrument_httpx()
    _instrument_aiohttp()
    _instrument_redis()


def _instrument_httpx() -> None:
    """The standard httpx instrumentation, for calls in a sampled trace only: in any other it
    would make a span that records nothing, with its attributes, just to send the context on."""
    # Imported here: a process with tracing off loads none of the instrumentations.
    import httpx
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    HTTPXClientInstrumentor().instrument()
    instrumented = httpx.AsyncHTTPTransport.handle_async_request
    plain = instrumented.__wrapped__  # type: ignore[attr-defined]  # wrapt keeps the original

    async def handle_async_request(self: Any, request: Any) -> Any:
        if recording():
            return await instrumented(self, request)
        inject_unsampled(request.headers)
        return await plain(self, request)

    httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign]


def _instrument_aiohttp() -> None:
    """Every aiohttp session gets the standard instrumentation's trace config, which starts a
    span only in a sampled trace and otherwise just sends the context on."""
    import aiohttp
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    def trace_config() -> aiohttp.TraceConfig:
        config = create_trace_config()
        [standard] = config.on_request_start

        async def on_request_start(session: Any, context: Any, params: Any) -> None:
            if recording():
                await standard(session, context, params)
            else:
                inject_unsampled(params.headers)  # the end hooks see no span and do nothing

        config.on_request_start[0] = on_request_start
        return config

    original = aiohttp.ClientSession.__init__

    @functools.wraps(original)
    def init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        kwargs["trace_configs"] = [*(kwargs.get("trace_configs") or ()), trace_config()]
        original(self, *args, **kwargs)

    aiohttp.ClientSession.__init__ = init  # type: ignore[method-assign]


def inject_unsampled(headers: MutableMapping[str, str]) -> None:
    """The current context as W3C headers, written directly: what the propagator would write
    for a span that records nothing, without the span."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return
    headers[TRACEPARENT] = (
        f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
    )
    if context.trace_state:
        headers[TRACESTATE] = context.trace_state.to_header()


def recording() -> bool:
    """Whether the work at hand belongs to a sampled trace: only then is a span worth making.

    A child of an unsampled span is never sampled (the sampler follows its parent), and work
    outside any trace is never sampled either (``EntrySampler``), so asking the current span
    is the whole decision, made before any name or attribute is built."""
    return trace.get_current_span().is_recording()


def fastapi_telemetry() -> "TelemetryConfig":
    """FastAPI's own OpenTelemetry support: a server span per request, continuing the caller's
    trace; Prometheus keeps the metrics and kit.logs the logs."""
    return {
        "tracing": tracing_on(),
        "metrics": False,
        "logs": False,
        # Spans for dependency resolution and serialization would triple every request's
        # spans and say little that the request's own span does not.
        "operation_spans": False,
        "exclude": _untraced,
    }


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    """What FastAPI's telemetry leaves alone: probes and scrapes, and every request whose trace
    is not sampled. For those it would still build a span that records nothing, its attributes,
    and wrap each message sent; here the head decision is made first, from the ``traceparent``
    header alone, and such a request only gets its context (``UnsampledContext``)."""
    if scope.get("path") in UNTRACED_PATHS:
        return True
    unsampled = unsampled_entry(scope.get("headers") or ())
    if unsampled is None:
        return False
    scope[UNSAMPLED_SCOPE_KEY] = unsampled
    return True


def unsampled_entry(headers: Iterable[tuple[bytes, bytes]]) -> SpanContext | None:
    """The head decision for a request, made before any span: ``None`` when its trace is
    sampled, else the context the request runs in (the caller's trace, or a new one drawn at
    ``tracing_sample_rate``), its sampled flag unset."""
    traceparent = tracestate = None
    for name, value in headers:
        if name == b"traceparent":
            traceparent = value
        elif name == b"tracestate":
            tracestate = value
    caller = _TRACEPARENT.fullmatch(traceparent) if traceparent else None
    if caller is not None:
        trace_id = int(caller[1], 16)
        if int(caller[2], 16) & TraceFlags.SAMPLED:
            return None
    else:
        trace_id = _ids.generate_trace_id()
        if trace_id & TraceIdRatioBased.TRACE_ID_LIMIT < _root_bound:
            return None
    state = TraceState.from_header([tracestate.decode("latin-1")]) if tracestate else None
    return SpanContext(trace_id, _ids.generate_span_id(), False, TraceFlags(0), state)


class UnsampledContext:
    """ASGI middleware: a request FastAPI's telemetry left out as unsampled runs in its trace
    all the same: log lines name it, and every call made carries the decision on, so that no
    later hop samples it. One that fails (a 5xx answer, an error raised) or is slow is kept
    all the same, as its server span made once it is over (``keep_request``)."""

    def __init__(self, app: "ASGIApp") -> None:
        self.app = app

    async def __call__(self, scope: "Scope", receive: "Receive", send: "Send") -> None:
        unsampled = scope.get(UNSAMPLED_SCOPE_KEY)
        if unsampled is None:
            await self.app(scope, receive, send)
            return
        token = otel_context.attach(trace.set_span_in_context(NonRecordingSpan(unsampled)))
        started, answer, failure = time.time_ns(), StatusNoting(send, unanswered=0), None
        try:
            await self.app(scope, receive, answer)
        except Exception as exc:
            failure = exc
            raise
        finally:
            otel_context.detach(token)
            ended = time.time_ns()
            slow = 0 < _keep_slower_than_ns <= ended - started
            if failure is not None or answer.status >= 500 or slow:
                keep_request(scope, unsampled, (started, ended), answer.status, failure)


def keep_request(
    scope: "Scope",
    unsampled: SpanContext,
    interval: tuple[int, int],
    status: int,
    failure: Exception | None,
) -> None:
    """The server span of an unsampled request that failed or was slow, made after the fact:
    in the request's trace, a child of the span id its log lines name, sampled from here on.
    What the request did inside made no span; its logs, found by ``trace_id``, tell that."""
    kept = SpanContext(
        unsampled.trace_id,
        unsampled.span_id,
        True,
        TraceFlags(TraceFlags.SAMPLED),
        unsampled.trace_state,
    )
    method = str(scope.get("method", ""))
    route = getattr(scope.get("route"), "path", None) or str(scope.get("path", ""))
    errored = failure is not None or status >= 500
    attributes: dict[str, str | int] = {
        HTTP_METHOD: method,
        "http.route": route,
        "url.path": str(scope.get("path", "")),
        "kit.kept": "error" if errored else "slow",
    }
    if status:
        attributes["http.response.status_code"] = status
    span = tracer().start_span(
        f"{method} {route}",
        context=trace.set_span_in_context(NonRecordingSpan(kept)),
        kind=SpanKind.SERVER,
        attributes=attributes,
        start_time=interval[0],
    )
    if failure is not None:
        span.record_exception(failure)
    if errored:
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"answered {status or 500}"))
    span.end(end_time=interval[1])


def instrument_engine(engine: Any) -> None:
    """A span per SQL statement of this engine (an ``AsyncEngine``), in sampled traces only."""
    if not tracing_on():
        return
    from sqlalchemy import event

    sync = engine.sync_engine

    def started(
        _conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if recording():  # ended by the hooks below, in a sampled trace only
            context._kit_span = _sql_span(sync, statement)

    event.listen(sync, "before_cursor_execute", started)
    event.listen(sync, "after_cursor_execute", _sql_ended)
    event.listen(sync, "handle_error", _sql_failed)


def _sql_span(sync_engine: Any, statement: str) -> trace.Span:
    url = sync_engine.url
    # The attributes the standard SQLAlchemy instrumentation sets, so trace searches still work.
    attributes = {"db.system": sync_engine.dialect.name, "db.name": url.database or ""}
    attributes |= {"net.peer.name": url.host or "", "net.peer.port": url.port or 0}
    attributes |= {"db.user": url.username or "", "db.statement": statement}
    words = statement.split(None, 1)
    name = (words[0] if words else "sql") + (f" {url.database}" if url.database else "")
    return tracer().start_span(name, kind=SpanKind.CLIENT, attributes=attributes)


@contextmanager
def sql_span(engine: Any, statement: str) -> Iterator[None]:
    """A span for a statement sent past the engine's hooks (``kit.driver``), in a sampled
    trace only, as ``instrument_engine`` makes for the engine's own."""
    if not recording():
        yield
        return
    span = _sql_span(engine.sync_engine, statement)
    try:
        yield
    except BaseException as exc:
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
        raise
    finally:
        span.end()


def _sql_ended(
    _conn: Any, _cursor: Any, _statement: str, _params: Any, context: Any, _many: bool
) -> None:
    span = getattr(context, "_kit_span", None)
    if span is not None:
        span.end()
        context._kit_span = None


def _sql_failed(failure: Any) -> None:
    span = getattr(failure.execution_context, "_kit_span", None)
    if span is not None:
        span.set_status(trace.Status(trace.StatusCode.ERROR, str(failure.original_exception)))
        span.end()
        failure.execution_context._kit_span = None


def _instrument_redis() -> None:
    """A span per Redis command or pipeline of the asyncio client, in sampled traces only."""
    from redis.asyncio.client import Pipeline, Redis

    async def command(wrapped: Any, client: Any, args: Any, kwargs: Any) -> Any:
        if not recording():
            return await wrapped(client, *args, **kwargs)
        name = str(args[0]) if args else "redis"
        with _redis_span(client, name, name, len(args)):
            return await wrapped(client, *args, **kwargs)

    async def pipeline(wrapped: Any, client: Any, args: Any, kwargs: Any) -> Any:
        if not recording():
            return await wrapped(client, *args, **kwargs)
        names = [str(queued[0][0]) for queued in client.command_stack if queued[0]]
        with _redis_span(client, "MULTI" if names else "redis", "\n".join(names), len(names)):
            return await wrapped(client, *args, **kwargs)

    _wrap(Redis, "execute_command", command)
    _wrap(Pipeline, "execute", pipeline)


def _wrap(owner: type, name: str, hook: Callable[..., Awaitable[Any]]) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    async def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        return await hook(original, self, args, kwargs)

    setattr(owner, name, wrapped)


def _redis_span(client: Any, name: str, statement: str, length: int) -> Any:
    # Command names only: the arguments hold keys and values (API keys, idempotency bodies).
    kwargs = client.connection_pool.connection_kwargs
    attributes: dict[str, str | int] = {"db.system": "redis", "db.statement": statement}
    attributes |= {"db.redis.args_length": length, "db.redis.database_index": kwargs.get("db", 0)}
    if "host" in kwargs:
        attributes |= {"net.peer.name": kwargs["host"], "net.peer.port": kwargs.get("port", 6379)}
    return tracer().start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes)


def temporal_interceptors() -> list[Any]:
    """Temporal's own interceptor: it carries the context into workflows and activities,
    with spans in sampled traces only (``kit.tracing_temporal``)."""
    if not tracing_on():
        return []
    from kit.tracing_temporal import SampledTracingInterceptor

    return [SampledTracingInterceptor()]


def tracer() -> trace.Tracer:
    global _tracer
    if _provider is None:
        return trace.get_tracer(TRACER_NAME)
    # The SDK builds a new tracer on each call, and a sampled trace asks for one per span.
    if _tracer is None or _tracer[0] is not _provider:
        _tracer = (_provider, _provider.get_tracer(TRACER_NAME))
    return _tracer[1]


def client_span(name: str, attributes: dict[str, str | int]) -> AbstractContextManager[trace.Span]:
    """A call no instrumentation covers (SMTP), as a client span of the current trace."""
    return tracer().start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes)


# --- the trace context across the outbox and JetStream ---------------------------------------


def current_carrier() -> dict[str, str]:
    """The active span's W3C context (``traceparent``, maybe ``tracestate``); empty if none."""
    if not tracing_on() or not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


# The envelope is pydantic's compact JSON: its trace fields are found without decoding it all.
_ENVELOPE_TRACE = re.compile(rb'"(traceparent|tracestate)":"([^"\\]*)"')


def carrier_of_envelope(data: bytes) -> dict[str, str]:
    """The context an outbox row's event carries, read without decoding the event."""
    if b'"traceparent"' not in data:
        return {}
    return {key.decode(): value.decode() for key, value in _ENVELOPE_TRACE.findall(data)}


def sampled(carrier: Mapping[str, str]) -> bool:
    """Whether a W3C context was sampled by whoever started its trace (its flags' last bit)."""
    flags = carrier.get(TRACEPARENT, "")[-2:]
    return len(flags) == 2 and flags[1] in "13579bdfBDF"


@contextmanager
def publish_span(subject: str, carrier: Mapping[str, str]) -> Iterator[dict[str, str]]:
    """The relay's publish as a child of the request that wrote the event; yields the headers
    that make the consumers' spans children of this publish.

    In a trace that is not sampled no span is made: the request's context goes on as it is,
    its sampled flag unset, so that no consumer starts a sampled trace of its own."""
    if not sampled(carrier):
        yield dict(carrier)
        return
    parent = propagate.extract(carrier)
    attributes = {"messaging.system": "nats", "messaging.destination.name": subject}
    with tracer().start_as_current_span(
        f"publish {subject}", context=parent, kind=SpanKind.PRODUCER, attributes=attributes
    ):
        headers: dict[str, str] = {}
        propagate.inject(headers)
        yield headers


@contextmanager
def consume_span(
    subject: str, consumer: str, headers: Mapping[str, str] | None, fallback: Mapping[str, str]
) -> Iterator[None]:
    """A consumer's handling of one message, continuing the trace its headers (or, for a
    message published without them, its envelope) carry.

    In a trace that is not sampled, the caller's context is made current without a span of
    this process: the handler's Temporal calls carry it on, its SQL makes no span."""
    context, span = start_consume(subject, consumer, headers, fallback)
    token = otel_context.attach(context)
    try:
        yield
    except BaseException as exc:
        _failed_span(span, exc)
        raise
    finally:
        otel_context.detach(token)
        if span is not None:
            span.end()


def start_consume(
    subject: str, consumer: str, headers: Mapping[str, str] | None, fallback: Mapping[str, str]
) -> tuple[otel_context.Context, trace.Span | None]:
    """The context one message is handled in and its consumer span, started, not current
    (None in a trace that is not sampled): a batch starts one per message of the batch."""
    carrier = headers if headers and TRACEPARENT in headers else fallback
    parent = propagate.extract(carrier)
    if carrier.get(TRACEPARENT) and not sampled(carrier):
        return parent, None
    attributes = {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.consumer.group.name": consumer,
    }
    span = tracer().start_span(
        f"process {subject}", context=parent, kind=SpanKind.CONSUMER, attributes=attributes
    )
    return trace.set_span_in_context(span, parent), span


def _failed_span(span: trace.Span | None, exc: BaseException) -> None:
    if span is not None and span.is_recording():
        span.record_exception(exc)
        span.set_status(trace.Status(trace.StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))


# A message of a batch: its event id, its headers, the trace context its envelope carries.
BatchMessage = tuple[str, Mapping[str, str] | None, Mapping[str, str]]
# In a batch, each event's context by event id: ``event_context`` makes one current.
_BATCH_CONTEXTS: ContextVar[Mapping[str, otel_context.Context] | None] = ContextVar(
    "kit_batch_contexts", default=None
)


@contextmanager
def batch_spans(subject: str, consumer: str, messages: Sequence[BatchMessage]) -> Iterator[None]:
    """One consumer span per message of a batch, each a child of its own event's trace and
    ended with the batch; the batch's own statements run outside them, the work a handler does
    for one event inside ``event_context``."""
    contexts: dict[str, otel_context.Context] = {}
    spans: list[trace.Span] = []
    for event_id, headers, envelope in messages:
        context, span = start_consume(subject, consumer, headers, envelope)
        contexts[event_id] = context
        spans += [span] if span is not None else []
    token = _BATCH_CONTEXTS.set(contexts)
    try:
        yield
    except BaseException as exc:
        for span in spans:
            _failed_span(span, exc)
        raise
    finally:
        _BATCH_CONTEXTS.reset(token)
        for span in spans:
            span.end()


@contextmanager
def event_context(event_id: str) -> Iterator[None]:
    """Inside a batch, the work for one event as part of that event's trace; elsewhere (one
    event handled alone, tracing off) nothing to do."""
    contexts = _BATCH_CONTEXTS.get()
    context = contexts.get(event_id) if contexts else None
    if context is None:
        yield
        return
    token = otel_context.attach(context)
    try:
        yield
    finally:
        otel_context.detach(token)


# --- the file exporter and the command that reads it ------------------------------------------


class FileSpanExporter(SpanExporter):
    """One JSON line per span, one file per process, so processes never interleave writes."""

    def __init__(self, directory: Path, service: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{service}-{os.getpid()}.jsonl"
        self.file: IO[str] = self.path.open("a", encoding="utf-8")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            self.file.write(json.dumps(span_record(span), default=str) + "\n")
        self.file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        self.file.close()


def span_record(span: ReadableSpan) -> dict[str, Any]:
    context = span.get_span_context()
    parent = span.parent
    return {
        "trace_id": f"{context.trace_id:032x}" if context else None,
        "span_id": f"{context.span_id:016x}" if context else None,
        "parent_id": f"{parent.span_id:016x}" if parent else None,
        "name": span.name,
        "kind": span.kind.name,
        "service": span.resource.attributes.get("service.name"),
        "start_ns": span.start_time,
        "end_ns": span.end_time,
        "status": span.status.status_code.name,
        "attributes": dict(span.attributes or {}),
        # Temporal links a signal's handling to the span that sent it, in the workflow's trace.
        "links": [
            {"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
            for link in span.links
        ],
    }


def read_spans(directory: Path, trace_id: str | None = None) -> list[dict[str, Any]]:
    """Every span the file exporter wrote under ``directory`` (of one trace, if given)."""
    spans = []
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            # A line being written as we read is incomplete: it is read next time.
            if line.endswith("}") and (trace_id is None or f'"{trace_id}"' in line):
                spans.append(json.loads(line))
    return spans


def render_tree(spans: list[dict[str, Any]]) -> list[str]:
    """A trace as indented lines, children under their parent in start order."""
    ids = {span["span_id"] for span in spans}
    children: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for span in spans:
        parent = span["parent_id"] if span["parent_id"] in ids else None
        children[parent].append(span)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in sorted(children[parent], key=lambda s: s["start_ns"] or 0):
            millis = ((span["end_ns"] or 0) - (span["start_ns"] or 0)) / 1e6
            flag = "  ERROR" if span["status"] == "ERROR" else ""
            lines.append(
                f"{'  ' * depth}{span['service']}: {span['name']} [{span['kind'].lower()}]"
                f" {millis:.1f} ms{flag}"
            )
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    return lines


def recent_traces(spans: list[dict[str, Any]], limit: int) -> list[str]:
    """The latest traces' roots, newest last: where to find an id to show."""
    roots = [s for s in spans if s["parent_id"] is None]
    roots.sort(key=lambda s: s["start_ns"] or 0)
    return [f"{s['trace_id']}  {s['service']}: {s['name']}" for s in roots[-limit:]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kit.tracing", description=__doc__)
    parser.add_argument("--dir", default="run/traces", help="the file exporter's folder")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print one trace as a tree")
    show.add_argument("trace_id")
    recent = commands.add_parser("recent", help="list the latest traces")
    recent.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    if args.command == "recent":
        print("\n".join(recent_traces(read_spans(directory), args.limit)))
        return 0
    spans = read_spans(directory, args.trace_id.lower())
    if not spans:
        print(f"no spans of trace {args.trace_id} under {directory}", file=sys.stderr)
        return 1
    print("\n".join(render_tree(spans)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
