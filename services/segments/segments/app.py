from fastapi import FastAPI

from kit.web import create_service_app
from segments.routes import routers
from segments.settings import SegmentsSettings


def create_app(settings: SegmentsSettings | None = None) -> FastAPI:
    return create_service_app(
        settings or SegmentsSettings(),
        title="Segments service",
        description="Customer behaviour projection, RFM, recency buckets and rule segments.",
        routers=routers,
    )
