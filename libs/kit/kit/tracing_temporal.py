"""Temporal's own tracing interceptor, its spans made for sampled traces only.

In a trace that is not sampled the standard interceptor still makes a span per start, signal
and activity, with its attributes, only for it to record nothing; here such a call passes the
context on without one. Imported only when tracing is on (``kit.tracing.temporal_interceptors``).
"""

from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from temporalio import client, worker
from temporalio.contrib.opentelemetry import TracingInterceptor, TracingWorkflowInboundInterceptor

from kit.tracing import carrier_of_envelope, recording, sampled


class SampledTracingInterceptor(TracingInterceptor):
    def intercept_client(self, next: client.OutboundInterceptor) -> client.OutboundInterceptor:
        return _ClientCalls(super().intercept_client(next), next, self)

    def intercept_activity(
        self, next: worker.ActivityInboundInterceptor
    ) -> worker.ActivityInboundInterceptor:
        return _Activities(super().intercept_activity(next), next, self.header_key)

    def workflow_interceptor_class(
        self, input: worker.WorkflowInterceptorClassInput
    ) -> type[TracingWorkflowInboundInterceptor]:
        super().workflow_interceptor_class(input)
        return _SampledWorkflowSpans


class _SampledWorkflowSpans(TracingWorkflowInboundInterceptor):
    """Inside a workflow of an unsampled trace, the spans Temporal would complete (RunWorkflow,
    StartActivity, HandleSignal, ...) are not made at all, each a call out of the workflow and
    a span that records nothing; what the workflow starts still carries its context on."""

    def _completed_span(self, span_name: str, **kwargs: Any) -> None:
        context = trace.get_current_span().get_span_context()
        # Nexus calls and signal-with-starts from a workflow carry other headers: left as is.
        other_headers = {"add_to_outbound_str", "add_to_outbound_model"} & kwargs.keys()
        if not context.is_valid or context.trace_flags.sampled or other_headers:
            super()._completed_span(span_name, **kwargs)
            return
        outbound = kwargs.get("add_to_outbound")
        if outbound is not None:
            outbound.headers = self._context_to_headers(outbound.headers)


class _ClientCalls(client.OutboundInterceptor):
    """Starts and signals through the standard interceptor in a sampled trace; outside one, a
    start carries the context in its headers, so that the workflow's activities follow the
    decision, and a signal carries none: its handling, in the workflow's own trace, is linked
    to the sender only when the sender's span was recorded."""

    def __init__(
        self, traced: client.OutboundInterceptor, plain: client.OutboundInterceptor, root: Any
    ) -> None:
        super().__init__(traced)
        self.plain = plain
        self.root = root

    async def start_workflow(self, input: client.StartWorkflowInput) -> Any:
        if recording():
            return await self.next.start_workflow(input)
        input.headers = self.root._context_to_headers(input.headers)
        return await self.plain.start_workflow(input)

    async def signal_workflow(self, input: client.SignalWorkflowInput) -> None:
        if recording():
            return await self.next.signal_workflow(input)
        return await self.plain.signal_workflow(input)


class _Activities(worker.ActivityInboundInterceptor):
    """An activity of an unsampled workflow runs in its context, without a span of its own."""

    def __init__(
        self,
        traced: worker.ActivityInboundInterceptor,
        plain: worker.ActivityInboundInterceptor,
        header_key: str,
    ) -> None:
        super().__init__(traced)
        self.plain = plain
        self.header_key = header_key

    async def execute_activity(self, input: worker.ExecuteActivityInput) -> Any:
        header = input.headers.get(self.header_key)
        # The header is the compact JSON of the W3C carrier: read as an envelope's is.
        carrier = carrier_of_envelope(header.data) if header is not None else {}
        if not carrier or sampled(carrier):
            return await self.next.execute_activity(input)
        token = otel_context.attach(propagate.extract(carrier))
        try:
            return await self.plain.execute_activity(input)
        finally:
            otel_context.detach(token)
