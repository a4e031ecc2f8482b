"""Typed settings shared by every deployable; each service adds its own env prefix."""

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

TracingExporter = Literal["none", "otlp", "file", "console"]


class ServiceSettings(BaseSettings):
    """Connection settings every service reads, e.g. ``LOYALTY_DATABASE_URL``."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    database_url: str = "sqlite+aiosqlite:///./run/data/service.db"
    nats_url: str = "nats://127.0.0.1:4222"
    redis_url: str = "redis://127.0.0.1:6379/0"
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # How many workflows a Temporal worker of the service keeps in memory between their tasks
    # (the SDK's max_cached_workflows). A workflow that is not kept is replayed from its
    # history when it wakes, which costs CPU then; one that is kept costs memory all the while
    # it waits (docs/operations.md, "Workflows kept in memory").
    workflow_cache: int = Field(default=1000, ge=1)
    # Prefixes every subject and stream name, so test runs share a server without colliding.
    event_namespace: str = ""
    log_level: str = "INFO"
    # Port of the worker's own /healthz, /readyz and /metrics; 0 disables it.
    worker_http_port: int = 0
    outbox_poll_seconds: float = 0.05
    # How long the outbox relay waits after relaying a batch that was not full, so that a
    # steady stream of commits is published in batches (one read and one update for many).
    outbox_linger_seconds: float = Field(default=0.05, ge=0.0, le=5.0)
    # The most events a consumer takes in one fetch and, where it has a batch form, applies in
    # one transaction (docs/loyalty.md "Consumers in batches"); 1 handles each event alone.
    consumer_batch_size: int = Field(default=64, ge=1, le=1000)
    # How long a busy consumer with a batch form waits before fetching again after a batch
    # that was not full, so that a steady stream is applied in batches, not event by event.
    consumer_linger_seconds: float = Field(default=0.1, ge=0.0, le=5.0)
    # Retention (kit.retention): how long rows that only guard against repeats are kept.
    # A published outbox row guards against nothing once JetStream's de-duplication window
    # (10 min) is over; a week leaves room to look into an incident.
    outbox_retention_days: float = 7
    # An event is redelivered only while unacknowledged (minutes, or an outage's length);
    # a month also covers replaying a dead letter or a stream a while later.
    processed_events_retention_days: float = 30
    # Idempotency records: a client retries within hours (the gateway keeps its own 24 h).
    idempotency_retention_days: float = 30
    prune_interval_seconds: float = 3600
    # The till's usual calls served in front of FastAPI's router (kit.fastpath), with the
    # routes' own answers; false sends every call through the routes.
    fast_routes: bool = True
    # Tracing (kit.tracing, docs/operations.md "Traces"): off unless an exporter is named.
    # otlp sends to a collector (OTLP over HTTP, e.g. http://otel-collector:4318); file writes
    # one JSON line per span under tracing_dir, what `make run` and the tests read back.
    tracing_exporter: TracingExporter = "none"
    otlp_endpoint: str = "http://127.0.0.1:4318"
    # Head sampling of traces that start here (a request, an event with no trace of its own);
    # a caller's sampled or unsampled decision is kept. The production overlay sets 0.1.
    tracing_sample_rate: float = Field(default=1.0, ge=0.0, le=1.0)
    # A request whose trace is not sampled is kept all the same, as its server span, when it
    # answers 5xx or raises, or takes longer than this (0: only the failed ones).
    tracing_keep_slower_than_ms: int = Field(default=500, ge=0)
    tracing_dir: str = "run/traces"
    # Where the process runs, e.g. "production": OpenTelemetry's deployment.environment.name.
    deployment_environment: str = "development"
