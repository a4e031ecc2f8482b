from fastapi import FastAPI

from gateway.routes import ROUTERS
from gateway.settings import GatewaySettings
from gateway.upstreams import open_upstreams
from kit.resources import Resources
from kit.web import create_service_app


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    async def on_startup(app: FastAPI, _resources: Resources) -> None:
        app.state.upstreams = open_upstreams(settings)

    return create_service_app(
        settings,
        title="Retention platform API",
        description="The public door for POS terminals, apps and marketers.",
        routers=ROUTERS,
        on_startup=on_startup,
    )
