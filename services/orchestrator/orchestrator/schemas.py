from pydantic import BaseModel


class EnrollmentOut(BaseModel):
    workflow_id: str
    chain_id: str
    customer_id: str
    status: str
    step: str | None = None
    touches: int | None = None
    exit_reason: str | None = None
