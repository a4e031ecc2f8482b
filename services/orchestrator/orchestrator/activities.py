"""Side effects of chains; each call carries an idempotency key from workflow id and step."""

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from orchestrator.workflows.messages import SendMessage, SendResult

# Answers that may change on a later attempt: the notifier has not seen the contact yet,
# or a dependency is down. Every other 4xx is final.
RETRYABLE_CODES = {"contact_unknown", "provider_unavailable", "service_unavailable"}


class ChainActivities:
    def __init__(self, notifier: httpx.AsyncClient) -> None:
        self.notifier = notifier

    @activity.defn(name="send_message")
    async def send_message(self, message: SendMessage) -> SendResult:
        response = await self.notifier.post("/deliveries", json=message.model_dump(mode="json"))
        if response.status_code in (200, 201):
            return SendResult.model_validate(
                {"delivery_id": response.json()["id"], **response.json()}
            )
        code = _problem_code(response)
        raise ApplicationError(
            f"notifier answered {response.status_code} {code}",
            type=code,
            non_retryable=response.status_code < 500 and code not in RETRYABLE_CODES,
        )


def _problem_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", f"http_{response.status_code}"))
    except ValueError:
        return f"http_{response.status_code}"
