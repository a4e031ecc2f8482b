"""The behaviour projection: events in, one profile per customer out."""

from sqlalchemy.ext.asyncio import AsyncSession

from kit.clock import utcnow
from kit.contracts import MemberRegistered
from kit.errors import NotFound
from segments import repository
from segments.models import CustomerProfile


class ProfileNotFound(NotFound):
    code = "profile_not_found"
    title = "No profile for this customer"


async def record_registration(session: AsyncSession, event: MemberRegistered) -> None:
    assert event.customer_id is not None
    profile = await repository.get_profile(session, event.customer_id)
    if profile is None:
        profile = CustomerProfile(customer_id=event.customer_id)
        repository.add_profile(session, profile)
    payload = event.payload
    profile.registered_at = event.occurred_at
    profile.city = payload.city
    profile.birthday = payload.birthday
    profile.time_zone = payload.time_zone
    profile.subscribed_channels = sorted(ch for ch, granted in payload.consents.items() if granted)
    profile.updated_at = utcnow()


async def get_profile(session: AsyncSession, customer_id: str) -> CustomerProfile:
    profile = await repository.get_profile(session, customer_id)
    if profile is None:
        raise ProfileNotFound()
    return profile
