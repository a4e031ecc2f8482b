"""The notifier's durable workflows, on its own task queue."""


def delivery_workflow_id(idempotency_key: str) -> str:
    return f"delivery/{idempotency_key}"
