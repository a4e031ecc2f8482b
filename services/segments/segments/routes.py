from fastapi import APIRouter

from kit.web import SessionDep
from segments import service
from segments.schemas import ProfileOut

router = APIRouter(prefix="/customers", tags=["customers"])


@router.get("/{customer_id}/profile", response_model=ProfileOut)
async def get_profile(customer_id: str, session: SessionDep) -> ProfileOut:
    return ProfileOut.model_validate(await service.get_profile(session, customer_id))
