"""The delivery workflow's contract is one: the notifier serves it, the orchestrator uses it."""

from kit.contracts.delivery import DELIVERY_WORKFLOW, DeliveryRequest, DeliveryResult
from kit.errors import IdempotencyKeyReused
from loyalty import errors as loyalty_errors
from notifier import deliveries
from notifier.workflows.delivery import DeliveryWorkflow
from orchestrator.workflows import delivery as chain_delivery
from orchestrator.workflows.messages import SendMessage


def test_the_notifier_serves_the_workflow_the_orchestrator_starts() -> None:
    defined = getattr(DeliveryWorkflow, "__temporal_workflow_definition")
    assert defined.name == DELIVERY_WORKFLOW == chain_delivery.DELIVERY_WORKFLOW
    assert chain_delivery.delivery_workflow_id("chain/x/c/offer") == "delivery/chain/x/c/offer"
    assert defined.ret_type is DeliveryResult


def test_what_a_chain_sends_is_a_delivery_request() -> None:
    message = SendMessage(
        idempotency_key="chain/x/c/offer",
        customer_id="c",
        template="offer",
        source="chain:x:v1:offer",
        channels=["push", "email"],
        reaction_window_seconds=600,
    )
    request = DeliveryRequest.model_validate(message.notifier_body())
    assert (request.cascade, request.reaction_window_seconds) == (["push", "email"], 600)


def test_idempotency_key_reuse_is_one_error_everywhere() -> None:
    assert loyalty_errors.IdempotencyKeyReused is IdempotencyKeyReused
    assert deliveries.IdempotencyKeyReused is IdempotencyKeyReused
