from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    service_name: str = "gateway"
    database_url: str = "sqlite+aiosqlite:///./run/data/gateway.db"
    loyalty_url: str = "http://127.0.0.1:8001"
    segments_url: str = "http://127.0.0.1:8002"
    notifier_url: str = "http://127.0.0.1:8003"
    orchestrator_url: str = "http://127.0.0.1:8004"
    # Per attempt; an idempotent call is tried at most 1 + upstream_retries times.
    upstream_timeout_seconds: float = 5.0
    upstream_retries: int = 2
    # A streamed answer (an export) has no total timeout: it fails when the service sends
    # nothing for this long, and the client then sees a broken stream, never a short 200.
    stream_idle_timeout_seconds: float = 30.0
    # Requests per second and burst, per API key; routes that send messages have their own.
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 100
    costly_rate_limit_per_second: float = 1.0
    costly_rate_limit_burst: int = 10
    # Failed authentications per client address; past the burst the address is blocked (429)
    # from every key lookup that would read the database, until its budget refills.
    failed_auth_per_second: float = 1.0
    failed_auth_burst: int = 20
    # Shedding (gateway/shedding.py): at most this many POS writes (reserve, confirm, cancel,
    # return) and POS reads (quote, balance) in flight to loyalty per replica, and at most
    # *_waiting more waiting for a slot; a request that finds the queue full is refused with
    # 503 `overloaded` at once, one that waits shed_wait_seconds in vain then. Sized for two
    # cores, where a few ledger transactions at once already keep PostgreSQL busy. Two waiters
    # keep a refusal fast; more slots do not raise throughput there (docs/gateway.md).
    pos_write_concurrency: int = Field(6, ge=1)
    pos_write_waiting: int = Field(2, ge=0)
    pos_read_concurrency: int = Field(16, ge=1)
    pos_read_waiting: int = Field(8, ge=0)
    shed_wait_seconds: float = Field(0.025, ge=0)
    max_body_bytes: int = 256 * 1024
    idempotency_ttl_seconds: int = 24 * 3600
    # How long a duplicate waits for the first request carrying its key before a 409.
    idempotency_wait_seconds: float = 10.0
    # Console sessions (gateway/session.py): fixed lifetime; Secure cookies behind TLS.
    session_ttl_seconds: int = 3600
    session_cookie_secure: bool = False
    # The built console (console/dist); empty means the repository's own console/dist.
    console_dist: str = ""
