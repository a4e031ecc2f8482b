from typing import Annotated

from fastapi import APIRouter, Depends, Request

from kit.web import SessionDep
from notifier import service
from notifier.channels import EmailSender, SmtpEmailSender
from notifier.schemas import DeliveryOut, DeliveryRequest

router = APIRouter(prefix="/deliveries", tags=["deliveries"])


def email_sender(request: Request) -> EmailSender:
    sender: SmtpEmailSender = request.app.state.email_sender
    return sender


EmailDep = Annotated[EmailSender, Depends(email_sender)]


@router.post("", response_model=DeliveryOut, status_code=201)
async def deliver(body: DeliveryRequest, session: SessionDep, email: EmailDep) -> DeliveryOut:
    return DeliveryOut.model_validate(await service.deliver(session, body, email))


@router.get("/{delivery_id}", response_model=DeliveryOut)
async def get_delivery(delivery_id: str, session: SessionDep) -> DeliveryOut:
    return DeliveryOut.model_validate(await service.get_delivery(session, delivery_id))
