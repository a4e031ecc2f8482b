"""How the marketer routes document their problem+json answers."""

from typing import Any

from kit.errors import PROBLEM_JSON


def problems(codes: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """`{status: "the codes"}` as OpenAPI responses with the problem+json media type."""
    return {
        status: {"description": description, "content": {PROBLEM_JSON: {}}}
        for status, description in codes.items()
    }
