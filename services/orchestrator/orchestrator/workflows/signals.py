"""What a chain does with what it hears: plain rules over the enrollment's state, applied by
the workflow's signal handlers and by a dry run's assumed events alike."""

from typing import Any

from orchestrator.definitions.model import ChainDefinition
from orchestrator.workflows.messages import EnrollmentState


def hear_customer_event(
    chain: ChainDefinition, state: EnrollmentState, event_type: str, payload: dict[str, Any]
) -> None:
    """The trigger (its payload is what messages personalise with) or a later event."""
    if not state.trigger or event_type == getattr(chain.trigger, "event", None):
        state.trigger = dict(payload)
    state.see(event_type)
    if event_type in chain.exits.on_events:
        state.exit(event_type.replace(".", "_"))


def hear_purchase(chain: ChainDefinition, state: EnrollmentState, redeemed_points: int) -> None:
    state.see("purchase")
    if chain.exits.on_bonus_redeemed and redeemed_points > 0 and state.granted_points:
        state.exit("bonus_redeemed")
    elif chain.exits.on_purchase:
        state.exit("purchase")
