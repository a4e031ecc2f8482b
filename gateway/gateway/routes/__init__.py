"""The public routes, one module per area; each module owns its router."""

from fastapi import APIRouter

from gateway.routes import customers

ROUTERS: list[APIRouter] = [customers.router]
