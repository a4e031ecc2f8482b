"""Events the orchestrator publishes about enrollments."""

from typing import Literal

from kit.events import Event, Payload


class ChainEnrolledPayload(Payload):
    chain_id: str
    workflow_id: str
    chain_version: int = 1
    holdout: bool = False


class ChainEnrolled(Event):
    source = "orchestrator"
    type: Literal["chain.enrolled"] = "chain.enrolled"
    version: Literal[1] = 1
    payload: ChainEnrolledPayload


class ChainExitedPayload(Payload):
    chain_id: str
    workflow_id: str
    chain_version: int
    reason: str  # purchase, completed, cancelled, max_duration, max_touches, ...


class ChainExited(Event):
    source = "orchestrator"
    type: Literal["chain.exited"] = "chain.exited"
    version: Literal[1] = 1
    payload: ChainExitedPayload


EVENTS: tuple[type[Event], ...] = (ChainEnrolled, ChainExited)
