from fastapi import FastAPI

from gateway.routes import router
from gateway.settings import GatewaySettings
from kit.http import internal_client
from kit.resources import Resources
from kit.web import create_service_app


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    async def on_startup(app: FastAPI, _resources: Resources) -> None:
        app.state.loyalty = internal_client(settings.loyalty_url, settings.upstream_timeout_seconds)

    return create_service_app(
        settings,
        title="Retention platform API",
        description="The public door for POS terminals, apps and marketers.",
        routers=[router],
        on_startup=on_startup,
    )
