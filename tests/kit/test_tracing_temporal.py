"""Temporal's tracing interceptor on a real Temporal server: a start, a signal, the workflow and
its activity make their spans in a sampled trace; in one that is not sampled they make none,
yet the activity still runs in the trace it was started from, its decision carried on."""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from kit import tracing
from kit.settings import ServiceSettings
from kit.stack import Infra
from tests.kit.spans import CountingSampler, tracing_on, unsampled_span

# What the activity saw as its trace: (trace id, sampled), by workflow id.
SEEN: dict[str, tuple[int, bool]] = {}


@activity.defn
async def look() -> None:
    context = trace.get_current_span().get_span_context()
    SEEN[str(activity.info().workflow_id)] = (context.trace_id, context.trace_flags.sampled)


@workflow.defn
class LookThenWait:
    def __init__(self) -> None:
        self.go = False

    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(look, start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self.go)

    @workflow.signal
    def proceed(self) -> None:
        self.go = True


@pytest.fixture
def traced(
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[CountingSampler, InMemorySpanExporter]]:
    """Tracing on, as configure_tracing sets it (the interceptor takes the global provider)."""
    counting = CountingSampler(tracing.sampler(ServiceSettings(tracing_sample_rate=1.0)))
    for exporter in tracing_on(monkeypatch, counting):
        yield counting, exporter


async def start_and_signal(client: Client, queue: str) -> str:
    workflow_id = f"look-{uuid.uuid4().hex[:8]}"
    handle = await client.start_workflow(LookThenWait.run, id=workflow_id, task_queue=queue)
    await handle.signal(LookThenWait.proceed)
    await handle.result()
    return workflow_id


async def test_an_unsampled_trace_crosses_temporal_without_client_or_activity_spans(
    traced: tuple[CountingSampler, InMemorySpanExporter], infra: Infra
) -> None:
    counting, exporter = traced
    client = await Client.connect(
        infra.temporal_address, interceptors=tracing.temporal_interceptors()
    )
    queue = f"t-{uuid.uuid4().hex[:8]}"
    worker = Worker(
        client,
        task_queue=queue,
        workflows=[LookThenWait],
        activities=[look],
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    request = unsampled_span()
    async with worker:
        with trace.use_span(request):
            unsampled = await start_and_signal(client, queue)
        assert counting.asked == []
        assert SEEN[unsampled] == (request.get_span_context().trace_id, False)

        with tracing.tracer().start_as_current_span("POST /x", kind=SpanKind.SERVER) as sampled:
            workflow_id = await start_and_signal(client, queue)
    trace_id = sampled.get_span_context().trace_id
    assert SEEN[workflow_id] == (trace_id, True)
    names = {
        s.name
        for s in exporter.get_finished_spans()
        if s.context and s.context.trace_id == trace_id
    }
    assert {
        "StartWorkflow:LookThenWait",
        "RunWorkflow:LookThenWait",
        "StartActivity:look",
        "RunActivity:look",
        "SignalWorkflow:proceed",
        "CompleteWorkflow:LookThenWait",
    } <= names
