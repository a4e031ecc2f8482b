from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.contracts.programme import ProgrammeRules
from kit.db import unit_of_work
from kit.web import SessionDep, resources_of
from loyalty import balance, grants, history, purchases, returns, service, till_driver
from loyalty.domain.rules import MINOR_UNITS_PER_POINT, ProgramRules
from loyalty.history_schemas import LotsPage, PurchasesPage
from loyalty.purchase_schemas import (
    CancellationOut,
    ConfirmationOut,
    QuoteOut,
    Receipt,
    ReservationOut,
    ReserveRequest,
    ReturnOut,
    ReturnRequest,
    StepRequest,
)
from loyalty.schemas import (
    BalanceOut,
    BulkGrantOut,
    BulkGrantRequest,
    GrantOut,
    GrantRequest,
    MemberCreate,
    MemberOut,
)

router = APIRouter(prefix="/members", tags=["members"])
grants_router = APIRouter(prefix="/grants", tags=["grants"])
purchases_router = APIRouter(prefix="/purchases", tags=["purchases"])
programme_router = APIRouter(prefix="/programme", tags=["programme"])
IdempotencyKey = Annotated[str | None, Header(max_length=200)]
# txids are unique per store: a step names the store whose purchase it is. Without it, the
# txid must be unique across stores (else 409 `txid_ambiguous`).
StoreId = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=64,
        description="The store that reserved the purchase (txids are unique per store)",
    ),
]
PageLimit = Annotated[int, Query(ge=1, le=100)]


def json_answer(answer: BaseModel, status_code: int = status.HTTP_200_OK) -> Response:
    """The answer's JSON as it is: a returned model would be validated a second time."""
    return Response(answer.model_dump_json(), status_code, media_type="application/json")


def rules_of(request: Request) -> ProgramRules:
    rules: ProgramRules = request.app.state.rules
    return rules


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberOut)
async def register_member(
    data: MemberCreate, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> Response:
    answer = await service.register_member(session, data, idempotency_key)
    return json_answer(answer, status.HTTP_201_CREATED)


@router.get("/{member_id}", response_model=MemberOut)
async def get_member(member_id: str, session: SessionDep) -> MemberOut:
    return MemberOut.model_validate(await service.get_member(session, member_id))


@router.get("/{member_id}/balance", response_model=BalanceOut)
async def get_balance(member_id: str, session: SessionDep) -> BalanceOut:
    return await balance.balance(session, member_id)


@router.get(
    "/{member_id}/purchases",
    response_model=PurchasesPage,
    summary="The member's confirmed purchases, newest first, each with its returns "
    "(404 `member_not_found`, 400 `invalid_cursor`)",
)
async def member_purchases(
    member_id: str, session: SessionDep, cursor: str | None = None, limit: PageLimit = 20
) -> PurchasesPage:
    return await history.purchases(session, member_id, cursor, limit)


@router.get(
    "/{member_id}/lots",
    response_model=LotsPage,
    summary="The member's lots of points, newest first, each with where it came from "
    "(404 `member_not_found`, 400 `invalid_cursor`)",
)
async def member_lots(
    member_id: str, session: SessionDep, cursor: str | None = None, limit: PageLimit = 20
) -> LotsPage:
    return await history.lots(session, member_id, cursor, limit)


@grants_router.post("", status_code=status.HTTP_201_CREATED, response_model=GrantOut)
async def grant(
    body: GrantRequest, request: Request, response: Response, session: SessionDep
) -> GrantOut:
    answer, new = await grants.grant(session, rules_of(request), body)
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return answer


@grants_router.post("/bulk", status_code=status.HTTP_201_CREATED, response_model=BulkGrantOut)
async def bulk_grant(
    body: BulkGrantRequest, request: Request, response: Response, session: SessionDep
) -> BulkGrantOut:
    answer, new = await grants.bulk_grant(session, rules_of(request), body)
    response.status_code = status.HTTP_201_CREATED if new else status.HTTP_200_OK
    return answer


@purchases_router.post("/calculate", response_model=QuoteOut)
async def calculate(body: Receipt, request: Request) -> Response:
    return await quoted(request, body)


async def quoted(request: Request, body: Receipt) -> Response:
    reader: AsyncEngine = request.app.state.reader
    async with reader.connect() as connection:
        quote = await purchases.calculate(connection, rules_of(request), body)
    return json_answer(quote)


def _driver_engine(request: Request, idempotency_key: str | None) -> AsyncEngine | None:
    """The engine whose connections take the till's usual steps (loyalty.till_driver): on
    PostgreSQL, for a step without an Idempotency-Key."""
    engine = resources_of(request).engine
    if idempotency_key is not None or engine.dialect.name != "postgresql":
        return None
    return engine


# The two steps open their session only when loyalty.till_driver leaves the step to it.
@purchases_router.post("", status_code=status.HTTP_201_CREATED, response_model=ReservationOut)
async def reserve(
    body: ReserveRequest, request: Request, idempotency_key: IdempotencyKey = None
) -> Response:
    return await reserved(request, body, idempotency_key)


async def reserved(request: Request, body: ReserveRequest, idempotency_key: str | None) -> Response:
    rules, answer = rules_of(request), None
    if (engine := _driver_engine(request, idempotency_key)) is not None:
        answer = await till_driver.reserve(engine, rules, body)
    if answer is None:
        async with unit_of_work(resources_of(request).sessions) as session:
            answer = await purchases.reserve(session, rules, body, idempotency_key)
    return json_answer(answer, status.HTTP_201_CREATED)


@purchases_router.post("/{txid}/confirm", response_model=ConfirmationOut)
async def confirm(
    txid: str,
    request: Request,
    body: StepRequest | None = None,
    store_id: StoreId = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    return await confirmed(request, txid, body or StepRequest(), store_id, idempotency_key)


async def confirmed(
    request: Request,
    txid: str,
    step: StepRequest,
    store_id: str | None,
    idempotency_key: str | None,
) -> Response:
    rules, answer = rules_of(request), None
    engine = _driver_engine(request, idempotency_key)
    if engine is not None:
        answer = await till_driver.confirm(engine, rules, txid, store_id, step)
    if answer is None:
        async with unit_of_work(resources_of(request).sessions) as session:
            answer = await purchases.confirm(session, rules, txid, store_id, step, idempotency_key)
    return json_answer(answer)


@purchases_router.post("/{txid}/cancel", response_model=CancellationOut)
async def cancel(
    txid: str,
    session: SessionDep,
    body: StepRequest | None = None,
    store_id: StoreId = None,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    step = body or StepRequest()
    answer = await purchases.cancel(session, txid, store_id, step, idempotency_key)
    return json_answer(answer)


@purchases_router.post(
    "/{txid}/returns", status_code=status.HTTP_201_CREATED, response_model=ReturnOut
)
async def return_items(
    txid: str,
    body: ReturnRequest,
    request: Request,
    session: SessionDep,
    store_id: StoreId = None,
    idempotency_key: IdempotencyKey = None,
) -> ReturnOut:
    rules = rules_of(request)
    return await returns.return_items(session, rules, txid, store_id, body, idempotency_key)


# --- the programme's rules, read by other services (the orchestrator values points with them)


@programme_router.get("", response_model=ProgrammeRules)
async def programme(request: Request) -> ProgrammeRules:
    rules = rules_of(request)
    return ProgrammeRules(
        minor_units_per_point=MINOR_UNITS_PER_POINT,
        redemption_cap_bp=rules.redemption_cap_bp,
        time_zone=rules.time_zone,
    )
