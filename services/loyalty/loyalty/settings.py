from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class LoyaltySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOYALTY_", extra="ignore", frozen=True)

    service_name: str = "loyalty"
    database_url: str = "sqlite+aiosqlite:///./run/data/loyalty.db"
