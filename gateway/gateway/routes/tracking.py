"""Public tracking links: clicks, the email open pixel and the unsubscribe page.

The links carry a token signed by the notifier, which verifies it and records the event;
the gateway only turns the answer into a redirect, an image or a page. No API key: the
customer's mail client or browser follows them.
"""

import base64
import html

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from gateway.problems import public_problem
from gateway.upstreams import Answer, Notifier, UpstreamClient, ask
from kit.errors import PROBLEM_JSON

router = APIRouter(prefix="/v1", tags=["tracking"])
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


async def _ask(client: UpstreamClient, path: str, token: str) -> Answer:
    return await ask(client, "POST", path, {"token": token})


def _problem(answer: Answer) -> Response:
    return Response(
        public_problem(answer.content), status_code=answer.status_code, media_type=PROBLEM_JSON
    )


@router.get("/t/c/{token}", summary="Follow a tracked link", response_class=RedirectResponse)
async def click(token: str, client: Notifier) -> Response:
    answer = await _ask(client, "/tracking/click", token)
    if answer.status_code != 200:
        return _problem(answer)
    target = answer.json()
    assert isinstance(target, dict)
    return RedirectResponse(target["target"], status_code=302)


@router.get("/t/o/{token}", summary="The email open pixel")
async def open_pixel(token: str, client: Notifier) -> Response:
    # The image is served whatever the answer: a mail client shows no error for a pixel.
    await _ask(client, "/tracking/open", token)
    headers = {"Cache-Control": "no-store"}
    return Response(PIXEL, media_type="image/gif", headers=headers)


@router.get("/unsubscribe/{token}", summary="The unsubscribe page", response_class=HTMLResponse)
async def unsubscribe_page(token: str) -> HTMLResponse:
    # A GET changes nothing: mail scanners prefetch links. The button posts the same token.
    form = (
        f'<form method="post" action="/v1/unsubscribe/{html.escape(token)}">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return HTMLResponse(f"<html><body><h1>Unsubscribe</h1>{form}</body></html>")


@router.post("/unsubscribe/{token}", summary="Unsubscribe (also RFC 8058 one-click)")
async def unsubscribe(token: str, client: Notifier) -> Response:
    answer = await _ask(client, "/tracking/unsubscribe", token)
    if answer.status_code != 200:
        return _problem(answer)
    unsubscribed = answer.json()
    assert isinstance(unsubscribed, dict)
    channel = html.escape(unsubscribed["channel"])
    page = f"<html><body><h1>You are unsubscribed</h1><p>No more {channel} messages.</p>"
    return HTMLResponse(page + "</body></html>")
