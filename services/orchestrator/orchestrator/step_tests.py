"""A test send of one chain step: its template, on one of its channels, to a test recipient,
with the variables the chain would pass there. The notifier sends it outside every quota and
every analytics count, and only to a customer flagged as a test recipient."""

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx

from kit.errors import DomainError, NotFound
from orchestrator.definitions.model import ChainDefinition, GrantBonusStep, SendStep
from orchestrator.errors import NotifierUnavailable
from orchestrator.schemas import StepTestSend


class StepNotFound(NotFound):
    code = "step_not_found"
    title = "The chain's draft has no send step with this id"


class ChannelNotInStep(DomainError):
    code = "channel_not_in_step"
    status = 422
    title = "The step does not send on this channel"


class NotifierRefused(DomainError):
    """The notifier's own problem (not a test recipient, unreachable), passed on as it came."""

    def __init__(self, answer: httpx.Response) -> None:
        problem = answer.json()
        super().__init__(str(problem.get("detail", "")))
        self.status, self.code = answer.status_code, str(problem.get("code", "notifier_refused"))
        self.title = str(problem.get("title", "The notifier refused the test send"))


def send_step(chain: ChainDefinition, step_id: str) -> SendStep:
    for step in chain.steps:
        if isinstance(step, SendStep) and step.id == step_id:
            return step
    raise StepNotFound(f"no send step {step_id!r} in the draft of {chain.id!r}")


def variables_at(chain: ChainDefinition, step: SendStep, now: datetime) -> dict[str, object]:
    """What an enrollment would pass at `step`: the first grant before it, and its expiry."""
    found: dict[str, object] = {}
    for earlier in chain.steps:
        if earlier.id == step.id:
            break
        if isinstance(earlier, GrantBonusStep) and "points" not in found:
            days = earlier.active_after_days + earlier.lifetime_days
            found["points"] = earlier.amount
            found["points_expire_at"] = (now + timedelta(days=days)).isoformat()
    return {**found, **step.variables}


async def test_send(
    notifier: httpx.AsyncClient, chain: ChainDefinition, step_id: str, body: StepTestSend
) -> dict[str, object]:
    step = send_step(chain, step_id)
    channel = body.channel or step.channels[0]
    if channel not in step.channels:
        raise ChannelNotInStep(f"{step_id} sends on {', '.join(step.channels)}")
    request = {
        "customer_id": body.customer_id,
        "variables": variables_at(chain, step, datetime.now(UTC)),
    }
    path = f"/templates/{quote(step.template, safe='')}/{channel}/test-send"
    try:
        answer = await notifier.post(path, json=request)
    except httpx.HTTPError as exc:
        raise NotifierUnavailable(str(exc)) from exc
    if answer.status_code >= 500:
        raise NotifierUnavailable(f"POST test-send answered {answer.status_code}")
    if answer.status_code != 200:
        raise NotifierRefused(answer)
    sent: dict[str, object] = answer.json()
    return {**sent, "chain_id": chain.id, "step_id": step.id}
