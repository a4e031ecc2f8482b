from fastapi import FastAPI

from kit.resources import Resources
from kit.web import create_service_app
from loyalty.routes import grants_router, purchases_router, router
from loyalty.settings import LoyaltySettings


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    settings = settings or LoyaltySettings()

    async def on_startup(app: FastAPI, _resources: Resources) -> None:
        app.state.rules = settings.program_rules()

    return create_service_app(
        settings,
        title="Loyalty service",
        description="Members, tiers, bonus lots, the ledger journal, purchases and returns.",
        routers=[router, grants_router, purchases_router],
        on_startup=on_startup,
    )
