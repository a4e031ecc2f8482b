"""What became of a campaign's messages, asked of the notifier, which owns deliveries: the
campaign itself only knows which members it handed over."""

import logging

import httpx

from orchestrator.schemas import MessageOutcomes

log = logging.getLogger(__name__)


def campaign_source(campaign_id: str) -> str:
    """The `source` a campaign's deliveries carry (see `activities._send`)."""
    return f"campaign:{campaign_id}"


async def of_campaign(notifier: httpx.AsyncClient, campaign_id: str) -> MessageOutcomes | None:
    """None when the notifier does not answer: the campaign is still shown, without them."""
    try:
        answer = await notifier.get("/outcomes", params={"source": campaign_source(campaign_id)})
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("message outcomes of campaign %s unavailable: %r", campaign_id, exc)
        return None
    return MessageOutcomes.model_validate(answer.json())
