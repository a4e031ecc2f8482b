"""Runs a service's background loops (relay, consumers, Temporal worker) until SIGTERM."""

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from typing import Any

import uvicorn
import uvloop
from fastapi import FastAPI
from prometheus_client import REGISTRY
from sqlalchemy import Table

from kit.bus import Subscription, consume
from kit.logs import configure_logging
from kit.outbox import OutboxRelay
from kit.resources import Resources, open_resources
from kit.retention import Target, prune_periodically, standard_targets
from kit.settings import ServiceSettings
from kit.tracing import configure_tracing, fastapi_telemetry
from kit.web import health_router

log = logging.getLogger(__name__)
Loops = Callable[[Resources, asyncio.Event], Awaitable[list[Coroutine[Any, Any, None]]]]


async def run_worker(settings: ServiceSettings, loops: Loops) -> None:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_resources(settings) as resources:
        coroutines = await loops(resources, stop)
        if settings.worker_http_port:
            coroutines.append(_serve_health(settings.worker_http_port, resources, stop))
        log.info("worker started")
        tasks = [asyncio.create_task(c) for c in coroutines]
        await asyncio.wait(
            [*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        stop.set()
        # Loops finish their current item and return; a crashed loop takes the worker down.
        results = await asyncio.gather(*tasks, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        for failure in failures:
            log.error("worker loop failed", exc_info=failure)
    log.info("worker stopped")
    if failures:
        raise SystemExit(1)


class _QuietServer(uvicorn.Server):
    """Leaves signals to the worker, which stops every loop together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_health(port: int, resources: Resources, stop: asyncio.Event) -> None:
    app = FastAPI(openapi_url=None, telemetry=fastapi_telemetry())
    app.include_router(health_router(resources.readiness_checks, REGISTRY))
    server = _QuietServer(
        uvicorn.Config(app, host="0.0.0.0", port=port, log_config=None, lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task


def relay_and_consumers(
    outbox: Table, subscriptions: Callable[[Resources], list[Subscription]]
) -> Loops:
    """The usual loops of a service's worker: its outbox relay and its event consumers."""

    async def loops(resources: Resources, stop: asyncio.Event) -> list[Coroutine[Any, Any, None]]:
        relay = OutboxRelay(outbox, resources.sessions, resources.bus)
        size = resources.settings.consumer_batch_size
        linger = resources.settings.consumer_linger_seconds
        consumers = [
            consume(resources.bus, sub, stop, size, linger) for sub in subscriptions(resources)
        ]
        return [
            relay.run(
                stop,
                resources.settings.outbox_poll_seconds,
                linger_seconds=resources.settings.outbox_linger_seconds,
            ),
            pruning(resources, standard_targets(outbox, resources.settings), stop),
            *consumers,
        ]

    return loops


def pruning(
    resources: Resources, targets: list[Target], stop: asyncio.Event
) -> Coroutine[Any, Any, None]:
    """The loop that prunes ``targets`` at the interval the settings give."""
    every = resources.settings.prune_interval_seconds
    return prune_periodically(resources.sessions, targets, every, stop)


def main(settings: ServiceSettings, loops: Loops) -> None:
    """Runs the worker on uvloop, as uvicorn runs the APIs: its event loop spends less per
    socket event (NATS, PostgreSQL, Temporal) than asyncio's own."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run_worker(settings, loops))
