"""One trace from the till to the chain's exit, read back from the spans the platform exported."""

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kit.stack import Infra, Platform, running_platform, tracing_env
from kit.testing import wait_for
from kit.tracing import read_spans, render_tree

pytestmark = pytest.mark.e2e

LINES = [{"sku": "SOFA", "category": "sofas", "quantity": 1, "price": 30_000}]
Span = dict[str, Any]


@pytest.fixture(scope="module")
def traces() -> Iterator[Path]:
    # Not under pytest's temporary folders, which a concurrent run may prune.
    directory = Path(tempfile.mkdtemp(prefix="traces-"))
    yield directory
    if os.environ.get("KEEP_TRACES") != "1":
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
async def traced(infra: Infra, traces: Path) -> AsyncIterator[Platform]:
    """A platform of its own, every process exporting its spans to files."""
    async with running_platform(infra, tracing_env(traces)) as running:
        yield running


def till_headers(platform: Platform, trace_id: str) -> dict[str, str]:
    # The till starts the trace (a sampled W3C traceparent), so the test knows its id.
    traceparent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
    return {"Authorization": f"Bearer {platform.pos_key}", "traceparent": traceparent}


async def enrolled_in_welcome(platform: Platform, customer_id: str) -> bool:
    url = f"{platform.service('orchestrator')}/chains/welcome/enrollments/{customer_id}"
    async with httpx.AsyncClient() as client:
        answer = await client.get(url)
    return answer.status_code == 200 and answer.json()["touches"] == 1


async def register(platform: Platform, trace_id: str) -> str:
    body = {"email": f"t-{uuid.uuid4().hex[:8]}@example.com", "consents": {"email": True}}
    async with httpx.AsyncClient(base_url=platform.gateway) as client:
        answer = await client.post(
            "/v1/customers", json=body, headers=till_headers(platform, trace_id)
        )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def buy(platform: Platform, customer_id: str, trace_id: str, door: str = "") -> None:
    txid = uuid.uuid4().hex
    receipt: dict[str, Any] = {"customer_id": customer_id, "store_id": "s1", "channel": "offline"}
    receipt |= {"lines": LINES, "points": 0, "txid": txid}
    headers = till_headers(platform, trace_id)
    async with httpx.AsyncClient(base_url=door or platform.gateway, timeout=30) as client:
        reserved = await client.post("/v1/purchases", json=receipt, headers=headers)
        assert reserved.status_code == 201, reserved.text
        confirmed = await client.post(f"/v1/purchases/{txid}/confirm", json={}, headers=headers)
        assert confirmed.status_code == 200, confirmed.text


def find(spans: list[Span], service: str, kind: str, name: str) -> Span | None:
    return next(
        (s for s in spans if (s["service"], s["kind"]) == (service, kind) and name in s["name"]),
        None,
    )


def ancestors(span: Span, spans: list[Span]) -> list[Span]:
    """The span's parents up to the trace's first span, by the ids exported."""
    by_id = {s["span_id"]: s for s in spans}
    chain = []
    while span["parent_id"] in by_id:
        span = by_id[span["parent_id"]]
        chain.append(span)
    return chain


def assert_each_hop_descends(spans: list[Span], wanted: list[tuple[str, str, str]]) -> None:
    """Prints the trace; fails on the first wanted span missing or not under the first."""
    print("\n".join(render_tree(spans)))
    first = find(spans, *wanted[0])
    assert first is not None
    for want in wanted[1:]:
        span = find(spans, *want)
        assert span is not None and first in ancestors(span, spans), want


def descends_from_the_first(spans: list[Span], wanted: list[tuple[str, str, str]]) -> bool:
    first = find(spans, *wanted[0])
    found = [find(spans, *want) for want in wanted[1:]]
    return first is not None and all(s is not None and first in ancestors(s, spans) for s in found)


async def trace_down(
    traces: Path, trace_id: str, wanted: list[tuple[str, str, str]], timeout: float
) -> list[Span]:
    """The trace's spans once every wanted span descends from the first through spans exported.

    A process exports its spans in batches, and a parent ends after its children: the loyalty
    request's span may reach the file a batch after the publish made inside it. Waiting only for
    the wanted spans would read a trace with a hole in it."""

    def complete() -> list[Span] | None:
        spans = read_spans(traces, trace_id)
        return spans if descends_from_the_first(spans, wanted) else None

    try:
        spans: list[Span] = await wait_for(complete, f"trace {trace_id}", timeout)
    except AssertionError:
        assert_each_hop_descends(read_spans(traces, trace_id), wanted)  # names the missing hop
        raise
    return spans


PURCHASE = [
    ("gateway", "SERVER", "/v1/purchases/{txid}/confirm"),
    ("loyalty", "SERVER", "/purchases/{txid}/confirm"),
    ("loyalty", "PRODUCER", "publish"),
    ("segments", "CONSUMER", "purchase_confirmed"),
    ("orchestrator", "CONSUMER", "purchase_confirmed"),
    ("orchestrator", "CLIENT", "SignalWorkflow:purchase"),
]


async def test_a_confirmed_purchase_is_one_trace_down_to_the_chains_exit(
    traced: Platform, traces: Path
) -> None:
    customer_id = await register(traced, secrets.token_hex(16))
    await wait_for(lambda: enrolled_in_welcome(traced, customer_id), "the welcome chain", 120)

    trace_id = secrets.token_hex(16)
    await buy(traced, customer_id, trace_id)
    # Every step descends from the till's confirm, hop by hop, across five processes.
    spans = await trace_down(traces, trace_id, PURCHASE, 90)
    publish = find(spans, "loyalty", "PRODUCER", "publish")
    assert publish is not None
    assert find(spans, "orchestrator", "CONSUMER", "purchase_confirmed") in [
        s for s in spans if s["parent_id"] == publish["span_id"]
    ]
    loyalty = find(spans, *PURCHASE[1])
    assert loyalty is not None
    sql = [s for s in spans if s["parent_id"] == loyalty["span_id"] and s["kind"] == "CLIENT"]
    assert sql, "loyalty's confirm has its SQL statements as spans"

    # Temporal records a signal's handling in the workflow's own trace, linked to the sender.
    signal = find(spans, *PURCHASE[-1])
    assert signal is not None
    handled = await wait_for(lambda: handling(traces, signal), "the chain's exit on the signal", 60)
    assert handled["service"] == "orchestrator"


AT_THE_DOOR = [
    ("till-door", "SERVER", "/v1/purchases/{txid}/confirm"),
    # Loyalty's app, called in the same process: its span is the door's too.
    ("till-door", "SERVER", "/purchases/{txid}/confirm"),
    ("loyalty", "PRODUCER", "publish"),
    ("segments", "CONSUMER", "purchase_confirmed"),
    ("orchestrator", "CONSUMER", "purchase_confirmed"),
]


async def test_a_purchase_at_the_tills_door_is_one_trace_as_through_the_gateway(
    traced: Platform, traces: Path
) -> None:
    customer_id = await register(traced, secrets.token_hex(16))
    trace_id = secrets.token_hex(16)
    await buy(traced, customer_id, trace_id, traced.till_door)
    spans = await trace_down(traces, trace_id, AT_THE_DOOR, 90)
    public, ledger = find(spans, *AT_THE_DOOR[0]), find(spans, *AT_THE_DOOR[1])
    assert public is not None and ledger is not None
    assert public in ancestors(ledger, spans)
    sql = [s for s in spans if s["parent_id"] == ledger["span_id"] and s["kind"] == "CLIENT"]
    assert sql, "the ledger's statements are spans under its own"


def handling(traces: Path, signal: Span) -> Span | None:
    """The workflow's span that handled ``signal``, linked to it."""
    return next(
        (
            span
            for span in read_spans(traces)
            if span["name"] == "HandleSignal:purchase"
            and {"trace_id": signal["trace_id"], "span_id": signal["span_id"]} in span["links"]
        ),
        None,
    )


SEND = [
    ("gateway", "SERVER", "/v1/customers"),
    ("loyalty", "PRODUCER", "member_registered"),
    ("orchestrator", "CONSUMER", "member_registered"),
    ("orchestrator", "CLIENT", "SignalWithStartWorkflow:ChainWorkflow"),
    ("orchestrator", "SERVER", "RunWorkflow:ChainWorkflow"),
    ("notifier", "SERVER", "RunWorkflow:DeliveryWorkflow"),
    # The delivery's attempt makes the provider call; its outcome leaves as message.sent.
    ("notifier", "SERVER", "RunActivity:attempt"),
    ("notifier", "CLIENT", "smtp send"),
    ("notifier", "PRODUCER", "message_sent"),
]


async def test_a_registration_is_one_trace_down_to_the_welcome_message(
    traced: Platform, traces: Path
) -> None:
    trace_id = secrets.token_hex(16)
    await register(traced, trace_id)
    await trace_down(traces, trace_id, SEND, 120)
