from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    customer_id: str
    registered_at: datetime | None
    city: str | None
    birthday: date | None
    time_zone: str
    subscribed_channels: list[str]
