from fastapi import FastAPI

from kit.openapi import with_problems
from kit.web import create_service_app
from segments.routes import routers
from segments.settings import SegmentsSettings

# What any route may answer besides its success, each as problem+json with a stable `code`.
PROBLEMS = {
    "400": "A cursor this API did not give (`invalid_cursor`)",
    "404": "No such segment or profile (`segment_not_found`, `profile_not_found`)",
    "409": "A built-in segment, or one another rule uses (`builtin_segment_read_only`, "
    "`segment_in_use`)",
    "422": "Invalid input; `errors` names each problem (`validation_error`, `invalid_rule`)",
    "503": "A dependency did not answer (`database_unavailable`, …)",
}


def create_app(settings: SegmentsSettings | None = None) -> FastAPI:
    app = create_service_app(
        settings or SegmentsSettings(),
        title="Segments service",
        description="Customer behaviour projection, RFM, recency buckets and rule segments.",
        routers=routers,
    )
    app.openapi = lambda: with_problems(app, PROBLEMS)  # type: ignore[method-assign]
    return app
