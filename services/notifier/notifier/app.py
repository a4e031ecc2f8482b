from fastapi import FastAPI

from kit.resources import Resources
from kit.web import create_service_app
from notifier.channels import SmtpEmailSender
from notifier.routes import router
from notifier.settings import NotifierSettings


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()

    async def on_startup(app: FastAPI, _resources: Resources) -> None:
        app.state.email_sender = SmtpEmailSender(settings)

    return create_service_app(
        settings,
        title="Notifier service",
        description="Contacts, consents, templates, careful communication and deliveries.",
        routers=[router],
        on_startup=on_startup,
    )
