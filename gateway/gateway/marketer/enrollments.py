"""A chain's enrollments, as the orchestrator pages them."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_ITEM: dict[str, Any] = {
    "customer_id": "5b0e9c1e-3f55-4c4a-9d0e-2f6f1c0a9b11",
    "workflow_id": "chain/winback/5b0e9c1e-3f55-4c4a-9d0e-2f6f1c0a9b11",
    "version": 2,
    "holdout": False,
    "status": "active",
    "step": "wait_reminder",
    "touches": 1,
    "exit_reason": None,
    "enrolled_at": "2026-12-01T09:30:00Z",
    "exited_at": None,
}


class EnrollmentItem(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_ITEM]})

    customer_id: str
    workflow_id: str
    version: int
    holdout: bool = Field(description="In the control group: walks the chain, receives nothing")
    status: str = Field(description="`active` or `exited`")
    step: str | None = Field(description="The step an active enrollment is at now")
    touches: int
    exit_reason: str | None = Field(description="purchase, completed, cancelled, max_touches, …")
    enrolled_at: datetime
    exited_at: datetime | None


class EnrollmentCounts(BaseModel):
    """Over every enrollment of the chain, not only the page."""

    total: int
    by_status: dict[str, int]
    by_version: dict[str, int] = Field(description="Keyed by version number")
    by_exit_reason: dict[str, int]
    by_step: dict[str, int] = Field(
        description="By the step an active enrollment is at, or an exited one left the chain at"
    )


class EnrollmentPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "chain_id": "winback",
                    "counts": {
                        "total": 120,
                        "by_status": {"active": 80, "exited": 40},
                        "by_version": {"1": 30, "2": 90},
                        "by_exit_reason": {"purchase": 31, "completed": 9},
                        "by_step": {"offer": 12, "wait_reminder": 68, "wait_goal": 40},
                    },
                    "items": [_ITEM],
                    "next_cursor": "MjAyNi0xMi0wMVQwOTozMDowMCswMDowMHw0Mg",
                }
            ]
        }
    )

    chain_id: str
    counts: EnrollmentCounts
    items: list[EnrollmentItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last")
