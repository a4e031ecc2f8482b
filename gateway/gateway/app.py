from fastapi import Depends, FastAPI
from starlette.middleware import Middleware

from gateway import session
from gateway.console import mount_console
from gateway.fast_routes import FAST_ROUTES
from gateway.idempotency import Idempotency
from gateway.keys import KeyDirectory
from gateway.middleware import BodyLimit, RequestContext
from gateway.openapi import public_openapi
from gateway.paths import check_path_parameters
from gateway.ratelimit import RateLimiter
from gateway.routes import ROUTERS
from gateway.settings import GatewaySettings
from gateway.shedding import open_bulkheads
from gateway.upstreams import install_upstream_error_handlers, open_upstreams
from kit.resources import Resources
from kit.web import create_service_app


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()

    async def on_startup(app: FastAPI, resources: Resources) -> None:
        app.state.upstreams = open_upstreams(settings)
        app.state.bulkheads = open_bulkheads(settings)
        app.state.rate_limiter = RateLimiter(resources.redis, f"gw:rl:{settings.event_namespace}")
        app.state.key_directory = KeyDirectory(
            resources.redis, resources.sessions, settings.event_namespace
        )

    async def on_shutdown(app: FastAPI) -> None:
        for client in app.state.upstreams.values():
            await client.close()

    # Outermost first, inside the request id and metrics middleware of every service.
    middleware = [
        Middleware(RequestContext),
        Middleware(BodyLimit, max_bytes=settings.max_body_bytes),
        Middleware(
            Idempotency,
            ttl_seconds=settings.idempotency_ttl_seconds,
            wait_seconds=settings.idempotency_wait_seconds,
        ),
    ]
    app = create_service_app(
        settings,
        title="Retention platform API",
        description=(
            "The public door for POS terminals, apps and marketers. Every call carries an API "
            "key as `Authorization: Bearer rp_…`; errors are `application/problem+json` with a "
            "stable `code`; every write accepts an `Idempotency-Key`."
        ),
        routers=[*ROUTERS, session.router],
        on_startup=on_startup,
        on_shutdown=on_shutdown,
        middleware=middleware,
        dependencies=[Depends(check_path_parameters)],
        fast_routes=FAST_ROUTES,
    )
    install_upstream_error_handlers(app)
    mount_console(app, settings)
    app.openapi = lambda: public_openapi(app)  # type: ignore[method-assign]
    return app
