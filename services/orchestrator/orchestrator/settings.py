from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class OrchestratorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHESTRATOR_", extra="ignore", frozen=True)

    service_name: str = "orchestrator"
    database_url: str = "sqlite+aiosqlite:///./run/data/orchestrator.db"
    task_queue: str = "orchestrator"
    notifier_url: str = "http://127.0.0.1:8003"
    loyalty_url: str = "http://127.0.0.1:8001"
    segments_url: str = "http://127.0.0.1:8002"
