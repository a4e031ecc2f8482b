"""For tests that ask the same questions of fast routes (kit.fastpath) and of the routes
themselves: which requests went through FastAPI's dependency solving, and answers made
comparable across two runs."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import routing

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$")


@contextmanager
def routed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """One entry per request that went through FastAPI's dependency solving, in any app of
    this process."""
    solved: list[int] = []
    solve = routing.solve_dependencies

    async def counting(*args: Any, **kwargs: Any) -> Any:
        solved.append(1)
        return await solve(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(routing, "solve_dependencies", counting)
        yield solved


def plain(value: Any, names: dict[str, str]) -> Any:
    """An answer with one run's own ids (``names``' keys, wherever they appear) named by role,
    and its clock readings as <time>."""
    if isinstance(value, dict):
        return {k: plain(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, names) for v in value]
    if isinstance(value, str):
        if value in names:
            return names[value]
        if ISO_TIME.match(value):
            return "<time>"
        for known, name in names.items():
            value = value.replace(known, name)
    return value
