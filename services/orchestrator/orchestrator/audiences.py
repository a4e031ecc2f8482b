"""Audience segments the built-in templates name, made to exist in segments.

The birthday and quarterly templates run over `all_members` and `bought_last_quarter`. Copying
or publishing a chain that names one of them by that name makes sure segments has a rule segment
of that name (created through segments' public API when missing, found by name otherwise) and
points the chain at its id, which is what segments pages members by.
"""

from typing import Any
from urllib.parse import quote

import httpx

from kit.paging import MAX_LIMIT
from orchestrator.definitions.model import ChainDefinition
from orchestrator.errors import SegmentsUnavailable, UnknownSegment

WELL_KNOWN: dict[str, dict[str, Any]] = {
    "all_members": {
        "description": "Every customer segments knows (created for the built-in chains)",
        "definition": {"aggregate": "purchase_count", "op": "gte", "value": 0},
    },
    "bought_last_quarter": {
        "description": "Bought at least once in the previous calendar quarter (created for the "
        "built-in quarterly bonus)",
        "definition": {
            "aggregate": "purchase_count",
            "window": {"period": "previous_quarter"},
            "op": "gte",
            "value": 1,
        },
    },
}


async def with_audience(segments: httpx.AsyncClient, chain: ChainDefinition) -> ChainDefinition:
    """The chain, its well-known audience segment name replaced by the segment's id."""
    name = chain.audience.segment_id
    if name not in WELL_KNOWN:
        return chain
    segment_id = await ensure_segment(segments, name)
    audience = chain.audience.model_copy(update={"segment_id": segment_id})
    return chain.model_copy(update={"audience": audience})


async def ensure_segment(segments: httpx.AsyncClient, name: str) -> str:
    """The id of the rule segment called `name`, created from its well-known rule if missing."""
    try:
        found = await _by_name(segments, name)
        if found is None:
            created = await segments.post("/segments", json={"name": name, **WELL_KNOWN[name]})
            created.raise_for_status()
            found = str(created.json()["id"])
    except httpx.HTTPError as exc:
        raise SegmentsUnavailable(f"segments did not answer: {exc}") from exc
    return found


async def resolve(segments: httpx.AsyncClient, segment: str) -> str:
    """The id of an existing segment named by id (or by a well-known name, made to exist)."""
    if segment in WELL_KNOWN:
        return await ensure_segment(segments, segment)
    try:
        found = await segments.get(f"/segments/{quote(segment, safe='')}")
    except httpx.HTTPError as exc:
        raise SegmentsUnavailable(f"segments did not answer: {exc}") from exc
    if found.status_code == 404:
        raise UnknownSegment(f"segments has no segment {segment!r}")
    if found.status_code != 200:
        raise SegmentsUnavailable(f"segments answered {found.status_code}")
    return segment


async def _by_name(segments: httpx.AsyncClient, name: str) -> str | None:
    ids: list[str] = []
    cursor: str | None = None
    while True:  # every page of rule segments: the name may be on any of them
        params: dict[str, str | int] = {"kind": "rule", "limit": MAX_LIMIT}
        if cursor:
            params["cursor"] = cursor
        listed = await segments.get("/segments", params=params)
        listed.raise_for_status()
        page = listed.json()
        ids += [str(s["id"]) for s in page["items"] if s.get("name") == name]
        cursor = page["next_cursor"]
        if cursor is None:
            return min(ids, default=None)
