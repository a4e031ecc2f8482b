"""Before a chain is published: every send step's template exists on every channel of its
cascade, asked of the notifier (which owns templates), so no enrollment fails at its sends."""

from urllib.parse import quote

import httpx

from orchestrator.definitions.model import ChainDefinition, SendStep
from orchestrator.errors import NotifierUnavailable, TemplatesMissing


async def missing_templates(
    notifier: httpx.AsyncClient, chain: ChainDefinition
) -> list[dict[str, str]]:
    """`{step, template, channel}` for each send step's channel the notifier has no template
    for (its own default or a saved one)."""
    missing: list[dict[str, str]] = []
    for step in chain.steps:
        if not isinstance(step, SendStep):
            continue
        for channel in step.channels:
            if not await _exists(notifier, step.template, channel):
                missing.append({"step": step.id, "template": step.template, "channel": channel})
    return missing


async def _exists(notifier: httpx.AsyncClient, template: str, channel: str) -> bool:
    try:
        answer = await notifier.get(f"/templates/{quote(template, safe='')}/{channel}")
    except httpx.HTTPError as exc:
        raise NotifierUnavailable(str(exc)) from exc
    if answer.status_code == 404:
        return False
    if answer.status_code != 200:
        raise NotifierUnavailable(f"GET /templates answered {answer.status_code}")
    return True


async def check_templates(notifier: httpx.AsyncClient, chain: ChainDefinition) -> None:
    missing = await missing_templates(notifier, chain)
    if missing:
        named = "; ".join(f"step {m['step']}: {m['template']} on {m['channel']}" for m in missing)
        raise TemplatesMissing(f"no template for {named}", missing=missing)
