from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class LaunchInput(_Frozen):
    chain_id: str
    day: str | None = None  # ISO date of the run; fixed at the first run, kept on continue
    cursor: str | None = None
    enrolled: int = 0


class LaunchBatch(_Frozen):
    chain_id: str
    day: str
    members: list[str]


class Launched(_Frozen):
    enrolled: int
    segment: str | None  # the audience paged; None when the chain is not active
