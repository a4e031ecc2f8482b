from itertools import pairwise

from pydantic import field_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class SegmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SEGMENTS_", extra="ignore", frozen=True)

    service_name: str = "segments"
    database_url: str = "sqlite+aiosqlite:///./run/data/segments.db"
    # First day of cooling, sleeping, at risk and lost: active < 30, cooling 30-59, ... lost > 120.
    recency_edges_days: tuple[int, int, int, int] = (30, 60, 90, 121)
    # RFM quintiles are taken over the purchases of this trailing window.
    rfm_window_days: int = 365
    # The daily full recompute: a Temporal schedule (cron, UTC) on this task queue.
    recompute_cron: str = "15 2 * * *"
    recompute_schedule_id: str = "segments-daily-recompute"
    task_queue: str = "segments"
    # Connections the full recompute works on side by side (PostgreSQL only): one per core
    # the database can spare at that hour; 1 runs it on a single connection.
    recompute_parallelism: int = 2

    def _namespaced(self, name: str) -> str:
        # Platforms sharing one Temporal (tests, benchmarks) must not share a schedule or queue.
        return f"{self.event_namespace}-{name}" if self.event_namespace else name

    @property
    def schedule_id(self) -> str:
        return self._namespaced(self.recompute_schedule_id)

    @property
    def recompute_task_queue(self) -> str:
        return self._namespaced(self.task_queue)

    @field_validator("recency_edges_days")
    @classmethod
    def _increasing(cls, edges: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        if edges[0] < 1 or any(a >= b for a, b in pairwise(edges)):
            raise ValueError("recency edges must be positive and strictly increasing")
        return edges

    @field_validator("recompute_parallelism")
    @classmethod
    def _at_least_one(cls, parallelism: int) -> int:
        if not 1 <= parallelism <= 32:
            raise ValueError("the recompute's parallelism must be between 1 and 32")
        return parallelism

    @field_validator("rfm_window_days")
    @classmethod
    def _positive(cls, days: int) -> int:
        if days < 1:
            raise ValueError("the RFM window must be at least one day")
        return days
