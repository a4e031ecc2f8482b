from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from kit.resources import Resources
from kit.web import create_service_app
from loyalty.fast_routes import FAST_ROUTES
from loyalty.routes import grants_router, programme_router, purchases_router, router
from loyalty.settings import LoyaltySettings


def reader(engine: AsyncEngine) -> AsyncEngine:
    """For routes that read one statement and write nothing: no BEGIN and COMMIT round trips.

    SQLite's driver opens no transaction for a SELECT anyway.
    """
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


def create_app(settings: LoyaltySettings | None = None) -> FastAPI:
    settings = settings or LoyaltySettings()

    async def on_startup(app: FastAPI, resources: Resources) -> None:
        app.state.rules = settings.program_rules()
        app.state.reader = reader(resources.engine)

    return create_service_app(
        settings,
        title="Loyalty service",
        description="Members, tiers, bonus lots, the ledger journal, purchases and returns.",
        routers=[router, grants_router, purchases_router, programme_router],
        on_startup=on_startup,
        fast_routes=FAST_ROUTES,
        # Every statement here finds its rows by key, the till's first: one plan each
        # (kit.db.PLANNED_ONCE).
        planned_once=True,
    )
