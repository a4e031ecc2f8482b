"""The till's door: the gateway's app with loyalty's in the same process, one hop for a till.

Through the gateway a purchase's step crosses two processes: the till's call reaches the
gateway, which checks the key and forwards the call to loyalty over HTTP. Here the gateway's
own app (every route, check, bulkhead and answer unchanged) hands the call to loyalty's own
app without a socket (`gateway.upstreams.InProcessUpstream`). The ingress sends
`/v1/purchases` here; every other call may come here too and is answered as the gateway
answers it, calling the other services over the network.

Neither package knows of the other: this module is where they meet. Loyalty's internal routes
have no listener here; only the gateway's public ones do. Readiness covers both apps'
resources (the gateway's keys and Redis, loyalty's ledger).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from gateway.app import create_app as create_gateway_app
from gateway.settings import GatewaySettings
from gateway.upstreams import InProcessUpstream
from kit.logs import configure_logging
from kit.tracing import configure_tracing
from loyalty.app import create_app as create_loyalty_app
from loyalty.settings import LoyaltySettings

SERVICE_NAME = "till-door"


def create_app(
    gateway_settings: GatewaySettings | None = None,
    loyalty_settings: LoyaltySettings | None = None,
) -> FastAPI:
    gateway_settings = gateway_settings or GatewaySettings()
    # One process, one service in the traces: the first configuration holds for both apps.
    configure_tracing(gateway_settings.model_copy(update={"service_name": SERVICE_NAME}))
    door = create_gateway_app(gateway_settings)
    ledger = create_loyalty_app(loyalty_settings or LoyaltySettings())
    configure_logging(SERVICE_NAME, gateway_settings.log_level)
    gateway_lifespan = door.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with ledger.router.lifespan_context(ledger), gateway_lifespan(app):
            over_network = app.state.upstreams["loyalty"]
            app.state.upstreams["loyalty"] = InProcessUpstream(
                "loyalty",
                ledger,
                gateway_settings.upstream_timeout_seconds,
                gateway_settings.upstream_retries,
            )
            await over_network.close()
            app.state.also_ready = {"loyalty": ledger.state.resources}
            yield

    door.router.lifespan_context = lifespan
    return door
