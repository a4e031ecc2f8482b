"""The orchestrator's API: chains, campaigns, analytics."""

from fastapi import APIRouter

from orchestrator.routes import analytics, campaigns, chains, customers, step_analytics

ROUTERS: list[APIRouter] = [
    chains.router,
    campaigns.router,
    analytics.router,
    analytics.control_router,
    step_analytics.router,
    customers.router,
]
