"""The FastAPI app factory every service shares: request ids, metrics, health, errors."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import swagger_ui  # type: ignore[import-untyped]  # ships no type information
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit import heap
from kit.asgi import StatusNoting
from kit.db import unit_of_work
from kit.errors import install_error_handlers
from kit.fastpath import FastPaths, FastRoute
from kit.logs import REQUEST_ID_HEADER, configure_logging, request_id_var
from kit.resources import Check, Resources, open_resources
from kit.settings import ServiceSettings
from kit.tracing import UnsampledContext, configure_tracing, fastapi_telemetry

Startup = Callable[[FastAPI, Resources], Awaitable[None]]
Shutdown = Callable[[FastAPI], Awaitable[None]]


class RequestIdMiddleware:
    """Takes the caller's X-Request-ID (or makes one), logs with it and echoes it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER.lower().encode())
        request_id = incoming.decode()[:128] if incoming else uuid.uuid4().hex
        token = request_id_var.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.lower().encode(), request_id.encode())
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, registry: CollectorRegistry) -> None:
        self.app = app
        self.requests = Counter(
            "http_requests_total", "HTTP requests", ["method", "route", "status"], registry=registry
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "HTTP latency",
            ["method", "route"],
            registry=registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        # Each labelled series, looked up once: routes, methods and statuses are few, and
        # `labels()` validates and locks on every call.
        self.series: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        answer = StatusNoting(send, unanswered=500)
        try:
            await self.app(scope, receive, answer)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            key = (scope["method"], route, answer.status)
            series = self.series.get(key)
            if series is None:
                method, _, status = key
                series = self.series[key] = (
                    self.requests.labels(method, route, str(status)),
                    self.latency.labels(method, route),
                )
            series[0].inc()
            series[1].observe(time.perf_counter() - started)


class ServiceApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outermost, so that even an unhandled error's log line names the request's trace.
        return UnsampledContext(super().build_middleware_stack())


def resources_of(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with unit_of_work(resources_of(request).sessions) as session:
        yield session


# The request boundary owns the transaction: one commit after the handler returns.
SessionDep = Annotated[AsyncSession, Depends(_request_session, scope="function")]
ResourcesDep = Annotated[Resources, Depends(resources_of)]


async def run_checks(checks: dict[str, Check]) -> dict[str, str]:
    async def one(check: Check) -> str:
        try:
            await asyncio.wait_for(check(), 2)
            return "ok"
        except Exception as exc:
            return f"failing: {type(exc).__name__}"

    results = await asyncio.gather(*(one(check) for check in checks.values()))
    return dict(zip(checks, results, strict=True))


def health_router(
    checks_of: Callable[[], dict[str, Check]], registry: CollectorRegistry
) -> APIRouter:
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Alive")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Ready: every dependency reachable")
    async def readyz() -> JSONResponse:
        results = await run_checks(checks_of())
        ready = all(v == "ok" for v in results.values())
        return JSONResponse({"ready": ready, "checks": results}, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router


# Swagger UI's files as a PyPI package ships them: /docs works on a till network without internet.
SWAGGER_UI_ASSETS = Path(swagger_ui.__file__).parent / "static"
DOCS_ASSETS = "/docs/assets"


def install_docs(app: FastAPI) -> None:
    """`/docs` from the platform's own files, never a CDN."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=SWAGGER_UI_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=app.title,
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon-32x32.png",
        )


def readiness_checks(app: FastAPI) -> dict[str, Check]:
    """The app's own resources' checks, and those of any app it serves in the same process
    (``app.state.also_ready``: name -> Resources), each named after that app."""
    checks = app.state.resources.readiness_checks()
    for name, resources in getattr(app.state, "also_ready", {}).items():
        checks |= {f"{name} {check}": run for check, run in resources.readiness_checks().items()}
    return checks


def create_service_app(
    settings: ServiceSettings,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    on_startup: Startup | None = None,
    on_shutdown: Shutdown | None = None,
    fast_routes: Sequence[FastRoute] = (),
    planned_once: bool = False,
    **fastapi_kwargs: Any,
) -> FastAPI:
    configure_logging(settings.service_name, settings.log_level)
    configure_tracing(settings)
    registry = CollectorRegistry()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_resources(settings, planned_once=planned_once) as resources:
            app.state.resources = resources
            app.state.settings = settings
            if on_startup:
                await on_startup(app, resources)
            try:
                with heap.set_aside():  # what startup made lives as long as the app
                    yield
            finally:
                if on_shutdown:
                    await on_shutdown(app)

    app = ServiceApp(
        title=title,
        description=description,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        telemetry=fastapi_telemetry(),
        **fastapi_kwargs,
    )
    install_error_handlers(app)
    install_docs(app)
    app.include_router(health_router(lambda: readiness_checks(app), registry))
    for router in routers:
        app.include_router(router)
    if fast_routes:  # innermost: under every middleware the routes have
        app.user_middleware.append(Middleware(FastPaths, routes=fast_routes))
    app.state.fast_routes = settings.fast_routes
    app.add_middleware(MetricsMiddleware, registry=registry)
    app.add_middleware(RequestIdMiddleware)
    return app
