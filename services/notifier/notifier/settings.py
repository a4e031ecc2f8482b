from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    database_url: str = "sqlite+aiosqlite:///./run/data/notifier.db"
    task_queue: str = "notifier"
    # A delivery waits hours for a click or a receipt, and a campaign starts thousands: each
    # one kept in memory costs about 0.3 MB (docs/operations.md, "Workflows kept in memory").
    workflow_cache: int = Field(default=20, ge=1)
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "Rewards <rewards@example.com>"
    # HTTP providers for push, SMS and messenger (the local HTTP provider sink in development).
    provider_url: str = "http://127.0.0.1:8026"
    provider_api_key: str = "dev-provider-key"
    provider_timeout_seconds: float = 5.0
    provider_attempts: int = 3
    provider_backoff_seconds: float = 0.2
    # Shared with the providers: signs their delivery callbacks.
    callback_secret: str = "dev-callback-secret"
    callback_tolerance_seconds: int = 300
    # Where providers send their delivery callbacks (this service's own URL).
    callback_url: str = "http://127.0.0.1:8003/callbacks/provider"
    # Signs click links, open pixels and unsubscribe links; served through the gateway.
    tracking_secret: str = "dev-tracking-secret"
    public_url: str = "http://127.0.0.1:8000"
    sms_cost_per_segment: int = 5  # minor units
    # A send that fails for want of a dependency (the provider, the SMTP relay, the database)
    # is tried this many times, waiting from the first backoff doubling to the longest (about
    # half an hour by default); then the channel fails with `gave_up:…` and the cascade moves on.
    send_attempts: int = Field(35, ge=1)
    send_backoff_seconds: float = Field(1.0, gt=0)
    send_max_backoff_seconds: float = Field(60.0, gt=0)
    # How long a marketing message waits when the policy store (Redis) does not answer.
    policy_unavailable_retry_seconds: int = 60
    # Where a click goes when the message names no link of its own.
    default_link: str = "https://example.com/"
