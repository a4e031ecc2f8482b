from fastapi import FastAPI

from kit.web import create_service_app
from notifier import customer_messages
from notifier.routes import router
from notifier.settings import NotifierSettings


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    return create_service_app(
        settings,
        title="Notifier service",
        description="Contacts, consents, templates, careful communication and deliveries.",
        routers=[router, customer_messages.router],
    )
