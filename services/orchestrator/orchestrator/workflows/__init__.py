"""Chain workflows; each enrollment is one durable workflow, id ``chain/{chain}/{customer}``."""


def chain_workflow_id(chain_id: str, customer_id: str) -> str:
    return f"chain/{chain_id}/{customer_id}"


def parse_source(source: str) -> tuple[str, int, str] | None:
    """``chain:{chain}:v{version}:{step}`` (a delivery's source) into its parts."""
    parts = source.split(":")
    if len(parts) != 4 or parts[0] != "chain" or not parts[2].startswith("v"):
        return None
    try:
        return parts[1], int(parts[2][1:]), parts[3]
    except ValueError:
        return None
