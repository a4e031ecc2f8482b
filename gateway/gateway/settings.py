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
    upstream_timeout_seconds: float = 5.0
