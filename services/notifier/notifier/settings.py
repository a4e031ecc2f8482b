from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class NotifierSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", extra="ignore", frozen=True)

    service_name: str = "notifier"
    database_url: str = "sqlite+aiosqlite:///./run/data/notifier.db"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    email_from: str = "Rewards <rewards@example.com>"
