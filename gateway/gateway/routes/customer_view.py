"""The customer view for marketers and support, composed from every service's read routes.

The services are asked at once; loyalty not knowing the customer is a 404 `customer_not_found`
(its own answer in the public API's words), the notifier not knowing them yet is `contact: null`.
"""

import asyncio
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Response

from gateway.auth import scoped
from gateway.keys import Caller
from gateway.marketer.customer import (
    Balance,
    Contact,
    CustomerEnrollments,
    CustomerView,
    Lots,
    Messages,
    Profile,
    Purchases,
    SegmentMembership,
)
from gateway.problems import public_problem
from gateway.upstreams import (
    Answer,
    Loyalty,
    Notifier,
    Orchestrator,
    Segments,
    ServiceClient,
    UpstreamUnavailable,
    ask,
    forward,
)
from kit.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1", tags=["customer view"])
Marketer = Annotated[Caller, Depends(scoped("marketer"))]
Limit = Annotated[int, Query(ge=1, le=100)]
FIRST_PAGE = 10


def _segment(customer_id: str) -> str:
    """The id as one path segment: a `?` or `/` in it must not become the query or a path."""
    return quote(customer_id, safe="")


def _page(cursor: str | None, limit: int) -> str:
    return urlencode({"limit": limit, **({"cursor": cursor} if cursor else {})})


@router.get(
    "/customers/{customer_id}/view",
    response_model=CustomerView,
    summary="One customer for support: profile, consents, points, purchases with their "
    "returns, lots with where each came from, segments, enrollments with their steps, messages "
    "with their policy decisions (404 `customer_not_found`)",
)
async def customer_view(
    customer_id: str,
    _key: Marketer,
    loyalty: Loyalty,
    notifier: Notifier,
    segments: Segments,
    orchestrator: Orchestrator,
) -> Response | CustomerView:
    first, customer = _page(None, FIRST_PAGE), _segment(customer_id)
    answers = await asyncio.gather(
        ask(loyalty, "GET", f"/members/{customer}"),
        ask(loyalty, "GET", f"/members/{customer}/balance"),
        ask(loyalty, "GET", f"/members/{customer}/purchases?{first}"),
        ask(loyalty, "GET", f"/members/{customer}/lots?{first}"),
        ask(notifier, "GET", f"/contacts/{customer}"),
        ask(segments, "GET", f"/customers/{customer}/segments"),
        ask(orchestrator, "GET", f"/customers/{customer}/enrollments?{first}"),
        ask(notifier, "GET", f"/customers/{customer}/deliveries?{first}"),
    )
    member, balance, purchases, lots, contact, memberships, enrollments, messages = answers
    if 400 <= member.status_code < 500:  # loyalty's own answer, in the public API's words
        return Response(public_problem(member.content), member.status_code, media_type=PROBLEM_JSON)
    return CustomerView(
        profile=Profile.model_validate(_ok(member)),
        balance=Balance.model_validate(_ok(balance)),
        contact=None if contact.status_code == 404 else Contact.model_validate(_ok(contact)),
        segments=[SegmentMembership.model_validate(s) for s in _listed(memberships)],
        purchases=Purchases.model_validate(_ok(purchases)),
        lots=Lots.model_validate(_ok(lots)),
        enrollments=CustomerEnrollments.model_validate(_ok(enrollments)),
        messages=Messages.model_validate(_ok(messages)),
    )


async def _paged(client: ServiceClient, path: str, cursor: str | None, limit: int) -> Response:
    return await forward(client, "GET", f"{path}?{_page(cursor, limit)}")


def _ok(answer: Answer) -> object:
    if not answer.is_success:
        raise UpstreamUnavailable(f"a service answered {answer.status_code}")
    return answer.json()


def _listed(answer: Answer) -> list[object]:
    found = [] if answer.status_code == 404 else _ok(answer)
    return found if isinstance(found, list) else []


@router.get(
    "/customers/{customer_id}/purchases",
    response_model=Purchases,
    summary="A customer's confirmed purchases, newest first, each with its returns "
    "(404 `customer_not_found`, 400 `invalid_cursor`)",
)
async def purchases(
    customer_id: str,
    _key: Marketer,
    client: Loyalty,
    cursor: str | None = None,
    limit: Limit = 20,
) -> Response:
    return await _paged(client, f"/members/{_segment(customer_id)}/purchases", cursor, limit)


@router.get(
    "/customers/{customer_id}/lots",
    response_model=Lots,
    summary="A customer's lots of points, newest first, each with where it came from "
    "(404 `customer_not_found`, 400 `invalid_cursor`)",
)
async def lots(
    customer_id: str,
    _key: Marketer,
    client: Loyalty,
    cursor: str | None = None,
    limit: Limit = 20,
) -> Response:
    return await _paged(client, f"/members/{_segment(customer_id)}/lots", cursor, limit)


@router.get(
    "/customers/{customer_id}/enrollments",
    response_model=CustomerEnrollments,
    summary="A customer's enrollments, newest first, with the steps each has passed "
    "(400 `invalid_cursor`)",
)
async def enrollments(
    customer_id: str,
    _key: Marketer,
    client: Orchestrator,
    cursor: str | None = None,
    limit: Limit = 20,
) -> Response:
    return await _paged(client, f"/customers/{_segment(customer_id)}/enrollments", cursor, limit)


@router.get(
    "/customers/{customer_id}/messages",
    response_model=Messages,
    summary="A customer's messages, newest first, with every policy decision (why deferred, "
    "why dropped) (400 `invalid_cursor`)",
)
async def messages(
    customer_id: str,
    _key: Marketer,
    client: Notifier,
    cursor: str | None = None,
    limit: Limit = 20,
) -> Response:
    return await _paged(client, f"/customers/{_segment(customer_id)}/deliveries", cursor, limit)
