"""Chain workflows; each enrollment is one durable workflow, id ``chain/{chain}/{customer}``."""


def chain_workflow_id(chain_id: str, customer_id: str) -> str:
    return f"chain/{chain_id}/{customer_id}"
