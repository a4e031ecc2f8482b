from fastapi import FastAPI

from kit.web import create_service_app
from loyalty.routes import router
from loyalty.settings import LoyaltySettings


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    return create_service_app(
        settings or LoyaltySettings(),
        title="Loyalty service",
        description="Members, tiers, bonus lots, the ledger journal, purchases and returns.",
        routers=[router],
    )
