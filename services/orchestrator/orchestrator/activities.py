"""Side effects of chains. Every call carries an idempotency key from workflow id and step,
so a retried activity never sends or grants twice."""

from typing import Any

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from kit.db import SessionFactory, unit_of_work
from orchestrator import enrollments
from orchestrator.campaigns.messages import BulkGrant, BulkGranted
from orchestrator.workflows.messages import (
    CustomerFacts,
    EnrollmentExit,
    GrantRequest,
    GrantResult,
    SendMessage,
    SendResult,
    StepReached,
)

# Answers that may change on a later attempt: the notifier has not seen the contact yet,
# a member is still being created, or a dependency is down. Every other 4xx is final.
RETRYABLE_CODES = {
    "contact_unknown",
    "member_not_found",
    "provider_unavailable",
    "service_unavailable",
}


class ChainActivities:
    def __init__(
        self,
        notifier: httpx.AsyncClient,
        loyalty: httpx.AsyncClient,
        segments: httpx.AsyncClient,
        sessions: SessionFactory,
    ) -> None:
        self.notifier = notifier
        self.loyalty = loyalty
        self.segments = segments
        self.sessions = sessions

    @activity.defn(name="send_message")
    async def send_message(self, message: SendMessage) -> SendResult:
        body = _answer(await self.notifier.post("/deliveries", json=message.notifier_body()))
        return SendResult(
            delivery_id=str(body["id"]),
            status=str(body.get("status", "queued")),
            channel=body.get("channel"),
            reason=body.get("reason"),
        )

    @activity.defn(name="grant_bonus")
    async def grant_bonus(self, grant: GrantRequest) -> GrantResult:
        body = grant.model_dump(mode="json", exclude_none=True)
        response = await self.loyalty.post("/grants", json=body)
        if response.status_code == 409 and _problem_code(response) == "member_city_unknown":
            return GrantResult(grant_id=None, amount=0)  # the chain goes on without the grant
        answer = _answer(response)
        return GrantResult(
            grant_id=str(answer["grant_id"]),
            amount=int(answer["amount"]),
            expires_at=answer.get("expires_at"),
        )

    async def bulk_grant(self, grant: BulkGrant) -> BulkGranted:
        """One campaign batch in one call (a campaign's batch activity calls it)."""
        body = grant.model_dump(mode="json", exclude_none=True)
        return BulkGranted.model_validate(
            _answer(await self.loyalty.post("/grants/bulk", json=body))
        )

    @activity.defn(name="customer_profile")
    async def customer_profile(self, customer_id: str) -> CustomerFacts:
        response = await self.segments.get(f"/customers/{customer_id}/profile")
        if response.status_code == 404:
            return CustomerFacts()  # not projected yet: no attributes to branch on
        return CustomerFacts(profile=_answer(response))

    @activity.defn(name="customer_segments")
    async def customer_segments(self, customer_id: str) -> CustomerFacts:
        response = await self.segments.get(f"/customers/{customer_id}/segments")
        if response.status_code == 404:
            return CustomerFacts()
        found: list[dict[str, Any]] = response.json() if response.is_success else _answer(response)
        names = [str(s[key]) for s in found for key in ("segment_id", "name") if s.get(key)]
        return CustomerFacts(segments=names)

    @activity.defn(name="record_step")
    async def record_step(self, reached: StepReached) -> None:
        async with unit_of_work(self.sessions) as session:
            await enrollments.record_step(session, reached)

    @activity.defn(name="record_exit")
    async def record_exit(self, exited: EnrollmentExit) -> None:
        async with unit_of_work(self.sessions) as session:
            await enrollments.record_exit(session, exited)


def _answer(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json()
    code = _problem_code(response)
    raise ApplicationError(
        f"{response.request.url.path} answered {response.status_code} {code}",
        type=code,
        non_retryable=response.status_code < 500 and code not in RETRYABLE_CODES,
    )


def _problem_code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code", f"http_{response.status_code}"))
    except ValueError:
        return f"http_{response.status_code}"
