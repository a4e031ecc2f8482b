from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class OrchestratorSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHESTRATOR_", extra="ignore", frozen=True)

    service_name: str = "orchestrator"
    database_url: str = "sqlite+aiosqlite:///./run/data/orchestrator.db"
    task_queue: str = "orchestrator"
    # The notifier's task queue: a chain's messages run there as DeliveryWorkflow children.
    notifier_task_queue: str = "notifier"
    notifier_url: str = "http://127.0.0.1:8003"
    loyalty_url: str = "http://127.0.0.1:8001"
    segments_url: str = "http://127.0.0.1:8002"
    # Whether the Temporal server knows ChainId, ChainVersion, CustomerId, EnrollmentStatus.
    search_attributes: bool = True
    # What one message costs, in minor units, for ROI (an SMS once per segment); a redeemed
    # point costs what loyalty's programme says it pays for (GET /programme on loyalty).
    channel_costs: dict[str, int] = {"email": 1, "push": 1, "messenger": 2, "sms": 6}
    # Gross margin on incremental revenue, in basis points: 10 000 counts all of it as profit.
    margin_bp: int = 10_000
    # Campaign pacing defaults.
    campaign_batch_size: int = 100
    campaign_concurrency: int = 10
