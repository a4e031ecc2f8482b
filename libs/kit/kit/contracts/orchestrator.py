"""Events the orchestrator publishes."""

from typing import Literal

from kit.events import Event, Payload


class ChainEnrolledPayload(Payload):
    chain_id: str
    workflow_id: str


class ChainEnrolled(Event):
    source = "orchestrator"
    type: Literal["chain.enrolled"] = "chain.enrolled"
    version: Literal[1] = 1
    payload: ChainEnrolledPayload


EVENTS: tuple[type[Event], ...] = (ChainEnrolled,)
