"""The public routes, one module per area; each module owns its router."""

from fastapi import APIRouter

from gateway.routes import (
    customer_view,
    customers,
    enrollments,
    marketer_analytics,
    marketing,
    purchases,
    templates,
    tracking,
)
from gateway.routes import events as app_events
from gateway.routes import segments as segment_routes

ROUTERS: list[APIRouter] = [
    customers.router,
    purchases.router,
    app_events.router,
    tracking.router,
    enrollments.router,
    templates.router,
    marketing.router,
    marketer_analytics.router,
    customer_view.router,
    segment_routes.router,
]
