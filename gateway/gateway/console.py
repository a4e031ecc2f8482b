"""The marketer console: the built single-page app in `console/dist`, served at `/console`.

Same origin as `/v1`, so the session cookie is `SameSite=Strict` and no CORS is needed. The
content security policy allows nothing from another origin: the console works on a shop's
network without internet and a stray CDN link fails in the tests, not in the field.
"""

from pathlib import Path

from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from gateway.settings import GatewaySettings

REPOSITORY_DIST = Path(__file__).resolve().parents[2] / "console" / "dist"
POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class ConsoleFiles(StaticFiles):
    """Static files with the console's security headers; hashed assets cached for a year."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        immutable = "/assets/" in scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
                cache = b"public, max-age=31536000, immutable" if immutable else b"no-cache"
                message["headers"].append((b"cache-control", cache))
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


def dist_of(settings: GatewaySettings) -> Path:
    return Path(settings.console_dist) if settings.console_dist else REPOSITORY_DIST


def mount_console(app: FastAPI, settings: GatewaySettings) -> None:
    dist = dist_of(settings)
    if (dist / "index.html").is_file():
        app.mount("/console", ConsoleFiles(directory=dist, html=True), name="console")
        return

    @app.get("/console", include_in_schema=False)
    async def not_built() -> PlainTextResponse:
        text = f"The console is not built ({dist}): run `make bootstrap`."
        return PlainTextResponse(text, status_code=404)
