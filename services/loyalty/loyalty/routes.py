from fastapi import APIRouter, status

from kit.web import SessionDep
from loyalty import service
from loyalty.schemas import MemberCreate, MemberOut

router = APIRouter(prefix="/members", tags=["members"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=MemberOut)
async def register_member(data: MemberCreate, session: SessionDep) -> MemberOut:
    member = await service.register_member(session, data)
    return MemberOut.model_validate(member)


@router.get("/{member_id}", response_model=MemberOut)
async def get_member(member_id: str, session: SessionDep) -> MemberOut:
    return MemberOut.model_validate(await service.get_member(session, member_id))
