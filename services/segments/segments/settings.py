from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class SegmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEGMENTS_", extra="ignore", frozen=True)

    service_name: str = "segments"
    database_url: str = "sqlite+aiosqlite:///./run/data/segments.db"
