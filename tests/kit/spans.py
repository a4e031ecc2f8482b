"""What the tracing tests share: a sampler that counts the spans it is asked about, the span of
a request whose trace was not sampled, and tracing switched on for one test."""

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Sampler, SamplingResult
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from kit import tracing


class CountingSampler(Sampler):
    """Samples as ``inner`` does, and remembers every span it was asked about: a span object
    is made, recording or not, for each question."""

    def __init__(self, inner: Sampler) -> None:
        self.asked: list[str] = []
        self.inner = inner

    def should_sample(self, *args: Any, **kwargs: Any) -> SamplingResult:
        self.asked.append(kwargs["name"] if "name" in kwargs else args[2])
        return self.inner.should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return "CountingSampler"


def unsampled_span() -> NonRecordingSpan:
    """What a request's span is when the head decision dropped its trace."""
    context = SpanContext(
        trace_id=int(secrets.token_hex(16), 16),
        span_id=int(secrets.token_hex(8), 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.DEFAULT),
    )
    return NonRecordingSpan(context)


def tracing_on(
    monkeypatch: pytest.MonkeyPatch, sampler: Sampler, *, globally: bool = True
) -> Iterator[InMemorySpanExporter]:
    """Tracing on, spans kept in memory, put back after the test. ``globally``: as
    configure_tracing sets it, the global provider too (the standard instrumentations and
    Temporal's interceptor take that one); else kit's own spans only."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    if globally:
        monkeypatch.setattr(trace, "_TRACER_PROVIDER", provider)
    monkeypatch.setattr(tracing, "_provider", provider)
    yield exporter
    provider.shutdown()
