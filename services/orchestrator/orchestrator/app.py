from fastapi import FastAPI

from kit.web import create_service_app
from orchestrator.routes import ROUTERS
from orchestrator.settings import OrchestratorSettings


def create_app(settings: OrchestratorSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or OrchestratorSettings(),
        title="Orchestrator service",
        description="Chains as durable Temporal workflows, campaigns and analytics.",
        routers=ROUTERS,
    )
