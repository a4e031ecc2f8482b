"""Loyalty's programme rules, asked over its internal API: the one source of a point's value."""

import httpx

from kit.contracts.programme import ProgrammeRules
from orchestrator.errors import LoyaltyUnavailable


async def rules(loyalty: httpx.AsyncClient) -> ProgrammeRules:
    try:
        answer = await loyalty.get("/programme")
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise LoyaltyUnavailable(f"loyalty's programme rules: {exc}") from exc
    return ProgrammeRules.model_validate(answer.json())
