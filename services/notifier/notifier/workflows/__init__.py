"""The notifier's durable workflows, on its own task queue; their contract is shared
(`kit.contracts.delivery`)."""

from kit.contracts.delivery import DELIVERY_WORKFLOW, delivery_workflow_id

__all__ = ["DELIVERY_WORKFLOW", "delivery_workflow_id"]
