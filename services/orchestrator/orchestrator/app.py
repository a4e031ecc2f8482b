from fastapi import FastAPI

from kit.openapi import with_problems
from kit.web import create_service_app
from orchestrator.routes import ROUTERS
from orchestrator.settings import OrchestratorSettings

# What any route may answer besides its success, each as problem+json with a stable `code`.
PROBLEMS = {
    "400": "A cursor this API did not give (`invalid_cursor`)",
    "404": "No such chain, version, enrollment, template or campaign (`chain_not_found`, …)",
    "409": "The state forbids it (`invalid_transition`, `campaign_state_conflict`, …)",
    "422": "Invalid input; `errors` names each field (`validation_error`, `chain_invalid`, …)",
    "503": "A dependency did not answer (`segments_unavailable`, `database_unavailable`, …)",
}


def create_app(settings: OrchestratorSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or OrchestratorSettings(),
        title="Orchestrator service",
        description="Chains as durable Temporal workflows, campaigns and analytics.",
        routers=ROUTERS,
    )
    app.openapi = lambda: with_problems(app, PROBLEMS)  # type: ignore[method-assign]
    return app
