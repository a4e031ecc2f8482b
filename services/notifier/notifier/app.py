from fastapi import FastAPI

from kit.openapi import with_problems
from kit.web import create_service_app
from notifier import customer_messages
from notifier.routes import router
from notifier.settings import NotifierSettings

# What any route may answer besides its success, each as problem+json with a stable `code`.
PROBLEMS = {
    "400": "A cursor this API did not give (`invalid_cursor`)",
    "404": "No such contact, template, policy or delivery, or a link that is not valid "
    "(`contact_not_found`, `template_not_found`, `invalid_token`, …)",
    "409": "The state forbids it (`not_a_test_recipient`, `test_recipient_unreachable`, …)",
    "422": "Invalid input; `errors` names each field (`validation_error`, `template_invalid`, "
    "`invalid_characters`: a NUL anywhere in the request, …)",
    "503": "A dependency did not answer (`database_unavailable`, …)",
}


def create_app(settings: NotifierSettings | None = None) -> FastAPI:
    settings = settings or NotifierSettings()
    app = create_service_app(
        settings,
        title="Notifier service",
        description="Contacts, consents, templates, careful communication and deliveries.",
        routers=[router, customer_messages.router],
    )
    app.openapi = lambda: with_problems(app, PROBLEMS)  # type: ignore[method-assign]
    return app
